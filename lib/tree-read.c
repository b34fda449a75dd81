/*
 * Reading a tree stored as git objects: tree objects parsed entry by
 * entry, the whole tree loaded as a list of leaves with the sizes of its
 * size table.  Every object comes through a verified stream.
 */
#include "silo/tree-pack.h"
#include "tree-internal.h"
#include "tree-pack-internal.h"
#include "error-internal.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TREE_OBJECT_MAX (256u << 20)
#define MAX_DEPTH 4096

/* Read object ID of S whole, of TYPE and, unless WANT is UINT64_MAX, of
 * WANT bytes; WHAT and PATH name it in messages. */
static int read_whole(unsigned char **data, size_t *len, silo *s, const silo_oid *id,
		      int type, uint64_t want, const char *what, const char *path)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	struct strbuf sb = STRBUF_INIT;
	silo_stream *st;
	const void *d;
	size_t n;
	int ret;

	*data = NULL;
	*len = 0;
	silo_oid_to_hex(hex, id);
	if ((ret = silo_stream_open(&st, s, id)) < 0) {
		silo__error_wrap("cannot read %s %s of '%s'", what, hex, path);
		return ret;
	}
	if (silo_stream_type(st) != type) {
		ret = silo__error_set(SILO_ECORRUPT, "%s %s of '%s' is a %s, not a %s", what, hex,
				      path, silo_object_type_name(silo_stream_type(st)),
				      silo_object_type_name(type));
		goto out;
	}
	if (want != UINT64_MAX && silo_stream_size(st) != want) {
		ret = silo__error_set(SILO_ECORRUPT, "%s %s has %llu bytes, not the %llu the treeptr says",
				      what, hex, (unsigned long long)silo_stream_size(st),
				      (unsigned long long)want);
		goto out;
	}
	if (silo_stream_size(st) > TREE_OBJECT_MAX) {
		ret = silo__error_set(SILO_ECORRUPT, "%s %s of '%s' is too large", what, hex, path);
		goto out;
	}
	/* The size is the object's claim: memory past a first piece
	 * follows the bytes that really come. */
	if ((ret = strbuf_grow(&sb, silo_stream_size(st) < (1u << 20) ?
			       (size_t)silo_stream_size(st) + 1 : (1u << 20))) < 0)
		goto out;
	while ((ret = silo_stream_read(st, &d, &n)) > 0)
		if ((ret = strbuf_add(&sb, d, n)) < 0)
			break;
	if (ret < 0) {
		silo__error_wrap("cannot read %s %s of '%s'", what, hex, path);
		goto out;
	}
	*len = sb.len;
	*data = (unsigned char *)strbuf_detach(&sb);
out:
	strbuf_release(&sb);
	silo_stream_free(st);
	return ret;
}

int silo_tree_object_read(unsigned char **data, size_t *len, silo *s,
			  const silo_oid *id, const char *path)
{
	return read_whole(data, len, s, id, SILO_OBJ_TREE, UINT64_MAX, "tree",
			  path[0] ? path : ".");
}

int tree_sizes_read(uint64_t **sizes, size_t *count, silo *s, const silo_oid *id,
		    uint64_t declared)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	unsigned char *data;
	size_t len;
	int ret;

	*sizes = NULL;
	*count = 0;
	if ((ret = read_whole(&data, &len, s, id, SILO_OBJ_BLOB, declared, "size table", ".")) < 0)
		return ret;
	if ((ret = silo_tree_sizes_parse(sizes, count, data, len)) < 0)
		silo__error_wrap("size table %s", silo_oid_to_hex(hex, id));
	free(data);
	return ret;
}

int silo_tree_sizes_read(uint64_t **out, size_t *n, silo *s, const silo_oid *sizes,
			 uint64_t declared)
{
	return tree_sizes_read(out, n, s, sizes, declared);
}

/*
 * A walk of a tree's objects, bounded by what its size table declares:
 * never more leaves than its lines, never a directory without a leaf
 * below it, so that a small pack naming one subtree twice at every level
 * is refused at its first excess instead of listing 2^depth paths.
 */
struct loader {
	silo *s;
	struct silo_tree_list *l;
	const uint64_t *sizes;
	size_t max;			/* lines of the size table */
	const silo_oid *sizes_id;
	const struct tree_object_sink *sink;
	struct strbuf path;
};

