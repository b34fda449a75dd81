/*
 * Reading packs: mapping a pack and its index, finding an object through
 * the index's fan-out table and binary search, inflating entries and
 * resolving delta chains through a bounded cache of bases.
 */
#include "pack.h"
#include "deflate.h"
#include "alloc.h"
#include "byteorder.h"
#include "delta.h"
#include "error-internal.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define IDX_MAGIC "\377tOc"
#define PACK_CACHE_DEFAULT (96u << 20)

static int map_file(const char *path, const char *rel, const unsigned char **map,
		    size_t *size)
{
	struct stat st;
	void *m;
	int fd = fs_open_regular(path, rel, SILO_ECORRUPT);

	*map = NULL;
	*size = 0;
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return silo__error_errno("cannot stat '%s'", rel);
	}
	if (st.st_size == 0) {
		close(fd);
		return silo__error_set(SILO_ECORRUPT, "'%s': empty file", rel);
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return silo__error_errno("cannot map '%s'", rel);
	*map = m;
	*size = (size_t)st.st_size;
	return 0;
}

void pack_close(struct pack *p)
{
	if (!p)
		return;
	if (p->map)
		munmap((void *)p->map, p->size);
	if (p->idx)
		munmap((void *)p->idx, p->idx_size);
	free(p->relpack);
	free(p->relidx);
	free(p);
}

void pack_drop_pages(const struct pack *p)
{
	if (p->map)
		madvise((void *)p->map, p->size, MADV_DONTNEED);
}

int pack_index_check(struct pack *p)
{
	const unsigned char *m = p->idx;
	size_t need, i, rawsz = p->rawsz;
	uint32_t prev = 0;

	if (p->idx_size < 8 + 256 * 4 + 2 * rawsz)
		return silo__error_set(SILO_ECORRUPT, "'%s': index is truncated (%zu bytes)",
				       p->relidx, p->idx_size);
	if (memcmp(m, IDX_MAGIC, 4) || get_be32(m + 4) != 2)
		return silo__error_set(SILO_ECORRUPT,
				       "'%s': not a version 2 pack index", p->relidx);
	for (i = 0; i < 256; i++) {
		uint32_t v = get_be32(m + 8 + 4 * i);
		if (v < prev)
			return silo__error_set(SILO_ECORRUPT,
				"'%s': fan-out table is not monotonic at entry %zu",
				p->relidx, i);
		prev = v;
	}
	p->nr = prev;
	/* Size with no 64-bit offsets; the exact size follows from them. */
	need = 8 + 256 * 4 + (size_t)p->nr * (rawsz + 8) + 2 * rawsz;
	if (p->idx_size < need)
		return silo__error_set(SILO_ECORRUPT,
			"'%s': index is truncated: %u objects need %zu bytes, file has %zu",
			p->relidx, p->nr, need, p->idx_size);
	p->names = m + 8 + 256 * 4;
	p->crcs = p->names + (size_t)p->nr * rawsz;
	p->offs = p->crcs + (size_t)p->nr * 4;
	p->offs64 = p->offs + (size_t)p->nr * 4;
	for (i = 0; i < p->nr; i++)
		if (get_be32(p->offs + 4 * i) & 0x80000000u) {
			uint32_t k = get_be32(p->offs + 4 * i) & 0x7fffffffu;
			if (k + 1 > p->n64)
				p->n64 = k + 1;
		}
	if (p->idx_size != need + (size_t)p->n64 * 8)
		return silo__error_set(SILO_ECORRUPT,
			"'%s': index is %zu bytes, expected %zu", p->relidx,
			p->idx_size, need + (size_t)p->n64 * 8);
	for (i = 1; i < p->nr; i++)
		if (memcmp(p->names + (i - 1) * rawsz, p->names + i * rawsz, rawsz) >= 0)
			return silo__error_set(SILO_ECORRUPT,
				"'%s': object names are not sorted at entry %zu", p->relidx, i);
	for (i = 0; i < p->nr; i++) {
		unsigned first = p->names[i * rawsz];
		uint32_t lo = first ? get_be32(m + 8 + 4 * (first - 1)) : 0;
		uint32_t hi = get_be32(m + 8 + 4 * first);
		if (i < lo || i >= hi)
			return silo__error_set(SILO_ECORRUPT,
				"'%s': fan-out table does not match entry %zu", p->relidx, i);
	}
	return 0;
}

