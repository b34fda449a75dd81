/*
 * Writing a pack of objects held in memory or in the files of a
 * directory (tree-pack.c), for the tree kind and for the tree sections a
 * reader over HTTP keeps in its cache (remote-pack.c).
 */
#ifndef SILO_TREE_PACK_INTERNAL_H
#define SILO_TREE_PACK_INTERNAL_H

#include "store-internal.h"

#include <stddef.h>
#include <stdint.h>

struct tp_obj {
	silo_oid id;
	int type;		/* SILO_OBJ_* */
	unsigned char *data;	/* in memory: owned (freed by the writer's
				   caller); NULL: leaf LEAF of a directory */
	size_t len;
	size_t leaf;
	uint64_t offset;	/* set when written */
	uint32_t crc;
};

/*
 * Write the N objects of V (each with DATA, ids distinct) in this order,
 * undeltified, into one new pack of S with its index; pack/packs is
 * rewritten.  V is sorted by id on return; its data stays the caller's.
 */
int pack_write_objects(silo *s, struct tp_obj *v, size_t n);

/* silo_tree_load(), with every tree object passed to SINK (parents
 * before children, in path order; PATH without a trailing '/'). */
struct tree_object_sink;
struct silo_tree_list;
int tree_load_objects(struct silo_tree_list *out, silo *s, const silo_oid *root,
		      const silo_oid *sizes, uint64_t sizes_len,
		      const struct tree_object_sink *sink);

/* The size table ID of S, of DECLARED bytes (UINT64_MAX: any), parsed:
 * *count sizes in *sizes (owned, free()). */
/* Blob ID of S, of SIZE bytes (at most 256 MiB), read whole and
 * verified: *data (owned, free()) of *len bytes; WHAT names it. */
int tree_blob_read(unsigned char **data, size_t *len, silo *s, const silo_oid *id,
		   uint64_t size, const char *what);

int tree_sizes_read(uint64_t **sizes, size_t *count, silo *s, const silo_oid *id,
		    uint64_t declared);

#endif
