/*
 * Git packfiles (version 2) and their indexes (version 2) inside a silo:
 * pack/pack-<checksum>.pack and .idx.  Both files are mapped read-only;
 * every read from them is bounds-checked, because a pack may come from
 * anywhere and may be truncated or damaged.
 *
 *	pack-file.c	opening a pack and its index, lookups in the index
 *	pack-entry.c	entry headers, entries inflated, delta chains walked
 *	pack-read.c	objects read whole (deltas resolved in memory), streams
 *	pack-bigdelta.c	huge delta objects, resolved through temporary files
 *	pack-source.c	the packs of a silo as one object source (source.h)
 */
#ifndef SILO_PACK_H_INTERNAL
#define SILO_PACK_H_INTERNAL

#include "store-internal.h"

#include <stddef.h>
#include <stdint.h>

#define PACK_OFS_DELTA 6
#define PACK_REF_DELTA 7

struct pack {
	char *relpack;			/* "pack/pack-<hex>.pack" */
	char *relidx;			/* "pack/pack-<hex>.idx" */
	int format;
	size_t rawsz;
	const unsigned char *map;	/* the .pack */
	size_t size;
	const unsigned char *idx;	/* the .idx */
	size_t idx_size;
	uint32_t nr;
	const unsigned char *names, *crcs, *offs, *offs64;
	uint32_t n64;
	int marked_used;		/* fs_mark_used() done (the cache's packs) */
};

/*
 * Open and map RELBASE + ".idx" and ".pack" under ROOT (RELBASE is
 * "pack/pack-<hex>") and check the index's structure and that the two
 * files belong together.  Errors name the file at fault.
 */
int pack_open(struct pack **out, const char *root, const char *relbase, int format);
void pack_close(struct pack *p);	/* NULL is allowed */

/* Give back P's mapped pages read so far: they stay in the page cache, out
 * of our resident memory, and come back if read again. */
void pack_drop_pages(const struct pack *p);

/*
 * Check the structure of the index P->idx (P->idx_size bytes, entries of
 * P->rawsz bytes; P->relidx names it in messages): magic and version, a
 * monotonic fan-out table that agrees with the sorted names, and the exact
 * size its offsets imply.  Sets P->nr and the table pointers.
 */
int pack_index_check(struct pack *p);

/* As pack_open, but a pack whose trailer is not the checksum its index
 * records (a truncated or damaged pack) is still opened, so that verify
 * can tell which objects survive.  Every read stays bounds-checked. */
int pack_open_lenient(struct pack **out, const char *root, const char *relbase,
		      int format);

/* 1 and *pos set if P's index lists ID, else 0. */
int pack_lookup(const struct pack *p, const silo_oid *id, uint32_t *pos);
/* The same in the checked index IDX (version 2, names of RAWSZ bytes). */
int pack_index_lookup(const unsigned char *idx, size_t rawsz, const silo_oid *id,
		      uint32_t *pos);
void pack_oid_at(const struct pack *p, uint32_t pos, silo_oid *out);
uint64_t pack_offset_at(const struct pack *p, uint32_t pos);
uint32_t pack_crc_at(const struct pack *p, uint32_t pos);

/* The header of the entry at an offset. */
struct pack_entry {
	int type;		/* 1..4, or PACK_OFS_DELTA / PACK_REF_DELTA */
	uint64_t size;		/* inflated size of the data that follows */
	uint64_t data;		/* offset of the zlib data */
	uint64_t base;		/* for deltas: offset of the base */
};
int pack_entry_at(const struct pack *p, uint64_t offset, struct pack_entry *e);

/* SILO_ECORRUPT, with a message naming P, the entry at OFF and WHAT is
 * wrong with it. */
int pack_corrupt_at(const struct pack *p, uint64_t off, const char *what);

/* The type and size of the object at OFFSET, from entry headers alone:
 * for a delta, its result's size and the type at the end of its chain. */
int pack_object_info(const struct pack *p, uint64_t offset, int *type, uint64_t *size);

/* One step of a walk from the delta at START down to its base: the
 * delta entry E at OFFSET appended to *CHAIN (N links, ALLOC room;
 * owned by the caller: free()).  A chain longer than the pack has
 * objects loops (only REF_DELTA can), and is SILO_ECORRUPT. */
struct pack_chain_link {
	uint64_t offset;
	struct pack_entry e;
};
int pack_chain_push(const struct pack *p, uint64_t start, struct pack_chain_link **chain,
		    size_t *n, size_t *alloc, uint64_t offset, const struct pack_entry *e);

/* Inflate the data of entry E at OFFSET whole into *out (owned by the
 * caller: free()); SILO_ECORRUPT names the pack, offset and problem. */
int pack_inflate_entry(const struct pack *p, uint64_t offset,
		       const struct pack_entry *e, unsigned char **out);

/*
 * Delta objects whose result is larger than this are read through
 * pack_big_delta_open() (pack-bigdelta.c): the chain is resolved through
 * temporary files in $TMPDIR (default /var/tmp), and the last delta is
 * applied as the object is read, so memory stays bounded whatever the
 * object's size.  Smaller ones are resolved in memory (pack_read()).
 */
