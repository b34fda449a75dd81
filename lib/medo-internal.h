/*
 * What medo's operations (medo-add.c, medo-expand.c, medo-verify.c)
 * share inside the library: the blob id of a file on disk and a silo
 * stream read as a byte source.  The formats (treeptr.c, silojson.c)
 * need none of it.
 */
#ifndef SILO_MEDO_INTERNAL_H
#define SILO_MEDO_INTERNAL_H

#include <stddef.h>
#include "silo/oid.h"
#include "silo/store.h"
#include "silo/medo.h"

/* The blob id of the regular file PATH, in FORMAT. */
int medo_file_blob_id(silo_oid *out, int format, const char *path);

/*
 * A silo stream as a silo_read_fn.  A stream's last read verifies the
 * object and may not be repeated, while a reader such as libarchive may
 * or may not read to the end: medo_reader_finish() reads what is left,
 * once, so that every object is verified exactly once.
 */
struct medo_reader {
	silo_stream *st;
	int ended;
	/* optional: told the bytes read so far, plus BASE, of TOTAL */
	silo_medo_bytes_fn on_bytes;
	void *payload;
	uint64_t files, base, read, total;
};
int medo_reader_read(void *payload, const void **data, size_t *len);
int medo_reader_finish(struct medo_reader *src);

/* The names of the packs TP names ("pack-<hex>"), *n of them, in an
 * array the caller frees (the names are borrowed from TP); NULL when out
 * of memory. */
struct silo_treeptr;
char **medo_treeptr_packs(const struct silo_treeptr *tp, size_t *n);

/* Tell S what TP (of kind tree) knows of its objects (medo-silo.c):
 * the packs it names, searched first, and with SECTION its tree section
 * (its tree objects and size table), brought in one request unless its
 * root tree is held already (silo_prefetch(); nothing for a local
 * silo). */
int medo_prefetch_tree(silo *s, const struct silo_treeptr *tp, int section);

/*
 * Why the silo at LOCATION cannot be used, into BUF: MSG (an error
 * message about it), without the "'LOCATION' " it starts with when it does, so
 * that a message naming the silo names it once, in one form ("skipping
 * silo 'x.silo' of 'm/SILO.json': does not exist").
 */
void medo_silo_why_not(char *buf, size_t size, const char *location, const char *msg);

/* ---- a git repository at a commit (medo-add-git.c) ---- */

/*
 * The tree of a git repository at a commit, its submodules checked out
 * at the commits it records (recursively), in a temporary directory,
 * without the .git files and directories, every file's time the
 * commit's and its permissions 0644 or 0755: the same tree and tar from
 * any clone.
 */
struct medo_git_tree {
	char *tmp;		/* the temporary directory, removed on release */
	char *dir;		/* the tree, below TMP */
	char *rev;		/* the revision asked for */
	const char *path;	/* the directory of the tree asked for, or NULL */
	char commit[SILO_OID_MAX_HEXSZ + 1];	/* REV resolved */
	char *submodules;	/* "<commit> <path>" lines, or NULL if none */
};

/* Check REPO out at SPEC, REV or REV:PATH (REV a commit, tag or branch,
 * PATH a directory of its tree that G->dir then names) into *G; a rev
 * REPO does not have, a submodule commit that cannot be fetched or a
 * missing PATH is SILO_ENOTFOUND naming REPO and REV. */
int medo_git_checkout(struct medo_git_tree *g, const char *repo, const char *spec);

/* Remove G's directory and free it. */
void medo_git_tree_release(struct medo_git_tree *g);

/* ---- the tree kind (medo-tree-write.c) ---- */

struct silo_treeptr;
struct silo_tree_entry;

struct silo_tree_list;
struct silo_tree_attrs;

/*
 * Whether the directory DIR holds the tree of TP (a tree of any kind), as
 * medo expand writes it under the process's umask: its tree id and, for a
 * treeptr with an attribute record, the id of the record its modes and
 * empty directories make.  That is the treeptr's record, with no silo
 * read, unless the umask takes bits from what it records: then the record
 * is read from the silo of TREEPTR_PATH (or SILO_OPTION) and each mode
 * compared less the umask (silo_tree_attrs_expanded()).  1 if it does, 0
 * if not; DISK and ATTRS (may be NULL; initialised) receive what DIR
 * holds.
 */
int medo_dir_matches(const struct silo_treeptr *tp, const char *dir, const char *treeptr_path,
		     const char *silo_option, struct silo_tree_list *disk,
		     struct silo_tree_attrs *attrs);

/* ---- partial expansions (medo-partial.c) ---- */

/* What a partial expansion records in its destination. */
#define MEDO_PARTIAL_RECORD ".medo-partial.json"

/* The paths asked for: literal paths and shell globs (fnmatch(3) with
 * FNM_PATHNAME and FNM_PERIOD), normalised; USED marks those that
 * matched something. */
struct medo_select {
	char **pats;
	size_t n;
	unsigned char *used;
};

/* SEL from the N PATHS (initialises SEL; released on failure): an
 * absolute path or a component git refuses ("..", ".git") is
 * SILO_EUNSAFE, a path naming the whole tree SILO_EINVALID. */
int medo_select_init(struct medo_select *sel, const char *const *paths, size_t n);
void medo_select_release(struct medo_select *sel);

