/*
 * What a kept tree keeps.  A treeptr of kind tree names its root tree;
 * the trees and blobs below it are found in the silo itself, so that a
 * prune can never take one object out of a tree it keeps, whatever the
 * keep list says about them.
 */
#include "repack-internal.h"
#include "silo/prune.h"
#include "error-internal.h"

#include <stdlib.h>
#include <string.h>

#define TREE_DEPTH_MAX 4096

struct closure {
	silo *s;
	struct pack_cache *cache;
	struct silo_oid_set *out;	/* what is found, unsorted */
	struct silo_oid_set seen;	/* trees walked, unsorted */
};

static int seen_before(struct closure *c, const silo_oid *id)
{
	size_t i;

	/* Trees of one silo are few next to blobs; a sorted insert would
	 * pay only for silos of many thousands of trees. */
	for (i = 0; i < c->seen.n; i++)
		if (silo_oid_equal(&c->seen.v[i], id))
			return 1;
	return 0;
}

/* Walk tree ID (packed; a tree is never loose), adding what is below. */
static int walk(struct closure *c, const silo_oid *id, int depth)
{
	const unsigned char *data, *p, *end;
	size_t size, rawsz = silo_oid_rawsz(id->format);
	struct pack *pk;
	uint64_t off;
	int type, owned, ret;

	if (depth > TREE_DEPTH_MAX)
		return silo_error_set(SILO_ECORRUPT, "tree nested too deeply below a kept tree");
	if (seen_before(c, id))
		return 0;
	if ((ret = silo_oid_set_add(&c->seen, id)) < 0)
		return ret;
	if ((ret = pack_set_find(c->s->packs, id, &pk, &off)) <= 0)
		return ret;	/* not packed here: not a tree of this silo */
	if ((ret = pack_read(pk, c->cache, off, &type, &data, &size, &owned)) < 0)
		return ret;
	if (type != SILO_OBJ_TREE) {
		if (owned)
			free((void *)data);
		return 0;
	}
	/* Copy: the cache may drop DATA while we walk below. */
	{
		unsigned char *copy = malloc(size ? size : 1);
		if (!copy) {
			if (owned)
				free((void *)data);
			return silo_error_oom();
		}
		memcpy(copy, data, size);
		if (owned)
			free((void *)data);
		data = copy;
	}
	for (p = data, end = data + size; p < end && !ret;) {
		const unsigned char *sp = memchr(p, ' ', (size_t)(end - p));
		const unsigned char *nul = sp ? memchr(sp, '\0', (size_t)(end - sp)) : NULL;
		silo_oid child;
		int is_tree, is_link;

		if (!sp || !nul || (size_t)(end - nul - 1) < rawsz) {
			char hex[SILO_OID_MAX_HEXSZ + 1];
			ret = silo_error_set(SILO_ECORRUPT, "malformed tree object %s",
					     silo_oid_to_hex(hex, id));
			break;
		}
		is_tree = sp - p == 5 && !memcmp(p, "40000", 5);
		is_link = sp - p == 6 && !memcmp(p, "160000", 6);
		silo_oid_from_raw(&child, id->format, nul + 1);
		p = nul + 1 + rawsz;
		if (is_link)
			continue;	/* a submodule's commit: not in a silo */
		if ((ret = silo_oid_set_add(c->out, &child)) < 0)
			break;
		if (is_tree)
			ret = walk(c, &child, depth + 1);
	}
	free((void *)data);
	return ret;
}

int prune_keep_closure(struct silo_oid_set *out, silo *s, const struct silo_oid_set *keep)
{
	struct closure c;
	size_t i;
	int ret;

	memset(&c, 0, sizeof(c));
	c.s = s;
	c.out = out;
	for (i = 0; i < keep->n; i++)
		if ((ret = silo_oid_set_add(out, &keep->v[i])) < 0)
			return ret;
	if ((ret = pack_set_load(s->packs, 1)) < 0)
		return ret;
	if ((ret = pack_cache_new(&c.cache, 32u << 20)) < 0)
		return ret;
	for (i = 0; i < keep->n && !ret; i++)
		ret = walk(&c, &keep->v[i], 0);
	pack_cache_free(c.cache);
	silo_oid_set_release(&c.seen);
	silo_oid_set_sort(out);
	return ret;
}
