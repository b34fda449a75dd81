/*
 * Object sources (lib/source.h): the checked downcast, which reports a
 * source of the wrong type as a bug instead of handing out a pointer to
 * the wrong struct; a silo over HTTP opened through the cache without
 * asking its server; the prefetch step on a local silo.  Prints TAP.
 */
#include "tap.h"
#include "scratch.h"
#include "silo/error.h"
#include "silo/store.h"
#include "silo/remote.h"
#include "silo/tree.h"
#include "../../lib/source.h"

#include <stdlib.h>
#include <string.h>

/* Nothing listens on port 1 of the loopback: a request fails at once. */
#define NO_SERVER "http://127.0.0.1:1/deps.silo/"

static void test_checked_downcast(void)
{
	struct silo_source *src, wrong;
	silo_oid id;

	ok(loose_source_new(&src, "/nonexistent/deps.silo", SILO_OID_SHA1) == 0,
	   "make a loose source");
	is_int(silo__source_check(src, SILO_SOURCE_LOOSE), 0, "a loose source is a loose source");
	is_int(silo__source_check(src, SILO_SOURCE_REMOTE), SILO_ERROR,
	       "a loose source used as a remote one is an error");
	is_str(silo_error_message(),
	       "BUG: source '/nonexistent/deps.silo' is a loose source, used as a remote one",
	       "which says it is a bug, and names both types");
	is_int(silo_source_is_local(src), 1, "a loose source is local");

	/* The loose source's own operations take their struct through the
	 * check: handed a source of another type, they refuse. */
	wrong = *src;
	wrong.type = SILO_SOURCE_PACKS;
	silo_oid_from_hex(&id, SILO_OID_SHA1, "ce013625030ba8dba906f756967f9e9ca394464a");
	is_int(src->ops->lookup(&wrong, &id), SILO_ERROR, "lookup refuses a packs source");
	is_str(silo_error_message(),
	       "BUG: source '/nonexistent/deps.silo' is a packs source, used as a loose one",
	       "and says why");
	is_int(src->ops->lookup(src, &id), 0, "lookup of its own source answers");
	src->ops->free(src);
}

/* The whole content of ID in S, as a string (a static buffer). */
static const char *content(silo *s, const silo_oid *id)
{
	static char buf[64];
	silo_stream *st;
	const void *d;
	size_t len, have = 0;
	int ret;

	buf[0] = '\0';
	if (silo_stream_open(&st, s, id) < 0)
		return "(cannot open)";
	while ((ret = silo_stream_read(st, &d, &len)) > 0 && have + len < sizeof(buf)) {
		memcpy(buf + have, d, len);
		have += len;
	}
	silo_stream_free(st);
	buf[have] = '\0';
	return ret < 0 ? "(cannot read)" : buf;
}

static void test_open_if_cached(void)
{
	silo *cache, *s = NULL;
	silo_writer *w;
	silo_oid id, other;

	setenv("SILO_CACHE_DIR", at("cache"), 1);
	setenv("SILO_HTTP_RETRIES", "0", 1);
	if (silo_cache_open(&cache, SILO_OID_SHA1) < 0 || silo_writer_new(&w, cache) < 0 ||
	    silo_writer_put_buffer(&id, w, "hello\n", 6) < 0 || silo_writer_commit(w, NULL) < 0)
		die("a cache holding one object");
	silo_writer_free(w);
	silo_free(cache);
	silo_oid_from_hex(&other, SILO_OID_SHA1, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");

	is_int(silo_open_if_cached(&s, NO_SERVER, &other), 0,
	       "an object the cache lacks: no handle");
	ok(!s, "and *out is NULL");
	is_int(silo_open_if_cached(&s, at("cache/sha1"), &id), 0, "a directory: no handle");
	is_int(silo_open_if_cached(&s, NO_SERVER, &id), 1,
	       "an object the cache holds: a handle, no server up");
	is_str(content(s, &id), "hello\n", "which reads it from the cache");
	is_int(silo_prefetch(s, &id, NULL, 1, NULL), 0, "a prefetch of what the cache holds asks nothing");
	is_int(silo_fetch_object(s, &id, UINT64_MAX), 0, "nor does a fetch of it");
	/* Something the cache lacks: the server is asked now, its
	 * config.json first. */
	is_int(silo_fetch_object(s, &other, UINT64_MAX), SILO_ENET, "a fetch of another asks the server");
	ok(strstr(silo_error_message(), "127.0.0.1:1/deps.silo/config.json") != NULL,
	   "for its config.json first");
	silo_free(s);
}

static void test_prefetch_local(void)
{
	struct silo_prefetch_hints hints;
	char *names[] = { "pack-0123456789012345678901234567890123456789" };
	silo_oid id;
	silo *s;

	if (silo_open(&s, at("cache/sha1")) < 0)
		die("open the cache as a local silo");
	silo_oid_from_hex(&id, SILO_OID_SHA1, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
	memset(&hints, 0, sizeof(hints));
	hints.packs = names;
	hints.n_packs = 1;
	hints.section_first = &id;
	hints.section_last = &id;
	is_int(silo_prefetch(s, &id, NULL, 1, &hints), 0, "a local silo has nothing to prefetch");
	is_int(silo_has_object(s, &id), 0, "and fetched nothing");
	silo_free(s);
}

int main(void)
{
	scratch_init("sources");
	test_checked_downcast();
	test_open_if_cached();
	test_prefetch_local();
	silo_tree_remove(base);
	return done_testing();
}
