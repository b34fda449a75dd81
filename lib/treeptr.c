/*
 * Tree pointers: strict reading, stable writing (silo/treeptr.h).
 *
 * The JSON document read from a file is kept whole in the struct, so that
 * fields this version does not know survive a rewrite; the known fields
 * are checked on reading and set from the struct on writing.
 */
#include "silo/treeptr.h"
#include "error-internal.h"
#include "fsutil.h"
#include "json-text.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* A treeptr is a few hundred bytes; anything huge is not one. */
#define TREEPTR_MAX_BYTES (1024 * 1024)

static const char *const kind_names[] = {
	[SILO_TREEPTR_TAR] = "tar",
	[SILO_TREEPTR_ARCHIVE] = "archive",
	[SILO_TREEPTR_OPAQUE] = "opaque",
	[SILO_TREEPTR_TREE] = "tree",
	[SILO_TREEPTR_IMAGE] = "image",
};

const char *silo_treeptr_kind_name(int kind)
{
	if (kind < SILO_TREEPTR_TAR || kind > SILO_TREEPTR_IMAGE)
		return NULL;
	return kind_names[kind];
}

int silo_treeptr_kind_from_name(const char *name)
{
	int k;

	for (k = SILO_TREEPTR_TAR; k <= SILO_TREEPTR_IMAGE; k++)
		if (!strcmp(kind_names[k], name))
			return k;
	return 0;
}

/* 1 if TP has a "tree" field: a tree's id, or an image's tree of
 * everything it keeps. */
static int has_tree(const struct silo_treeptr *tp)
{
	return silo_treeptr_is_tree(tp) || tp->kind == SILO_TREEPTR_IMAGE;
}

int silo_treeptr_is_tree(const struct silo_treeptr *tp)
{
	return tp->kind == SILO_TREEPTR_TAR || tp->kind == SILO_TREEPTR_ARCHIVE ||
	       tp->kind == SILO_TREEPTR_TREE;
}

void silo_treeptr_release(struct silo_treeptr *tp)
{
	json_decref(tp->doc);
	memset(tp, 0, sizeof(*tp));
}

static int field_error(const char *name, const char *field, const char *expected,
		       const json_t *got)
{
	if (!got)
		return silo__error_set(SILO_EINVALID,
			"'%s': missing field '%s': expected %s", name, field, expected);
	return silo__error_set(SILO_EINVALID,
		"'%s': field '%s': expected %s, not %s", name, field, expected,
		json_type_name(got));
}

/* Read the id in FIELD: exactly the hex length of FORMAT, lowercase. */
static int parse_packs(json_t *doc, int format, const char *name);
static int parse_attrs(json_t *doc, int kind, int format, const char *name);

