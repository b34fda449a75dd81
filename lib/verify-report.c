/*
 * The report of silo_verify(): problems are recorded from any thread as
 * they are found and reported, sorted by path and by place within a
 * file, once the check is done, so that the report never depends on
 * thread timing.
 */
#include "verify-internal.h"
#include "alloc.h"

#include <stdlib.h>
#include <string.h>


void verify_add_problem(struct verify_job *job, const char *relpath, uint64_t key,
			int severity, const char *msg)
{
	struct problem *p;

	pthread_mutex_lock(&job->lock);
	if (ALLOC_GROW(job->problems, job->n_problems + 1, job->alloc_problems) < 0) {
		job->oom = 1;
		pthread_mutex_unlock(&job->lock);
		return;
	}
	p = &job->problems[job->n_problems];
	p->relpath = strdup(relpath);
	p->message = strdup(msg);
	p->key = key;
	p->severity = severity;
	if (!p->relpath || !p->message) {
		free(p->relpath);
		free(p->message);
		job->oom = 1;
	} else {
		job->n_problems++;
	}
	pthread_mutex_unlock(&job->lock);
}

void verify_object_done(struct verify_job *job)
{
	size_t done = atomic_fetch_add(&job->done, 1) + 1;

	if (!job->opts->on_progress)
		return;
	pthread_mutex_lock(&job->lock);
	job->opts->on_progress(job->opts->payload, done, job->objects_total);
	pthread_mutex_unlock(&job->lock);
}

static int by_path_key(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;
	int c = strcmp(x->relpath, y->relpath);

	if (c)
		return c;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return strcmp(x->message, y->message);
}

void verify_report(struct silo_verify_result *result, struct verify_job *job)
{
	const struct silo_verify_options *opts = job->opts;
	size_t k;

	result->objects = job->objects_total;
	if (job->n_problems)
		qsort(job->problems, job->n_problems, sizeof(*job->problems), by_path_key);
	for (k = 0; k < job->n_problems; k++) {
		struct problem *p = &job->problems[k];
		if (p->severity == SILO_VERIFY_BAD)
			result->bad++;
		else
			result->warnings++;
		if (opts->on_problem)
			opts->on_problem(opts->payload, p->severity, p->relpath, p->message);
	}
}

void verify_problems_free(struct verify_job *job)
{
	size_t k;

	for (k = 0; k < job->n_problems; k++) {
		free(job->problems[k].relpath);
		free(job->problems[k].message);
	}
	free(job->problems);
}
