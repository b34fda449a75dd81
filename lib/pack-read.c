/*
 * Reading packed objects: deltas resolved in memory through a bounded
 * cache of bases (pack_read()), and streams of objects, which inflate a
 * plain entry as it is read and hand a huge delta to pack-bigdelta.c.
 * The entries themselves are read by pack-entry.c.
 */
#include "pack.h"
#include "delta.h"
#include "error-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#define PACK_CACHE_DEFAULT (96u << 20)

/* ---- the cache of bases ---- */

#define CACHE_SLOTS 256

struct cache_slot {
	const struct pack *p;
	uint64_t offset;
	unsigned char *data;	/* NULL: free slot */
	size_t size;
	int type;
	uint64_t used;
};

struct pack_cache {
	struct cache_slot slot[CACHE_SLOTS];
	size_t total, limit;
	uint64_t clock;
};

int pack_cache_new(struct pack_cache **out, size_t limit_bytes)
{
	struct pack_cache *c = calloc(1, sizeof(*c));

	*out = c;
	if (!c)
		return silo__error_oom();
	c->limit = limit_bytes ? limit_bytes : PACK_CACHE_DEFAULT;
	return 0;
}

void pack_cache_free(struct pack_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < CACHE_SLOTS; i++)
		free(c->slot[i].data);
	free(c);
}

static struct cache_slot *cache_get(struct pack_cache *c, const struct pack *p,
				    uint64_t offset)
{
	size_t i;

	for (i = 0; i < CACHE_SLOTS; i++)
		if (c->slot[i].data && c->slot[i].p == p && c->slot[i].offset == offset) {
			c->slot[i].used = ++c->clock;
			return &c->slot[i];
		}
	return NULL;
}

/* Hand DATA to the cache; returns 1 if it took it, 0 if too large. */
static int cache_put(struct pack_cache *c, const struct pack *p, uint64_t offset,
		     int type, unsigned char *data, size_t size)
{
	struct cache_slot *victim;
	size_t i;

	if (size > c->limit / 2)
		return 0;
	for (;;) {
		victim = NULL;
		for (i = 0; i < CACHE_SLOTS; i++) {
			if (!c->slot[i].data) {
				if (c->total + size <= c->limit) {
					victim = &c->slot[i];
					goto take;
				}
				continue;
			}
			if (!victim || c->slot[i].used < victim->used)
				victim = &c->slot[i];
		}
		if (!victim)
			return 0;
		c->total -= victim->size;
		free(victim->data);
		victim->data = NULL;
	}
take:
	victim->p = p;
	victim->offset = offset;
	victim->data = data;
	victim->size = size;
	victim->type = type;
	victim->used = ++c->clock;
	c->total += size;
	return 1;
}

int pack_read(struct pack *p, struct pack_cache *c, uint64_t offset,
	      int *type, const unsigned char **data, size_t *size, int *owned)
{
	struct pack_chain_link *chain = NULL;
	size_t n = 0, alloc = 0;
	unsigned char *base = NULL;
	size_t base_size = 0;
	int base_type = 0, base_owned = 0, ret = 0;
	uint64_t cur = offset;

	/* Walk down to a base that is cached or whole, remembering the way. */
	for (;;) {
		struct cache_slot *hit = c ? cache_get(c, p, cur) : NULL;
		struct pack_entry e;
		if (hit) {
			base = hit->data;
			base_size = hit->size;
			base_type = hit->type;
			break;
		}
		if ((ret = pack_entry_at(p, cur, &e)) < 0)
			goto out;
		if (e.type < PACK_OFS_DELTA) {
			if ((ret = pack_inflate_entry(p, cur, &e, &base)) < 0)
				goto out;
			base_size = (size_t)e.size;
			base_type = e.type;
			base_owned = 1;
			if (c && cache_put(c, p, cur, base_type, base, base_size))
				base_owned = 0;
			break;
		}
		if ((ret = pack_chain_push(p, offset, &chain, &n, &alloc, cur, &e)) < 0)
			goto out;
		cur = e.base;
	}
	/* Apply the deltas back up, caching what later reads may reuse. */
	while (n) {
		struct pack_chain_link *l = &chain[--n];
		unsigned char *delta = NULL, *result = NULL;
		size_t result_size;

		if ((ret = pack_inflate_entry(p, l->offset, &l->e, &delta)) < 0)
			goto out;
		ret = delta_apply(base, base_size, delta, (size_t)l->e.size,
				  &result, &result_size);
		free(delta);
		if (ret < 0) {
			char msg[600];
			snprintf(msg, sizeof(msg), "%s", silo_error_message());
			ret = pack_corrupt_at(p, l->offset, msg);
			goto out;
		}
		if (base_owned)
			free(base);
		base = result;
		base_size = result_size;
		base_owned = 1;
		if (c && cache_put(c, p, l->offset, base_type, base, base_size))
			base_owned = 0;
	}
	*type = base_type;
	*data = base;
	*size = base_size;
	*owned = base_owned;
	base = NULL;
out:
	if (base && base_owned)
		free(base);
	free(chain);
	return ret;
}

