/*
 * medo's operations: storing a directory or file in a silo and writing
 * its treeptr, turning treeptrs back into trees on disk, checking trees
 * on disk against their treeptrs, and listing what treeptrs reference.
 *
 * The silos of a treeptr are those of its SILO.json (silo/silojson.h),
 * or the one a --silo option names.  Reading tries them in order, local
 * ones directly and http(s) ones through the local cache; an entry that
 * cannot be used (missing, not a silo, unreachable, an HTTP error) is
 * reported through the options' on_warning and skipped.  One that cannot
 * be opened is remembered for the rest of the process: it is not tried
 * again, nor reported again.  Writing goes to the first local silo.
 *
 * Each call is independent; different calls may run in different
 * threads at once.
 */
#ifndef SILO_MEDO_H
#define SILO_MEDO_H

#include "silo/common.h"

#include <stddef.h>
#include <stdint.h>
#include "silo/oid.h"
#include "silo/store.h"
#include "silo/treeptr.h"

/*
 * The packs of the silo at LOCATION (a directory, or the URL of a silo
 * served over HTTP when IS_URL) that hold now the objects the packs
 * NAMES (N of them, "pack-<hex>" of id FORMAT, as a treeptr of kind tree
 * lists them) held: a pack removed by silo repack -a -d is replaced by the packs its
 * pack/<name>.moved names, followed again when those are gone in turn
 * (at most 64 names in all); a pack with no such file is kept.  Over
 * HTTP one small request per name (the .moved file, if any).  On
 * success *out holds *n_out names, each and the array the caller's
 * (silo_medo_list_free()); a transfer that fails is SILO_ENET.
 */
SILO_EXTERN int silo_medo_packs_now(char ***out, size_t *n_out, const char *location, int is_url,
				    int format, char *const *names, size_t n);

/* Where to send a warning that does not stop the work. */
typedef void (*silo_medo_warn_fn)(void *payload, const char *message);

/*
 * Open the silo that holds ID, of SIZE bytes (UINT64_MAX: not known),
 * trying the silos of TREEPTR_PATH's SILO.json (or SILO_OPTION if not
 * NULL) in order.  None holding it is SILO_ENOTFOUND.  A silo read over
 * HTTP is chosen only once the object is in its cache, fetched and
 * verified (silo_fetch_object()), so that a server that lacks it or
 * offers a damaged copy (or one of another size) is skipped for the next
 * silo.  *out is owned by the caller: silo_free().
 */
SILO_EXTERN int silo_medo_open_reading(silo **out, const char *treeptr_path,
			   const char *silo_option, const silo_oid *id, uint64_t size,
			   silo_medo_warn_fn warn, void *payload);

/*
 * The same for the treeptr TP: for a treeptr of kind tree, a silo over
 * HTTP is asked for the packs TP names before any other, and its tree
 * section (tree objects and size table) is brought into the cache in
 * one range request.
 */
struct silo_treeptr;
SILO_EXTERN int silo_medo_open_treeptr(silo **out, const char *treeptr_path,
			   const char *silo_option, const struct silo_treeptr *tp,
			   silo_medo_warn_fn on_warning, void *payload);

/* The same, for a reader of single tree objects (medo diff): for kind
 * tree no tree section is fetched, and the silo chosen is one that has
 * the root tree (looked up in the indexes of the packs TP names). */
SILO_EXTERN int silo_medo_open_tree_objects(silo **out, const char *treeptr_path,
				const char *silo_option, const struct silo_treeptr *tp,
				silo_medo_warn_fn on_warning, void *payload);

/* Open the first local silo of TREEPTR_PATH's SILO.json, or SILO_OPTION;
 * *out is owned by the caller: silo_free(). */
SILO_EXTERN int silo_medo_open_writing(silo **out, const char *treeptr_path,
			   const char *silo_option);

/* Progress of one tree: FILES (0 if not known), BYTES done of TOTAL
 * (0 if not known). */
