/*
 * What the modules of silo_repack() share (silo/pack.h):
 *
 *	pack-repack.c	the steps in order: collect the objects, spool them,
 *			order them, write the pack and its index, remove what
 *			the new pack holds; old temporary files
 *	pack-spool.c	every object copied, verified, into one mapped spool
 *	pack-delta.c	the pack order and the delta search
 *	pack-deflate.c	the output stream of a pack or index: buffered,
 *			checksummed, deflated serially or on several threads
 *	pack-write.c	pack entries, the pack and its index
 *	pack-family.c	trees of the tree kind: found, grouped into
 *			families, one pack each, laid out as medo add does
 */
#ifndef SILO_REPACK_INTERNAL_H
#define SILO_REPACK_INTERNAL_H

#include "pack.h"
#include "silo/pack.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <zlib.h>

#define INDEX_MAX_ENTRIES (1u << 21)	/* at most about 12 MiB an index */
#define INDEX_CACHE_BYTES (64u << 20)	/* indexes of recent candidates */
#define IDX_SLOTS 256
#define BIG_OBJECT (64u << 20)		/* above this, give pages back early */
#define DROP_OBJECT (1u << 20)		/* above this, give pages back after use */
#define WBUF (1u << 20)

/* One object of the repack. */
struct obj {
	silo_oid id;
	int type;
	uint64_t size;
	uint64_t spool_off;	/* where its content is in the spool */
	char *loose;		/* relpath of its loose file, if any */
	/* the search */
	int hint_base;		/* index (in objs) of a hinted base, or -1 */
	int base;		/* chosen base (index in objs), or -1 */
	int depth;
	unsigned char *delta;
	size_t delta_size;
	/* the pack */
	uint64_t offset;
	uint32_t crc;
	int gone;		/* vanished before it could be read */
	/* where it came from and where it goes */
	int old_pack;		/* index in the repack's old packs, or -1 */
	uint64_t old_off;	/* its offset there */
	int in_family;		/* written into a family pack (pack-family.c) */
	uint32_t name_hash;	/* of a name it has in a tree (git's), or 0 */
};

#define TREE_DELTA_DEPTH 10	/* longest chain in a family pack */

/* A file being written: a pack or an index (pack-deflate.c). */
struct pack_out {
	int fd;
	char *path;
	unsigned char *buf;
	size_t len;
	uint64_t off;
	silo_hasher *h;
	uLong crc;
	struct silo_deflater *d;	/* for whole entries, made on first use */
	int d_level;
	unsigned char *dbuf;		/* its output */
	size_t dbuf_cap;
};

struct repack {
	silo *s;
	const struct silo_repack_options *o;
	struct obj *objs;
	size_t n;
	size_t *order;		/* indexes into objs, in the pack order of
				   the pack being written */
	size_t n_order;		/* how many objects that pack holds */
	int depth;		/* its longest delta chain */
	char **new_packs;	/* "pack/pack-<hex>.pack" of each pack written */
	size_t n_new, alloc_new;
	uint32_t *moved;	/* [old * n_new + new]: how many objects of
				   old pack OLD pack NEW holds */
	/* A family pack being written (pack-family.c), or NULL: each
	 * object's place in its pack order, and its blobs sorted as git
	 * sorts delta candidates (name, then size), with their places. */
	const size_t *fam_pos;
	const size_t *fam_sorted, *fam_sorted_pos;
	size_t fam_n;
	const unsigned char *map;
	size_t map_size;
	int spool_fd;
	char *spool_path;
	int threads;
	char **old;		/* relbases of the packs repacked with -a */
	size_t n_old;
	/* If not 0: an old pack modified at or after this time (freshened
	 * by a writer) is not removed (prune). */
	time_t keep_young;
	struct idx_slot {
		size_t obj;
		struct delta_index *idx;
		size_t mem;
		uint64_t used;
	} icache[IDX_SLOTS];
	size_t imem;
};

/* ---- pack-repack.c ---- */

/* Remove what the new pack holds: R's loose objects, its old packs
 * (each index before its pack); counts go into RES. */
int repack_remove_old(struct repack *r, struct silo_repack_result *res);

/* Free everything R holds, its spool file included; R is reset. */
void repack_release(struct repack *r);

/* ---- prune.c, prune-packs.c ---- */

/* What silo_prune() (silo/prune.h) chose to remove, before it removes
 * anything. */
struct prune_loose {
	char *relpath;		/* "objects/xx/...", owned */
	silo_oid id;		/* for SILO_PRUNE_OBJECT */
	int what;		/* SILO_PRUNE_OBJECT or SILO_PRUNE_TEMP */
	uint64_t size;
};

