/*
 * Reachability in a silo: what a treeptr keeps.  One closure serves every
 * caller: `medo reachable` prints the roots of each treeptr, `silo prune`
 * and `silo du --keep` keep the closure of a keep list, `medo fsck` and
 * `medo gc` check that each treeptr's closure is complete.
 *
 *	silo_treeptr_roots(&set, &tp);		the ids a keep list names for TP
 *
 *	struct silo_closure *c;
 *	silo_closure_new(&c, s);
 *	silo_closure_add(c, &id);		ID, and all below it in S
 *	silo_closure_check(&r, c, &tp, fn, payload);	TP complete in S?
 *	set = silo_closure_set(c);		all met so far, sorted
 *	silo_closure_free(c);
 *
 * The roots of a treeptr are its object (the archive, the opaque file, or
 * for kind tree its size table) and, for kind tree, its root tree.  The
 * closure of an id is the id and, when the silo holds it as a git tree,
 * every tree and blob below it.  A keep list thus names only roots, and
 * can be made without the silo (from git history, on another host).
 */
#ifndef SILO_CLOSURE_H
#define SILO_CLOSURE_H

#include "silo/common.h"

#include <stddef.h>
#include <stdint.h>
#include "silo/oid.h"
#include "silo/oid-set.h"
#include "silo/store.h"
#include "silo/treeptr.h"

/* Add the roots of TP to SET (unsorted: silo_oid_set_sort() after). */
SILO_EXTERN int silo_treeptr_roots(struct silo_oid_set *set, const struct silo_treeptr *tp);

struct silo_closure;

/* *out is owned by the caller: silo_closure_free(); it borrows S. */
SILO_EXTERN int silo_closure_new(struct silo_closure **out, silo *s);
SILO_EXTERN void silo_closure_free(struct silo_closure *c);	/* NULL is allowed */

/*
 * Add ID to the closure and, if S holds it as a tree, every tree and
 * blob below it (each tree walked once, however often it is met).  An
 * id S does not hold is added alone: a keep list names the objects of
 * other silos too.  A tree S holds that names a tree S lacks, or a tree
 * that cannot be read, is SILO_ECORRUPT naming both: what is below it
 * cannot be known, so nothing may be pruned on its word.
 */
SILO_EXTERN int silo_closure_add(struct silo_closure *c, const silo_oid *id);

/* Everything added or checked so far, sorted; borrowed from C, valid
 * until the next call on C. */
SILO_EXTERN const struct silo_oid_set *silo_closure_set(struct silo_closure *c);

enum silo_closure_severity {
	SILO_CLOSURE_WARNING = 1,	/* harmless for readers of this silo */
	SILO_CLOSURE_BAD = 2		/* the treeptr cannot be read whole */
};

/*
 * A problem found by silo_closure_check(): ID the object at fault (NULL
 * for the treeptr as a whole), PATH its path in the tree ("" when not in
 * one), MESSAGE what is wrong.  All borrowed for the call.
 */
typedef void (*silo_closure_problem_fn)(void *payload, int severity, const silo_oid *id,
					const char *path, const char *message);

struct silo_closure_check_result {
	uint64_t objects;	/* objects looked at */
	uint64_t bad;		/* problems of severity SILO_CLOSURE_BAD */
	uint64_t warnings;
	/* Objects that could not be looked at (a transfer or a read that
	 * failed, not a missing or damaged object: those are bad), also
	 * told as SILO_CLOSURE_BAD; ERROR the code of the last. */
	uint64_t unreadable;
	int error;
	int roots_held;		/* how many of its roots S holds (0: none) */
};

/*
 * Check that S holds the whole of TP without reading any file's content:
 * its object, of the treeptr's size; for kind tree its root tree, every
 * tree below it, every blob of the size of its line in the size table, as
 * many leaves as the table has lines; and that the packs TP names are in
 * pack/ or were moved (a warning: readers over HTTP then search
 * pack/packs).  Tree objects and the size table are read and verified;
 * blobs are only looked up (silo_object_info()), so that for a silo over
 * HTTP their type and size are checked only when known.  Each problem
 * goes to FN (the first few of each treeptr; the count is in RESULT).
 * What is met joins the closure.  Returns 0 when the check ran (see
 * result->bad: TP is not whole in S; else result->unreadable: whether it
 * is could not be known), negative when it could not (out of memory).
 */
SILO_EXTERN int silo_closure_check(struct silo_closure_check_result *result, struct silo_closure *c,
		       const struct silo_treeptr *tp, silo_closure_problem_fn fn,
		       void *payload);

#endif