static int load(struct loader *ld, const silo_oid *id, int depth)
{
	char hex[SILO_OID_MAX_HEXSZ + 1], shex[SILO_OID_MAX_HEXSZ + 1];
	struct silo_tree_iter it;
	struct strbuf *path = &ld->path;
	unsigned char *data;
	size_t len, plen = path->len, before = ld->l->n;
	int ret;

	if (depth > MAX_DEPTH)
		return silo__error_set(SILO_ECORRUPT, "tree %s of '%s' is nested too deeply",
				       silo_oid_to_hex(hex, id), path->buf);
	if ((ret = silo_tree_object_read(&data, &len, ld->s, id, path->buf)) < 0)
		return ret;
	if (ld->sink && (ret = ld->sink->fn(ld->sink->payload, id, data, len, path->buf,
					    path->len)) < 0) {
		free(data);
		return ret;
	}
	silo_tree_iter_init(&it, data, len, ld->l->format);
	while ((ret = silo_tree_iter_next(&it)) > 0) {
		char *leaf;
		strbuf_setlen(path, plen);
		if ((plen && (ret = strbuf_addch(path, '/')) < 0) ||
		    (ret = strbuf_add(path, it.name, it.nlen)) < 0)
			goto out;
		if (path->len > TREE_PATH_MAX) {
			/* A long path says most at its end. */
			ret = silo__error_set(SILO_EINVALID,
				"tree %s holds a path longer than %d bytes: '...%s'",
				silo_oid_to_hex(hex, id), TREE_PATH_MAX,
				path->buf + path->len - 120);
			goto out;
		}
		if (it.mode == 040000) {
			if ((ret = load(ld, &it.id, depth + 1)) < 0)
				goto out;
			continue;
		}
		if (ld->l->n >= ld->max) {
			strbuf_setlen(path, plen);
			ret = silo__error_set(SILO_ECORRUPT,
				"tree %s of '%s' lists more files than the %zu of its size table %s",
				silo_oid_to_hex(hex, id), plen ? path->buf : ".", ld->max,
				silo_oid_to_hex(shex, ld->sizes_id));
			goto out;
		}
		if (!(leaf = strdup(path->buf))) {
			ret = silo__error_oom();
			goto out;
		}
		if ((ret = tree_list_push(ld->l, leaf, it.mode, &it.id, ld->sizes[ld->l->n])) < 0)
			goto out;
	}
	strbuf_setlen(path, plen);
	if (ret < 0)
		silo__error_wrap("tree %s of '%s'", silo_oid_to_hex(hex, id), plen ? path->buf : ".");
	else if (depth && ld->l->n == before)
		ret = silo__error_set(SILO_ECORRUPT,
			"tree %s of '%s' holds no file: git writes no empty directory",
			silo_oid_to_hex(hex, id), path->buf);
out:
	strbuf_setlen(path, plen);
	free(data);
	return ret < 0 ? ret : 0;
}

int tree_load_objects(struct silo_tree_list *out, silo *s, const silo_oid *root,
		      const silo_oid *sizes, uint64_t sizes_len,
		      const struct tree_object_sink *sink)
{
	char hex[SILO_OID_MAX_HEXSZ + 1], shex[SILO_OID_MAX_HEXSZ + 1];
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	struct strbuf path = STRBUF_INIT;
	struct loader ld;
	uint64_t *v = NULL;
	silo_oid got;
	int ret;

	memset(&ld, 0, sizeof(ld));
	l.format = root->format;
	ld.s = s;
	ld.l = &l;
	ld.sizes_id = sizes;
	ld.sink = sink;
	ld.path = path;
	if ((ret = tree_sizes_read(&v, &ld.max, s, sizes, sizes_len)) < 0 ||
	    (ret = strbuf_grow(&ld.path, 256)) < 0)
		goto out;
	ld.sizes = v;
	if ((ret = load(&ld, root, 0)) < 0)
		goto out;
	if (l.n < ld.max) {
		ret = silo__error_set(SILO_ECORRUPT, "size table %s lists %zu files, tree %s %zu",
				      silo_oid_to_hex(shex, sizes), ld.max,
				      silo_oid_to_hex(hex, root), l.n);
		goto out;
	}
	/* Each object was checked against its id as it was read; this
	 * checks that they are as git writes trees (no entry of a
	 * directory both a file and a directory, nothing that git would
	 * write otherwise), so that every reader sees one tree. */
	if ((ret = silo_tree_list_id(&got, &l)) < 0) {
		char why[512];
		snprintf(why, sizeof(why), "%s", silo_error_message());
		ret = silo__error_set(SILO_ECORRUPT, "tree %s is not a tree as git writes it: %s",
				      silo_oid_to_hex(hex, root), why);
		goto out;
	}
	if (!silo_oid_equal(&got, root)) {
		ret = silo__error_set(SILO_ECORRUPT, "tree %s is not a tree as git writes it",
				      silo_oid_to_hex(hex, root));
		goto out;
	}
	silo_tree_list_release(out);
	*out = l;
	memset(&l, 0, sizeof(l));
out:
	free(v);
	strbuf_release(&ld.path);
	silo_tree_list_release(&l);
	return ret;
}

int silo_tree_load(struct silo_tree_list *out, silo *s, const silo_oid *root,
		   const silo_oid *sizes, uint64_t sizes_len)
{
	return tree_load_objects(out, s, root, sizes, sizes_len, NULL);
}

int silo_tree_attrs_read(struct silo_tree_attrs *out, silo *s, const silo_oid *id,
			 uint64_t size, const silo_oid *tree, const struct silo_tree_list *l)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	unsigned char *data;
	size_t len;
	int ret;

	if ((ret = read_whole(&data, &len, s, id, SILO_OBJ_BLOB, size, "attribute record",
			      ".")) < 0)
		return ret;
	if ((ret = silo_tree_attrs_parse(out, data, len, tree, l)) < 0)
		silo__error_wrap("attribute record %s", silo_oid_to_hex(hex, id));
	free(data);
	return ret;
}

int tree_blob_read(unsigned char **data, size_t *len, silo *s, const silo_oid *id,
		   uint64_t size, const char *what)
{
	return read_whole(data, len, s, id, SILO_OBJ_BLOB, size, what, ".");
}