static int parse_id(silo_oid *out, const json_t *doc, const char *field,
		    int format, const char *name)
{
	size_t hexsz = silo_oid_hexsz(format), len, i;
	const json_t *v = json_object_get(doc, field);
	const char *s;
	char what[64];

	snprintf(what, sizeof(what), "a %s id of %zu lowercase hex digits",
		 silo_oid_format_name(format), hexsz);
	if (!json_is_string(v))
		return field_error(name, field, what, v);
	s = json_string_value(v);
	len = json_string_length(v);
	if (len != hexsz)
		return silo__error_set(SILO_EINVALID,
			"'%s': field '%s': expected %s, not %zu characters",
			name, field, what, len);
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return silo__error_set(SILO_EINVALID,
				"'%s': field '%s': expected %s, found '%c' at position %zu",
				name, field, what, s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?', i + 1);
	return silo_oid_from_hex(out, format, s);
}

static int check_doc(struct silo_treeptr *tp, json_t *doc, const char *name)
{
	json_t *v;
	json_int_t version, size;
	int format, ret;

	if (!json_is_object(doc))
		return silo__error_set(SILO_EINVALID,
			"'%s': expected a JSON object, not %s", name, json_type_name(doc));

	v = json_object_get(doc, "treeptr");
	if (!json_is_integer(v))
		return field_error(name, "treeptr", "the format version, an integer", v);
	version = json_integer_value(v);
	if (version < 1)
		return silo__error_set(SILO_EINVALID,
			"'%s': field 'treeptr': expected a format version of 1 or more, not %" PRId64,
			name, (int64_t)version);
	if (version > SILO_TREEPTR_VERSION)
		return silo__error_set(SILO_EINVALID,
			"'%s': field 'treeptr': format version %" PRId64
			" is newer than this tool reads (%d)", name, (int64_t)version,
			SILO_TREEPTR_VERSION);

	v = json_object_get(doc, "object-format");
	if (!json_is_string(v))
		return field_error(name, "object-format", "\"sha1\" or \"sha256\"", v);
	if (!(format = silo_oid_format_from_name(json_string_value(v))))
		return silo__error_set(SILO_EINVALID,
			"'%s': field 'object-format': expected \"sha1\" or \"sha256\", not \"%.40s\"",
			name, json_string_value(v));

	v = json_object_get(doc, "kind");
	if (!json_is_string(v))
		return field_error(name, "kind", "\"tar\", \"archive\", \"opaque\", \"tree\" or \"image\"", v);
	if (!(tp->kind = silo_treeptr_kind_from_name(json_string_value(v))))
		return silo__error_set(SILO_EINVALID,
			"'%s': field 'kind': expected \"tar\", \"archive\", \"opaque\", \"tree\" or \"image\", not \"%.40s\"",
			name, json_string_value(v));

	if ((ret = parse_id(&tp->object, doc, "object", format, name)) < 0)
		return ret;

	v = json_object_get(doc, "size");
	if (!json_is_integer(v))
		return field_error(name, "size", "the object's size in bytes, an integer", v);
	size = json_integer_value(v);
	if (size < 0)
		return silo__error_set(SILO_EINVALID,
			"'%s': field 'size': expected a size in bytes, not %" PRId64,
			name, (int64_t)size);
	tp->size = (uint64_t)size;

	memset(&tp->tree, 0, sizeof(tp->tree));
	if (has_tree(tp)) {
		if ((ret = parse_id(&tp->tree, doc, "tree", format, name)) < 0)
			return ret;
	} else if (json_object_get(doc, "tree")) {
		return silo__error_set(SILO_EINVALID,
			"'%s': field 'tree': not expected for kind \"%s\"", name,
			silo_treeptr_kind_name(tp->kind));
	}

	if (tp->kind == SILO_TREEPTR_TREE && (ret = parse_packs(doc, format, name)) < 0)
		return ret;
	if ((ret = parse_attrs(doc, tp->kind, format, name)) < 0)
		return ret;

	v = json_object_get(doc, "provenance");
	if (v && !json_is_object(v))
		return field_error(name, "provenance", "an object", v);
	return 0;
}

int silo_treeptr_parse(struct silo_treeptr *tp, const char *text, size_t len,
		       const char *name)
{
	json_error_t jerr;
	json_t *doc;
	int ret;

	memset(tp, 0, sizeof(*tp));
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return silo__error_set(SILO_EINVALID, "'%s': not valid JSON: line %d: %s",
				       name, jerr.line, jerr.text);
	if ((ret = check_doc(tp, doc, name)) < 0) {
		json_decref(doc);
		memset(tp, 0, sizeof(*tp));
		return ret;
	}
	tp->doc = doc;
	return 0;
}

int silo_treeptr_load(struct silo_treeptr *tp, const char *path)
{
	char *text;
	size_t len;
	int ret;

	memset(tp, 0, sizeof(*tp));
	if ((ret = fs_read_file(&text, &len, path, TREEPTR_MAX_BYTES)) < 0)
		return ret;
	ret = silo_treeptr_parse(tp, text, len, path);
	free(text);
	return ret;
}

/* The document, created on first use. */
static json_t *get_doc(struct silo_treeptr *tp)
{
	if (!tp->doc)
		tp->doc = json_object();
	return tp->doc;
}

static int set_field(json_t *doc, const char *key, json_t *value)
{
	if (!value || json_object_set_new(doc, key, value) < 0)
		return silo__error_oom();
	return 0;
}

int silo_treeptr_format(char **out, const struct silo_treeptr *tp)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	const char *kind = silo_treeptr_kind_name(tp->kind);
	const char *format = silo_oid_format_name(tp->object.format);
	json_t *doc;
	int ret = 0;

	*out = NULL;
	if (!kind)
		return silo__error_set(SILO_EINVALID, "treeptr has no kind");
	if (!format)
		return silo__error_set(SILO_EINVALID, "treeptr has no object id");
	if (has_tree(tp) && tp->tree.format != tp->object.format)
		return silo__error_set(SILO_EINVALID, "treeptr of kind \"%s\" has no %s tree id",
				       kind, format);
	if (tp->size > (uint64_t)INT64_MAX)
		return silo__error_set(SILO_EINVALID, "object size %" PRIu64 " is too large",
				       tp->size);
	/* Work on a copy: formatting must not change TP. */
	doc = tp->doc ? json_deep_copy(tp->doc) : json_object();
	if (!doc)
		return silo__error_oom();
	if ((ret = set_field(doc, "treeptr", json_integer(SILO_TREEPTR_VERSION))) < 0 ||
	    (ret = set_field(doc, "object-format", json_string(format))) < 0 ||
	    (ret = set_field(doc, "kind", json_string(kind))) < 0 ||
	    (ret = set_field(doc, "object",
			     json_string(silo_oid_to_hex(hex, &tp->object)))) < 0 ||
	    (ret = set_field(doc, "size", json_integer((json_int_t)tp->size))) < 0)
		goto out;
	if (has_tree(tp))
		ret = set_field(doc, "tree", json_string(silo_oid_to_hex(hex, &tp->tree)));
	else
		json_object_del(doc, "tree");
	if (tp->kind != SILO_TREEPTR_TREE) {
		json_object_del(doc, "packs");
		json_object_del(doc, "attrs");
		json_object_del(doc, "attrs-size");
	}
	else if (!json_is_array(json_object_get(doc, "packs")))
		ret = silo__error_set(SILO_EINVALID, "treeptr of kind \"tree\" has no packs");
	if (ret < 0)
		goto out;
	ret = json_text(out, doc, JSON_SORT_KEYS | JSON_INDENT(2));
out:
	json_decref(doc);
	return ret;
}