/* 2 if a pattern matches PATH or a directory above it (marked used), 1
 * if PATH is a directory (IS_DIR) on the way to what a pattern may
 * match, else 0. */
int medo_select_match(struct medo_select *sel, const char *path, int is_dir);

/* SILO_ENOTFOUND naming the first pattern that matched nothing. */
int medo_select_check_used(const struct medo_select *sel, const char *treeptr_path);

/* The leaves of L and the records of A (may be NULL, then OUT_ATTRS is
 * left alone) SEL selects, copied into OUT and OUT_ATTRS (initialised;
 * the caller releases them even on failure). */
int medo_select_list(struct silo_tree_list *out, struct silo_tree_attrs *out_attrs,
		     const struct silo_tree_list *l, const struct silo_tree_attrs *a,
		     struct medo_select *sel);

/* Write DIR/.medo-partial.json: the tree TREE, expanded for SEL. */
int medo_partial_write_record(const char *dir, const silo_oid *tree,
			      const struct medo_select *sel);

/* 1 with *SEL (initialised, to release) and *TREE from DIR's record, 0
 * when DIR has none, negative on error (a malformed record:
 * SILO_EINVALID). */
int medo_partial_read_record(struct medo_select *sel, silo_oid *tree, const char *dir);

/* Whether DIR holds what SEL selects of TP's tree, as medo expand writes
 * it (with STRICT, and nothing else but the record): 1 if it does, 0 if
 * not (REPORT, may be NULL, told each difference with its path below
 * DIR; what SEL does not select is never reported).  Reads the listing of TP's object (kind
 * tree: its tree section) from the silo of TREEPTR_PATH or SILO_OPTION. */
int medo_partial_matches(const struct silo_treeptr *tp, const char *dir,
			 const char *treeptr_path, const char *silo_option,
			 struct medo_select *sel, int strict,
			 int (*report)(void *payload, int change, const char *path),
			 void *payload, silo_medo_warn_fn on_warning, void *warn_payload);

/* The listing of TP's object (for the tree kind, of its tree objects and
 * size table, and its attribute record into ATTRS), from a silo of
 * TREEPTR_PATH's SILO.json or SILO_OPTION (medo-verify.c). */
int medo_object_list(struct silo_tree_list *l, struct silo_tree_attrs *attrs,
		     const char *treeptr_path, const struct silo_treeptr *tp,
		     const char *silo_option, silo_medo_warn_fn on_warning, void *payload);

/* Write the tree TP (of kind tree) names at NEW_PATH, a directory that
 * does not exist yet, every object read from S verified.  TREEPTR_PATH
 * names the treeptr in messages; errors name the object and its path.
 * ON_BYTES (may be NULL) hears of the blobs fetched over HTTP (objects
 * and bytes received, no total), then of the files written (of the
 * tree's bytes). */
int medo_tree_write(silo *s, const struct silo_treeptr *tp, const char *new_path,
		    const char *treeptr_path, silo_medo_bytes_fn on_bytes, void *payload);

/* The same, only what SEL selects (NULL: everything), with the
 * directories on the way; a pattern that matches nothing is
 * SILO_ENOTFOUND before anything is written. */
int medo_tree_write_some(silo *s, const struct silo_treeptr *tp, const char *new_path,
			 const char *treeptr_path, struct medo_select *sel,
			 silo_medo_bytes_fn on_bytes, void *payload);

/* Write the leaf E (a file or symlink) from its blob in S at its path
 * below ROOTFD, the tree's root; FULL names it in messages.  A file is
 * created with PERM less the umask (-1: 0666, or 0777 for an executable,
 * less the umask). */
int medo_tree_blob_write(silo *s, const struct silo_tree_entry *e, int rootfd,
			 const char *full, int perm);

/* ---- images (medo-image.c) ---- */

/* Store the docker-archive or OCI archive PATH in S (layers as trees,
 * tar records, blobs; treeptr(5), kind image): TP's kind, object and
 * size are set, and SHA (65 bytes) gets the archive's sha256, which must
 * be WANT_SHA (hex) unless that is NULL (else SILO_ECORRUPT, nothing
 * stored).  The
 * archive is written again from S into a hash before this returns: it
 * must be the archive added. */
int medo_image_add(struct silo_treeptr *tp, silo *s, const char *path, const char *want_sha,
		   char sha[65]);

/* Write the archive TP (kind image) names at NEW_PATH, a file that does
 * not exist yet; its size and sha256 are checked, and each layer's. */
int medo_image_write(silo *s, const struct silo_treeptr *tp, const char *new_path,
		     const char *treeptr_path);

/* Into OUT (initialised, empty) the leaves of the root file system of
 * the first image of TP (kind image): its layers applied bottom first,
 * whiteouts (".wh.NAME", ".wh..wh..opq") honoured.  NAME in messages. */
int medo_image_rootfs(struct silo_tree_list *out, silo *s, const struct silo_treeptr *tp,
		      const char *name);

/* 1 if the file PATH has the sha256 TP's provenance records, else 0;
 * negative if it cannot be read. */
int medo_image_matches(const struct silo_treeptr *tp, const char *path);
/* 1 if the file PATH has the sha256 WANT (64 hex digits), else 0. */
int medo_file_sha256_is(const char *path, const char *want);

#endif
