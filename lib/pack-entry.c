/*
 * The entries of a pack: an entry's header, its zlib data inflated whole,
 * the size of a delta's result, a walk down a delta chain.  What both
 * ways of resolving deltas build on: in memory (pack-read.c) and through
 * temporary files for huge objects (pack-bigdelta.c).
 */
#include "pack.h"
#include "alloc.h"
#include "deflate.h"
#include "delta.h"
#include "error-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

int pack_corrupt_at(const struct pack *p, uint64_t off, const char *what)
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
		return pack_corrupt_at(p, offset, "offset is outside the pack");
	c = p->map[q++];
	e->type = (c >> 4) & 7;
	size = c & 15;
	shift = 4;
	while (c & 0x80) {
		if (q >= end || shift > 57)
			return pack_corrupt_at(p, offset, "bad entry header");
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
			return pack_corrupt_at(p, offset, "truncated delta base offset");
		c = p->map[q++];
		rel = c & 0x7f;
		while (c & 0x80) {
			if (q >= end || rel > (UINT64_MAX >> 8))
				return pack_corrupt_at(p, offset, "bad delta base offset");
			c = p->map[q++];
			rel = ((rel + 1) << 7) | (c & 0x7f);
		}
		if (rel == 0 || rel > offset - 12)
			return pack_corrupt_at(p, offset, "delta base offset points at itself or outside the pack");
		e->base = offset - rel;
		break;
	}
	case PACK_REF_DELTA: {
		silo_oid base;
		uint32_t pos;
		char hex[SILO_OID_MAX_HEXSZ + 1], msg[200];
		if (end - q < p->rawsz)
			return pack_corrupt_at(p, offset, "truncated delta base id");
		silo_oid_from_raw(&base, p->format, p->map + q);
		q += p->rawsz;
		if (!pack_lookup(p, &base, &pos)) {
			snprintf(msg, sizeof(msg), "delta base %s is not in the pack",
				 silo_oid_to_hex(hex, &base));
			return pack_corrupt_at(p, offset, msg);
		}
		e->base = pack_offset_at(p, pos);
		if (e->base == offset)
			return pack_corrupt_at(p, offset, "delta refers to itself");
		break;
	}
	default:
		return pack_corrupt_at(p, offset, "unknown object type");
	}
	if (q >= end)
		return pack_corrupt_at(p, offset, "entry has no data");
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
		return pack_corrupt_at(p, offset, "size in header is larger than the data can hold");
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
			int ret = pack_corrupt_at(p, offset, bad);
			inflateEnd(&zs);
			free(buf);
			return ret;
		}
	}
	if (zs.total_out != e->size) {
		inflateEnd(&zs);
		free(buf);
		return pack_corrupt_at(p, offset, "inflates to fewer bytes than its header says");
	}
	inflateEnd(&zs);
	drop_read_pages(p, e, zs.next_in);
	*out = buf;
	return 0;
}

int pack_chain_push(const struct pack *p, uint64_t start, struct pack_chain_link **chain,
		    size_t *n, size_t *alloc, uint64_t offset, const struct pack_entry *e)
{
	/* OFS_DELTA bases lie before their delta, so only REF_DELTA can
	 * loop; no chain is longer than the pack has objects. */
	if (*n >= p->nr)
		return pack_corrupt_at(p, start, "delta chain loops");
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
			return pack_corrupt_at(p, offset, "delta chain loops");
		cur = e.base;
		if ((ret = pack_entry_at(p, cur, &e)) < 0)
			return ret;
	}
	*type = e.type;
	return 0;
}

int pack_delta_result_size(const struct pack *p, const struct pack_entry *e,
			   uint64_t *size)
{
	unsigned char head[24];
	uint64_t src;
	z_stream zs;
	int zret;

	*size = 0;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return silo__error_oom();
	zs.next_in = (unsigned char *)p->map + e->data;
	zs.avail_in = (uInt)(p->size - p->rawsz - e->data < 4096 ?
			     p->size - p->rawsz - e->data : 4096);
	zs.next_out = head;
	zs.avail_out = sizeof(head);
	zret = inflate(&zs, Z_SYNC_FLUSH);
	inflateEnd(&zs);
	if (zret != Z_OK && zret != Z_STREAM_END && zret != Z_BUF_ERROR)
		return silo__error_set(SILO_ECORRUPT, "'%s': delta data is corrupt", p->relpack);
	return delta_sizes(head, sizeof(head) - zs.avail_out, &src, size, NULL);
}
