/*
 * Building a set: dependencies first, several builds at once, results
 * reported from the calling thread as tasks finish.
 */
#include "knot-internal.h"
#include "error-internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { PENDING = 0, RUNNING, DONE, FAILED };

struct sched {
	silo_knot_set *set;
	const struct silo_knot_build_options *o;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct silo_knot_result *results;
	size_t *finished;	/* indices, in the order they finished */
	size_t n_finished, n_tasks;
	int stop;		/* a failure without keep_going */
};

/* A task whose dependencies are done, or skip tasks that can no longer
 * run; called with the lock held.  Returns the index or n_tasks. */
static size_t next_task(struct sched *s)
{
	size_t i, j, n = s->n_tasks;
	int changed;

	do {
		changed = 0;
		for (i = 0; i < n; i++) {
			struct silo_knot_task *t = silo_knot_set_task(s->set, i);
			int ready = 1, dead = s->stop;

			if (t->state != PENDING)
				continue;
			for (j = 0; j < t->n_deps; j++) {
				if (t->deps[j]->state == FAILED)
					dead = 1;
				if (t->deps[j]->state != DONE)
					ready = 0;
			}
			if (dead) {
				t->state = FAILED;
				s->results[i].kind = SILO_KNOT_SKIPPED;
				s->finished[s->n_finished++] = i;
				changed = 1;
				continue;
			}
			if (ready)
				return i;
		}
	} while (changed);
	return n;
}

static int all_settled(struct sched *s)
{
	size_t i;

	for (i = 0; i < s->n_tasks; i++) {
		int st = silo_knot_set_task(s->set, i)->state;
		if (st == PENDING || st == RUNNING)
			return 0;
	}
	return 1;
}

static void *worker(void *arg)
{
	struct sched *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		size_t i = next_task(s);
		struct silo_knot_task *t;
		struct silo_knot_result res;
		int ret;

		if (i == s->n_tasks) {
			if (all_settled(s))
				break;
			pthread_cond_broadcast(&s->cond);
			pthread_cond_wait(&s->cond, &s->lock);
			continue;
		}
		t = silo_knot_set_task(s->set, i);
		t->state = RUNNING;
		pthread_mutex_unlock(&s->lock);
		ret = silo_knot_build(&res, t, s->set, s->o);
		if (ret < 0) {
			res.kind = SILO_KNOT_FAILED;
			res.error = ret;
			res.message = strdup(silo_error_message());
		}
		pthread_mutex_lock(&s->lock);
		s->results[i] = res;
		if (res.kind == SILO_KNOT_FAILED) {
			t->state = FAILED;
			if (!s->o->keep_going)
				s->stop = 1;
		} else {
			t->state = DONE;
		}
		s->finished[s->n_finished++] = i;
		pthread_cond_broadcast(&s->cond);
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int silo_knot_build_all(silo_knot_set *set, const struct silo_knot_build_options *o,
			void (*on_result)(void *payload, const struct silo_knot_task *t,
					  const struct silo_knot_result *res),
			void *payload)
{
	struct sched s;
	pthread_t *threads;
	size_t i, reported = 0, started = 0;
	int jobs = o->jobs > 1 ? o->jobs : 1, failures = 0;

	memset(&s, 0, sizeof(s));
	s.set = set;
	s.o = o;
	s.n_tasks = silo_knot_set_count(set);
	if ((size_t)jobs > s.n_tasks)
		jobs = s.n_tasks ? (int)s.n_tasks : 1;
	s.results = calloc(s.n_tasks ? s.n_tasks : 1, sizeof(*s.results));
	s.finished = calloc(s.n_tasks ? s.n_tasks : 1, sizeof(*s.finished));
	threads = calloc((size_t)jobs, sizeof(*threads));
	if (!s.results || !s.finished || !threads) {
		free(s.results);
		free(s.finished);
		free(threads);
		return silo_error_oom();
	}
	knot_remove_stale_work();
	for (i = 0; i < s.n_tasks; i++)
		silo_knot_set_task(set, i)->state = PENDING;
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	for (i = 0; i < (size_t)jobs; i++) {
		if (pthread_create(&threads[i], NULL, worker, &s) != 0)
			break;
		started++;
	}
	if (!started)
		worker(&s);
	pthread_mutex_lock(&s.lock);
	for (;;) {
		while (reported < s.n_finished) {
			size_t k = s.finished[reported++];
			struct silo_knot_result res = s.results[k];
			pthread_mutex_unlock(&s.lock);
			if (res.kind == SILO_KNOT_FAILED || res.kind == SILO_KNOT_SKIPPED)
				failures++;
			if (on_result)
				on_result(payload, silo_knot_set_task(set, k), &res);
			pthread_mutex_lock(&s.lock);
		}
		if (reported == s.n_tasks)
			break;
		pthread_cond_wait(&s.cond, &s.lock);
	}
	pthread_mutex_unlock(&s.lock);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (i = 0; i < s.n_tasks; i++) {
		silo_knot_result_release(&s.results[i]);
		silo_knot_set_task(set, i)->state = 0;
	}
	pthread_mutex_destroy(&s.lock);
	pthread_cond_destroy(&s.cond);
	free(s.results);
	free(s.finished);
	free(threads);
	return failures;
}
