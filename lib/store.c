/*
 * Creating, opening and describing a silo, and reading it through its
 * list of object sources (source.h).
 */
#include "store-internal.h"
#include "source.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"
#include "json-text.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SILO_LAYOUT_VERSION 1

static int write_config(const char *root, int format)
{
	char *dest = fs_join(root, SILO_CONFIG_FILE), *text = NULL;
	json_t *obj;
	int ret;

	if (!dest)
		return silo__error_oom();
	obj = json_pack("{s:i, s:s}", "silo", SILO_LAYOUT_VERSION,
			"object-format", silo_oid_format_name(format));
	ret = json_text(&text, obj, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(obj);
	/* Written once, like every file of a silo: a concurrent init that
	 * wrote it first wins, with the same content. */
	if (ret == 0)
		ret = fs_write_file(root, SILO_TMP_PREFIX "config_", dest, text, strlen(text), 0444, 0);
	free(text);
	free(dest);
	return ret;
}

int silo__config_parse(int *format, const char *text, size_t len, const char *name)
{
	json_error_t jerr;
	json_t *obj, *v;
	int ret = 0;

	if (!(obj = json_loadb(text, len, 0, &jerr)))
		return silo__error_set(SILO_EINVALID, "'%s': line %d: %s", name, jerr.line,
				       jerr.text);
	v = json_object_get(obj, "silo");
	if (!json_is_integer(v) || json_integer_value(v) != SILO_LAYOUT_VERSION)
		ret = silo__error_set(SILO_EINVALID,
			"'%s': field 'silo' must be the layout version %d", name,
			SILO_LAYOUT_VERSION);
	else if (!json_is_string(v = json_object_get(obj, "object-format")) ||
		 !(*format = silo_oid_format_from_name(json_string_value(v))))
		ret = silo__error_set(SILO_EINVALID,
			"'%s': field 'object-format' must be \"sha1\" or \"sha256\"", name);
	json_decref(obj);
	return ret;
}

/* Read the format recorded in ROOT/config.json. */
static int read_config(int *format, const char *root)
{
	char *path = fs_join(root, SILO_CONFIG_FILE), *text = NULL;
	size_t len;
	int ret = 0, fd;

	if (!path)
		return silo__error_oom();
	fd = fs_open_regular(path, path, SILO_EINVALID);
	if (fd < 0) {
		struct stat st;
		int saved = ret = fd;
		if (stat(root, &st) < 0 && errno == ENOENT)
			ret = silo__error_set(SILO_ENOTFOUND, "'%s' does not exist", root);
		else if (access(path, F_OK) < 0 && (errno == ENOENT || errno == ENOTDIR))
			ret = silo__error_set(SILO_ENOTFOUND,
				"'%s' is not a silo: it has no %s", root, SILO_CONFIG_FILE);
		else
			ret = saved;
		goto out;
	}
	close(fd);
	if ((ret = fs_read_file(&text, &len, path, 65536)) == 0)
		ret = silo__config_parse(format, text, len, path);
out:
	free(text);
	free(path);
	return ret;
}

int silo_init(const char *path, int format)
{
	static const char *const subdirs[] = { "objects", "pack", "derived" };
	char *config = NULL;
	size_t i;
	int ret, existing;

	if (!silo_oid_format_name(format))
		return silo__error_set(SILO_EINVALID, "unknown object format %d", format);
	if ((ret = fs_mkdir_p(path, 0777)) < 0)
		return ret;
	if (!(config = fs_join(path, SILO_CONFIG_FILE)))
		return silo__error_oom();
	existing = fs_exists(config);
	free(config);
	if (existing < 0)
		return existing;
	if (existing) {
		int have;
		if ((ret = read_config(&have, path)) < 0)
			return ret;
		if (have != format)
			return silo__error_set(SILO_EEXISTS,
				"'%s' is already a silo with %s ids", path,
				silo_oid_format_name(have));
	}
	for (i = 0; i < sizeof(subdirs) / sizeof(*subdirs); i++) {
		char *dir = fs_join(path, subdirs[i]);
		if (!dir)
			return silo__error_oom();
		ret = fs_mkdir_p(dir, 0777);
		free(dir);
		if (ret < 0)
			return ret;
	}
	/* The config is written last: its presence marks a complete silo. */
	return existing ? 0 : write_config(path, format);
}

int silo__add_source(silo *s, struct silo_source *src)
{
	if (ALLOC_GROW(s->sources, s->n_sources + 1, s->alloc_sources) < 0) {
		src->ops->free(src);
		return silo__error_oom();
	}
	s->sources[s->n_sources++] = src;
	return 0;
}

void silo__mark_used_on_read(silo *s)
{
	for (size_t i = 0; i < s->n_sources; i++)
		if (silo_source_is_local(s->sources[i]))
			s->sources[i]->mark_used = 1;
}

struct silo_source *silo__remote_source(const silo *s)
{
	size_t i;

	for (i = 0; i < s->n_sources; i++)
		if (s->sources[i]->type == SILO_SOURCE_REMOTE)
			return s->sources[i];
	return NULL;
}

int silo_open(silo **out, const char *path)
{
	struct silo_source *src;
	silo *s;
	int ret;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return silo__error_oom();
	s->root = strdup(path);
	s->objects_dir = fs_join(path, "objects");
	s->pack_dir = fs_join(path, "pack");
	if (!s->root || !s->objects_dir || !s->pack_dir) {
		silo_free(s);
		return silo__error_oom();
	}
	if ((ret = read_config(&s->format, path)) < 0 ||
	    (ret = loose_source_new(&src, path, s->format)) < 0 ||
	    (ret = silo__add_source(s, src)) < 0 ||
	    (ret = pack_source_new(&src, &s->packs, path, s->format)) < 0 ||
	    (ret = silo__add_source(s, src)) < 0) {
		silo_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void silo_free(silo *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_sources; i++)
		s->sources[i]->ops->free(s->sources[i]);
	free(s->sources);
	free(s->root);
	free(s->objects_dir);
	free(s->pack_dir);
	free(s);
}

const char *silo_root(const silo *s)
{
	return s->root;
}

int silo_object_format(const silo *s)
{
	return s->format;
}

/*
 * Ask the sources of S in order, only the local ones if LOCAL_ONLY; with
 * TYPE and SIZE, what the object is, from the sources that can tell
 * without a transfer (the others only say whether they hold it).
 */
static int lookup(silo *s, const silo_oid *id, int local_only, int *type, uint64_t *size)
{
	size_t i;
	int ret;

	if (id->format != s->format)
		return 0;
	for (i = 0; i < s->n_sources; i++) {
		struct silo_source *src = s->sources[i];
		if (local_only && !silo_source_is_local(src))
			continue;
		if (type && src->ops->info)
			ret = src->ops->info(src, id, type, size);
		else
			ret = src->ops->lookup(src, id);
		if (ret != 0)
			return ret;
	}
	return 0;
}

int silo__has_object_local(silo *s, const silo_oid *id)
{
	return lookup(s, id, 1, NULL, NULL);
}

int silo_has_object(silo *s, const silo_oid *id)
{
	return lookup(s, id, 0, NULL, NULL);
}

int silo_object_info(silo *s, const silo_oid *id, int *type, uint64_t *size)
{
	*type = SILO_OBJ_NONE;
	if (size)
		*size = UINT64_MAX;
	return lookup(s, id, 0, type, size);
}

int silo_fetch_object(silo *s, const silo_oid *id, uint64_t size)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	size_t i;
	int ret;

	if ((ret = silo__has_object_local(s, id)) != 0)
		return ret < 0 ? ret : 0;
	for (i = 0; i < s->n_sources; i++) {
		struct silo_source *src = s->sources[i];
		if (src->ops->fetch && (ret = src->ops->fetch(src, id, size)) != SILO_ENOTFOUND)
			return ret;
	}
	if (ret == SILO_ENOTFOUND)
		return ret;	/* as the last source to fetch said */
	/* Not found: but a damaged pack or index may be where it was, and
	 * that is worth naming (exit 4, not 3).  Opening says which. */
	{
		silo_stream *st;
		if ((ret = silo_stream_open(&st, s, id)) == 0) {
			silo_stream_free(st);	/* it arrived meanwhile */
			return 0;
		}
		if (ret != SILO_ENOTFOUND)
			return ret;
	}
	return silo__error_set(SILO_ENOTFOUND, "object %s is not in silo '%s'",
			       silo_oid_to_hex(hex, id), s->root);
}

int silo_prefetch(silo *s, const silo_oid *ids, const uint64_t *sizes, size_t n,
		  const struct silo_prefetch_hints *hints)
{
	static const struct silo_prefetch_hints none;
	size_t i;
	int ret;

	for (i = 0; i < s->n_sources; i++) {
		struct silo_source *src = s->sources[i];
		if (src->ops->prefetch &&
		    (ret = src->ops->prefetch(src, ids, sizes, n, hints ? hints : &none)) < 0)
			return ret;
	}
	return 0;
}

int silo_stream_open(silo_stream **out, silo *s, const silo_oid *id)
{
	return silo_stream_open_sized(out, s, id, UINT64_MAX);
}

int silo_stream_open_sized(silo_stream **out, silo *s, const silo_oid *id, uint64_t size)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	int ret, miss = 0;
	size_t i;

	*out = NULL;
	if (id->format != s->format)
		return silo__error_set(SILO_EINVALID,
			"'%s' holds %s ids, not %s", s->root,
			silo_oid_format_name(s->format),
			silo_oid_format_name(id->format));
	/* The first source that has it; if none, what the last one said
	 * of its miss (a damaged pack is worth naming). */
	for (i = 0; i < s->n_sources; i++) {
		struct silo_source *src = s->sources[i];
		ret = src->ops->open(out, src, id, size);
		if (ret != SILO_SOURCE_MISS)
			return ret;
		miss = silo_error_last();
	}
	if (miss < 0)
		return miss;
	return silo__error_set(SILO_ENOTFOUND, "object %s is not in silo '%s'",
			       silo_oid_to_hex(hex, id), s->root);
}

