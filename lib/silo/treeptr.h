/*
 * Tree pointers: the small JSON files (.treeptr) that name a silo object
 * and say what it is and where it came from (Documentation/treeptr.5.scd).
 *
 *	struct silo_treeptr tp = SILO_TREEPTR_INIT;
 *	silo_treeptr_load(&tp, "deps/x.treeptr");	strict: names file and field
 *	  ... tp.kind, tp.object, tp.size, tp.tree ...
 *	silo_treeptr_set_provenance(&tp, "note", "rebuilt");
 *	silo_treeptr_save(&tp, "deps/x.treeptr");	atomic, byte-stable
 *	silo_treeptr_release(&tp);
 *
 * A treeptr read from a file keeps every field it had, known or not, so
 * that rewriting it loses nothing a newer tool wrote.  Written text is
 * stable: sorted keys, two-space indent, a final newline; the same content
 * always gives the same bytes.
 */
#ifndef SILO_TREEPTR_H
#define SILO_TREEPTR_H

#include "silo/common.h"

#include <stddef.h>
#include <stdint.h>
#include "silo/oid.h"

/* The format version this library writes and the newest it reads. */
#define SILO_TREEPTR_VERSION 1

/* The file name suffix of tree pointers. */
#define SILO_TREEPTR_SUFFIX ".treeptr"

enum silo_treeptr_kind {
	SILO_TREEPTR_TAR = 1,	/* "tar": a tar written by medo */
	SILO_TREEPTR_ARCHIVE,	/* "archive": an upstream archive, byte for byte */
	SILO_TREEPTR_OPAQUE,	/* "opaque": a file written as is */
	SILO_TREEPTR_TREE,	/* "tree": git tree and blob objects in packs;
				   object is the tree's size table */
	SILO_TREEPTR_IMAGE	/* "image": a docker-archive or OCI archive,
				   its layers stored as trees; object is its
				   image record (treeptr(5)) */
};

/* "tar", "archive", "opaque", "tree", "image" (static strings); NULL for anything else. */
SILO_EXTERN const char *silo_treeptr_kind_name(int kind);
/* The kind named NAME, or 0. */
SILO_EXTERN int silo_treeptr_kind_from_name(const char *name);

struct silo_treeptr {
	int kind;		/* enum silo_treeptr_kind */
	silo_oid object;	/* the silo object; its format is the treeptr's */
	uint64_t size;		/* the object's size in bytes */
	silo_oid tree;		/* git tree id of the unpacked tree; for
				   kind image the tree of all it keeps;
				   unset (format 0) for opaque objects */
	void *doc;		/* private: the whole JSON document */
};

#define SILO_TREEPTR_INIT { 0, { 0, { 0 } }, 0, { 0, { 0 } }, NULL }

/* 1 if the treeptr names a tree (kind tar, archive or tree). */
SILO_EXTERN int silo_treeptr_is_tree(const struct silo_treeptr *tp);

/*
 * Parse LEN bytes of TEXT; NAME (a file name) starts every message.
 * Anything malformed is SILO_EINVALID with a message naming NAME, the
 * field and what was expected.  On success *tp owns its document:
 * silo_treeptr_release(); on failure it is left released.
 */
SILO_EXTERN int silo_treeptr_parse(struct silo_treeptr *tp, const char *text, size_t len,
		       const char *name);

/* Read and parse the file at PATH.  A missing file is SILO_ENOTFOUND. */
SILO_EXTERN int silo_treeptr_load(struct silo_treeptr *tp, const char *path);

/*
 * The text of TP: its document with the known fields set from the struct.
 * On success *out is owned by the caller (free()).
 */
SILO_EXTERN int silo_treeptr_format(char **out, const struct silo_treeptr *tp);

/* Write TP to PATH atomically: a temporary file beside it, then rename. */
SILO_EXTERN int silo_treeptr_save(const struct silo_treeptr *tp, const char *path);

/*
 * Provenance: a JSON object of where the data came from.  Values set
 * here are strings; a NULL VALUE removes KEY.  silo_treeptr_provenance()
 * returns the string value of KEY or NULL (owned by TP).
 */
SILO_EXTERN int silo_treeptr_set_provenance(struct silo_treeptr *tp, const char *key,
				const char *value);
SILO_EXTERN const char *silo_treeptr_provenance(const struct silo_treeptr *tp, const char *key);

/* Forget all provenance (before recording new provenance). */
SILO_EXTERN int silo_treeptr_clear_provenance(struct silo_treeptr *tp);

/*
 * The packs a treeptr of kind tree was written to ("pack-<hex>", without
 * directory or extension): the number of them, and the I-th (borrowed
 * from TP).  silo_treeptr_set_packs() replaces the list with a copy of
 * the N names of PACKS.
 */
SILO_EXTERN size_t silo_treeptr_n_packs(const struct silo_treeptr *tp);
SILO_EXTERN const char *silo_treeptr_pack(const struct silo_treeptr *tp, size_t i);
SILO_EXTERN int silo_treeptr_set_packs(struct silo_treeptr *tp, char *const *packs, size_t n);

/*
 * The attribute record of a treeptr of kind tree (fields "attrs" and
 * "attrs-size", treeptr(5)): 1 and *id and *size set, or 0 when it has
 * none (a treeptr written before records were).
 * silo_treeptr_set_attrs() sets them (ID NULL: removes them).
 */
SILO_EXTERN int silo_treeptr_attrs(const struct silo_treeptr *tp, silo_oid *id, uint64_t *size);
SILO_EXTERN int silo_treeptr_set_attrs(struct silo_treeptr *tp, const silo_oid *id, uint64_t size);

/* 1 if A and B name the same data: kind, object, size, tree and
 * attribute record. */
SILO_EXTERN int silo_treeptr_same_data(const struct silo_treeptr *a, const struct silo_treeptr *b);

SILO_EXTERN void silo_treeptr_release(struct silo_treeptr *tp);

#endif
