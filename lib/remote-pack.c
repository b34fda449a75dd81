/*
 * Objects packed in a silo served over HTTP(S), read without any program
 * on the server.  Once the planning step (remote-pack-list.c) has found
 * the pack holding an object, its entry, and the entries of its delta
 * bases, are written into a sparse local copy of the pack
 * (remote-sparse.c), which the ordinary, bounds-checked pack reader maps
 * and resolves.  The result is checked against its id and stored in the
 * cache as a loose object, so that the next read needs no network.  Many
 * objects of one pack are read together, each run of adjacent entries in
 * one range request; an object with no delta base is one request.
 */
#include "remote-sparse.h"
#include "error-internal.h"
#include "fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Blobs up to this size are put from memory; larger ones through a spool
 * file, so that memory stays bounded. */
#define SMALL_BLOB (1u << 20)

/*
 * The object at TARGET of P, checked against ID as it streams: a blob
 * goes into CACHE as a loose object, through a spool when larger than
 * SMALL_BLOB (memory stays bounded however large it is; *out is NULL),
 * put into the writer BATCH
 * when not NULL (the caller commits) or committed at once; anything else
 * (a tree object) into *out, owned by the caller.  An object that is not
 * of SIZE bytes (UINT64_MAX: any) is refused before it is read: a delta
 * of a few bytes can declare gigabytes.
 */
static int deliver_object(struct pack *p, uint64_t target, const silo_oid *id, uint64_t size,
			  silo *cache, silo_writer *batch, unsigned char **out,
			  size_t *out_size, int *out_type)
{
	struct pack_cache *pc = NULL;
	silo_stream *st = NULL;
	silo_writer *w = batch;
	silo_spool *spool = NULL;
	unsigned char *buf = NULL;
	size_t have = 0, len;
	const void *d;
	silo_oid got;
	int ret;

	*out = NULL;
	*out_size = 0;
	if ((ret = pack_cache_new(&pc, 64u << 20)) < 0 ||
	    (ret = pack_stream_open(&st, p, pc, target, id)) < 0)
		goto out;
	*out_type = silo_stream_type(st);
	if (size != UINT64_MAX && silo_stream_size(st) != size) {
		ret = silo__error_set(SILO_ECORRUPT, "its entry is a %s of %llu bytes, not %llu",
				      silo_object_type_name(*out_type),
				      (unsigned long long)silo_stream_size(st),
				      (unsigned long long)size);
		goto out;
	}
	if (*out_type == SILO_OBJ_BLOB && silo_stream_size(st) > SMALL_BLOB) {
		if ((!w && (ret = silo_writer_new(&w, cache)) < 0) ||
		    (ret = silo_spool_new(&spool, w)) < 0)
			goto out;
		while ((ret = silo_stream_read(st, &d, &len)) > 0)
			if ((ret = silo_spool_write(spool, d, len)) < 0)
				break;
		if (ret == 0 && (ret = silo_spool_put(&got, spool)) == 0 && !batch)
			ret = silo_writer_commit(w, NULL);
		goto out;
	}
	if (silo_stream_size(st) > (256u << 20)) {
		ret = silo__error_set(SILO_ECORRUPT, "a %s of %llu bytes is too large",
				      silo_object_type_name(*out_type),
				      (unsigned long long)silo_stream_size(st));
		goto out;
	}
	if (!(buf = malloc((size_t)silo_stream_size(st) + 1))) {
		ret = silo__error_oom();
		goto out;
	}
	while ((ret = silo_stream_read(st, &d, &len)) > 0) {
		if (len > silo_stream_size(st) - have) {
			ret = silo__error_set(SILO_ECORRUPT, "object is longer than its header says");
			break;
		}
		memcpy(buf + have, d, len);
		have += len;
	}
	if (ret == 0 && *out_type == SILO_OBJ_BLOB) {
		/* A small blob, whole and checked: stored from memory. */
		if ((!w && (ret = silo_writer_new(&w, cache)) < 0) ||
		    (ret = silo_writer_put_buffer(&got, w, buf, have)) < 0)
			goto out;
		if (!batch)
			ret = silo_writer_commit(w, NULL);
	} else if (ret == 0) {
		*out = buf;
		*out_size = have;
		buf = NULL;
	}
out:
	free(buf);
	silo_spool_free(spool);
	if (w != batch)
		silo_writer_free(w);
	silo_stream_free(st);
	pack_cache_free(pc);
	return ret;
}

/* ---- many objects of one pack: adjacent entries in one request ---- */

#define RUN_MAX (64u << 20)	/* bytes one request may bring at most */

/* One object to read: its offset and id; ITEM (a batch's, its status
 * set) or DATA, SIZE and TYPE (a single read: any type, deliver_object()
 * says where it goes) or neither; RET, how it went. */
