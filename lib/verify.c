/*
 * silo_verify(): every loose object is inflated and hashed, every pack is
 * checked whole (both trailer checksums, each entry's CRC and each
 * object's id after its deltas are resolved), on as many threads as
 * asked; files that are neither objects nor packs are reported too.
 * Problems are collected and reported in path order (and, within a pack,
 * offset order) at the end, so that the report does not depend on thread
 * timing.
 *
 * A pack's objects are checked in groups that share a delta base, each
 * group by one thread in pack order, so that a base is inflated once for
 * all its deltas rather than once per thread.
 */
#include "store-internal.h"
#include "alloc.h"
#include "pack.h"
#include "error-internal.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

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

static void add_problem(struct verify_job *job, const char *relpath, uint64_t key,
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

static void object_done(struct verify_job *job)
{
	size_t done = atomic_fetch_add(&job->done, 1) + 1;

	if (!job->opts->on_progress)
		return;
	pthread_mutex_lock(&job->lock);
	job->opts->on_progress(job->opts->payload, done, job->objects_total);
	pthread_mutex_unlock(&job->lock);
}

static int check_loose(const struct loose_entry *e, silo *s)
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
	/* Gone since the scan: a repack packed it and removed the loose
	 * copy.  Bad only if the silo lost it altogether. */
	if (ret == SILO_ENOTFOUND && silo_has_object_local(s, &e->id) > 0)
		return 0;
	if (ret < 0)
		return ret;
	while ((ret = silo_stream_read(st, &data, &len)) > 0)
		;
	silo_stream_free(st);
	return ret;
}

/* Give back the whole pages of [P, P + LEN) of a read-only file mapping. */
static void drop_pages(const unsigned char *p, size_t len)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t a, e;

	if (pg <= 0)
		return;
	a = ((uintptr_t)p + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
	e = ((uintptr_t)p + len) & ~((uintptr_t)pg - 1);
	if (e > a)
		madvise((void *)a, e - a, MADV_DONTNEED);
}

/* Hash DATA[0..len) raw and compare with the LEN..LEN+rawsz trailer. */
static int check_trailer(const unsigned char *data, size_t len, int format,
			 const char *relpath)
{
	silo_hasher *h;
	silo_oid sum;
	int ret;

	if ((ret = silo_hasher_new(&h, format)) < 0)
		return ret;
	if ((ret = silo_hasher_begin_raw(h)) >= 0) {
		size_t done = 0;
		/* In pieces, giving the pages back: a pack may be huge. */
		while (ret >= 0 && done < len) {
			size_t k = len - done > (32u << 20) ? (32u << 20) : len - done;
			ret = silo_hasher_update(h, data + done, k);
			drop_pages(data + done, k);
			done += k;
		}
		if (ret >= 0)
			ret = silo_hasher_final(&sum, h);
	}
	silo_hasher_free(h);
	if (ret < 0)
		return ret;
	if (memcmp(sum.hash, data + len, silo_oid_rawsz(format)))
		return silo_error_set(SILO_ECORRUPT,
			"'%s': trailing checksum does not match the content", relpath);
	return 0;
}

/* The CRC-32 of an entry's bytes, in pieces that are given back. */
static uint32_t entry_crc(const unsigned char *p, size_t len)
{
	uLong crc = crc32_z(0, NULL, 0);
	size_t done = 0;

	while (done < len) {
		size_t k = len - done > (32u << 20) ? (32u << 20) : len - done;
		crc = crc32_z(crc, p + done, k);
		if (len > (32u << 20))
			drop_pages(p + done, k);
		done += k;
	}
	return (uint32_t)crc;
}

