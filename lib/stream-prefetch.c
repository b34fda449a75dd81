/*
 * A stream that reads ahead of its consumer on a second thread: the
 * inflating and hashing of an object overlap with whatever the consumer
 * does with the bytes (extracting files), as 'tar -xzf' overlaps gzip
 * and tar by running them as two processes.  Memory is bounded: at most
 * SLOTS pieces of SLOT bytes wait in the queue.
 */
#include "store-internal.h"
#include "error-internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 8
#define SLOT (256 * 1024)

struct piece {
	unsigned char *data;
	size_t len;
};

struct prefetch_stream {
	struct silo_stream base;
	silo_stream *inner;
	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct piece q[SLOTS];
	size_t head, count;	/* pieces waiting, from q[head] */
	int ended;		/* the producer is done: end_code says how */
	int end_code;
	char end_message[1024];
	int stop;		/* the consumer went away */
	int taken;		/* the consumer holds q[head]: release it next */
};

/* Fill the queue from the inner stream until it ends or fails. */
static void *producer(void *arg)
{
	struct prefetch_stream *ps = arg;

	for (;;) {
		const void *data;
		size_t len, done = 0;
		int r = silo_stream_read(ps->inner, &data, &len);

		if (r <= 0) {
			pthread_mutex_lock(&ps->lock);
			ps->ended = 1;
			ps->end_code = r;
			if (r < 0)	/* the message lives in this thread */
				snprintf(ps->end_message, sizeof(ps->end_message), "%s",
					 silo_error_message());
			pthread_cond_broadcast(&ps->changed);
			pthread_mutex_unlock(&ps->lock);
			return NULL;
		}
		while (done < len) {
			struct piece *p;
			size_t n = len - done < SLOT ? len - done : SLOT;

			pthread_mutex_lock(&ps->lock);
			while (ps->count == SLOTS && !ps->stop)
				pthread_cond_wait(&ps->changed, &ps->lock);
			if (ps->stop) {
				pthread_mutex_unlock(&ps->lock);
				return NULL;
			}
			p = &ps->q[(ps->head + ps->count) % SLOTS];
			pthread_mutex_unlock(&ps->lock);
			/* This slot is ours until it is counted in. */
			memcpy(p->data, (const unsigned char *)data + done, n);
			p->len = n;
			done += n;
			pthread_mutex_lock(&ps->lock);
			ps->count++;
			pthread_cond_broadcast(&ps->changed);
			pthread_mutex_unlock(&ps->lock);
		}
	}
}

static int prefetch_read(silo_stream *st, const void **data, size_t *len)
{
	struct prefetch_stream *ps = (struct prefetch_stream *)st;
	int ret;

	pthread_mutex_lock(&ps->lock);
	if (ps->taken) {
		/* The piece handed out last time is no longer needed. */
		ps->head = (ps->head + 1) % SLOTS;
		ps->count--;
		ps->taken = 0;
		pthread_cond_broadcast(&ps->changed);
	}
	while (!ps->count && !ps->ended)
		pthread_cond_wait(&ps->changed, &ps->lock);
	if (ps->count) {
		*data = ps->q[ps->head].data;
		*len = ps->q[ps->head].len;
		ps->taken = 1;
		pthread_mutex_unlock(&ps->lock);
		return 1;
	}
	ret = ps->end_code;
	pthread_mutex_unlock(&ps->lock);
	if (ret < 0)
		return silo__error_set(ret, "%s", ps->end_message);
	return 0;
}

static void prefetch_free(silo_stream *st)
{
	struct prefetch_stream *ps = (struct prefetch_stream *)st;
	int i;

	if (ps->started) {
		pthread_mutex_lock(&ps->lock);
		ps->stop = 1;
		pthread_cond_broadcast(&ps->changed);
		pthread_mutex_unlock(&ps->lock);
		pthread_join(ps->thread, NULL);
	}
	pthread_cond_destroy(&ps->changed);
	pthread_mutex_destroy(&ps->lock);
	for (i = 0; i < SLOTS; i++)
		free(ps->q[i].data);
	silo_stream_free(ps->inner);
	free(ps);
}

static const struct silo_stream_ops prefetch_ops = { prefetch_read, prefetch_free };

int silo_stream_prefetch(silo_stream **out, silo_stream *inner)
{
	struct prefetch_stream *ps;
	int i;

	*out = NULL;
	if (!(ps = calloc(1, sizeof(*ps)))) {
		silo_stream_free(inner);
		return silo__error_oom();
	}
	ps->base.ops = &prefetch_ops;
	ps->base.type = inner->type;
	ps->base.size = inner->size;
	ps->base.id = inner->id;
	ps->inner = inner;
	pthread_mutex_init(&ps->lock, NULL);
	pthread_cond_init(&ps->changed, NULL);
	for (i = 0; i < SLOTS; i++)
		if (!(ps->q[i].data = malloc(SLOT))) {
			prefetch_free(&ps->base);
			return silo__error_oom();
		}
	if (pthread_create(&ps->thread, NULL, producer, ps) != 0) {
		/* No thread to be had: the inner stream serves as it is. */
		ps->inner = NULL;
		prefetch_free(&ps->base);
		*out = inner;
		return 0;
	}
	ps->started = 1;
	*out = &ps->base;
	return 0;
}
