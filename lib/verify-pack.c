/*
 * Verifying the packs of a silo.  Before the threads start, each pack's
 * structure is checked where no object needs to be read (offsets inside
 * the pack and distinct, CRCs, entry headers); then its objects are
 * checked in groups that share a delta base, each group by one thread in
 * pack order, so that a base is inflated once for all its deltas rather
 * than once per thread.  Both trailer checksums are tasks of their own.
 */
#include "verify-internal.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <zlib.h>

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
		return silo__error_set(SILO_ECORRUPT,
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
		uint64_t big;

		pack_oid_at(p, pos, &want);
		silo_oid_to_hex(hex, &want);
		if (pack_entry_at(p, off, &e) == 0 &&
		    ((e.type < PACK_OFS_DELTA && e.size > STREAM_OVER) ||
		     (e.type >= PACK_OFS_DELTA && pack_delta_result_size(p, &e, &big) == 0 &&
		      big > PACK_BIG_DELTA))) {
			/* A large object is hashed as it streams by, in
			 * bounded memory (a huge delta through
			 * pack-bigdelta.c); its deltas read it again. */
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
				verify_add_problem(job, p->relpack, off + 1, SILO_VERIFY_BAD, msg);
			}
			verify_object_done(job);
			continue;
		}
		ret = pack_read(p, c, off, &type, &data, &size, &owned);
		if (ret < 0) {
			char msg[4400];
			snprintf(msg, sizeof(msg), "%s (object %s)", silo_error_message(), hex);
			verify_add_problem(job, p->relpack, off + 1, SILO_VERIFY_BAD, msg);
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
				verify_add_problem(job, p->relpack, off + 1, SILO_VERIFY_BAD, msg);
			} else if (ret < 0) {
				verify_add_problem(job, p->relpack, off + 1, SILO_VERIFY_BAD,
					    silo_error_message());
			}
		}
		verify_object_done(job);
	}
}

void verify_pack_task(struct verify_job *job, struct task *t, struct pack_cache *cache,
		      silo_hasher *h)
{
	struct pack *p = t->p;

	switch (t->kind) {
	case TASK_PACK_SUM:
		if (check_trailer(p->map, p->size - p->rawsz, p->format, p->relpack) < 0) {
			char msg[4400];
			snprintf(msg, sizeof(msg), "%s (truncated or damaged)",
				 silo_error_message());
			verify_add_problem(job, p->relpack, 0, SILO_VERIFY_BAD, msg);
		} else if (memcmp(p->map + p->size - p->rawsz,
				  p->idx + p->idx_size - 2 * p->rawsz, p->rawsz)) {
			char msg[600];
			snprintf(msg, sizeof(msg), "'%s': pack is not the one its index "
				 "'%s' was made for", p->relpack, p->relidx);
			verify_add_problem(job, p->relpack, 0, SILO_VERIFY_BAD, msg);
		}
		break;
	case TASK_IDX_SUM:
		if (check_trailer(p->idx, p->idx_size - p->rawsz, p->format, p->relidx) < 0)
			verify_add_problem(job, p->relidx, 0, SILO_VERIFY_BAD, silo_error_message());
		break;
	case TASK_GROUP:
		check_group(job, t, cache, h);
		break;
	case TASK_LOOSE:
		break;
	}
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
		ret = silo__error_oom();
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
			verify_add_problem(job, p->relpack, off + 1, SILO_VERIFY_BAD, msg);
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
			verify_add_problem(job, p->relpack, off + 1, SILO_VERIFY_BAD, msg);
			root[k] = UINT32_MAX;
			continue;
		}
		if (entry_crc(p->map + off, (size_t)(end - off)) != pack_crc_at(p, pos)) {
			snprintf(msg, sizeof(msg), "'%s': object %s at offset %llu: CRC mismatch "
				 "(damaged bytes)", p->relpack, hex, (unsigned long long)off);
			verify_add_problem(job, p->relpack, off + 1, SILO_VERIFY_BAD, msg);
		}
		if (pack_entry_at(p, off, &e) < 0) {
			snprintf(msg, sizeof(msg), "%s (object %s)", silo_error_message(), hex);
			verify_add_problem(job, p->relpack, off + 1, SILO_VERIFY_BAD, msg);
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
	if ((ret = verify_add_task(job, alloc, &t)) < 0)
		goto out;
	t.kind = TASK_IDX_SUM;
	if ((ret = verify_add_task(job, alloc, &t)) < 0)
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
		if ((ret = verify_add_task(job, alloc, &t)) < 0)
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
		return silo__error_oom();
	path = fs_join(dir, name);
	free(dir);
	if (!path)
		return silo__error_oom();
	ret = fs_exists(path);
	free(path);
	return ret;
}

/* Scan pack/: open each pack, report what is not one. */
int verify_plan_packs(struct verify_job *job, struct pack_plan **plans, size_t *n_plans,
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
			silo__error_errno("cannot read directory '%s'", s->pack_dir);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (ALLOC_GROW(names, n + 1, alloc) < 0) {
			ret = silo__error_oom();
			break;
		}
		if (!(names[n] = strdup(de->d_name))) {
			ret = silo__error_oom();
			break;
		}
		n++;
	}
	closedir(d);
	if (!ret && n && !(*plans = calloc(n, sizeof(**plans))))
		ret = silo__error_oom();
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
				verify_add_problem(job, rel, 0, SILO_VERIFY_WARNING, msg);
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
					verify_add_problem(job, rel, 0, SILO_VERIFY_BAD, silo_error_message());
					continue;
				}
				/* The name is the checksum of the pack, which its
				 * index records: a renamed pack is not what its
				 * name promises (git's readers check this too). */
				{
					char hex[SILO_OID_MAX_HEXSZ + 1];
					silo_oid sum;
					silo_oid_from_raw(&sum, s->format,
							  p->idx + p->idx_size - 2 * p->rawsz);
					silo_oid_to_hex(hex, &sum);
					if (strncmp(name + 5, hex, 2 * p->rawsz)) {
						snprintf(msg, sizeof(msg), "'%s': named for checksum "
							 "%.*s, but it is pack-%s", rel,
							 (int)(2 * p->rawsz), name + 5, hex);
						verify_add_problem(job, rel, 0, SILO_VERIFY_BAD, msg);
					}
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
				verify_add_problem(job, rel, 0, SILO_VERIFY_BAD, msg);
			}
		} else if (!strcmp(name, "packs")) {
			/* The list of packs for readers over HTTP (pack-list.c). */
		} else if (pack_name_is(name, s->format, "moved")) {
			/* Where a removed pack's objects went (pack-repack.c). */
		} else if (is_temp(name)) {
			verify_temp_file(job, rel);
		} else {
			snprintf(msg, sizeof(msg), "'%s': not a pack file", rel);
			verify_add_problem(job, rel, 0, SILO_VERIFY_BAD, msg);
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

void verify_plans_free(struct pack_plan *plans, size_t n_plans)
{
	size_t k;

	for (k = 0; k < n_plans; k++) {
		pack_close(plans[k].p);
		free(plans[k].by_offset);
		free(plans[k].members);
	}
	free(plans);
}