static void check_group(struct verify_job *job, struct task *t, struct pack_cache *c,
			silo_hasher *h)
{
	struct pack *p = t->p;
	uint32_t i;

	for (i = 0; i < t->n_members; i++) {
		uint32_t pos = t->members[i];
		uint64_t off = pack_offset_at(p, pos);
		char hex[SILO_OID_MAX_HEXSZ + 1], got[SILO_OID_MAX_HEXSZ + 1];
		const unsigned char *data;
		size_t size;
		int type, owned, ret;
		silo_oid want, actual;
		struct pack_entry e;

		pack_oid_at(p, pos, &want);
		silo_oid_to_hex(hex, &want);
		if (t->n_members == 1 && pack_entry_at(p, off, &e) == 0 &&
		    e.type < PACK_OFS_DELTA && e.size > STREAM_OVER) {
			/* A large whole object that is no delta's base is
			 * hashed as it streams by, in bounded memory. */
			silo_stream *st;
			const void *piece;
			size_t len;
			if ((ret = pack_stream_open(&st, p, NULL, off, &want)) == 0) {
				while ((ret = silo_stream_read(st, &piece, &len)) > 0)
					;
				silo_stream_free(st);
			}
			if (ret < 0) {
				char msg[4400];
				snprintf(msg, sizeof(msg), "%s (object %s)", silo_error_message(), hex);
				add_problem(job, p->relpack, off + 1, SILO_VERIFY_BAD, msg);
			}
			object_done(job);
			continue;
		}
		ret = pack_read(p, c, off, &type, &data, &size, &owned);
		if (ret < 0) {
			char msg[4400];
			snprintf(msg, sizeof(msg), "%s (object %s)", silo_error_message(), hex);
			add_problem(job, p->relpack, off + 1, SILO_VERIFY_BAD, msg);
		} else {
			if ((ret = silo_hasher_begin(h, type, size)) >= 0 &&
			    (ret = silo_hasher_update(h, data, size)) >= 0)
				ret = silo_hasher_final(&actual, h);
			if (owned)
				free((void *)data);
			if (ret >= 0 && !silo_oid_equal(&want, &actual)) {
				char msg[600];
				snprintf(msg, sizeof(msg),
					 "'%s': object %s at offset %llu hashes to %s",
					 p->relpack, hex, (unsigned long long)off,
					 silo_oid_to_hex(got, &actual));
				add_problem(job, p->relpack, off + 1, SILO_VERIFY_BAD, msg);
			} else if (ret < 0) {
				add_problem(job, p->relpack, off + 1, SILO_VERIFY_BAD,
					    silo_error_message());
			}
		}
		object_done(job);
	}
}

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
		struct pack *p = t->p;

		switch (t->kind) {
		case TASK_LOOSE: {
			struct loose_entry *e = &job->entries[t->loose];
			if (check_loose(e, job->s) < 0)
				add_problem(job, e->relpath, 0, SILO_VERIFY_BAD,
					    silo_error_message());
			object_done(job);
			break;
		}
		case TASK_PACK_SUM:
			if (check_trailer(p->map, p->size - p->rawsz, p->format, p->relpack) < 0) {
				char msg[4400];
				snprintf(msg, sizeof(msg), "%s (truncated or damaged)",
					 silo_error_message());
				add_problem(job, p->relpack, 0, SILO_VERIFY_BAD, msg);
			} else if (memcmp(p->map + p->size - p->rawsz,
					  p->idx + p->idx_size - 2 * p->rawsz, p->rawsz)) {
				char msg[600];
				snprintf(msg, sizeof(msg), "'%s': pack is not the one its index "
					 "'%s' was made for", p->relpack, p->relidx);
				add_problem(job, p->relpack, 0, SILO_VERIFY_BAD, msg);
			}
			break;
		case TASK_IDX_SUM:
			if (check_trailer(p->idx, p->idx_size - p->rawsz, p->format, p->relidx) < 0)
				add_problem(job, p->relidx, 0, SILO_VERIFY_BAD, silo_error_message());
			break;
		case TASK_GROUP:
			check_group(job, t, cache, h);
			break;
		}
	}
	pack_cache_free(cache);
	silo_hasher_free(h);
	return NULL;
}

static int add_task(struct verify_job *job, size_t *alloc, const struct task *t)
{
	if (ALLOC_GROW(job->tasks, job->n_tasks + 1, *alloc) < 0)
		return silo_error_oom();
	job->tasks[job->n_tasks++] = *t;
	return 0;
}

static int by_offset(const void *a, const void *b, void *ctx)
{
	const struct pack *p = ctx;
	uint64_t x = pack_offset_at(p, *(const uint32_t *)a);
	uint64_t y = pack_offset_at(p, *(const uint32_t *)b);

	return x < y ? -1 : x > y;
}

static int by_cost(const void *a, const void *b)
{
	const struct task *x = a, *y = b;

	return x->cost > y->cost ? -1 : x->cost < y->cost;
}