struct listed_item {
	struct silo_object_info info;	/* relpath owned */
	size_t seq;			/* the order it was listed in */
};

struct listed {
	struct listed_item *v;
	size_t n, alloc;
};

static int collect(const struct silo_object_info *info, void *payload)
{
	struct listed *l = payload;
	struct listed_item *e;

	if (ALLOC_GROW(l->v, l->n + 1, l->alloc) < 0)
		return silo__error_oom();
	e = &l->v[l->n];
	e->info = *info;
	e->seq = l->n;
	if (!(e->info.relpath = strdup(info->relpath)))
		return silo__error_oom();
	l->n++;
	return 0;
}

/* By id; for equal ids, the one listed first (by the earlier source). */
static int by_oid_then_seq(const void *a, const void *b)
{
	const struct listed_item *x = a, *y = b;
	int c = silo_oid_cmp(&x->info.id, &y->info.id);

	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

int silo_foreach_object(silo *s,
			int (*cb)(const struct silo_object_info *info, void *payload),
			void *payload)
{
	struct listed l = { NULL, 0, 0 };
	size_t i;
	int ret = 0;

	/* Every source that can list, merged in id order; an object that
	 * several hold (both loose and packed) is listed once, as the
	 * first source has it. */
	for (i = 0; i < s->n_sources && !ret; i++)
		if (s->sources[i]->ops->each)
			ret = s->sources[i]->ops->each(s->sources[i], collect, &l);
	if (!ret && l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), by_oid_then_seq);
	for (i = 0; i < l.n && !ret; i++)
		if (!i || !silo_oid_equal(&l.v[i - 1].info.id, &l.v[i].info.id))
			ret = cb(&l.v[i].info, payload);
	for (i = 0; i < l.n; i++)
		free((char *)l.v[i].info.relpath);
	free(l.v);
	return ret;
}

int silo_cat_to_fd(silo *s, const silo_oid *id, int fd, const char *name)
{
	silo_stream *st;
	const void *data;
	size_t len;
	int ret;

	if ((ret = silo_stream_open(&st, s, id)) < 0)
		return ret;
	while ((ret = silo_stream_read(st, &data, &len)) > 0)
		if ((ret = fs_write_all(fd, data, len, name)) < 0)
			break;
	silo_stream_free(st);
	return ret;
}
