/*
 * What silo prune and medo gc print of a prune: a line per object
 * removed (with -v; "would remove" with --dry-run), a summary line, or
 * the JSON document of silo-prune(1).
 *
 *	struct fe_prune_report rep;
 *	fe_prune_report_init(&rep, json, dry_run, verbose);
 *	fe_prune_report_options(&rep, &po);	then silo_prune(&res, s, &keep, &po)
 *	fe_prune_report_summary(&rep, &res);	or fe_prune_report_json()
 *	fe_prune_report_release(&rep);
 */
#ifndef FE_PRUNE_H
#define FE_PRUNE_H

#include <jansson.h>
#include "silo/oid-set.h"
#include "silo/prune.h"
#include "strvec.h"
#include "fe.h"

/* A keep list that would remove more than this share of the silo's
 * objects wants --force: a list that names too little is likelier a
 * mistake (a path, a revision, a pipe that failed) than a real GC. */
#define FE_PRUNE_GUARD_PERCENT 50

/* What fe_keep_lists_read() does with a list that names nothing. */
enum fe_keep_empty {
	FE_KEEP_EMPTY_OK,		/* it adds nothing (silo du) */
	FE_KEEP_EMPTY_REFUSED,		/* refused (medo gc) */
	FE_KEEP_EMPTY_ALLOW_OPTION	/* refused, --allow-empty named (silo prune) */
};

/*
 * Read the keep lists FILES (one per repository that uses the silo)
 * into KEEP, sorted: the union of the ids they name, whose closure
 * silo_prune() and silo_du() keep.  A list that names nothing is what
 * a failed 'medo reachable' leaves: EMPTY says what is done with it.
 * Standard input ("-") may be read once.  Returns 0, or an exit status
 * after reporting.
 */
int fe_keep_lists_read(struct silo_oid_set *keep, int format, const struct strvec *files,
		       enum fe_keep_empty empty);

/* "the keep list 'a'" or "the keep lists 'a', 'b'" in BUF, for messages. */
void fe_keep_lists_name(char *buf, size_t size, const struct strvec *files);

struct fe_prune_report {
	int dry_run, verbose;
	json_t *paths;		/* with --json */
	json_t *packed;
	int json_failed;
	struct fe_phase_progress progress;
};

/* Returns 0, or an exit status after reporting a failure. */
int fe_prune_report_init(struct fe_prune_report *rep, int json, int dry_run, int verbose);

/* Point PO's callbacks at REP (and set its dry_run). */
void fe_prune_report_options(struct fe_prune_report *rep, struct silo_prune_options *po);

/* End the progress line, after silo_prune() and before anything is
 * printed of its result. */
void fe_prune_report_done(struct fe_prune_report *rep);

/* With -v or --dry-run (and without --json), the summary line of RES. */
void fe_prune_report_summary(const struct fe_prune_report *rep,
			     const struct silo_prune_result *res);

/* The JSON object of RES (new; NULL when it cannot be built). */
json_t *fe_prune_report_json(struct fe_prune_report *rep, const struct silo_prune_result *res);

/* The refusal of a keep list (named WHAT) that would remove too much. */
int fe_prune_refused(const char *what, const struct silo_prune_result *res);

void fe_prune_report_release(struct fe_prune_report *rep);

#endif