/*
 * Check what can be checked before the threads start (offsets inside
 * the pack, distinct, CRCs, headers), then group the objects by the root
 * of their delta chain.
 */
static int plan_pack(struct verify_job *job, struct pack_plan *pl, size_t *alloc)
{
	struct pack *p = pl->p;
	uint32_t nr = p->nr, k, *root = NULL, *count = NULL, *start = NULL;
	struct task t;
	size_t first_task = job->n_tasks;
	int ret = 0;

	pl->by_offset = malloc((nr ? nr : 1) * sizeof(uint32_t));
	pl->members = malloc((nr ? nr : 1) * sizeof(uint32_t));
	root = malloc((nr ? nr : 1) * sizeof(uint32_t));
	count = calloc((size_t)nr + 1, sizeof(uint32_t));
	start = calloc((size_t)nr + 1, sizeof(uint32_t));
	if (!pl->by_offset || !pl->members || !root || !count || !start) {
		ret = silo_error_oom();
		goto out;
	}
	for (k = 0; k < nr; k++)
		pl->by_offset[k] = k;
	qsort_r(pl->by_offset, nr, sizeof(uint32_t), by_offset, p);
	for (k = 0; k < nr; k++) {
		uint32_t pos = pl->by_offset[k];
		uint64_t off = pack_offset_at(p, pos), end;
		char hex[SILO_OID_MAX_HEXSZ + 1], msg[600];
		silo_oid id;
		struct pack_entry e;

		root[k] = k;
		pack_oid_at(p, pos, &id);
		silo_oid_to_hex(hex, &id);
		if (off < 12 || off >= p->size - p->rawsz) {
			snprintf(msg, sizeof(msg), "'%s': object %s: offset %llu is outside the pack",
				 p->relpack, hex, (unsigned long long)off);
			add_problem(job, p->relpack, off + 1, SILO_VERIFY_BAD, msg);
			root[k] = UINT32_MAX;
			continue;
		}
		end = pack_entry_end(k + 1 < nr, k + 1 < nr ?
				     pack_offset_at(p, pl->by_offset[k + 1]) : 0,
				     p->size, p->rawsz);
		if (end <= off || end > p->size - p->rawsz) {
			snprintf(msg, sizeof(msg), end <= off ?
				 "'%s': object %s: offset %llu is shared with another object" :
				 "'%s': object %s at offset %llu: extends past the end of the pack",
				 p->relpack, hex, (unsigned long long)off);
			add_problem(job, p->relpack, off + 1, SILO_VERIFY_BAD, msg);
			root[k] = UINT32_MAX;
			continue;
		}
		if (entry_crc(p->map + off, (size_t)(end - off)) != pack_crc_at(p, pos)) {
			snprintf(msg, sizeof(msg), "'%s': object %s at offset %llu: CRC mismatch "
				 "(damaged bytes)", p->relpack, hex, (unsigned long long)off);
			add_problem(job, p->relpack, off + 1, SILO_VERIFY_BAD, msg);
		}
		if (pack_entry_at(p, off, &e) < 0) {
			snprintf(msg, sizeof(msg), "%s (object %s)", silo_error_message(), hex);
			add_problem(job, p->relpack, off + 1, SILO_VERIFY_BAD, msg);
			root[k] = UINT32_MAX;
			continue;
		}
		if (e.type >= PACK_OFS_DELTA) {
			/* Find the base among the entries sorted by offset. */
			uint32_t lo = 0, hi = nr;
			while (lo < hi) {
				uint32_t mid = lo + (hi - lo) / 2;
				uint64_t mo = pack_offset_at(p, pl->by_offset[mid]);
				if (mo == e.base) {
					lo = mid;
					break;
				}
				if (mo < e.base)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < nr && pack_offset_at(p, pl->by_offset[lo]) == e.base)
				root[k] = lo;	/* resolved to a root below */
		}
	}
	/* Follow each chain to its root; a base after its delta (REF_DELTA)
	 * or a loop falls back to the object itself, and pack_read reports. */
	for (k = 0; k < nr; k++) {
		uint32_t r = root[k], steps = 0;
		if (r == UINT32_MAX)
			continue;
		while (r != UINT32_MAX && root[r] != r && steps++ < nr)
			r = root[r];
		root[k] = r == UINT32_MAX || steps >= nr ? k : r;
		count[root[k]]++;
	}
	for (k = 0; k < nr; k++)
		start[k + 1] = start[k] + count[k];
	memset(count, 0, ((size_t)nr + 1) * sizeof(uint32_t));
	for (k = 0; k < nr; k++)
		if (root[k] != UINT32_MAX)
			pl->members[start[root[k]] + count[root[k]]++] = pl->by_offset[k];
	/* The checksums first, so they overlap with the groups. */
	memset(&t, 0, sizeof(t));
	t.p = p;
	t.kind = TASK_PACK_SUM;
	if ((ret = add_task(job, alloc, &t)) < 0)
		goto out;
	t.kind = TASK_IDX_SUM;
	if ((ret = add_task(job, alloc, &t)) < 0)
		goto out;
	first_task = job->n_tasks;
	for (k = 0; k < nr; k++) {
		if (!count[k])
			continue;
		memset(&t, 0, sizeof(t));
		t.kind = TASK_GROUP;
		t.p = p;
		t.members = pl->members + start[k];
		t.n_members = count[k];
		t.cost = (uint64_t)count[k];
		if ((ret = add_task(job, alloc, &t)) < 0)
			goto out;
	}
	/* Big groups first, so that no thread is left with a long one at
	 * the end. */
	qsort(job->tasks + first_task, job->n_tasks - first_task, sizeof(struct task), by_cost);
out:
	free(root);
	free(count);
	free(start);
	return ret;
}