int silo_treeptr_save(const struct silo_treeptr *tp, const char *path)
{
	char *text;
	int ret;

	if ((ret = silo_treeptr_format(&text, tp)) < 0)
		return ret;
	ret = fs_write_file_atomic(path, text, strlen(text));
	free(text);
	return ret;
}

/* Length of the valid UTF-8 sequence at S (1 to 4), or 0. */
static size_t utf8_seq(const unsigned char *s)
{
	size_t n, i;
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/*
 * VALUE as valid UTF-8, which JSON requires: a path or note in another
 * encoding has each invalid byte replaced with U+FFFD.  Provenance is
 * for people to read, so an approximate name beats no treeptr at all.
 */
static json_t *json_string_lossy(const char *value)
{
	const unsigned char *p = (const unsigned char *)value;
	size_t len = strlen(value), out = 0;
	json_t *res;
	char *buf;

	if ((res = json_string(value)))
		return res;
	if (len > ((size_t)-1) / 3 - 1 || !(buf = malloc(3 * len + 1)))
		return NULL;
	while (*p) {
		size_t n = utf8_seq(p);
		if (n) {
			memcpy(buf + out, p, n);
			out += n;
			p += n;
		} else {
			memcpy(buf + out, "\xef\xbf\xbd", 3);
			out += 3;
			p++;
		}
	}
	buf[out] = '\0';
	res = json_string(buf);
	free(buf);
	return res;
}

int silo_treeptr_set_provenance(struct silo_treeptr *tp, const char *key,
				const char *value)
{
	json_t *doc = get_doc(tp), *prov;

	if (!doc)
		return silo__error_oom();
	prov = json_object_get(doc, "provenance");
	if (!json_is_object(prov)) {
		if (!value)
			return 0;
		if (set_field(doc, "provenance", json_object()) < 0)
			return SILO_ENOMEM;
		prov = json_object_get(doc, "provenance");
	}
	if (!value) {
		json_object_del(prov, key);
		return 0;
	}
	return set_field(prov, key, json_string_lossy(value));
}

const char *silo_treeptr_provenance(const struct silo_treeptr *tp, const char *key)
{
	json_t *prov;

	if (!tp->doc)
		return NULL;
	prov = json_object_get(tp->doc, "provenance");
	return json_string_value(json_object_get(prov, key));
}

int silo_treeptr_clear_provenance(struct silo_treeptr *tp)
{
	json_t *doc = get_doc(tp);

	if (!doc)
		return silo__error_oom();
	json_object_del(doc, "provenance");
	return 0;
}

/* "packs": an array of "pack-<hex>" names of FORMAT, at least one. */
static int parse_packs(json_t *doc, int format, const char *name)
{
	json_t *v = json_object_get(doc, "packs"), *e;
	size_t i, hexsz = silo_oid_hexsz(format);

	if (!json_is_array(v) || !json_array_size(v))
		return field_error(name, "packs", "an array of pack names", v);
	json_array_foreach(v, i, e) {
		const char *p = json_string_value(e);
		size_t k;
		if (!p || strncmp(p, "pack-", 5) || strlen(p) != 5 + hexsz)
			goto bad;
		for (k = 5; p[k]; k++)
			if (!((p[k] >= '0' && p[k] <= '9') || (p[k] >= 'a' && p[k] <= 'f')))
				goto bad;
		continue;
bad:
		return silo__error_set(SILO_EINVALID,
			"'%s': field 'packs': expected pack names \"pack-<%zu hex digits>\", not %.80s",
			name, hexsz, p ? p : "a non-string");
	}
	return 0;
}

size_t silo_treeptr_n_packs(const struct silo_treeptr *tp)
{
	return tp->doc ? json_array_size(json_object_get(tp->doc, "packs")) : 0;
}

const char *silo_treeptr_pack(const struct silo_treeptr *tp, size_t i)
{
	return json_string_value(json_array_get(json_object_get(tp->doc, "packs"), i));
}

int silo_treeptr_set_packs(struct silo_treeptr *tp, char *const *packs, size_t n)
{
	json_t *a = json_array();
	size_t i;

	if (!tp->doc && !(tp->doc = json_object())) {
		json_decref(a);
		return silo__error_oom();
	}
	for (i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(packs[i])) < 0) {
			json_decref(a);
			a = NULL;
		}
	if (!a || json_object_set_new(tp->doc, "packs", a) < 0)
		return silo__error_oom();
	return 0;
}