/* ---- streams ---- */

#define PIECE (128 * 1024)

struct pack_stream {
	struct silo_stream base;
	struct pack *p;
	uint64_t offset;
	silo_hasher *hasher;
	/* whole objects (deltas): the resolved bytes */
	const unsigned char *data;
	int owned;
	uint64_t pos;
	/* huge deltas: applied as they are read (pack-bigdelta.c) */
	struct pack_big_delta *big;
	/* plain objects: inflated on the fly from the map */
	int inflating, ended;
	z_stream zs;
	const unsigned char *dropped;	/* pages before this were given back */
	uint64_t avail;
	unsigned char *out;
};

static int pack_stream_finish(struct pack_stream *ps)
{
	char want[SILO_OID_MAX_HEXSZ + 1], got[SILO_OID_MAX_HEXSZ + 1];
	silo_oid actual;
	int ret;

	if ((ret = silo_hasher_final(&actual, ps->hasher)) < 0)
		return ret;
	if (!silo_oid_equal(&actual, &ps->base.id))
		return silo__error_set(SILO_ECORRUPT,
			"'%s': object %s at offset %llu hashes to %s",
			ps->p->relpack, silo_oid_to_hex(want, &ps->base.id),
			(unsigned long long)ps->offset, silo_oid_to_hex(got, &actual));
	return 0;
}

/* Inflate into OUT[0..len) from the map: Z_STREAM_END at the end of the
 * zlib stream, Z_OK otherwise (with *produced 0 when the data ran out
 * before it), or a negative error.  zlib's own codes never escape: a
 * damaged stream may fill OUT and fail in the same call. */
static int stream_inflate(struct pack_stream *ps, unsigned char *out, size_t len,
			  size_t *produced)
{
	int zret;

	ps->zs.next_out = out;
	ps->zs.avail_out = (uInt)len;
	for (;;) {
		if (!ps->zs.avail_in && ps->avail) {
			uInt k = ps->avail > (1u << 30) ? (1u << 30) : (uInt)ps->avail;
			ps->zs.avail_in = k;
			ps->avail -= k;
		}
		zret = inflate(&ps->zs, Z_NO_FLUSH);
		if (zret != Z_OK && zret != Z_BUF_ERROR && zret != Z_STREAM_END)
			return pack_corrupt_at(ps->p, ps->offset, ps->zs.msg ? ps->zs.msg :
					  "zlib data is corrupt");
		if (zret == Z_STREAM_END || !ps->zs.avail_out)
			break;
		if (zret == Z_BUF_ERROR && !ps->zs.avail_in && !ps->avail) {
			zret = Z_OK;	/* the data ran out */
			break;
		}
	}
	*produced = len - ps->zs.avail_out;
	/* Give back the pages of the pack already read: a huge object
	 * streams through in bounded memory. */
	if ((size_t)(ps->zs.next_in - ps->dropped) >= (32u << 20)) {
		long pg = sysconf(_SC_PAGESIZE);
		uintptr_t a = ((uintptr_t)ps->dropped + pg - 1) & ~((uintptr_t)pg - 1);
		uintptr_t e = (uintptr_t)ps->zs.next_in & ~((uintptr_t)pg - 1);
		if (pg > 0 && e > a)
			madvise((void *)a, e - a, MADV_DONTNEED);
		ps->dropped = ps->zs.next_in;
	}
	return zret;
}

