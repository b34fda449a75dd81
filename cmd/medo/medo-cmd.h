#ifndef CMD_MEDO_H
#define CMD_MEDO_H

#include "fe.h"
#include "fe-cmds.h"	/* generated: the commands and their usage */

/* Print a library warning as "medo: warning: ..."; for the options'
 * on_warning, from any thread. */
void medo_cmd_warn(void *payload, const char *message);

/*
 * Check the signature of the treeptr PATH, or of every treeptr below the
 * directory PATH, against ALLOWED_SIGNERS; print each failure.  Returns
 * an exit status: 0 when every signature is good, and then *KEEP holds
 * the allowed signers (the caller frees them), for expand and verify to
 * check each treeptr again over the bytes they parse.
 */
struct silo_sshsig_signers;
int medo_cmd_check_signatures(const char *allowed_signers, const char *path,
			      struct silo_sshsig_signers **keep);
/* 1 if PATH is a directory (a medo directory rather than a treeptr). */
int medo_cmd_is_dir(const char *path);

/* "DIR/NAME" as a new string (owned by the caller), or NULL. */
char *medo_cmd_join(const char *dir, const char *name);

/*
 * Call FN for each treeptr ARGV names: a treeptr file, or every treeptr
 * below a medo directory, in path order.  One that fails does not stop
 * the others; returns the last failing exit status, or 0.
 */
int medo_cmd_each_treeptr(int argc, const char **argv,
			  int (*fn)(const char *treeptr, void *payload), void *payload);

/*
 * The treeptrs of medo reachable, fsck and gc: those ARGV names on disk
 * (treeptr files, or every treeptr below medo directories) and, with
 * HIST's revisions or all, those of git history below them (the whole
 * tree when ARGV is empty).  Their roots go into SET (sorted on return);
 * FN, if not NULL, is called for each treeptr with ON_DISK 1 for a file
 * on disk (T's silojson fields then unset), 0 for one of history; it
 * returns 0, or an exit status (its error printed) that stops the walk
 * of history.  A directory or revision that
 * holds no treeptr is an error: a typo must not make a whole silo look
 * unreferenced.  Returns an exit status, every error printed.
 */
#include "silo/reachable.h"
typedef int (*medo_treeptr_fn)(void *payload, const struct silo_history_treeptr *t, int on_disk);
int medo_cmd_collect_treeptrs(struct silo_oid_set *set, int argc, const char **argv,
			      struct silo_history_options *hist, medo_treeptr_fn fn,
			      void *payload);

/*
 * What medo fsck and medo gc print of their check: each problem on
 * standard error ("medo: error: 'a.treeptr' in silo 's': ..."), or with
 * --json in the "problems" array of the document (medo-fsck(1)).
 */
#include <jansson.h>
#include "silo/medo-fsck.h"
struct medo_fsck_report {
	json_t *problems;	/* with --json */
	int failed;
	uint64_t treeptrs, objects, incomplete;
	uint64_t unchecked;	/* treeptrs a silo failure left unknown */
	int error;		/* the library code of the last of those */
};
/* Returns 0, or an exit status after reporting a failure. */
int medo_fsck_report_init(struct medo_fsck_report *rep, int json);
/* A silo_medo_fsck_problem_fn; PAYLOAD the report. */
void medo_fsck_report_problem(void *payload, const char *name, const char *where_silo, int severity,
			      const silo_oid *id, const char *path, const char *message);
/* Count the check of one treeptr. */
void medo_fsck_report_count(struct medo_fsck_report *rep, const struct silo_medo_fsck_result *r);
/* { "treeptrs", "objects", "incomplete", "unchecked", "problems" } (new;
 * NULL on failure). */
json_t *medo_fsck_report_json(struct medo_fsck_report *rep);
/* "N treeptrs checked, M objects; K incomplete[, U not checked]" on
 * standard output. */
void medo_fsck_report_summary(const struct medo_fsck_report *rep);
/* The exit status of the check: 1 if a treeptr is incomplete, else that
 * of the failure that left one unchecked (7 for a transfer), else 0. */
int medo_fsck_report_status(const struct medo_fsck_report *rep);
void medo_fsck_report_release(struct medo_fsck_report *rep);

#endif
