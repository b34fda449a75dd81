/*
 * silo_verify(): every loose object is inflated and hashed, every pack is
 * checked whole (both trailer checksums, each entry's CRC and each
 * object's id after its deltas are resolved), on as many threads as
 * asked; files that are neither objects nor packs are reported too.
 * Problems are collected and reported in path order (and, within a pack,
 * offset order) at the end, so that the report does not depend on thread
 * timing.  This file plans the tasks and runs the threads; the checks
 * are in verify-loose.c and verify-pack.c, the report in verify-report.c.
 */
#include "verify-internal.h"
#include "alloc.h"
#include "error-internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *worker(void *arg)
{
	struct verify_job *job = arg;
	struct pack_cache *cache = NULL;
	silo_hasher *h = NULL;
	size_t i;

	if (pack_cache_new(&cache, 0) < 0 || silo_hasher_new(&h, job->s->format) < 0) {
		job->oom = 1;
		pack_cache_free(cache);
		return NULL;
	}
	while ((i = atomic_fetch_add(&job->next, 1)) < job->n_tasks) {
		struct task *t = &job->tasks[i];

		if (t->kind == TASK_LOOSE)
			verify_loose_task(job, t);
		else
			verify_pack_task(job, t, cache, h);
	}
	pack_cache_free(cache);
	silo_hasher_free(h);
	return NULL;
}

int verify_add_task(struct verify_job *job, size_t *alloc, const struct task *t)
{
	if (ALLOC_GROW(job->tasks, job->n_tasks + 1, *alloc) < 0)
		return silo__error_oom();
	job->tasks[job->n_tasks++] = *t;
	return 0;
}

int silo_verify(struct silo_verify_result *result, silo *s,
		const struct silo_verify_options *opts)
{
	struct verify_job job;
	struct pack_plan *plans = NULL;
	size_t n_plans = 0, alloc_tasks = 0;
	pthread_t *threads = NULL;
	int jobs = opts->jobs, started = 0, ret, i;

	memset(result, 0, sizeof(*result));
	memset(&job, 0, sizeof(job));
	job.s = s;
	job.opts = opts;
	pthread_mutex_init(&job.lock, NULL);
	if ((ret = loose_scan(&job.entries, &job.count, s)) < 0)
		goto out;
	if ((ret = verify_plan_loose(&job, &alloc_tasks)) < 0)
		goto out;
	if ((ret = verify_plan_packs(&job, &plans, &n_plans, &alloc_tasks)) < 0)
		goto out;
	if ((ret = verify_check_pack_list(&job)) < 0)
		goto out;
	if (jobs <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = n > 0 ? (int)n : 1;
	}
	if ((size_t)jobs > job.n_tasks)
		jobs = job.n_tasks ? (int)job.n_tasks : 1;
	if (!(threads = calloc((size_t)jobs, sizeof(*threads)))) {
		ret = silo__error_oom();
		goto out;
	}
	/* The calling thread works too; it is one of the JOBS. */
	for (i = 1; i < jobs; i++) {
		if (pthread_create(&threads[i], NULL, worker, &job) != 0)
			break;
		started++;
	}
	worker(&job);
	for (i = 1; i <= started; i++)
		pthread_join(threads[i], NULL);
	if (job.oom) {
		ret = silo__error_oom();
		goto out;
	}
	verify_report(result, &job);
out:
	pthread_mutex_destroy(&job.lock);
	verify_problems_free(&job);
	free(threads);
	free(job.tasks);
	verify_plans_free(plans, n_plans);
	loose_entries_free(job.entries, job.count);
	return ret;
}
