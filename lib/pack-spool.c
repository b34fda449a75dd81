/*
 * The spool of a repack: every object is first copied, verified, into one
 * temporary spool file in pack/, which is then mapped: the delta search
 * needs random access to bases, and a mapping lets the system page huge
 * objects in and out instead of holding them in our memory (pages are
 * given back as soon as an object has been used).  Objects are read on
 * several threads.
 */
#include "repack-internal.h"
#include "error-internal.h"
#include "fsutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>


struct spooler {
	struct repack *r;
	pthread_mutex_t lock;	/* the silo's list of packs, progress */
	atomic_size_t next, done;
	_Atomic uint64_t end;	/* of the spool: space is taken as sizes are learnt */
	atomic_int failed;
	int ret;
	char message[4200];
};

/* Copy object I, verified, to its own place in the spool. */
static int spool_one(struct spooler *sp, struct pack_cache *cache, size_t i)
{
	struct repack *r = sp->r;
	struct obj *o = &r->objs[i];
	silo_stream *st = NULL;
	struct pack *p;
	uint64_t poff, off;
	const void *data;
	size_t len;
	int ret = SILO_ENOTFOUND, found;

	if (o->loose) {
		char *path = fs_join(r->s->root, o->loose);
		if (!path)
			return silo__error_oom();
		ret = silo__loose_stream_open(&st, path, o->loose, &o->id);
		free(path);
		if (ret == SILO_ENOTFOUND) {
			/* Another repack packed it meanwhile: read it from
			 * there, and leave the removal to that one. */
			free(o->loose);
			o->loose = NULL;
		} else if (ret < 0) {
			return ret;
		}
	}
	if (ret == SILO_ENOTFOUND) {
		pthread_mutex_lock(&sp->lock);
		found = pack_set_find(r->s->packs, &o->id, &p, &poff);
		if (!found && (ret = pack_set_load(r->s->packs, 1)) == 0)
			found = pack_set_find(r->s->packs, &o->id, &p, &poff);
		pthread_mutex_unlock(&sp->lock);
		if (ret < 0 && ret != SILO_ENOTFOUND)
			return ret;
		if (!found) {
			/* Removed on purpose (a prune) since the scan. */
			o->gone = 1;
			return 0;
		}
		if ((ret = pack_stream_open(&st, p, cache, poff, &o->id)) < 0)
			return ret;
	}
	o->type = silo_stream_type(st);
	o->size = silo_stream_size(st);
	o->spool_off = off = atomic_fetch_add(&sp->end, o->size);
	while ((ret = silo_stream_read(st, &data, &len)) > 0) {
		if ((ret = fs_pwrite_all(r->spool_fd, data, len, off, r->spool_path)) < 0)
			break;
		off += len;
	}
	silo_stream_free(st);
	return ret;
}

static void *spool_worker(void *arg)
{
	struct spooler *sp = arg;
	struct pack_cache *cache = NULL;
	size_t i;
	int ret = pack_cache_new(&cache, 0);

	while (!ret && !atomic_load(&sp->failed) &&
	       (i = atomic_fetch_add(&sp->next, 1)) < sp->r->n) {
		if ((ret = spool_one(sp, cache, i)) < 0)
			break;
		i = atomic_fetch_add(&sp->done, 1) + 1;
		pthread_mutex_lock(&sp->lock);
		repack_progress(sp->r, "reading", i, sp->r->n);
		pthread_mutex_unlock(&sp->lock);
	}
	pack_cache_free(cache);
	if (ret < 0) {
		pthread_mutex_lock(&sp->lock);
		if (!atomic_exchange(&sp->failed, 1)) {
			sp->ret = ret;
			snprintf(sp->message, sizeof(sp->message), "%s", silo_error_message());
		}
		pthread_mutex_unlock(&sp->lock);
	}
	return NULL;
}

/* Copy every object, verified, into the spool, and map it.  Inflating
 * and hashing are the cost: objects are read on every CPU. */
int repack_spool(struct repack *r)
{
	struct spooler sp;
	pthread_t th[16];
	uint64_t off;
	size_t i, k;
	int ret, t, started = 0;

	if ((ret = fs_tmpfile(&r->spool_fd, &r->spool_path, r->s->pack_dir,
			      SILO_TMP_PREFIX "spool_")) < 0)
		return ret;
	memset(&sp, 0, sizeof(sp));
	sp.r = r;
	pthread_mutex_init(&sp.lock, NULL);
	atomic_init(&sp.next, 0);
	atomic_init(&sp.done, 0);
	atomic_init(&sp.end, 0);
	atomic_init(&sp.failed, 0);
	for (t = 1; t < r->threads && t < 16 && (size_t)t < r->n; t++)
		if (pthread_create(&th[started], NULL, spool_worker, &sp) == 0)
			started++;
	spool_worker(&sp);
	for (t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	pthread_mutex_destroy(&sp.lock);
	if (atomic_load(&sp.failed))
		return silo__error_set(sp.ret, "%s", sp.message);
	/* Everything to pack is in the spool now: what the old packs left
	 * in our memory can go (as much as the spool itself, for a silo
	 * of many packs). */
	pack_set_drop_pages(r->s->packs);
	off = atomic_load(&sp.end);
	for (i = k = 0; i < r->n; i++) {
		if (r->objs[i].gone) {
			free(r->objs[i].loose);
			continue;
		}
		r->objs[k++] = r->objs[i];
	}
	r->n = k;
	r->map_size = off;
	if (!off) {
		/* Only empty objects: nothing to map, but pointers stay valid. */
		static const unsigned char nothing[1];
		r->map = nothing;
	} else {
		void *m = mmap(NULL, off, PROT_READ, MAP_SHARED, r->spool_fd, 0);
		if (m == MAP_FAILED)
			return silo__error_errno("cannot map '%s'", r->spool_path);
		r->map = m;
	}
	return 0;
}

void repack_drop_range(const unsigned char *p, uint64_t len)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)p + pg - 1) & ~((uintptr_t)pg - 1);
	uintptr_t e = (uintptr_t)(p + len) & ~((uintptr_t)pg - 1);

	if (e > a)
		madvise((void *)a, e - a, MADV_DONTNEED);
}