struct want {
	uint64_t off;
	const silo_oid *id;
	uint64_t want;		/* its size; UINT64_MAX: not known */
	struct silo_fetch_item *item;
	unsigned char **data;
	size_t *size;
	int *type;
	int ret;
};

static int by_offset(const void *a, const void *b)
{
	const struct want *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static void item_failed(struct silo_fetch_item *item, int ret)
{
	item->status = ret;
	snprintf(item->message, sizeof(item->message), "%s", silo_error_message());
}

/*
 * The N wanted objects V of pack RP, sorted by offset, through a sparse
 * copy of the pack (*CONTRADICTED set if an answer gave another size than
 * the one kept in the cache, which was used): each run of adjacent entries in one range request
 * (the pack's frame written locally: remote_sparse_write_frame(); fetched first only
 * when the last entry is wanted and the pack's size is not known yet),
 * then each object, its delta bases fetched as needed, delivered
 * (deliver_object(), BATCH its writer).  A server that ignores ranges
 * sends the whole pack from its start: only each range is kept.
 */
static int read_run_objects(silo_remote *r, struct remote_pack *rp, silo *cache,
			    struct want *v, size_t n, silo_writer *batch, int *contradicted)
{
	struct remote_sparse sp = REMOTE_SPARSE_INIT;
	struct pack *p = NULL;
	size_t i, j;
	int ret, framed = 0;

	if ((ret = remote_sparse_open(&sp, r, rp)) < 0)
		goto out;
	sp.size = rp->pack_size;
	sp.size_kept = rp->size_kept;
	for (i = 0; i < n; i = j) {
		uint64_t start = v[i].off, end = start;
		for (j = i; j < n; j++) {
			if (j > i && v[j].off != end)
				break;
			if (!remote_pack_next_offset(rp, v[j].off, &end)) {
				if (!sp.size) {
					if ((ret = remote_sparse_fetch_frame(&sp)) < 0)
						goto out;
					framed = 1;
				}
				end = sp.size - sp.rawsz;
			}
			if (end <= v[j].off || v[j].off < 12) {
				ret = silo__error_set(SILO_ECORRUPT, "'%s': bad entry offset %llu",
						     sp.url, (unsigned long long)v[j].off);
				goto out;
			}
			if ((ret = remote_sparse_mark(&sp, v[j].off)) < 0)
				goto out;
			if (end - start >= RUN_MAX) {
				j++;
				break;
			}
		}
		if ((ret = remote_sparse_fetch(&sp, start, end - start)) < 0)
			goto out;
		if (r->progress) {
			r->progress_bytes += end - start;
			r->progress_done += j - i;
			r->progress(r->progress_payload, r->progress_bytes, r->progress_done);
		}
	}
	if (sp.size < sp.rawsz + 12) {
		ret = silo__error_set(SILO_ECORRUPT, "'%s' is truncated", sp.url);
		goto out;
	}
	if (!framed && (ret = remote_sparse_write_frame(&sp, 1)) < 0)
		goto out;
	remote_pack_size_keep(rp, r, sp.size);
	if ((ret = remote_sparse_map(&sp, &p)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		unsigned char *data = NULL, **dp = v[i].data ? v[i].data : &data;
		size_t size, *sz = v[i].size ? v[i].size : &size;
		int type, *tp = v[i].type ? v[i].type : &type, one;
		if ((one = remote_sparse_fetch_chain(&sp, &p, v[i].off)) == 0 &&
		    (one = deliver_object(p, v[i].off, v[i].id, v[i].want, cache, batch, dp, sz,
					  tp)) == 0 &&
		    !v[i].data && *tp != SILO_OBJ_BLOB)
			one = silo__error_set(SILO_EINVALID, "object in '%s' is a %s, not a blob",
					     sp.url, silo_object_type_name(*tp));
		free(data);
		v[i].ret = one;
		if (one < 0 && v[i].item) {
			char hex[SILO_OID_MAX_HEXSZ + 1];
			silo__error_wrap("object %s from '%s'", silo_oid_to_hex(hex, v[i].id),
					sp.url);
			item_failed(v[i].item, one);
		}
		if (!p) {	/* the chain's fetch could not map it again */
			ret = one;
			goto out;
		}
	}
out:
	*contradicted = sp.contradicted;
	pack_close(p);
	remote_sparse_free(&sp);
	return ret;
}

/* read_run_objects(), once more without the pack size kept in the cache
 * if an answer contradicted it: no object was delivered then. */
static int fetch_run_objects(silo_remote *r, struct remote_pack *rp, silo *cache,
			     struct want *v, size_t n, silo_writer *batch)
{
	int contradicted = 0, ret;

	qsort(v, n, sizeof(*v), by_offset);
	ret = read_run_objects(r, rp, cache, v, n, batch, &contradicted);
	if (ret < 0 && contradicted) {
		remote_pack_size_forget(rp, r);
		silo_error_clear();
		ret = read_run_objects(r, rp, cache, v, n, batch, &contradicted);
	}
	return ret;
}

/* The object ID of pack RP, as fetch_run_objects() reads it. */
static int read_remote_object(silo_remote *r, struct remote_pack *rp,
			      silo *cache_silo, const silo_oid *id, uint64_t size,
			      silo_writer *batch, unsigned char **out, size_t *out_size,
			      int *out_type)
{
	size_t rawsz = silo_oid_rawsz(r->format);
	struct want w;
	uint32_t pos;
	int ret;

	if (!pack_index_lookup(rp->idx, rawsz, id, &pos))
		return silo__error_set(SILO_ENOTFOUND, "not in '%s/pack/%s.pack'", r->url, rp->name);
	memset(&w, 0, sizeof(w));
	w.off = remote_pack_offset(rp, pos, rawsz);
	w.id = id;
	w.want = size;
	w.data = out;
	w.size = out_size;
	w.type = out_type;
	ret = fetch_run_objects(r, rp, cache_silo, &w, 1, batch);
	return ret < 0 ? ret : w.ret;
}

int remote_pack_read(silo_remote *r, silo *cache, const silo_oid *id, uint64_t want,
		     silo_writer *batch, unsigned char **data, size_t *size, int *type)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	struct remote_pack *rp;
	int ret;

	*data = NULL;
	*size = 0;
	if ((ret = remote_pack_find(&rp, r, id)) < 0)
		return ret;
	if (!ret)
		return silo__error_set(SILO_ENOTFOUND, "object %s is not in '%s'",
				       silo_oid_to_hex(hex, id), r->url);
	if ((ret = read_remote_object(r, rp, cache, id, want, batch, data, size, type)) < 0)
		silo__error_wrap("object %s from '%s/pack/%s.pack'", silo_oid_to_hex(hex, id),
				 r->url, rp->name);
	return ret;
}

int remote_pack_fetch_many(silo_remote *r, silo *cache, struct silo_fetch_item **items,
			   size_t n, silo_writer *batch)
{
	size_t rawsz = silo_oid_rawsz(r->format), i, k, m;
	struct want *v;
	char *done;
	int ret = 0;

	if (!n)
		return 0;
	v = calloc(n, sizeof(*v));
	done = calloc(n, 1);
	if (!v || !done) {
		free(v);
		free(done);
		return silo__error_oom();
	}
	for (i = 0; i < n; i++) {
		items[i]->status = SILO_ENOTFOUND;
		snprintf(items[i]->message, sizeof(items[i]->message), "not in a known pack of '%s'",
			 r->url);
	}
	/* Pack by pack, the objects its index lists that no earlier pack
	 * took; remote_pack_known() loaded the indexes. */
	for (k = 0; k < r->n_packs && !ret; k++) {
		struct remote_pack *rp = &r->packs[k];
		uint32_t pos;
		if (!rp->idx)
			continue;
		for (i = 0, m = 0; i < n; i++)
			if (!done[i] && pack_index_lookup(rp->idx, rawsz, &items[i]->id, &pos)) {
				done[i] = 1;
				items[i]->status = 0;
				items[i]->message[0] = '\0';
				memset(&v[m], 0, sizeof(v[m]));
				v[m].off = remote_pack_offset(rp, pos, rawsz);
				v[m].id = &items[i]->id;
				v[m].want = items[i]->size_plus_one ?
					    items[i]->size_plus_one - 1 : UINT64_MAX;
				v[m++].item = items[i];
			}
		if (m && (ret = fetch_run_objects(r, rp, cache, v, m, batch)) < 0)
			for (i = 0; i < m; i++)
				if (!v[i].item->status)
					item_failed(v[i].item, ret);
	}
	free(v);
	free(done);
	return 0;
}

int remote_pack_fetch(silo_remote *r, silo *cache, const silo_oid *id, uint64_t want)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	unsigned char *data = NULL;
	size_t size = 0;
	int type, ret;

	if ((ret = remote_pack_read(r, cache, id, want, NULL, &data, &size, &type)) < 0)
		return ret;
	if (type != SILO_OBJ_BLOB)
		ret = silo__error_set(SILO_EINVALID, "object %s in '%s' is a %s, not a blob",
				     silo_oid_to_hex(hex, id), r->url,
				     silo_object_type_name(type));
	free(data);
	return ret;
}
