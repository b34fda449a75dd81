/*
 * Tree sections over HTTP(S): a tree written by medo add --kind=tree
 * starts its pack with its tree objects and its size table
 * (treeptr(5)), so that one range request from the start of the pack
 * brings everything a listing needs.  Its objects, each checked, are
 * kept in a new pack of the cache.
 */
#include "remote-sparse.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"
#include "tree-pack-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The object at OFFSET of P, deltas resolved, into a new buffer *out
 * (owned by the caller). */
static int copy_object(struct pack *p, uint64_t offset, unsigned char **out,
		       size_t *out_size, int *out_type)
{
	struct pack_cache *cache = NULL;
	const unsigned char *data;
	size_t size;
	int owned, ret;

	if ((ret = pack_cache_new(&cache, 64u << 20)) < 0)
		return ret;
	if ((ret = pack_read(p, cache, offset, out_type, &data, &size, &owned)) == 0) {
		if ((*out = malloc(size ? size : 1))) {
			memcpy(*out, data, size);
			*out_size = size;
		} else {
			ret = silo__error_oom();
		}
		if (owned)
			free((void *)data);
	}
	pack_cache_free(cache);
	return ret;
}

/*
 * Copy every entry of the sparse pack P that starts before END, each
 * checked against the id its index gives, into a new pack of CACHE.
 */
static int keep_section(struct remote_pack *rp, struct pack *p, uint64_t end,
			silo *cache, const char *url)
{
	size_t rawsz = silo_oid_rawsz(cache->format), n = 0, alloc = 0, i;
	char hex[SILO_OID_MAX_HEXSZ + 1];
	struct tp_obj *v = NULL;
	uint32_t pos;
	int ret = 0;

	for (pos = 0; pos < rp->nr && !ret; pos++) {
		uint64_t off = remote_pack_offset(rp, pos, rawsz);
		silo_oid id, got;
		struct tp_obj *o;

		if (off >= end)
			continue;
		silo_oid_from_raw(&id, cache->format, rp->idx + 8 + 256 * 4 + (size_t)pos * rawsz);
		if (ALLOC_GROW(v, n + 1, alloc) < 0) {
			ret = silo__error_oom();
			break;
		}
		o = &v[n];
		memset(o, 0, sizeof(*o));
		o->id = id;
		if ((ret = copy_object(p, off, &o->data, &o->len, &o->type)) < 0)
			break;
		n++;
		if ((ret = silo_oid_hash_buffer(&got, cache->format, o->type, o->data, o->len)) == 0 &&
		    !silo_oid_equal(&got, &id))
			ret = silo__error_set(SILO_ECORRUPT,
				"object %s from '%s' hashes to something else",
				silo_oid_to_hex(hex, &id), url);
	}
	if (!ret && n)
		ret = pack_write_objects(cache, v, n);
	for (i = 0; i < n; i++)
		free(v[i].data);
	free(v);
	return ret;
}

int remote_pack_fetch_section(silo_remote *r, silo *cache, const silo_oid *last)
{
	size_t rawsz = silo_oid_rawsz(r->format);
	struct remote_sparse sp = REMOTE_SPARSE_INIT;
	struct remote_pack *rp;
	struct pack *p = NULL;
	uint64_t off, end;
	uint32_t pos;
	int ret;

	if ((ret = remote_pack_find(&rp, r, last)) <= 0)
		return ret;
	if (!pack_index_lookup(rp->idx, rawsz, last, &pos))
		return 0;
	off = remote_pack_offset(rp, pos, rawsz);
	if ((ret = remote_sparse_open(&sp, r, rp)) < 0)
		goto out;
	/* One request from the start of the pack to the end of LAST: the
	 * pack's trailer is its name, so it need not be fetched. */
	if (remote_pack_next_offset(rp, off, &end) == 0) {
		ret = remote_sparse_fetch_frame(&sp);
		end = sp.size - rawsz;
	}
	if (!ret)
		ret = remote_sparse_fetch(&sp, 0, end);
	if (ret < 0)
		goto out;
	remote_pack_size_keep(rp, r, sp.size);
	if (sp.size < end + rawsz) {
		ret = silo__error_set(SILO_ECORRUPT, "'%s' is truncated", sp.url);
		goto out;
	}
	if ((ret = remote_sparse_write_frame(&sp, 0)) < 0 ||
	    (ret = remote_sparse_map(&sp, &p)) < 0)
		goto out;
	ret = keep_section(rp, p, end, cache, sp.url);
out:
	pack_close(p);
	remote_sparse_free(&sp);
	return ret;
}
