/*
 * Trees stored as git objects (the "tree" kind of treeptr(5)): every
 * tree object of a directory, a size table and the blobs a silo lacks,
 * written into one new git pack; and read back.
 *
 *	struct silo_tree_pack_result r;
 *	silo_tree_pack_write(&r, s, "dir", &list);	list from silo_tree_list_dir()
 *	  ... r.root, r.sizes, r.packs ...
 *	silo_tree_pack_result_release(&r);
 *
 *	silo_tree_load(&list, s, &root, &sizes, sizes_len);	the leaves, with sizes
 *
 * The size table is a blob: one line per leaf, in the order of the
 * leaves (git ls-tree -r), its size in decimal (silo_tree_sizes_parse()).
 */
#ifndef SILO_TREE_PACK_H
#define SILO_TREE_PACK_H

#include "silo/common.h"

#include <stddef.h>
#include <stdint.h>
#include "silo/oid.h"
#include "silo/store.h"
#include "silo/tree.h"

struct silo_tree_pack_result {
	silo_oid root;		/* the root tree id */
	silo_oid sizes;		/* the size table blob */
	uint64_t sizes_len;	/* its size in bytes */
	char **packs;		/* "pack-<hex>" of every pack holding one of
				   the objects, sorted; owned */
	size_t n_packs;
	uint64_t trees;		/* tree objects written */
	uint64_t blobs;		/* blobs written */
	uint64_t reused;	/* blobs found in packs already */
	uint64_t pack_bytes;	/* size of the new pack */
};

SILO_EXTERN void silo_tree_pack_result_release(struct silo_tree_pack_result *r);

/*
 * Write the tree objects of L (the leaves of directory DIR, as
 * silo_tree_list_dir() gives them), then its size table, then the blobs
 * of L that no pack of S holds, in path order, into one new pack of S
 * with its index; pack/packs is rewritten.  Blobs are read from DIR
 * again and must still have the ids of L (else SILO_EIO: DIR changed).
 * Objects held only loose are written again, so that every object of
 * the tree is packed.  ON_BYTES (may be NULL) is called with PAYLOAD as
 * blobs are written: the leaves done, their bytes, of the bytes of all
 * the leaves (those found in packs count as done).
 */
SILO_EXTERN int silo_tree_pack_write(struct silo_tree_pack_result *res, silo *s, const char *dir,
				     const struct silo_tree_list *l,
				     void (*on_bytes)(void *payload, uint64_t files, uint64_t bytes,
						      uint64_t total),
				     void *payload);

/* The same, with ATTRS (ATTRS_LEN bytes; NULL: none), the tree's
 * attribute record (silo_tree_attrs_format()), written as a blob between
 * the tree objects and the size table. */
SILO_EXTERN int silo_tree_pack_write_attrs(struct silo_tree_pack_result *res, silo *s,
					   const char *dir, const struct silo_tree_list *l,
					   const void *attrs, size_t attrs_len,
					   void (*on_bytes)(void *payload, uint64_t files,
							    uint64_t bytes, uint64_t total),
					   void *payload);

/*
 * The attribute record ID of S, declared SIZE bytes (what the treeptr
 * says), read whole, verified and checked against TREE and L, its
 * leaves (silo_tree_attrs_parse(); L NULL: its form only), into OUT
 * (initialised; replaced on success).  Errors name the record.
 */
SILO_EXTERN int silo_tree_attrs_read(struct silo_tree_attrs *out, silo *s, const silo_oid *id,
				     uint64_t size, const silo_oid *tree,
				     const struct silo_tree_list *l);

/*
 * The leaves of the tree ROOT of S, read from its tree objects, with their
 * sizes from its size table SIZES, which must have SIZES_LEN bytes (what
 * the treeptr declares).  Every object read is verified; a missing or
 * damaged one is an error naming it and its path.  The walk is bounded
 * by the size table: a tree listing more leaves than its lines, or
 * fewer, or a directory with no leaf below it, is SILO_ECORRUPT at the
 * first excess; a name silo_tree_name_refused() refuses is SILO_EUNSAFE;
 * a path longer than 4096 bytes SILO_EINVALID; trees not as git writes
 * them SILO_ECORRUPT.  OUT must be initialised; the caller releases it.
 */
SILO_EXTERN int silo_tree_load(struct silo_tree_list *out, silo *s, const silo_oid *root,
		   const silo_oid *sizes, uint64_t sizes_len);

/* The size table SIZES of S, read whole and verified: *out (owned,
 * free()) holds its *n sizes, one per line.  Anything but lines of
 * decimal digits, or a table not DECLARED bytes long (UINT64_MAX: any
 * length), is SILO_ECORRUPT naming it. */
SILO_EXTERN int silo_tree_sizes_read(uint64_t **out, size_t *n, silo *s, const silo_oid *sizes,
			 uint64_t declared);

/* Read tree object ID of S (PATH names it in messages): *data (owned,
 * free()) of *len bytes, verified, of type tree.  Its entries are read
 * with silo_tree_iter_next() (silo/tree.h). */
SILO_EXTERN int silo_tree_object_read(unsigned char **data, size_t *len, silo *s,
			  const silo_oid *id, const char *path);

#endif