static int open_pack(struct pack **out, const char *root, const char *relbase,
		     int format, int lenient)
{
	struct pack *p;
	char *path = NULL;
	size_t len = strlen(relbase);
	int ret;

	*out = NULL;
	if (!(p = calloc(1, sizeof(*p))))
		return silo__error_oom();
	p->format = format;
	p->rawsz = silo_oid_rawsz(format);
	p->relpack = malloc(len + 6);
	p->relidx = malloc(len + 5);
	if (!p->relpack || !p->relidx) {
		ret = silo__error_oom();
		goto fail;
	}
	snprintf(p->relpack, len + 6, "%s.pack", relbase);
	snprintf(p->relidx, len + 5, "%s.idx", relbase);
	if (!(path = fs_join(root, p->relidx))) {
		ret = silo__error_oom();
		goto fail;
	}
	if ((ret = map_file(path, p->relidx, &p->idx, &p->idx_size)) < 0)
		goto fail;
	if ((ret = pack_index_check(p)) < 0)
		goto fail;
	free(path);
	if (!(path = fs_join(root, p->relpack))) {
		ret = silo__error_oom();
		goto fail;
	}
	if ((ret = map_file(path, p->relpack, &p->map, &p->size)) < 0)
		goto fail;
	if (p->size < 12 + p->rawsz || memcmp(p->map, "PACK", 4) ||
	    (get_be32(p->map + 4) != 2 && get_be32(p->map + 4) != 3)) {
		ret = silo__error_set(SILO_ECORRUPT, "'%s': not a version 2 pack (or truncated)",
				      p->relpack);
		goto fail;
	}
	if (get_be32(p->map + 8) != p->nr) {
		ret = silo__error_set(SILO_ECORRUPT,
			"'%s': pack holds %u objects, its index lists %u",
			p->relpack, get_be32(p->map + 8), p->nr);
		goto fail;
	}
	/* The index records the pack's trailer: a cheap test that the two
	 * belong together and that the pack is whole. */
	if (!lenient &&
	    memcmp(p->map + p->size - p->rawsz, p->idx + p->idx_size - 2 * p->rawsz,
		   p->rawsz)) {
		ret = silo__error_set(SILO_ECORRUPT,
			"'%s': its checksum is not the one its index records "
			"(truncated, damaged or mismatched)", p->relpack);
		goto fail;
	}
	free(path);
	*out = p;
	return 0;
fail:
	free(path);
	pack_close(p);
	return ret;
}

int pack_open(struct pack **out, const char *root, const char *relbase, int format)
{
	return open_pack(out, root, relbase, format, 0);
}

int pack_open_lenient(struct pack **out, const char *root, const char *relbase,
		      int format)
{
	return open_pack(out, root, relbase, format, 1);
}

int pack_lookup(const struct pack *p, const silo_oid *id, uint32_t *pos)
{
	if (id->format != p->format)
		return 0;
	return pack_index_lookup(p->idx, p->rawsz, id, pos);
}

