/*
 * A tree named by a treeptr, opened for lookups, listings and reads of
 * single files: what medo ls, medo cat, medo diff and medo mount share.
 *
 *	silo_medo_tree *t;
 *	silo_medo_tree_open(&t, "x.treeptr", NULL, NULL, NULL);
 *	silo_medo_tree_lookup(t, "sub/file", &node);
 *	silo_medo_tree_list(t, dir_node, cb, payload);
 *	silo_medo_tree_cat(t, node, fd, "stdout");
 *	silo_medo_tree_free(t);
 *
 * For kind tree only the tree section (tree objects and size table) is
 * read on open, and one blob per file read.  For kinds tar and archive
 * the object is read whole to list it, and again to read a file.
 *
 * Nodes are numbers: 0 is the root directory, 1..n_dirs-1 the other
 * directories in path order, then the leaves (files and symlinks) in path
 * order.  A handle is used by one thread at a time.
 */
#ifndef SILO_MEDO_TREE_H
#define SILO_MEDO_TREE_H

#include "silo/common.h"

#include <stddef.h>
#include <stdint.h>
#include "silo/oid.h"
#include "silo/medo.h"
#include "silo/store.h"
#include "silo/tree.h"
#include "silo/treeptr.h"

typedef struct silo_medo_tree silo_medo_tree;

struct silo_medo_tree_node {
	const char *path;	/* "" for the root */
	const char *name;	/* the last component */
	unsigned mode;		/* 040000 for a directory, else SILO_MODE_* */
	silo_oid id;		/* tree or blob id */
	uint64_t size;		/* leaves: content size; directories: 0 */
	size_t node;		/* its number */
};

/* Open the tree TREEPTR_PATH names, from SILO_OPTION or its SILO.json
 * (silo_medo_open_treeptr()).  *out owned: silo_medo_tree_free(). */
SILO_EXTERN int silo_medo_tree_open(silo_medo_tree **out, const char *treeptr_path,
			const char *silo_option, silo_medo_warn_fn on_warning,
			void *payload);
SILO_EXTERN void silo_medo_tree_free(silo_medo_tree *t);	/* NULL is allowed */

/* The same for a treeptr given as LEN bytes of TEXT (a version of git
 * history), NAME in messages, with the silos of the SILO.json that
 * applies to the path WHERE. */
SILO_EXTERN int silo_medo_tree_open_text(silo_medo_tree **out, const char *name, const char *text,
					 size_t len, const char *where, const char *silo_option,
					 silo_medo_warn_fn on_warning, void *payload);

/* The same, for silo_medo_tree_diff() only (nothing else may be asked
 * of it): for kind tree nothing is read on open, and tree objects are
 * read one by one as the walk needs them (over HTTP, one range request
 * each, no tree section). */
SILO_EXTERN int silo_medo_tree_open_objects(silo_medo_tree **out, const char *treeptr_path,
				const char *silo_option, silo_medo_warn_fn on_warning,
				void *payload);

/* What differs between the trees of A and B: CB(PAYLOAD, WHAT, PATH) for
 * each leaf, in path order, WHAT one of "added", "removed", "changed"
 * (another blob) and "mode" (the same blob; or, when both have an
 * attribute record, other permission bits, of a directory too; and
 * directories holding no file are "added" and "removed" as well).
 * Subtrees with equal ids are skipped unread, and no blob is read.  A non-zero return of CB
 * stops and is returned. */
typedef int silo_medo_tree_diff_fn(void *payload, const char *what, const char *path);
SILO_EXTERN int silo_medo_tree_diff(silo_medo_tree *a, silo_medo_tree *b, silo_medo_tree_diff_fn *cb,
			void *payload);

/* The treeptr (borrowed). */
SILO_EXTERN const struct silo_treeptr *silo_medo_tree_treeptr(const silo_medo_tree *t);
/* All leaves, in path order, with sizes (borrowed). */
SILO_EXTERN const struct silo_tree_list *silo_medo_tree_leaves(const silo_medo_tree *t);

/*
 * The permission bits of node N as medo expand writes them (before the
 * umask): for kind tree with an attribute record, what it records; else
 * what git's normalisation gives (0644, 0755 for executables and
 * directories, 0777 for symlinks).  Directories holding no file, which
 * only the record knows, are nodes too (of the empty tree's id).
 */
SILO_EXTERN unsigned silo_medo_tree_perm(const silo_medo_tree *t, size_t n);
/* The attribute record of T (borrowed), or NULL when its treeptr has none. */
SILO_EXTERN const struct silo_tree_attrs *silo_medo_tree_attrs(const silo_medo_tree *t);

/* Number of nodes; node N (borrowed, valid while T lives). */
SILO_EXTERN size_t silo_medo_tree_count(const silo_medo_tree *t);
SILO_EXTERN int silo_medo_tree_node(const silo_medo_tree *t, size_t n, struct silo_medo_tree_node *out);

/* The node of PATH ("" or "." for the root, no leading '/'): 0 and *out
 * set, or SILO_ENOTFOUND with a message naming PATH. */
SILO_EXTERN int silo_medo_tree_lookup(const silo_medo_tree *t, const char *path,
			  struct silo_medo_tree_node *out);

/* The entry NAME (NLEN bytes) of directory node DIR: 0 and *out, or
 * SILO_ENOTFOUND (no message: a lookup that fails is common). */
SILO_EXTERN int silo_medo_tree_child(const silo_medo_tree *t, size_t dir, const char *name,
			 size_t nlen, struct silo_medo_tree_node *out);

/* Call CB for each entry of directory node DIR, in git's order; a
 * non-zero return stops and is returned. */
SILO_EXTERN int silo_medo_tree_list(const silo_medo_tree *t, size_t dir,
			int (*cb)(void *payload, const struct silo_medo_tree_node *e),
			void *payload);

/* Write the content of leaf node N to FD (NAME in messages), verified:
 * for kind tree its blob (fetched into the cache over HTTP). */
SILO_EXTERN int silo_medo_tree_cat(silo_medo_tree *t, size_t n, int fd, const char *name);

/* The first LEN bytes (or fewer, *got) of the object of a tree of kind
 * tar or archive: what the archive is (gzip, xz, zip...). */
SILO_EXTERN int silo_medo_tree_head(silo_medo_tree *t, unsigned char *buf, size_t len, size_t *got);

/* For kinds tar and archive: the content of every leaf, read from the
 * object in one pass (verified at its end) and written one after the
 * other to FD from its current offset, which must be 0.  OFFSETS (one per
 * node, silo_medo_tree_count()) receives where each leaf's content
 * starts; it is as long as the leaf's size.  So that files are read
 * from an archive once, not once each.  SILO_EINVALID for kind tree. */
SILO_EXTERN int silo_medo_tree_cat_all(silo_medo_tree *t, int fd, uint64_t *offsets);

#endif