typedef void (*silo_medo_bytes_fn)(void *payload, uint64_t files, uint64_t bytes,
				   uint64_t total);

/* ---- add ---- */

struct silo_medo_add_options {
	const char *silo;	/* a silo to use instead of SILO.json's */
	int opaque;		/* store a file as one opaque object */
	int kind;		/* for a directory: SILO_TREEPTR_TAR (0 too)
				 * or SILO_TREEPTR_TREE */
	int force;		/* replace a treeptr that names other data */
	const char *note;	/* provenance: a free-form note, or NULL */
	const char *url;	/* provenance: where the data came from, or NULL */
	const char *tool;	/* provenance: "medo 0.1.0" */
	const char *sha256;	/* the file's expected sha256 (hex), or NULL:
				 * a mismatch stores nothing (SILO_ECORRUPT) */
	const char *integrity;	/* an SRI string (silo/integrity.h) the file
				 * must match, or NULL; recorded in the
				 * provenance.  A mismatch stores nothing. */
	const char *git_rev;	/* if set, SRC is a git repository (a path or
				 * a URL git clones) and what is stored is
				 * its tree at this commit, tag or branch,
				 * submodules included, as a directory of
				 * kind KIND; recorded in the provenance */
	/* A directory only: FILES in the tree, BYTES of TOTAL done over its
	 * passes (tar, compress, check); called on the calling thread, a
	 * few times a second at most; may be NULL. */
	silo_medo_bytes_fn on_bytes;
	void *payload;
};

/* What silo_medo_add() did. */
enum silo_medo_add_result {
	SILO_MEDO_ADD_WRITTEN = 0,	/* the treeptr was written */
	SILO_MEDO_ADD_UNCHANGED = 1	/* it already named the same data */
};

/*
 * Store SRC, a directory (as a tar written by silo_tree_tar), an archive
 * (kept byte for byte), with opts->opaque any file, or with
 * opts->git_rev a git repository's tree at a commit, in the silo, and
 * write the treeptr at TREEPTR_PATH.  The object is durable before the
 * treeptr is written.  An existing treeptr naming the same data is left
 * as it is; one naming other data is SILO_EEXISTS unless opts->force, and
 * then rewritten keeping its unknown fields.  *out (may be NULL) receives
 * the treeptr, to be released by the caller.  Returns a value of enum
 * silo_medo_add_result or a negative error.
 */
SILO_EXTERN int silo_medo_add(struct silo_treeptr *out, const char *src,
		  const char *treeptr_path, const struct silo_medo_add_options *opts);

/* ---- expand ---- */

struct silo_sshsig_signers;

struct silo_medo_expand_options {
	const char *silo;	/* a silo to use instead of SILO.json's */
	/* If set, the treeptr's signature (TREEPTR.sig) must verify against
	 * these allowed signers: checked over the very bytes then parsed
	 * (silo_medo_treeptr_load_signed()), so that a treeptr replaced
	 * between a check and the expansion cannot slip through. */
	const struct silo_sshsig_signers *signers;
	int force;		/* replace a destination holding something else */
	silo_medo_warn_fn on_warning;
	/* silo_medo_expand_dir() only: called as treeptrs are done, from
	 * worker threads, one at a time; may be NULL. */
	void (*on_progress)(void *payload, uint64_t done, uint64_t total);
	/* silo_medo_expand() only: bytes of the object read and written
	 * out, of its size; called on the calling thread; may be NULL. */
	silo_medo_bytes_fn on_bytes;
	void *payload;
	/* silo_medo_expand() only, for a tree: write only the N_PATHS
	 * PATHS (paths of the tree and shell globs; a directory means all
	 * below it), and record them in DEST/.medo-partial.json. */
	const char *const *paths;
	size_t n_paths;
	/* Read silos over HTTP(S) through a cache of this expansion's own,
	 * in its staging directory and removed with it: the shared cache
	 * is neither read nor written. */
	int no_cache;
};

