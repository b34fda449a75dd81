/*
 * silo_verify(): every loose object is inflated and hashed, on as many
 * threads as asked; files that are not objects are reported too.
 * Problems are collected and reported in path order at the end, so that
 * the report does not depend on thread timing.
 */
#include "store-internal.h"
#include "error-internal.h"
#include "fsutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct problem {
	int severity;
	char *message;	/* NULL: no problem */
};

struct verify_job {
	silo *s;
	const struct silo_verify_options *opts;
	struct loose_entry *entries;
	struct problem *problems;	/* one slot per entry */
	size_t count;
	atomic_size_t next;
	atomic_size_t done;
	uint64_t objects_total;
	pthread_mutex_t progress_lock;
	int oom;
};

static int check_object(const struct loose_entry *e, silo *s)
{
	silo_stream *st;
	const void *data;
	size_t len;
	char *path;
	int ret;

	if (!(path = fs_join(s->root, e->relpath)))
		return silo_error_oom();
	ret = silo_loose_stream_open(&st, path, e->relpath, &e->id);
	free(path);
	if (ret < 0)
		return ret;
	while ((ret = silo_stream_read(st, &data, &len)) > 0)
		;
	silo_stream_free(st);
	return ret;
}

static void record(struct verify_job *job, size_t i, int severity, const char *msg)
{
	job->problems[i].severity = severity;
	job->problems[i].message = strdup(msg);
	if (!job->problems[i].message)
		job->oom = 1;
}

static void *worker(void *arg)
{
	struct verify_job *job = arg;
	size_t i;

	while ((i = atomic_fetch_add(&job->next, 1)) < job->count) {
		struct loose_entry *e = &job->entries[i];

		switch (e->kind) {
		case LOOSE_OBJECT:
			if (check_object(e, job->s) < 0)
				record(job, i, SILO_VERIFY_BAD, silo_error_message());
			if (job->opts->on_progress) {
				size_t done = atomic_fetch_add(&job->done, 1) + 1;
				pthread_mutex_lock(&job->progress_lock);
				job->opts->on_progress(job->opts->payload, done,
						       job->objects_total);
				pthread_mutex_unlock(&job->progress_lock);
			}
			break;
		case LOOSE_TEMP: {
			char msg[4200];
			snprintf(msg, sizeof(msg),
				 "'%s': temporary file of an interrupted or running write",
				 e->relpath);
			record(job, i, SILO_VERIFY_WARNING, msg);
			break;
		}
		case LOOSE_STRAY: {
			char msg[4200];
			snprintf(msg, sizeof(msg), "'%s': not an object file", e->relpath);
			record(job, i, SILO_VERIFY_BAD, msg);
			break;
		}
		}
	}
	return NULL;
}

int silo_verify(silo *s, const struct silo_verify_options *opts,
		struct silo_verify_result *result)
{
	struct verify_job job;
	pthread_t *threads = NULL;
	int jobs = opts->jobs, started = 0, ret, i;
	size_t k;

	memset(result, 0, sizeof(*result));
	memset(&job, 0, sizeof(job));
	job.s = s;
	job.opts = opts;
	if ((ret = loose_scan(&job.entries, &job.count, s)) < 0)
		return ret;
	for (k = 0; k < job.count; k++)
		if (job.entries[k].kind == LOOSE_OBJECT)
			job.objects_total++;
	job.problems = calloc(job.count ? job.count : 1, sizeof(*job.problems));
	if (jobs <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = n > 0 ? (int)n : 1;
	}
	if ((size_t)jobs > job.count)
		jobs = job.count ? (int)job.count : 1;
	threads = calloc((size_t)jobs, sizeof(*threads));
	if (!job.problems || !threads) {
		ret = silo_error_oom();
		goto out;
	}
	pthread_mutex_init(&job.progress_lock, NULL);
	/* The calling thread works too; it is one of the JOBS. */
	for (i = 1; i < jobs; i++) {
		if (pthread_create(&threads[i], NULL, worker, &job) != 0)
			break;
		started++;
	}
	worker(&job);
	for (i = 1; i <= started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&job.progress_lock);
	if (job.oom) {
		ret = silo_error_oom();
		goto out;
	}
	result->objects = job.objects_total;
	for (k = 0; k < job.count; k++) {
		struct problem *p = &job.problems[k];
		if (!p->message)
			continue;
		if (p->severity == SILO_VERIFY_BAD)
			result->bad++;
		else
			result->warnings++;
		if (opts->on_problem)
			opts->on_problem(opts->payload, p->severity,
					 job.entries[k].relpath, p->message);
	}
out:
	if (job.problems)
		for (k = 0; k < job.count; k++)
			free(job.problems[k].message);
	free(job.problems);
	free(threads);
	loose_entries_free(job.entries, job.count);
	return ret;
}
