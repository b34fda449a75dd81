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

/* Read object ID of S whole, of TYPE; WHAT and PATH name it in messages. */
static int read_whole(unsigned char **data, size_t *len, silo *s, const silo_oid *id,
		      int type, const char *what, const char *path)
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
		silo_error_wrap("cannot read %s %s of '%s'", what, hex, path);
		return ret;
	}
	if (silo_stream_type(st) != type) {
		ret = silo_error_set(SILO_ECORRUPT, "%s %s of '%s' is a %s, not a %s", what, hex,
				     path, silo_object_type_name(silo_stream_type(st)),
				     silo_object_type_name(type));
		goto out;
	}
	if (silo_stream_size(st) > TREE_OBJECT_MAX) {
		ret = silo_error_set(SILO_ECORRUPT, "%s %s of '%s' is too large", what, hex, path);
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
		silo_error_wrap("cannot read %s %s of '%s'", what, hex, path);
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
	return read_whole(data, len, s, id, SILO_OBJ_TREE, "tree", path[0] ? path : ".");
}

static int load(struct silo_tree_list *out, silo *s, const silo_oid *id,
		struct strbuf *path, int depth, const struct tree_object_sink *sink)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	struct silo_tree_iter it;
	unsigned char *data;
	size_t len, plen = path->len;
	int ret;

	if (depth > MAX_DEPTH)
		return silo_error_set(SILO_ECORRUPT, "tree %s of '%s' is nested too deeply",
				      silo_oid_to_hex(hex, id), path->buf);
	if ((ret = silo_tree_object_read(&data, &len, s, id, path->buf)) < 0)
		return ret;
	if (sink && (ret = sink->fn(sink->payload, id, data, len, path->buf, path->len)) < 0) {
		free(data);
		return ret;
	}
	silo_tree_iter_init(&it, data, len, out->format);
	while ((ret = silo_tree_iter_next(&it)) > 0) {
		char *leaf;
		strbuf_setlen(path, plen);
		if ((plen && (ret = strbuf_addch(path, '/')) < 0) ||
		    (ret = strbuf_add(path, it.name, it.nlen)) < 0)
			goto out;
		if (it.mode == 040000) {
			if ((ret = load(out, s, &it.id, path, depth + 1, sink)) < 0)
				goto out;
			continue;
		}
		if (!(leaf = strdup(path->buf))) {
			ret = silo_error_oom();
			goto out;
		}
		if ((ret = tree_list_push(out, leaf, it.mode, &it.id, 0)) < 0)
			goto out;
	}
	strbuf_setlen(path, plen);
	if (ret < 0)
		silo_error_wrap("tree %s of '%s'", silo_oid_to_hex(hex, id), plen ? path->buf : ".");
out:
	strbuf_setlen(path, plen);
	free(data);
	return ret < 0 ? ret : 0;
}

static int apply_sizes(struct silo_tree_list *l, silo *s, const silo_oid *sizes)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	unsigned char *data;
	size_t len, i = 0, p = 0;
	int ret;

	if ((ret = read_whole(&data, &len, s, sizes, SILO_OBJ_BLOB, "size table", ".")) < 0)
		return ret;
	for (i = 0; i < l->n; i++) {
		unsigned long long v = 0;
		size_t start = p;
		while (p < len && data[p] >= '0' && data[p] <= '9' && p - start < 20)
			v = v * 10 + (unsigned)(data[p++] - '0');
		if (p == start || p >= len || data[p] != '\n')
			break;
		p++;
		l->v[i].size = v;
	}
	free(data);
	if (i < l->n || p != len)
		return silo_error_set(SILO_ECORRUPT,
			"size table %s does not match the tree (%zu entries read of %zu)",
			silo_oid_to_hex(hex, sizes), i, l->n);
	return 0;
}

int tree_load_objects(struct silo_tree_list *out, silo *s, const silo_oid *root,
		      const silo_oid *sizes, const struct tree_object_sink *sink)
{
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	struct strbuf path = STRBUF_INIT;
	int ret;

	l.format = root->format;
	if ((ret = strbuf_grow(&path, 256)) < 0 || (ret = load(&l, s, root, &path, 0, sink)) < 0 ||
	    (sizes && (ret = apply_sizes(&l, s, sizes)) < 0)) {
		silo_tree_list_release(&l);
		strbuf_release(&path);
		return ret;
	}
	strbuf_release(&path);
	silo_tree_list_release(out);
	*out = l;
	return 0;
}

int silo_tree_load(struct silo_tree_list *out, silo *s, const silo_oid *root,
		   const silo_oid *sizes)
{
	return tree_load_objects(out, s, root, sizes, NULL);
}