enum silo_medo_expand_result {
	SILO_MEDO_EXPANDED = 0,		/* written */
	SILO_MEDO_PRESENT = 1,		/* DEST already held it: verified, untouched */
	SILO_MEDO_REPLACED = 2		/* DEST held something else; replaced (force) */
};

/*
 * Make DEST hold what the treeptr at TREEPTR_PATH names.  The object is
 * read and verified while it is extracted into a staging directory beside
 * DEST (".tmp-<name>-XXXXXX"), its tree id compared with the treeptr's,
 * and only then renamed into place.  A DEST holding the right tree is
 * left untouched; one holding something else (other than an empty
 * directory) is SILO_EEXISTS unless opts->force.  On any failure DEST is
 * as it was.  Returns a value of enum silo_medo_expand_result or a
 * negative error.
 */
SILO_EXTERN int silo_medo_expand(const char *treeptr_path, const char *dest,
		     const struct silo_medo_expand_options *opts);

/*
 * Every treeptr below MEDO_DIR, as paths relative to it, sorted.  *out is
 * an array of *count strings owned by the caller: silo_medo_list_free().
 */
SILO_EXTERN int silo_medo_find_treeptrs(char ***out, size_t *count, const char *medo_dir);
SILO_EXTERN void silo_medo_list_free(char **list, size_t count);

/*
 * The destination of treeptr REL (a path relative to a medo directory)
 * below DEST: DEST/REL without ".treeptr".  Owned by the caller.
 */
SILO_EXTERN char *silo_medo_dest_for(const char *dest, const char *rel);

/*
 * Expand every treeptr below MEDO_DIR into DEST with JOBS threads (0: one
 * per CPU).  Each is independent: a failure does not stop the others.
 * ON_RESULT is called once per treeptr, from the calling thread, in path
 * order, with its relative path and the result of silo_medo_expand()
 * (MESSAGE is the error message when RESULT is negative).  Returns the
 * number of failures, or a negative error when the work could not start.
 */
SILO_EXTERN int silo_medo_expand_dir(const char *medo_dir, const char *dest, int jobs,
			 const struct silo_medo_expand_options *opts,
			 void (*on_result)(void *payload, const char *rel, int result,
					   const char *message),
			 void *payload);

/* ---- verify ---- */

/* Differences beyond those of enum silo_tree_change. */
#define SILO_MEDO_MISSING 100	/* the destination does not exist */
#define SILO_MEDO_DIFFERS 101	/* differs; the paths are not known (no silo) */

struct silo_medo_verify_options {
	const char *silo;	/* a silo to use instead of SILO.json's */
	const struct silo_sshsig_signers *signers;	/* as for expand */
	/* Called for each difference: a value of enum silo_tree_change with
	 * the path below DIR (relative, with DIR in front), or one of the
	 * SILO_MEDO_* above with DIR itself. */
	void (*on_diff)(void *payload, int change, const char *path);
	silo_medo_warn_fn on_warning;
	void *payload;
};

/*
 * Compare DIR (a file, for opaque treeptrs) with the treeptr at
 * TREEPTR_PATH.  Returns 0 when they are equal and SILO_EDIFFERS when not,
 * after reporting what differs: the paths, when the object is in a silo
 * at hand to list; otherwise SILO_MEDO_DIFFERS.
 */
SILO_EXTERN int silo_medo_verify(const char *treeptr_path, const char *dir,
		     const struct silo_medo_verify_options *opts);

/*
 * Read the treeptr at PATH once, check its signature PATH.sig against
 * SIGNERS over the bytes read, and parse those same bytes into TP (which
 * the caller releases).  With SIGNERS NULL, silo_treeptr_load().
 */
SILO_EXTERN int silo_medo_treeptr_load_signed(struct silo_treeptr *tp,
				  const struct silo_sshsig_signers *signers,
				  const char *path);

#endif
