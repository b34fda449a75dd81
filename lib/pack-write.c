/*
 * Writing the pack and its index (git's pack version 2 and index version
 * 2).  Each object is written as soon as its base is chosen, in pack
 * order, so every base is in the pack before its deltas, as OFS_DELTA
 * requires, and only the delta being chosen is held in memory.  Both
 * files are written under temporary names, made durable, then linked
 * into place.
 */
#include "repack-internal.h"
#include "alloc.h"
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

struct rows {
	const struct repack *r;
	const size_t *v;	/* indexes into r->objs, in id order */
};

static void repack_row(void *payload, size_t i, struct pack_index_row *row)
{
	const struct rows *rs = payload;
	const struct obj *o = &rs->r->objs[rs->v[i]];

	row->id = &o->id;
	row->offset = o->offset;
	row->crc = o->crc;
}

static int by_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Remember the pack just written, REL, and which old packs' objects it
 * holds (for their redirects). */
static int note_new_pack(struct repack *r, const char *rel, const size_t *v, size_t n)
{
	uint32_t *moved;
	size_t i, k = r->n_new;

	for (i = 0; i < r->n_new; i++)
		if (!strcmp(r->new_packs[i], rel))
			return 0;	/* the same content twice */
	if (ALLOC_GROW(r->new_packs, k + 1, r->alloc_new) < 0 ||
	    !(r->new_packs[k] = strdup(rel)))
		return silo__error_oom();
	if (!(moved = calloc(r->n_old ? r->n_old * (k + 1) : 1, sizeof(*moved))))
		return silo__error_oom();
	for (i = 0; i < r->n_old * k; i++)
		moved[i / k * (k + 1) + i % k] = r->moved[i];
	for (i = 0; i < n; i++) {
		int old = r->objs[v[i]].old_pack;
		if (old >= 0 && (size_t)old < r->n_old)
			moved[(size_t)old * (k + 1) + k]++;
	}
	free(r->moved);
	r->moved = moved;
	r->n_new = k + 1;
	return 0;
}

int repack_write_pack(struct repack *r, struct silo_repack_result *res)
{
	char hex[SILO_OID_MAX_HEXSZ + 1], *dest = NULL;
	char rel[64 + SILO_OID_MAX_HEXSZ];
	int created = 0;
	struct pack_out out;
	unsigned char hdr[12];
	struct rows rows = { r, NULL };
	size_t j, *ids = NULL;
	silo_oid sum;
	int ret;

	if ((ret = pack_out_open(&out, r->s->pack_dir, SILO_TMP_PREFIX "pack_", r->s->format)) < 0)
		goto out;
	memcpy(hdr, "PACK\0\0\0\2", 8);
	put_be32(hdr + 8, (uint32_t)r->n_order);
	if ((ret = pack_out_write(&out, hdr, 12)) < 0)
		goto out;
	for (j = 0; j < r->n_order; j++) {
		struct obj *o = &r->objs[r->order[j]];
		/* Every candidate base came earlier and is in the pack. */
		if ((ret = repack_search_for(r, j)) < 0 || (ret = write_entry(r, &out, o)) < 0)
			goto out;
		if (o->base >= 0)
			res->deltas++;
		repack_progress(r, "compressing", j + 1, r->n_order);
	}
	/* Kept open (locked) until linked, as the index. */
	if ((ret = pack_out_finish(&out, &sum)) < 0)
		goto out;
	silo_oid_to_hex(hex, &sum);
	snprintf(rel, sizeof(rel), "pack/pack-%s.pack", hex);
	if (!res->pack[0])
		snprintf(res->pack, sizeof(res->pack), "%s", rel);
	if (!(dest = fs_join(r->s->root, rel)) ||
	    !(ids = malloc((r->n_order ? r->n_order : 1) * sizeof(*ids)))) {
		ret = silo__error_oom();
		goto out;
	}
	/* r->objs is sorted by id: so are their indexes. */
	memcpy(ids, r->order, r->n_order * sizeof(*ids));
	qsort(ids, r->n_order, sizeof(*ids), by_index);
	rows.v = ids;
	/* The .pack first: a reader ignores a pack until its index exists. */
	if ((ret = fs_link_into_place(out.path, dest, &created)) < 0)
		goto out;
	strcpy(dest + strlen(dest) - 4, "idx");
	if ((ret = pack_index_write(r->s->pack_dir, r->s->format, r->n_order, repack_row,
				    &rows, &sum, dest)) < 0) {
		/* A pack we just linked, with no index, would only be dead
		 * weight (and a warning of verify's) for good: take it back. */
		if (created) {
			strcpy(dest + strlen(dest) - 3, "pack");
			unlink(dest);
		}
		goto out;
	}
	if ((ret = fs_fsync_path(r->s->pack_dir)) == 0)
		ret = note_new_pack(r, rel, ids, r->n_order);
out:
	free(ids);
	free(dest);
	pack_out_discard(&out);
	return ret;
}