static int is_temp(const char *name)
{
	return !strncmp(name, SILO_TMP_PREFIX, strlen(SILO_TMP_PREFIX));
}

static int has_file(silo *s, const char *dirname, const char *name)
{
	char *dir = fs_join(s->root, dirname), *path;
	int ret;

	if (!dir)
		return silo_error_oom();
	path = fs_join(dir, name);
	free(dir);
	if (!path)
		return silo_error_oom();
	ret = fs_exists(path);
	free(path);
	return ret;
}

/* Scan pack/: open each pack, report what is not one. */
static int scan_packs(struct verify_job *job, struct pack_plan **plans, size_t *n_plans,
		      size_t *alloc_tasks)
{
	silo *s = job->s;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0, i;
	DIR *d;
	int ret = 0;

	*plans = NULL;
	*n_plans = 0;
	d = opendir(s->pack_dir);
	if (!d)
		return errno == ENOENT ? 0 :
			silo_error_errno("cannot read directory '%s'", s->pack_dir);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (ALLOC_GROW(names, n + 1, alloc) < 0) {
			ret = silo_error_oom();
			break;
		}
		if (!(names[n] = strdup(de->d_name))) {
			ret = silo_error_oom();
			break;
		}
		n++;
	}
	closedir(d);
	if (!ret && n && !(*plans = calloc(n, sizeof(**plans))))
		ret = silo_error_oom();
	for (i = 0; i < n && !ret; i++) {
		const char *name = names[i];
		char rel[4200], msg[4400];
		snprintf(rel, sizeof(rel), "pack/%s", name);
		if (pack_name_is(name, s->format, "pack")) {
			char idx[4200];
			int have;
			snprintf(idx, sizeof(idx), "%.*s.idx", (int)(strlen(name) - 5), name);
			if ((have = has_file(s, "pack", idx)) < 0) {
				ret = have;
				break;
			}
			if (!have) {
				snprintf(msg, sizeof(msg), "'%s': pack without its index "
					 "(an interrupted or running repack); ignored", rel);
				add_problem(job, rel, 0, SILO_VERIFY_WARNING, msg);
				continue;
			}
			{
				char relbase[4200];
				struct pack *p;
				int r;
				snprintf(relbase, sizeof(relbase), "pack/%.*s",
					 (int)(strlen(name) - 5), name);
				r = pack_open_lenient(&p, s->root, relbase, s->format);
				if (r < 0) {
					if (r == SILO_ENOMEM) {
						ret = r;
						break;
					}
					add_problem(job, rel, 0, SILO_VERIFY_BAD, silo_error_message());
					continue;
				}
				(*plans)[*n_plans].p = p;
				(*n_plans)++;
				job->objects_total += p->nr;
				if ((ret = plan_pack(job, &(*plans)[*n_plans - 1], alloc_tasks)) < 0)
					break;
			}
		} else if (pack_name_is(name, s->format, "idx")) {
			char pk[4200];
			int have;
			snprintf(pk, sizeof(pk), "%.*s.pack", (int)(strlen(name) - 4), name);
			if ((have = has_file(s, "pack", pk)) < 0) {
				ret = have;
				break;
			}
			if (!have) {
				snprintf(msg, sizeof(msg), "'%s': index without its pack", rel);
				add_problem(job, rel, 0, SILO_VERIFY_BAD, msg);
			}
		} else if (!strcmp(name, "packs")) {
			/* The list of packs for readers over HTTP (pack-list.c). */
		} else if (is_temp(name)) {
			snprintf(msg, sizeof(msg),
				 "'%s': temporary file of an interrupted or running write", rel);
			add_problem(job, rel, 0, SILO_VERIFY_WARNING, msg);
		} else {
			snprintf(msg, sizeof(msg), "'%s': not a pack file", rel);
			add_problem(job, rel, 0, SILO_VERIFY_BAD, msg);
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
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

int silo_verify(struct silo_verify_result *result, silo *s,
		const struct silo_verify_options *opts)
{
	struct verify_job job;
	struct pack_plan *plans = NULL;
	size_t n_plans = 0, alloc_tasks = 0;
	pthread_t *threads = NULL;
	int jobs = opts->jobs, started = 0, ret, i;
	size_t k;

	memset(result, 0, sizeof(*result));
	memset(&job, 0, sizeof(job));
	job.s = s;
	job.opts = opts;
	pthread_mutex_init(&job.lock, NULL);
	if ((ret = loose_scan(&job.entries, &job.count, s)) < 0)
		goto out;
	for (k = 0; k < job.count && !ret; k++) {
		struct loose_entry *e = &job.entries[k];
		char msg[4200];
		switch (e->kind) {
		case LOOSE_OBJECT: {
			struct task t;
			memset(&t, 0, sizeof(t));
			t.kind = TASK_LOOSE;
			t.loose = k;
			ret = add_task(&job, &alloc_tasks, &t);
			job.objects_total++;
			break;
		}
		case LOOSE_TEMP:
			snprintf(msg, sizeof(msg),
				 "'%s': temporary file of an interrupted or running write",
				 e->relpath);
			add_problem(&job, e->relpath, 0, SILO_VERIFY_WARNING, msg);
			break;
		case LOOSE_STRAY:
			snprintf(msg, sizeof(msg), "'%s': not an object file", e->relpath);
			add_problem(&job, e->relpath, 0, SILO_VERIFY_BAD, msg);
			break;
		}
	}
	if (ret < 0 || (ret = scan_packs(&job, &plans, &n_plans, &alloc_tasks)) < 0)
		goto out;
	if (jobs <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = n > 0 ? (int)n : 1;
	}
	if ((size_t)jobs > job.n_tasks)
		jobs = job.n_tasks ? (int)job.n_tasks : 1;
	if (!(threads = calloc((size_t)jobs, sizeof(*threads)))) {
		ret = silo_error_oom();
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
		ret = silo_error_oom();
		goto out;
	}
	result->objects = job.objects_total;
	if (job.n_problems)
		qsort(job.problems, job.n_problems, sizeof(*job.problems), by_path_key);
	for (k = 0; k < job.n_problems; k++) {
		struct problem *p = &job.problems[k];
		if (p->severity == SILO_VERIFY_BAD)
			result->bad++;
		else
			result->warnings++;
		if (opts->on_problem)
			opts->on_problem(opts->payload, p->severity, p->relpath, p->message);
	}
out:
	pthread_mutex_destroy(&job.lock);
	for (k = 0; k < job.n_problems; k++) {
		free(job.problems[k].relpath);
		free(job.problems[k].message);
	}
	free(job.problems);
	free(threads);
	free(job.tasks);
	for (k = 0; k < n_plans; k++) {
		pack_close(plans[k].p);
		free(plans[k].by_offset);
		free(plans[k].members);
	}
	free(plans);
	loose_entries_free(job.entries, job.count);
	return ret;
}
