/*
 * Writing the pack and its index (git's pack version 2 and index version
 * 2).  Each object is written as soon as its base is chosen, in pack
 * order, so every base is in the pack before its deltas, as OFS_DELTA
 * requires, and only the delta being chosen is held in memory.  Both
 * files are written under temporary names, made durable, then linked
 * into place.
 */
#include "repack-internal.h"
#include "byteorder.h"
#include "error-internal.h"
#include "fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

size_t pack_entry_header(unsigned char *h, int type, uint64_t size)
{
	size_t n = 0;
	unsigned char c = (unsigned char)(type << 4 | (size & 15));

	size >>= 4;
	while (size) {
		h[n++] = c | 0x80;
		c = size & 0x7f;
		size >>= 7;
	}
	h[n++] = c;
	return n;
}

static size_t ofs_encode(unsigned char *h, uint64_t rel)
{
	unsigned char tmp[16];
	size_t pos = sizeof(tmp) - 1, n;

	tmp[pos] = rel & 0x7f;
	while (rel >>= 7)
		tmp[--pos] = 0x80 | (--rel & 0x7f);
	n = sizeof(tmp) - pos;
	memcpy(h, tmp + pos, n);
	return n;
}

static int write_entry(struct repack *r, struct pack_out *out, struct obj *o)
{
	unsigned char h[32];
	size_t hl;
	int ret;

	o->offset = out->off;
	out->crc = crc32(0L, Z_NULL, 0);
	if (o->delta) {
		struct obj *b = &r->objs[o->base];
		hl = pack_entry_header(h, PACK_OFS_DELTA, o->delta_size);
		hl += ofs_encode(h + hl, o->offset - b->offset);
		if ((ret = pack_out_write(out, h, hl)) < 0 ||
		    (ret = pack_out_deflate(out, o->delta, o->delta_size, r->o->level, 0)) < 0)
			return ret;
		free(o->delta);
		o->delta = NULL;
	} else {
		hl = pack_entry_header(h, o->type, o->size);
		if ((ret = pack_out_write(out, h, hl)) < 0)
			return ret;
		if ((ret = pack_out_deflate_object(out, r->map + o->spool_off, o->size,
						   r->o->level, r->threads)) < 0)
			return ret;
		if (o->size >= DROP_OBJECT)
			repack_drop_range(r->map + o->spool_off, o->size);
	}
	o->crc = (uint32_t)out->crc;
	return 0;
}

int pack_index_write(const char *pack_dir, int format, size_t n, pack_index_row_fn row,
		     void *payload, const silo_oid *pack_sum, const char *dest)
{
	struct pack_out out;
	size_t rawsz = silo_oid_rawsz(format), i;
	uint32_t fan[256] = { 0 }, n64 = 0;
	struct pack_index_row rw;
	unsigned char b[8];
	silo_oid sum;
	int ret;

	if ((ret = pack_out_open(&out, pack_dir, SILO_TMP_PREFIX "idx_", format)) < 0)
		goto out;
	/* The rows come sorted by id, as the index wants. */
	for (i = 0; i < n; i++) {
		row(payload, i, &rw);
		fan[rw.id->hash[0]]++;
	}
	for (i = 1; i < 256; i++)
		fan[i] += fan[i - 1];
	if ((ret = pack_out_write(&out, "\377tOc\0\0\0\2", 8)) < 0)
		goto out;
	for (i = 0; i < 256 && !ret; i++) {
		put_be32(b, fan[i]);
		ret = pack_out_write(&out, b, 4);
	}
	for (i = 0; i < n && !ret; i++) {
		row(payload, i, &rw);
		ret = pack_out_write(&out, rw.id->hash, rawsz);
	}
	for (i = 0; i < n && !ret; i++) {
		row(payload, i, &rw);
		put_be32(b, rw.crc);
		ret = pack_out_write(&out, b, 4);
	}
	for (i = 0; i < n && !ret; i++) {
		row(payload, i, &rw);
		put_be32(b, rw.offset < 0x80000000u ? (uint32_t)rw.offset : 0x80000000u | n64++);
		ret = pack_out_write(&out, b, 4);
	}
	for (i = 0; i < n && !ret; i++) {
		row(payload, i, &rw);
		if (rw.offset < 0x80000000u)
			continue;
		put_be64(b, rw.offset);
		ret = pack_out_write(&out, b, 8);
	}
	if (!ret)
		ret = pack_out_write(&out, pack_sum->hash, rawsz);
	if (!ret)
		ret = pack_out_finish(&out, &sum);
	/* Linked while still open (and so locked: not a killed writer's
	 * leftover to a repack starting now); fsync has said it is written. */
	if (!ret)
		ret = fs_link_into_place(out.path, dest, NULL);
out:
	pack_out_discard(&out);
	return ret;
}

static void repack_row(void *payload, size_t i, struct pack_index_row *row)
{
	const struct obj *o = &((const struct repack *)payload)->objs[i];

	row->id = &o->id;
	row->offset = o->offset;
	row->crc = o->crc;
}

int repack_write_pack(struct repack *r, struct silo_repack_result *res)
{
	char hex[SILO_OID_MAX_HEXSZ + 1], *dest = NULL;
	int created = 0;
	struct pack_out out;
	unsigned char hdr[12];
	size_t j;
	silo_oid sum;
	int ret;

	if ((ret = pack_out_open(&out, r->s->pack_dir, SILO_TMP_PREFIX "pack_", r->s->format)) < 0)
		goto out;
	memcpy(hdr, "PACK\0\0\0\2", 8);
	put_be32(hdr + 8, (uint32_t)r->n);
	if ((ret = pack_out_write(&out, hdr, 12)) < 0)
		goto out;
	for (j = 0; j < r->n; j++) {
		struct obj *o = &r->objs[r->order[j]];
		/* Every candidate base came earlier and is in the pack. */
		if ((ret = repack_search_for(r, j)) < 0 || (ret = write_entry(r, &out, o)) < 0)
			goto out;
		if (o->base >= 0)
			res->deltas++;
		repack_progress(r, "compressing", j + 1, r->n);
	}
	/* Kept open (locked) until linked, as the index. */
	if ((ret = pack_out_finish(&out, &sum)) < 0)
		goto out;
	silo_oid_to_hex(hex, &sum);
	snprintf(res->pack, sizeof(res->pack), "pack/pack-%s.pack", hex);
	if (!(dest = fs_join(r->s->root, res->pack))) {
		ret = silo_error_oom();
		goto out;
	}
	/* The .pack first: a reader ignores a pack until its index exists. */
	if ((ret = fs_link_into_place(out.path, dest, &created)) < 0)
		goto out;
	strcpy(dest + strlen(dest) - 4, "idx");
	if ((ret = pack_index_write(r->s->pack_dir, r->s->format, r->n, repack_row, r,
				    &sum, dest)) < 0) {
		/* A pack we just linked, with no index, would only be dead
		 * weight (and a warning of verify's) for good: take it back. */
		if (created) {
			strcpy(dest + strlen(dest) - 3, "pack");
			unlink(dest);
		}
		goto out;
	}
	ret = fs_fsync_path(r->s->pack_dir);
out:
	free(dest);
	pack_out_discard(&out);
	return ret;
}