#define PACK_BIG_DELTA (32u << 20)

/* The size of the result of the delta entry E, from its header. */
int pack_delta_result_size(const struct pack *p, const struct pack_entry *e,
			   uint64_t *size);

struct pack_big_delta;
/* Open the delta object at OFFSET: its type and size in *type, *size;
 * *out owned by the caller: pack_big_delta_free(). */
int pack_big_delta_open(struct pack_big_delta **out, struct pack *p, uint64_t offset,
			int *type, uint64_t *size);
/* The next up to LEN bytes of the object (not hashed); *got 0 at the end. */
int pack_big_delta_read(struct pack_big_delta *bd, unsigned char *buf, size_t len,
			size_t *got);
void pack_big_delta_free(struct pack_big_delta *bd);	/* NULL is allowed */

/*
 * Where an entry ends, its entries taken in offset order: where the next
 * one starts (NEXT_OFFSET, when HAS_NEXT), or for the last entry where
 * the pack's trailing checksum (RAWSZ bytes of a PACK_SIZE-byte pack)
 * begins.
 */
static inline uint64_t pack_entry_end(int has_next, uint64_t next_offset,
				      uint64_t pack_size, size_t rawsz)
{
	return has_next ? next_offset : pack_size - rawsz;
}

/*
 * A bounded cache of inflated objects keyed by pack and offset, so that
 * resolving delta chains does not inflate the same base again and again.
 * One per thread.
 */
struct pack_cache;
int pack_cache_new(struct pack_cache **out, size_t limit_bytes);
void pack_cache_free(struct pack_cache *c);	/* NULL is allowed */

/*
 * The object at OFFSET, deltas resolved.  *data is valid until the next
 * call with cache C; the caller frees it only if *owned is set.
 */
int pack_read(struct pack *p, struct pack_cache *c, uint64_t offset,
	      int *type, const unsigned char **data, size_t *size, int *owned);

/* A stream of the object at OFFSET of P, checked against ID. */
int pack_stream_open(silo_stream **out, struct pack *p, struct pack_cache *c,
		     uint64_t offset, const silo_oid *id);

/*
 * The packs of a silo (pack-source.c): the set its pack source reads,
 * which repack uses directly (s->packs).
 */
struct pack_set {
	char *root;		/* the silo root, as given */
	char *pack_dir;		/* root + "/pack" */
	int format;
	struct pack **v;	/* sorted by relpack */
	size_t n, alloc;
	int loaded;
	int error;		/* code of a pack that could not be opened */
	char *error_msg;
	struct pack_cache *cache;
};

/*
 * Load the packs of PS on first use; with RESCAN, pack/ is read again
 * for packs that appeared since (a repack may have just moved an object
 * there).  A pack whose files are damaged is left out, and the first
 * such failure is kept in ps->error and ps->error_msg, so that a lookup
 * that finds nothing can name it.
 */
int pack_set_load(struct pack_set *ps, int rescan);

/* Find ID in the loaded packs: 1 and *pack / *offset set, or 0. */
int pack_set_find(struct pack_set *ps, const silo_oid *id, struct pack **pack,
		  uint64_t *offset);

/*
 * ID is wanted again (stored once more, or named by a new tree): make
 * the pack of PS holding it young again, since prune spares young packs
 * and keeps one made young while it rewrites it (silo-prune(1)).  1 and
 * *pack set when a pack holds it, 0 when none does, or the one that did
 * went just now (a prune removed it: the caller writes ID again).  A
 * pack whose time cannot be changed (another user's) is still there: 1.
 */
int pack_set_freshen(struct pack_set *ps, const silo_oid *id, struct pack **pack);

/* pack_drop_pages() for every pack of PS: for a repack that has copied
 * what it needs into its spool. */
void pack_set_drop_pages(struct pack_set *ps);

/* Close the packs of PS, to be loaded again on next use. */
void pack_set_close(struct pack_set *ps);

/* Rewrite pack/packs, the list a static server offers its readers, from
 * the packs in pack/ (pack-list.c). */
int silo__pack_list_write(silo *s);

/*
 * The stored size of every entry of P, by index position, in *OUT (owned
 * by the caller): the distance to the next entry in offset order, the
 * trailer ending the last.  What removing the entry would give back.
 */
int pack_entry_sizes(uint64_t **out, const struct pack *p);
/* pack/pack-<hex>.moved, written by silo repack -d when it removes pack
 * pack-<hex>: one line, the name ("pack-<hex>") of the pack holding its
 * objects now (silo-layout(5)). */
#define PACK_MOVED_SUFFIX ".moved"
/* The names ("pack-<hex>.pack") of the packs in pack/ whose index is in
 * place, sorted: what pack/packs lists.  *names is the caller's (each
 * name and the array). */
int pack_list_names(silo *s, char ***names, size_t *n);

/* Is NAME (in pack/) "pack-<hex>.<ext>" for FORMAT?  Returns 1 or 0. */
int pack_name_is(const char *name, int format, const char *ext);

#endif
