/*
 * The connectivity check of treeptrs (`medo fsck`, `medo gc`): is each
 * treeptr complete in its silos, every object present and of the right
 * type and size, without reading any file's content?  As `git fsck
 * --connectivity-only`, for the objects a treeptr names
 * (silo_closure_check(), silo/closure.h).
 *
 *	silo_medo_fsck *f;
 *	silo_medo_fsck_new(&f, &opts);
 *	silo_medo_fsck_treeptr(&r, f, &tp, "a.medo/x.treeptr", NULL);
 *	  ... r.bad ...
 *	silo_medo_fsck_free(f);
 *
 * A silo is opened once per check, however many treeptrs it holds, and
 * what was learnt of its objects is kept for the next treeptr.
 */
#ifndef SILO_MEDO_FSCK_H
#define SILO_MEDO_FSCK_H

#include <stddef.h>
#include <stdint.h>
#include "silo/closure.h"
#include "silo/medo.h"
#include "silo/silojson.h"
#include "silo/treeptr.h"

/* A problem of treeptr NAME in silo SILO (as SILO.json or --silo names
 * it; NULL when the problem is no silo's); the rest as for
 * silo_closure_problem_fn. */
typedef void (*silo_medo_fsck_problem_fn)(void *payload, const char *name, const char *silo,
					  int severity, const silo_oid *id, const char *path,
					  const char *message);

struct silo_medo_fsck_options {
	const char *silo;	/* check in this silo only, not SILO.json's */
	/* A treeptr no silo holds any part of is not a problem (a garbage
	 * collection of one silo checks only what that silo holds). */
	int skip_absent;
	silo_medo_fsck_problem_fn on_problem;
	silo_medo_warn_fn on_warning;	/* a silo that cannot be opened */
	void *payload;
};

typedef struct silo_medo_fsck silo_medo_fsck;

/* *out is owned by the caller: silo_medo_fsck_free().  OPTS is copied. */
int silo_medo_fsck_new(silo_medo_fsck **out, const struct silo_medo_fsck_options *opts);
void silo_medo_fsck_free(silo_medo_fsck *f);	/* NULL is allowed */

struct silo_medo_fsck_result {
	uint64_t objects;	/* objects looked at, in every silo */
	uint64_t bad;		/* problems reported as errors */
	uint64_t warnings;
	size_t complete;	/* silos holding the whole treeptr */
	size_t incomplete;	/* silos holding a part of it only */
	size_t absent;		/* silos holding nothing of it */
	/* Silos that could not be read for it (not opened, a transfer that
	 * failed): ERROR the code of the last, WHY what it said. */
	size_t unchecked;
	int error;
	char why[1024];
};

/*
 * Check TP, the treeptr at TREEPTR_PATH (NAME in messages), in each of
 * its silos: those of SJ when not NULL (the SILO.json of a commit), else
 * the nearest SILO.json of TREEPTR_PATH on disk, or the options' silo.
 * It is complete when at least one silo holds all of it and none holds a
 * part only: a reader takes the first silo that has its object, and
 * would fail there.  Each problem goes to on_problem.  When neither is
 * known because a silo could not be read, result->unchecked says so
 * (a failure, not a finding).  Returns 0 when the check ran (see
 * result->bad), negative when it could not (no SILO.json, out of
 * memory).
 */
int silo_medo_fsck_treeptr(struct silo_medo_fsck_result *result, silo_medo_fsck *f,
			   const struct silo_treeptr *tp, const char *treeptr_path,
			   const char *name, const struct silo_silojson *sj);

#endif
