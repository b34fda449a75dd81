/* Unit tests of treeptr reading and writing, and SILO.json-free helpers. */
#include "tap.h"
#include "silo/treeptr.h"
#include "silo/prune.h"
#include "silo/error.h"
#include "fsutil.h"

#include <stdlib.h>
#include <string.h>

#define ID1 "ce013625030ba8dba906f756967f9e9ca394464a"
#define ID2 "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

static const char sample[] =
	"{\"treeptr\":1,\"zz-later\":{\"b\":[1,2],\"a\":true},\"kind\":\"tar\","
	"\"object\":\"" ID1 "\",\"size\":20480,\"object-format\":\"sha1\","
	"\"tree\":\"" ID2 "\",\"provenance\":{\"user\":\"u\",\"x-extra\":3}}";

static const char sample_out[] =
	"{\n"
	"  \"kind\": \"tar\",\n"
	"  \"object\": \"" ID1 "\",\n"
	"  \"object-format\": \"sha1\",\n"
	"  \"provenance\": {\n"
	"    \"user\": \"u\",\n"
	"    \"x-extra\": 3\n"
	"  },\n"
	"  \"size\": 20480,\n"
	"  \"tree\": \"" ID2 "\",\n"
	"  \"treeptr\": 1,\n"
	"  \"zz-later\": {\n"
	"    \"a\": true,\n"
	"    \"b\": [\n"
	"      1,\n"
	"      2\n"
	"    ]\n"
	"  }\n"
	"}\n";

static void test_roundtrip(void)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT, again = SILO_TREEPTR_INIT;
	char hex[SILO_OID_MAX_HEXSZ + 1], *text = NULL, *text2 = NULL;

	ok(silo_treeptr_parse(&tp, sample, strlen(sample), "s.treeptr") == 0, "sample parses");
	is_int(tp.kind, SILO_TREEPTR_TAR, "kind");
	is_str(silo_oid_to_hex(hex, &tp.object), ID1, "object");
	is_str(silo_oid_to_hex(hex, &tp.tree), ID2, "tree");
	is_int((long long)tp.size, 20480, "size");
	is_str(silo_treeptr_provenance(&tp, "user"), "u", "provenance string");
	ok(silo_treeptr_provenance(&tp, "x-extra") == NULL, "non-string provenance is not a string");
	ok(silo_treeptr_format(&text, &tp) == 0, "formats");
	is_str(text ? text : "", sample_out, "sorted, indented, unknown fields kept");
	ok(silo_treeptr_parse(&again, text, strlen(text), "t") == 0, "output parses");
	ok(silo_treeptr_same_data(&tp, &again), "same data after a round trip");
	ok(silo_treeptr_format(&text2, &again) == 0 && !strcmp(text, text2),
	   "formatting twice gives the same bytes");
	silo_treeptr_release(&tp);
	silo_treeptr_release(&again);
	free(text);
	free(text2);
}

static void test_build(void)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	char *text = NULL;

	tp.kind = SILO_TREEPTR_OPAQUE;
	ok(silo_oid_from_hex(&tp.object, SILO_OID_SHA1, ID1) == 0, "id");
	tp.size = 6;
	ok(silo_treeptr_set_provenance(&tp, "note", "n") == 0, "set provenance");
	ok(silo_treeptr_set_provenance(&tp, "note", NULL) == 0, "remove provenance");
	ok(silo_treeptr_format(&text, &tp) == 0, "a new treeptr formats");
	is_str(text ? text : "",
	       "{\n  \"kind\": \"opaque\",\n  \"object\": \"" ID1 "\",\n"
	       "  \"object-format\": \"sha1\",\n  \"provenance\": {},\n"
	       "  \"size\": 6,\n  \"treeptr\": 1\n}\n", "opaque: no tree field");
	free(text);
	tp.kind = SILO_TREEPTR_TAR;
	ok(silo_treeptr_format(&text, &tp) == SILO_EINVALID, "a tar without a tree id is refused");
	silo_treeptr_release(&tp);
}

static void test_errors(void)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "", "'b': not valid JSON: line 1: '[' or '{' expected near end of file" },
		{ "{\"treeptr\": 1.0}", "'b': field 'treeptr': expected the format version, an integer, not a real number" },
		{ "{\"treeptr\": 1, \"object-format\": \"sha1\", \"kind\": \"opaque\", "
		  "\"object\": \"" ID1 "\", \"size\": 1, \"tree\": \"" ID2 "\"}",
		  "'b': field 'tree': not expected for kind \"opaque\"" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct silo_treeptr tp = SILO_TREEPTR_INIT;
		int ret = silo_treeptr_parse(&tp, cases[i].text, strlen(cases[i].text), "b");
		ok(ret == SILO_EINVALID, "malformed input is SILO_EINVALID");
		ok(!strncmp(silo_error_message(), cases[i].msg, strlen(cases[i].msg)),
		   cases[i].msg);
		ok(tp.doc == NULL, "nothing is kept after a failure");
	}
}

static void test_ages(void)
{
	static const struct { const char *text; long long secs; } good[] = {
		{ "now", 0 }, { "3600", 3600 }, { "2.weeks", 1209600 },
		{ "1.week", 604800 }, { "3.days.ago", 259200 }, { "5.minutes", 300 },
		{ "1.year", 31536000 },
	};
	static const char *const bad[] = { "", "soon", "2.fortnights", "-1", "2.", ".days", "3.days.later" };
	int64_t s;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(*good); i++)
		ok(silo_prune_parse_age(&s, good[i].text) == 0 && s == good[i].secs, good[i].text);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ok(silo_prune_parse_age(&s, bad[i]) == SILO_EINVALID, bad[i]);
}

static void test_paths(void)
{
	static const struct { const char *path, *dir, *base; } cases[] = {
		{ "a/b.treeptr", "a", "b.treeptr" },
		{ "b", ".", "b" },
		{ "/b", "/", "b" },
		{ "/", "/", "/" },
		{ "a/b/", "a", "b" },
		{ "a//b", "a", "b" },
		{ "./x", ".", "x" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *d = fs_dirname(cases[i].path), *b = fs_basename(cases[i].path);
		is_str(d ? d : "(null)", cases[i].dir, cases[i].path);
		is_str(b ? b : "(null)", cases[i].base, cases[i].path);
		free(d);
		free(b);
	}
}

int main(void)
{
	test_paths();
	test_roundtrip();
	test_build();
	test_errors();
	test_ages();
	return done_testing();
}
