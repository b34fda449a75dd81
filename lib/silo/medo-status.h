/*
 * medo status: what a destination holds compared with a medo directory,
 * and the removal of trees that no treeptr names any more.
 *
 *	struct silo_medo_status st = SILO_MEDO_STATUS_INIT;
 *	silo_medo_status(&st, "deps/derived.medo", "/wedge/pkg");
 *	  ... st.v[i].path, st.v[i].state ...
 *	  if (st.v[i].state == SILO_MEDO_STATE_EXTRA)
 *		silo_medo_remove_extra("/wedge/pkg", st.v[i].path);
 *	silo_medo_status_release(&st);
 *
 * How an expanded tree is recognised: silo_medo_expand_dir() records
 * what it expanded in DEST/.medo-expanded.json, each destination below
 * DEST with the tree id (for an opaque treeptr, the object id) it put
 * there or found there already.  A path no treeptr names is an expanded tree, which may be
 * removed, only when that record names it and what is there still has
 * the recorded id.  Anything else (a tree changed since, a file put there
 * by hand, a tree expanded one treeptr at a time) is reported and never
 * removed.  Two expansions into one DEST at once may lose each other's
 * record: then a tree is left in place, never removed by mistake.
 */
#ifndef SILO_MEDO_STATUS_H
#define SILO_MEDO_STATUS_H

#include "silo/common.h"

#include <stddef.h>

/* The record of expanded trees, in DEST. */
#define SILO_MEDO_RECORD ".medo-expanded.json"

enum silo_medo_state {
	SILO_MEDO_STATE_SAME = 1,	/* DEST holds what the treeptr names */
	SILO_MEDO_STATE_DIFFERS,	/* DEST holds something else there */
	SILO_MEDO_STATE_MISSING,	/* nothing there */
	SILO_MEDO_STATE_EXTRA,		/* a tree medo expanded, unchanged,
					 * that no treeptr names now */
	SILO_MEDO_STATE_OTHER,		/* anything else no treeptr names */
	SILO_MEDO_STATE_ERROR		/* the treeptr could not be read */
};

struct silo_medo_status_entry {
	char *path;	/* relative to DEST */
	char *treeptr;	/* relative to MEDO_DIR; NULL for EXTRA and OTHER */
	int state;	/* enum silo_medo_state */
	char *message;	/* for ERROR: why */
	int error;	/* for ERROR: the negative error code */
};

struct silo_medo_status {
	struct silo_medo_status_entry *v;	/* sorted by path */
	size_t n, alloc;
};

#define SILO_MEDO_STATUS_INIT { NULL, 0, 0 }

/* "same", "differs", "missing", "extra", "other", "error". */
SILO_EXTERN const char *silo_medo_state_name(int state);

/*
 * Compare DEST with the treeptrs below MEDO_DIR: one entry per treeptr
 * (MEDO_DIR/a/b.treeptr against DEST/a/b), then one per thing in DEST
 * that no treeptr names and that is not on the way to one.  Needs no
 * silo.  A treeptr that cannot be read is an entry of state ERROR.
 */
SILO_EXTERN int silo_medo_status(struct silo_medo_status *out, const char *medo_dir,
		     const char *dest);

SILO_EXTERN void silo_medo_status_release(struct silo_medo_status *st);

/*
 * Remove DEST/PATH if it is an expanded tree as above (checked again
 * now), and the directories above it that this leaves empty, up to DEST.
 * Anything else is SILO_EEXISTS and stays.
 */
SILO_EXTERN int silo_medo_remove_extra(const char *dest, const char *path);

/*
 * Record in DEST/.medo-expanded.json what an expansion of MEDO_DIR put in
 * DEST: NAMES are the treeptrs relative to MEDO_DIR, RESULTS their
 * results (negative: failed, not recorded).  Entries of earlier
 * expansions stay while their paths exist.  Called by
 * silo_medo_expand_dir().
 */
SILO_EXTERN int silo_medo_record_expanded(const char *dest, const char *medo_dir,
			      char *const *names, const int *results, size_t n);

#endif
