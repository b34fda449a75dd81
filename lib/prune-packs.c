/*
 * Removing packed garbage.  A pack is never edited: the packs that hold
 * an unreferenced object and are older than the grace period are
 * replaced by one new pack of the objects of theirs that are kept,
 * written with the repack machinery (spool, delta search, pack and
 * index, durable, linked into place, listed in pack/packs), and only then
 * removed, each index before its pack.  Killed at any moment, the silo
 * holds every kept object: in the old packs, the new one, or both.
 */
#include "repack-internal.h"
#include "silo/prune.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int add_kept(struct repack *r, size_t *alloc, const silo_oid *id, uint64_t off)
{
	struct obj *o;

	if (ALLOC_GROW(r->objs, r->n + 1, *alloc) < 0)
		return silo__error_oom();
	o = &r->objs[r->n++];
	memset(o, 0, sizeof(*o));
	o->id = *id;
	o->base = -1;
	o->hint_base = -1;
	o->old_pack = (int)r->n_old - 1;	/* the pack being planned */
	o->old_off = off;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	return silo_oid_cmp(&((const struct obj *)a)->id, &((const struct obj *)b)->id);
}

/* Keep one of each id in R (an object may be in two old packs). */
static void unique_objs(struct repack *r)
{
	size_t i, k = 0;

	if (!r->n)
		return;
	qsort(r->objs, r->n, sizeof(*r->objs), by_id);
	for (i = 0; i < r->n; i++)
		if (!k || !silo_oid_equal(&r->objs[k - 1].id, &r->objs[i].id))
			r->objs[k++] = r->objs[i];
	r->n = k;
}

/*
 * Look at pack P: if it is old and holds garbage, add it to the plan's
 * old packs, its kept objects to the repack and its garbage to the
 * removal list; count into RESULT.
 */
static int plan_pack(struct prune_plan *pl, const struct pack *p,
		     const struct silo_oid_set *keep,
		     const struct silo_prune_options *opts,
		     struct silo_prune_result *result)
{
	struct repack *r = &pl->r;
	uint64_t *sizes = NULL;
	uint32_t i, garbage = 0;
	struct stat st;
	char *path;
	int ret, young;

	for (i = 0; i < p->nr; i++) {
		silo_oid id;
		pack_oid_at(p, i, &id);
		if (!silo_oid_set_contains(keep, &id))
			garbage++;
	}
	if (!garbage)
		return 0;
	if (!(path = fs_join(r->s->root, p->relpack)))
		return silo__error_oom();
	ret = stat(path, &st);
	free(path);
	if (ret < 0)
		return 0;	/* removed meanwhile: nothing of it to keep */
	if ((ret = pack_entry_sizes(&sizes, p)) < 0)
		return ret;
	young = st.st_mtime >= opts->expire;
	if (young) {
		result->packs_young++;
		for (i = 0; i < p->nr; i++) {
			silo_oid id;
			pack_oid_at(p, i, &id);
			if (!silo_oid_set_contains(keep, &id)) {
				result->packed_young++;
				result->packed_young_bytes += sizes[i];
			}
		}
		free(sizes);
		return 0;
	}
	if (ALLOC_GROW(r->old, r->n_old + 1, pl->old_alloc) < 0 ||
	    !(r->old[r->n_old] = strndup(p->relpack, strlen(p->relpack) - 5))) {
		free(sizes);
		return silo__error_oom();
	}
	r->n_old++;
	result->packs_rewritten++;
	for (i = 0; i < p->nr && !ret; i++) {
		silo_oid id;
		pack_oid_at(p, i, &id);
		if (silo_oid_set_contains(keep, &id)) {
			result->packed_kept++;
			ret = add_kept(r, &pl->objs_alloc, &id, pack_offset_at(p, i));
			continue;
		}
		if (ALLOC_GROW(pl->packed, pl->n_packed + 1, pl->packed_alloc) < 0) {
			ret = silo__error_oom();
			break;
		}
		pl->packed[pl->n_packed].id = id;
		pl->packed[pl->n_packed].old = r->n_old - 1;
		pl->n_packed++;
		result->packed_removed++;
		result->bytes += sizes[i];
	}
	free(sizes);
	return ret;
}

int prune_packs_plan(struct prune_plan *pl, silo *s, const struct silo_oid_set *keep,
		     const struct silo_prune_options *opts,
		     struct silo_prune_result *result)
{
	struct repack *r = &pl->r;
	size_t i;
	int ret;

	r->s = s;
	r->o = &pl->ro;
	r->spool_fd = -1;
	r->keep_young = opts->expire;
	if ((ret = pack_set_load(s->packs, 1)) < 0)
		return ret;
	/* A pack that cannot be read may hold kept objects: refuse. */
	if (s->packs->error)
		return silo__error_set(s->packs->error, "%s", s->packs->error_msg);
	for (i = 0; i < s->packs->n; i++)
		result->objects_before += s->packs->v[i]->nr;
	for (i = 0; i < s->packs->n && !ret; i++)
		ret = plan_pack(pl, s->packs->v[i], keep, opts, result);
	return ret;
}

int prune_packs_run(struct prune_plan *pl, silo *s, struct silo_prune_result *result)
{
	struct silo_repack_result res;
	struct repack *r = &pl->r;
	int ret;

	if (!r->n_old)
		return 0;
	memset(&res, 0, sizeof(res));
	unique_objs(r);
	{
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		r->threads = n > 0 ? (int)n : 1;
	}
	if (r->n) {
		if ((ret = repack_spool(r)) < 0 || (ret = repack_write_packs(r, &res)) < 0)
			return ret;
		/* Readers over HTTP learn of the new pack before the old go. */
		if ((ret = silo__pack_list_write(s)) < 0)
			return ret;
	}
	if ((ret = repack_remove_old(r, &res)) < 0)
		return ret;
	result->packs_freshened = res.kept_young;
	ret = silo__pack_list_write(s);
	pack_set_close(s->packs);
	return ret;
}
