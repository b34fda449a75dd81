/*
 * Git tree ids from flat lists.  A sorted list holds the leaves of each
 * directory contiguously (all paths under "d/" share that prefix), and
 * bytewise order of full paths is exactly the order git gives the
 * entries of each tree object (a directory sorting as its name plus
 * '/'), so one recursive pass builds every tree object in order.
 */
#include "tree-internal.h"
#include "error-internal.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int mode_ok(unsigned mode)
{
	return mode == SILO_MODE_FILE || mode == SILO_MODE_EXEC ||
	       mode == SILO_MODE_SYMLINK;
}

static int add_entry(struct strbuf *buf, const char *mode, const char *name,
		     size_t len, const silo_oid *id)
{
	int ret;

	if ((ret = strbuf_adds(buf, mode)) < 0 ||
	    (ret = strbuf_addch(buf, ' ')) < 0 ||
	    (ret = strbuf_add(buf, name, len)) < 0 ||
	    (ret = strbuf_add(buf, "", 1)) < 0)
		return ret;
	return strbuf_add(buf, id->hash, silo_oid_rawsz(id->format));
}

/* The tree of entries LO..HI, which all start with the PLEN bytes of their
 * directory's path and '/'. */
static int build(silo_oid *out, const struct silo_tree_list *l, size_t lo,
		 size_t hi, size_t plen, int depth, const struct tree_object_sink *sink)
{
	size_t at;
	struct strbuf buf = STRBUF_INIT;
	size_t i = lo;
	int ret = 0;

	if (depth > 4096)
		return silo__error_set(SILO_EINVALID, "tree is nested too deeply");
	while (i < hi && !ret) {
		const struct silo_tree_entry *e = &l->v[i];
		const char *name = e->path + plen, *slash = strchr(name, '/');
		size_t nlen, j;
		silo_oid sub;
		char mode[8];

		if (!*name || slash == name) {
			ret = silo__error_set(SILO_EINVALID,
					      "tree list has an empty name in '%s'", e->path);
			break;
		}
		if (!slash) {
			if (!mode_ok(e->mode)) {
				ret = silo__error_set(SILO_EINVALID, "'%s' has mode %o, not one of a git tree",
						      e->path, e->mode);
				break;
			}
			snprintf(mode, sizeof(mode), "%o", e->mode);
			ret = add_entry(&buf, mode, name, strlen(name), &e->id);
			i++;
			continue;
		}
		nlen = (size_t)(slash - name);
		/* A leaf and a directory of one name cannot both be in a tree. */
		if (l->n && tree_search(&l->v[0].path, l->n, sizeof(*l->v), e->path, plen + nlen, &at)) {
			ret = silo__error_set(SILO_EINVALID,
				"'%.*s' is both a file and a directory", (int)(plen + nlen), e->path);
			break;
		}
		for (j = i + 1; j < hi; j++)
			if (strncmp(l->v[j].path + plen, name, nlen + 1))
				break;
		if ((ret = build(&sub, l, i, j, plen + nlen + 1, depth + 1, sink)) < 0)
			break;
		ret = add_entry(&buf, "40000", name, nlen, &sub);
		i = j;
	}
	if (!ret)
		ret = silo_oid_hash_buffer(out, l->format, SILO_OBJ_TREE,
					   buf.buf ? buf.buf : "", buf.len);
	if (!ret && sink)
		ret = sink->fn(sink->payload, out, buf.buf ? buf.buf : "", buf.len,
			       lo < hi ? l->v[lo].path : "", plen ? plen - 1 : 0);
	strbuf_release(&buf);
	return ret;
}

static int check_list(const struct silo_tree_list *l)
{
	size_t i;

	if (!silo_oid_rawsz(l->format))
		return silo__error_set(SILO_EINVALID, "tree list has no object format");
	for (i = 1; i < l->n; i++)
		if (strcmp(l->v[i - 1].path, l->v[i].path) >= 0)
			return silo__error_set(SILO_EINVALID,
				"tree list is not sorted or repeats a path at '%s'", l->v[i].path);
	for (i = 0; i < l->n; i++)
		if (l->v[i].id.format != l->format)
			return silo__error_set(SILO_EINVALID,
				"'%s' has an id of another object format", l->v[i].path);
	return 0;
}

int silo_tree_list_id(silo_oid *out, const struct silo_tree_list *l)
{
	int ret = check_list(l);

	return ret < 0 ? ret : build(out, l, 0, l->n, 0, 0, NULL);
}

int tree_list_objects(silo_oid *out, const struct silo_tree_list *l,
		      const struct tree_object_sink *sink)
{
	int ret = check_list(l);

	return ret < 0 ? ret : build(out, l, 0, l->n, 0, 0, sink);
}