int pack_index_lookup(const unsigned char *idx, size_t rawsz, const silo_oid *id,
		      uint32_t *pos)
{
	const unsigned char *fan = idx + 8, *names = idx + 8 + 256 * 4;
	uint32_t lo, hi;
	unsigned first = id->hash[0];

	lo = first ? get_be32(fan + 4 * (first - 1)) : 0;
	hi = get_be32(fan + 4 * first);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = memcmp(names + (size_t)mid * rawsz, id->hash, rawsz);
		if (!c) {
			*pos = mid;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

void pack_oid_at(const struct pack *p, uint32_t pos, silo_oid *out)
{
	silo_oid_from_raw(out, p->format, p->names + (size_t)pos * p->rawsz);
}

uint64_t pack_offset_at(const struct pack *p, uint32_t pos)
{
	uint32_t v = get_be32(p->offs + 4 * (size_t)pos);

	if (v & 0x80000000u) {
		const unsigned char *q = p->offs64 + 8 * (size_t)(v & 0x7fffffffu);
		return get_be64(q);
	}
	return v;
}

uint32_t pack_crc_at(const struct pack *p, uint32_t pos)
{
	return get_be32(p->crcs + 4 * (size_t)pos);
}

static int corrupt_at(const struct pack *p, uint64_t off, const char *what)
{
	return silo__error_set(SILO_ECORRUPT, "'%s': entry at offset %llu: %s",
			       p->relpack, (unsigned long long)off, what);
}

int pack_entry_at(const struct pack *p, uint64_t offset, struct pack_entry *e)
{
	uint64_t end = p->size - p->rawsz, q = offset, size;
	unsigned char c;
	int shift;

	if (offset < 12 || offset >= end)
		return corrupt_at(p, offset, "offset is outside the pack");
	c = p->map[q++];
	e->type = (c >> 4) & 7;
	size = c & 15;
	shift = 4;
	while (c & 0x80) {
		if (q >= end || shift > 57)
			return corrupt_at(p, offset, "bad entry header");
		c = p->map[q++];
		size |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	}
	e->size = size;
	e->base = 0;
	switch (e->type) {
	case SILO_OBJ_COMMIT: case SILO_OBJ_TREE: case SILO_OBJ_BLOB: case SILO_OBJ_TAG:
		break;
	case PACK_OFS_DELTA: {
		uint64_t rel;
		if (q >= end)
			return corrupt_at(p, offset, "truncated delta base offset");
		c = p->map[q++];
		rel = c & 0x7f;
		while (c & 0x80) {
			if (q >= end || rel > (UINT64_MAX >> 8))
				return corrupt_at(p, offset, "bad delta base offset");
			c = p->map[q++];
			rel = ((rel + 1) << 7) | (c & 0x7f);
		}
		if (rel == 0 || rel > offset - 12)
			return corrupt_at(p, offset, "delta base offset points at itself or outside the pack");
		e->base = offset - rel;
		break;
	}
	case PACK_REF_DELTA: {
		silo_oid base;
		uint32_t pos;
		char hex[SILO_OID_MAX_HEXSZ + 1], msg[200];
		if (end - q < p->rawsz)
			return corrupt_at(p, offset, "truncated delta base id");
		silo_oid_from_raw(&base, p->format, p->map + q);
		q += p->rawsz;
		if (!pack_lookup(p, &base, &pos)) {
			snprintf(msg, sizeof(msg), "delta base %s is not in the pack",
				 silo_oid_to_hex(hex, &base));
			return corrupt_at(p, offset, msg);
		}
		e->base = pack_offset_at(p, pos);
		if (e->base == offset)
			return corrupt_at(p, offset, "delta refers to itself");
		break;
	}
	default:
		return corrupt_at(p, offset, "unknown object type");
	}
	if (q >= end)
		return corrupt_at(p, offset, "entry has no data");
	e->data = q;
	return 0;
}

/* The map's pages of a large entry E read up to END are not needed again
 * soon: give them back. */
static void drop_read_pages(const struct pack *p, const struct pack_entry *e,
			    const unsigned char *end)
{
	if (e->size > (32u << 20)) {
		long pg = sysconf(_SC_PAGESIZE);
		uintptr_t a = ((uintptr_t)(p->map + e->data) + pg - 1) & ~((uintptr_t)pg - 1);
		uintptr_t z = (uintptr_t)end & ~((uintptr_t)pg - 1);
		if (pg > 0 && z > a)
			madvise((void *)a, z - a, MADV_DONTNEED);
	}
}

/* Inflate the zlib data of entry E at OFFSET whole into a new buffer. */
int pack_inflate_entry(const struct pack *p, uint64_t offset,
		       const struct pack_entry *e, unsigned char **out)
{
	uint64_t avail = p->size - p->rawsz - e->data;
	unsigned char *buf;
	z_stream zs;
	int zret;

	*out = NULL;
	/* Deflate cannot expand more than about 1032 to 1: a larger claim
	 * is a lie, refused before it costs memory. */
	if (e->size > avail * 1040 + 1024 || e->size > SIZE_MAX - 1)
		return corrupt_at(p, offset, "size in header is larger than the data can hold");
	if (!(buf = malloc(e->size ? (size_t)e->size : 1)))
		return silo__error_oom();
	/* The size is known: libdeflate inflates it whole, in about half
	 * zlib's time.  Data it refuses goes through zlib, which names the
	 * problem. */
	{
		size_t used;
		if (!silo__inflate_zlib(p->map + e->data, (size_t)avail, buf,
				        (size_t)e->size, &used)) {
			drop_read_pages(p, e, p->map + e->data + used);
			*out = buf;
			return 0;
		}
	}
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK) {
		free(buf);
		return silo__error_oom();
	}
	zs.next_in = (unsigned char *)p->map + e->data;
	for (;;) {
		unsigned char scratch;
		uint64_t room = e->size - zs.total_out;
		const char *bad = NULL;

		if (!zs.avail_in && avail) {
			uInt k = avail > (1u << 30) ? (1u << 30) : (uInt)avail;
			zs.avail_in = k;
			avail -= k;
		}
		/* With no room left, one byte of scratch tells a stream that
		 * ends here from one that goes on past its declared size. */
		if (!room) {
			zs.next_out = &scratch;
			zs.avail_out = 1;
		} else {
			zs.next_out = buf + zs.total_out;
			zs.avail_out = room > (1u << 30) ? (1u << 30) : (uInt)room;
		}
		zret = inflate(&zs, Z_NO_FLUSH);
		if (zret == Z_STREAM_END)
			break;
		if (!room && !zs.avail_out)
			bad = "inflates to more than the size in its header";
		else if (zret == Z_BUF_ERROR && !zs.avail_in && !avail)
			bad = "zlib data is truncated";
		else if (zret != Z_OK)
			bad = zs.msg ? zs.msg : "zlib data is corrupt";
		if (bad) {
			int ret = corrupt_at(p, offset, bad);
			inflateEnd(&zs);
			free(buf);
			return ret;
		}
	}
	if (zs.total_out != e->size) {
		inflateEnd(&zs);
		free(buf);
		return corrupt_at(p, offset, "inflates to fewer bytes than its header says");
	}
	inflateEnd(&zs);
	drop_read_pages(p, e, zs.next_in);
	*out = buf;
	return 0;
}

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

int pack_chain_push(const struct pack *p, uint64_t start, struct pack_chain_link **chain,
		    size_t *n, size_t *alloc, uint64_t offset, const struct pack_entry *e)
{
	/* OFS_DELTA bases lie before their delta, so only REF_DELTA can
	 * loop; no chain is longer than the pack has objects. */
	if (*n >= p->nr)
		return corrupt_at(p, start, "delta chain loops");
	if (ALLOC_GROW(*chain, *n + 1, *alloc) < 0)
		return silo__error_oom();
	(*chain)[*n].offset = offset;
	(*chain)[*n].e = *e;
	(*n)++;
	return 0;
}

int pack_object_info(const struct pack *p, uint64_t offset, int *type, uint64_t *size)
{
	struct pack_entry e;
	uint64_t cur = offset;
	uint32_t steps;
	int ret;

	if ((ret = pack_entry_at(p, offset, &e)) < 0)
		return ret;
	if (e.type < PACK_OFS_DELTA) {
		*type = e.type;
		*size = e.size;
		return 0;
	}
	if ((ret = pack_delta_result_size(p, &e, size)) < 0)
		return ret;
	/* No chain is longer than the pack has objects (only REF_DELTA
	 * can loop). */
	for (steps = 0; e.type >= PACK_OFS_DELTA; steps++) {
		if (steps >= p->nr)
			return corrupt_at(p, offset, "delta chain loops");
		cur = e.base;
		if ((ret = pack_entry_at(p, cur, &e)) < 0)
			return ret;
	}
	*type = e.type;
	return 0;
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
			ret = corrupt_at(p, l->offset, msg);
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
			return corrupt_at(ps->p, ps->offset, ps->zs.msg ? ps->zs.msg :
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
				return corrupt_at(ps->p, ps->offset,
						  "inflates to more than the size in its header");
			if (zret != Z_STREAM_END)
				return corrupt_at(ps->p, ps->offset, "zlib data is truncated");
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
			return corrupt_at(ps->p, ps->offset,
					  "inflates to fewer bytes than its header says");
		if ((zret = stream_inflate(ps, ps->out, want > PIECE ? PIECE : (size_t)want,
					   &n)) < 0)
			return zret;
		if (zret == Z_STREAM_END)
			ps->ended = 1;
		if (!n)
			return corrupt_at(ps->p, ps->offset, "zlib data is truncated");
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
			ret = corrupt_at(p, offset, "size in header is larger than the data can hold");
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

/* ---- the silo's packs ---- */

int pack_name_is(const char *name, int format, const char *ext)
{
	size_t hexsz = silo_oid_hexsz(format), i;

	if (strncmp(name, "pack-", 5) || strlen(name) != 5 + hexsz + 1 + strlen(ext))
		return 0;
	for (i = 0; i < hexsz; i++) {
		char c = name[5 + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
	}
	return name[5 + hexsz] == '.' && !strcmp(name + 6 + hexsz, ext);
}