/* "attrs" and "attrs-size": both or neither, for kind tree only. */
static int parse_attrs(json_t *doc, int kind, int format, const char *name)
{
	json_t *v = json_object_get(doc, "attrs"), *size = json_object_get(doc, "attrs-size");
	silo_oid id;
	int ret;

	if (!v && !size)
		return 0;
	if (kind != SILO_TREEPTR_TREE)
		return silo__error_set(SILO_EINVALID, "'%s': field '%s': expected only for kind "
				       "\"tree\"", name, v ? "attrs" : "attrs-size");
	if ((ret = parse_id(&id, doc, "attrs", format, name)) < 0)
		return ret;
	if (!json_is_integer(size))
		return field_error(name, "attrs-size", "the attribute record's size in bytes, "
				   "an integer", size);
	if (json_integer_value(size) < 0)
		return silo__error_set(SILO_EINVALID,
			"'%s': field 'attrs-size': expected a size in bytes, not %" PRId64,
			name, (int64_t)json_integer_value(size));
	return 0;
}

int silo_treeptr_attrs(const struct silo_treeptr *tp, silo_oid *id, uint64_t *size)
{
	const json_t *v = tp->doc ? json_object_get(tp->doc, "attrs") : NULL;

	if (tp->kind != SILO_TREEPTR_TREE || !json_is_string(v))
		return 0;
	/* Checked when the treeptr was read. */
	if (silo_oid_from_hex(id, tp->object.format, json_string_value(v)) < 0) {
		silo_error_clear();
		return 0;
	}
	*size = (uint64_t)json_integer_value(json_object_get(tp->doc, "attrs-size"));
	return 1;
}

int silo_treeptr_set_attrs(struct silo_treeptr *tp, const silo_oid *id, uint64_t size)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];

	if (!tp->doc && !(tp->doc = json_object()))
		return silo__error_oom();
	if (!id) {
		json_object_del(tp->doc, "attrs");
		json_object_del(tp->doc, "attrs-size");
		return 0;
	}
	if (size > (uint64_t)INT64_MAX ||
	    json_object_set_new(tp->doc, "attrs", json_string(silo_oid_to_hex(hex, id))) < 0 ||
	    json_object_set_new(tp->doc, "attrs-size", json_integer((json_int_t)size)) < 0)
		return silo__error_oom();
	return 0;
}

int silo_treeptr_same_data(const struct silo_treeptr *a, const struct silo_treeptr *b)
{
	silo_oid ia, ib;
	uint64_t sa, sb;
	int ha, hb;

	if (a->kind != b->kind || a->size != b->size ||
	    !silo_oid_equal(&a->object, &b->object))
		return 0;
	ha = silo_treeptr_attrs(a, &ia, &sa);
	hb = silo_treeptr_attrs(b, &ib, &sb);
	if (ha != hb || (ha && (sa != sb || !silo_oid_equal(&ia, &ib))))
		return 0;
	if (has_tree(a))
		return silo_oid_equal(&a->tree, &b->tree);
	return 1;
}
