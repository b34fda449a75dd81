/*
 * What the modules of silo_verify() share (silo/store.h):
 *
 *	verify.c	the plan and the worker threads
 *	verify-loose.c	loose objects: inflated and hashed
 *	verify-pack.c	packs: planned (offsets, CRCs, delta groups) before
 *			the threads start, then checked whole
 *	verify-report.c	problems collected from the threads, reported in
 *			path order at the end
 */
#ifndef SILO_VERIFY_INTERNAL_H
#define SILO_VERIFY_INTERNAL_H

#include "store-internal.h"
#include "pack.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Whole objects larger than this are streamed rather than inflated. */
#define STREAM_OVER (32u << 20)

struct problem {
	char *relpath;
	uint64_t key;		/* order within one file */
	int severity;
	char *message;
};

enum task_kind { TASK_LOOSE, TASK_PACK_SUM, TASK_IDX_SUM, TASK_GROUP };

struct task {
	enum task_kind kind;
	size_t loose;		/* TASK_LOOSE: entry index */
	struct pack *p;
	uint32_t *members;	/* TASK_GROUP: positions in offset order */
	uint32_t n_members;
	uint64_t cost;
};

struct pack_plan {
	struct pack *p;
	uint32_t *by_offset;	/* positions sorted by offset */
	uint32_t *members;	/* storage for the groups */
};

struct verify_job {
	silo *s;
	const struct silo_verify_options *opts;
	struct loose_entry *entries;
	size_t count;
	struct task *tasks;
	size_t n_tasks;
	atomic_size_t next;
	atomic_size_t done;
	uint64_t objects_total;
	pthread_mutex_t lock;	/* problems and progress */
	struct problem *problems;
	size_t n_problems, alloc_problems;
	int oom;
};

/* verify.c: append T to the tasks of JOB. */
int verify_add_task(struct verify_job *job, size_t *alloc, const struct task *t);

/* verify-loose.c: a task per loose object; temporary and stray files
 * of objects/ reported at once. */
int verify_plan_loose(struct verify_job *job, size_t *alloc_tasks);
void verify_loose_task(struct verify_job *job, struct task *t);

/* verify-pack.c: open each pack of pack/ into *plans (N_PLANS of them,
 * freed with verify_plans_free()), check what needs no object read and
 * make tasks of the rest; report the files that are not packs. */
int verify_plan_packs(struct verify_job *job, struct pack_plan **plans, size_t *n_plans,
		      size_t *alloc_tasks);
void verify_pack_task(struct verify_job *job, struct task *t, struct pack_cache *cache,
		      silo_hasher *h);
void verify_plans_free(struct pack_plan *plans, size_t n_plans);

/* Check pack/packs against the packs in pack/ (verify-meta.c). */
int verify_check_pack_list(struct verify_job *job);

/* verify-report.c: record a problem of RELPATH (KEY orders the problems
 * of one file) from any thread; count an object done for progress;
 * report them all, sorted, into *result and opts->on_problem; free them. */
/*
 * A warning for the writer's temporary file RELPATH: one that may belong
 * to a write still running (modified within a day), or a stale one left
 * by an interrupted write, which silo prune removes.
 */
void verify_temp_file(struct verify_job *job, const char *relpath);

void verify_add_problem(struct verify_job *job, const char *relpath, uint64_t key,
			int severity, const char *msg);
void verify_object_done(struct verify_job *job);
void verify_report(struct silo_verify_result *result, struct verify_job *job);
void verify_problems_free(struct verify_job *job);

#endif