static int pack_stream_read(silo_stream *st, const void **data, size_t *len)
{
	struct pack_stream *ps = (struct pack_stream *)st;
	size_t n;
	int zret;

	if (ps->big) {
		if (ps->pos >= ps->base.size) {
			/* The delta must end where its header says. */
			if ((zret = pack_big_delta_read(ps->big, ps->out, 1, &n)) < 0)
				return zret;
			return pack_stream_finish(ps);
		}
		if ((zret = pack_big_delta_read(ps->big, ps->out, PIECE, &n)) < 0)
			return zret;
		*data = ps->out;
		if (silo_hasher_update(ps->hasher, *data, n) < 0)
			return SILO_ERROR;
		ps->pos += n;
		*len = n;
		return 1;
	}
	if (ps->pos >= ps->base.size) {
		if (ps->inflating && !ps->ended) {
			unsigned char scratch;
			if ((zret = stream_inflate(ps, &scratch, 1, &n)) < 0)
				return zret;
			if (n)
				return pack_corrupt_at(ps->p, ps->offset,
						  "inflates to more than the size in its header");
			if (zret != Z_STREAM_END)
				return pack_corrupt_at(ps->p, ps->offset, "zlib data is truncated");
			ps->ended = 1;
		}
		return pack_stream_finish(ps);
	}
	if (!ps->inflating) {
		n = ps->base.size - ps->pos > PIECE ? PIECE : (size_t)(ps->base.size - ps->pos);
		*data = ps->data + ps->pos;
	} else {
		uint64_t want = ps->base.size - ps->pos;
		if (ps->ended)
			return pack_corrupt_at(ps->p, ps->offset,
					  "inflates to fewer bytes than its header says");
		if ((zret = stream_inflate(ps, ps->out, want > PIECE ? PIECE : (size_t)want,
					   &n)) < 0)
			return zret;
		if (zret == Z_STREAM_END)
			ps->ended = 1;
		if (!n)
			return pack_corrupt_at(ps->p, ps->offset, "zlib data is truncated");
		*data = ps->out;
	}
	if (silo_hasher_update(ps->hasher, *data, n) < 0)
		return SILO_ERROR;
	ps->pos += n;
	*len = n;
	return 1;
}

static void pack_stream_free(silo_stream *st)
{
	struct pack_stream *ps = (struct pack_stream *)st;

	if (ps->owned)
		free((void *)ps->data);
	if (ps->big) {
		pack_big_delta_free(ps->big);
		free(ps->out);
	} else if (ps->out) {
		inflateEnd(&ps->zs);
		free(ps->out);
	}
	silo_hasher_free(ps->hasher);
	free(ps);
}

static const struct silo_stream_ops pack_stream_ops = { pack_stream_read, pack_stream_free };

int pack_stream_open(silo_stream **out, struct pack *p, struct pack_cache *c,
		     uint64_t offset, const silo_oid *id)
{
	struct pack_stream *ps;
	struct pack_entry e;
	int ret;

	*out = NULL;
	if ((ret = pack_entry_at(p, offset, &e)) < 0)
		return ret;
	if (!(ps = calloc(1, sizeof(*ps))))
		return silo__error_oom();
	ps->base.ops = &pack_stream_ops;
	ps->base.id = *id;
	ps->p = p;
	ps->offset = offset;
	if ((ret = silo_hasher_new(&ps->hasher, p->format)) < 0)
		goto fail;
	if (e.type < PACK_OFS_DELTA) {
		/* Plain objects stream: a huge one needs no huge buffer. */
		if (e.size > (p->size - p->rawsz - e.data) * 1040 + 1024) {
			ret = pack_corrupt_at(p, offset, "size in header is larger than the data can hold");
			goto fail;
		}
		/* Reads ask for at most the rest of the object: a small one
		 * needs no whole piece. */
		if (!(ps->out = malloc(e.size < PIECE ? (e.size ? (size_t)e.size : 1) : PIECE))) {
			ret = silo__error_oom();
			goto fail;
		}
		if (inflateInit(&ps->zs) != Z_OK) {
			free(ps->out);
			ps->out = NULL;
			ret = silo__error_oom();
			goto fail;
		}
		ps->zs.next_in = (unsigned char *)p->map + e.data;
		ps->avail = p->size - p->rawsz - e.data;
		ps->dropped = p->map + e.data;
		ps->inflating = 1;
		ps->base.type = e.type;
		ps->base.size = e.size;
	} else if ((ret = pack_delta_result_size(p, &e, &ps->base.size)) < 0) {
		goto fail;
	} else if (ps->base.size > PACK_BIG_DELTA) {
		uint64_t size;
		int type;
		if ((ret = pack_big_delta_open(&ps->big, p, offset, &type, &size)) < 0)
			goto fail;
		if (!(ps->out = malloc(PIECE))) {
			ret = silo__error_oom();
			goto fail;
		}
		ps->base.type = type;
		ps->base.size = size;
	} else {
		const unsigned char *data;
		size_t size;
		int type;
		if ((ret = pack_read(p, c, offset, &type, &data, &size, &ps->owned)) < 0)
			goto fail;
		if (!ps->owned) {
			/* The cache may drop it on the next read: keep a copy. */
			unsigned char *copy = malloc(size ? size : 1);
			if (!copy) {
				ret = silo__error_oom();
				goto fail;
			}
			memcpy(copy, data, size);
			data = copy;
			ps->owned = 1;
		}
		ps->data = data;
		ps->base.type = type;
		ps->base.size = size;
	}
	if ((ret = silo_hasher_begin(ps->hasher, ps->base.type, ps->base.size)) < 0)
		goto fail;
	*out = &ps->base;
	return 0;
fail:
	pack_stream_free(&ps->base);
	return ret;
}
