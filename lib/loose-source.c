/*
 * The loose source: objects/xx/rest.gz under a silo root, one gzip file
 * per object (loose-read.c reads one), as one object source (source.h).
 */
#include "source.h"
#include "store-internal.h"
#include "error-internal.h"
#include "fsutil.h"

#include <stdlib.h>
#include <string.h>

struct loose_source {
	struct silo_source base;
	char *root;
	int format;
};

/* SRC, checked to be a loose source (source.h). */
static int as_loose(struct loose_source **out, struct silo_source *src)
{
	int ret = silo__source_check(src, SILO_SOURCE_LOOSE);

	*out = ret < 0 ? NULL : (struct loose_source *)src;
	return ret;
}

/* The path of ID's file in loose source SRC: 0 and *out set (owned by
 * the caller), or negative. */
static int object_path(char **out, struct silo_source *src, const silo_oid *id)
{
	char rel[SILO_LOOSE_PATH_MAX];
	struct loose_source *ls;
	int ret;

	*out = NULL;
	if ((ret = as_loose(&ls, src)) < 0)
		return ret;
	silo_loose_relpath(rel, id);
	return (*out = fs_join(ls->root, rel)) ? 0 : silo__error_oom();
}

static int loose_source_lookup(struct silo_source *src, const silo_oid *id)
{
	char *path;
	int ret;

	if ((ret = object_path(&path, src, id)) < 0)
		return ret;
	ret = fs_exists(path);
	free(path);
	return ret;
}

static int loose_source_open(silo_stream **out, struct silo_source *src,
			     const silo_oid *id, uint64_t size)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	char *path;
	int ret;

	(void)size;	/* nothing is transferred: the caller checks it */
	if ((ret = object_path(&path, src, id)) < 0)
		return ret;
	ret = silo__loose_stream_open(out, path, path, id);
	if (ret == 0 && src->mark_used)
		fs_mark_used(path);
	free(path);
	if (ret != SILO_ENOTFOUND)
		return ret;
	silo__error_set(SILO_ENOTFOUND, "object %s is not in silo '%s'",
		       silo_oid_to_hex(hex, id), src->name);
	return SILO_SOURCE_MISS;
}

static int loose_source_each(struct silo_source *src,
			     int (*cb)(const struct silo_object_info *info, void *payload),
			     void *payload)
{
	struct loose_source *ls;
	struct loose_entry *v;
	size_t n, i;
	int ret;

	if ((ret = as_loose(&ls, src)) < 0 ||
	    (ret = loose_scan_dir(&v, &n, ls->root, ls->format)) < 0)
		return ret;
	for (i = 0; i < n && !ret; i++) {
		struct silo_object_info info;
		if (v[i].kind != LOOSE_OBJECT)
			continue;
		info.id = v[i].id;
		info.relpath = v[i].relpath;
		info.packed = 0;
		ret = cb(&info, payload);
	}
	loose_entries_free(v, n);
	return ret;
}

/* The size from the gzip header (a file without our size field is
 * inflated once to count it, as a stream of it would be); for the type
 * alone, the file's presence. */
static int loose_source_info(struct silo_source *src, const silo_oid *id, int *type,
			     uint64_t *size)
{
	silo_stream *st;
	char *path;
	int ret;

	if ((ret = object_path(&path, src, id)) < 0)
		return ret;
	if (!size) {
		/* Every loose object is a blob: its file says enough. */
		ret = fs_exists(path);
		free(path);
		if (ret > 0)
			*type = SILO_OBJ_BLOB;
		return ret;
	}
	ret = silo__loose_stream_open(&st, path, path, id);
	free(path);
	if (ret == SILO_ENOTFOUND) {
		silo_error_clear();
		return 0;
	}
	if (ret < 0)
		return ret;
	*type = silo_stream_type(st);
	*size = silo_stream_size(st);
	silo_stream_free(st);
	return 1;
}

static void loose_source_free(struct silo_source *src)
{
	struct loose_source *ls = (struct loose_source *)src;

	free(ls->root);
	free(ls);
}

static const struct silo_source_ops loose_source_ops = {
	.lookup = loose_source_lookup,
	.open = loose_source_open,
	.each = loose_source_each,
	.info = loose_source_info,
	.free = loose_source_free,
};

int loose_source_new(struct silo_source **out, const char *root, int format)
{
	struct loose_source *ls = calloc(1, sizeof(*ls));

	*out = NULL;
	if (!ls || !(ls->root = strdup(root))) {
		free(ls);
		return silo__error_oom();
	}
	ls->base.ops = &loose_source_ops;
	ls->base.type = SILO_SOURCE_LOOSE;
	ls->base.name = ls->root;
	ls->format = format;
	*out = &ls->base;
	return 0;
}