struct prune_packed {
	silo_oid id;
	size_t old;		/* its pack: r.old[old] */
};

struct prune_plan {
	struct silo_repack_options ro;
	struct repack r;	/* the old packs to rewrite, and what they keep */
	size_t objs_alloc, old_alloc;
	struct prune_loose *loose;
	size_t n_loose, loose_alloc;
	struct prune_packed *packed;	/* packed objects to remove */
	size_t n_packed, packed_alloc;
};

struct silo_oid_set;
struct silo_prune_options;
struct silo_prune_result;

/* The packed part of the plan: the old packs that hold garbage, what
 * they keep and what goes; counts into RESULT. */
int prune_packs_plan(struct prune_plan *pl, silo *s, const struct silo_oid_set *keep,
		     const struct silo_prune_options *opts,
		     struct silo_prune_result *result);

/* Rewrite the plan's old packs without their garbage, then remove them. */
int prune_packs_run(struct prune_plan *pl, silo *s, struct silo_prune_result *result);

/* Report PHASE through the options' on_progress, if set.  Inline: each
 * step of a repack (pack-spool.c, pack-write.c) reports through the
 * options it was given, not by calling back into pack-repack.c, which
 * calls the steps. */
static inline void repack_progress(struct repack *r, const char *phase, uint64_t done,
				   uint64_t total)
{
	if (r->o->on_progress)
		r->o->on_progress(r->o->payload, phase, done, total);
}

/* ---- pack-spool.c ---- */

/* Copy every object of R, verified, into the spool and map it. */
int repack_spool(struct repack *r);

/* Give the pages of [P, P + LEN) of a mapping back to the system. */
void repack_drop_range(const unsigned char *p, uint64_t len);

/* ---- pack-delta.c ---- */

/* Put R's objects that no family pack took in pack order (r->order,
 * r->n_order): by type and decreasing size, a hinted base before its
 * target. */
int repack_plan_order(struct repack *r);

/* The index in R's objects (sorted by id) of ID, or -1. */
int repack_find_obj(struct repack *r, const silo_oid *id);

/* Forget the delta search of every object (before another pack). */
void repack_reset_search(struct repack *r);

/* Choose a delta base for the J-th object of the pack order, if one
 * pays; the delta is left in its struct obj. */
int repack_search_for(struct repack *r, size_t j);

/* ---- pack-deflate.c ---- */

/* Open a new temporary file in DIR named PREFIX... for a pack or index
 * of ids in FORMAT; pack_out_discard() releases it in any case. */
int pack_out_open(struct pack_out *out, const char *dir, const char *prefix, int format);
int pack_out_write(struct pack_out *o, const void *data, size_t len);
/* Append LEN bytes of DATA as one zlib stream at LEVEL; BIG gives the
 * pages of DATA back as it goes. */
int pack_out_deflate(struct pack_out *o, const unsigned char *data, uint64_t len,
		     int level, int big);
/* The same for a whole object, deflated on THREADS threads when it is
 * large enough to gain from it. */
int pack_out_deflate_object(struct pack_out *o, const unsigned char *data, uint64_t len,
			    int level, int threads);
/* Finish OUT: trailer checksum, flush, fsync; the checksum in *sum. */
int pack_out_finish(struct pack_out *out, silo_oid *sum);
/* Close and remove what is left of OUT (its file, unless renamed). */
void pack_out_discard(struct pack_out *out);

/* ---- pack-write.c ---- */

/* The header of a pack entry of TYPE and SIZE into H (at most 16
 * bytes); returns its length. */
size_t pack_entry_header(unsigned char *h, int type, uint64_t size);

/* One row of a pack index: what PACK_INDEX_ROW_FN fills in for the
 * I-th object in id order. */
struct pack_index_row {
	const silo_oid *id;
	uint64_t offset;
	uint32_t crc;
};
typedef void (*pack_index_row_fn)(void *payload, size_t i, struct pack_index_row *row);

/* Write the index (version 2) of the N objects ROW describes, in id
 * order, of the pack whose checksum is PACK_SUM, under a temporary name
 * in PACK_DIR, then link it to DEST. */
int pack_index_write(const char *pack_dir, int format, size_t n, pack_index_row_fn row,
		     void *payload, const silo_oid *pack_sum, const char *dest);

/* Write the pack of the objects r->order[0..r->n_order), choosing deltas
 * on the way, then its index, and link both into place; its name goes to
 * r->new_packs. */
int repack_write_pack(struct repack *r, struct silo_repack_result *res);

/* ---- pack-family.c ---- */

/* Write R's spooled objects into new packs: one per family of trees of
 * the tree kind, then one of the rest (repack_plan_order()). */
int repack_write_packs(struct repack *r, struct silo_repack_result *res);

#endif
