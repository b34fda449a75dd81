/*
 * The pack order and the delta search of a repack.
 *
 * Delta bases are chosen as git's pack-objects chooses them: objects
 * sorted by type and decreasing size, each tried against the WINDOW
 * objects before it, nearest first, a delta kept only if it beats half
 * the object's size (less as its base's chain grows deeper).  A hinted
 * base is tried first, whatever its size, and placed before its target,
 * then the bases hinted for it in turn.  In a family pack of trees
 * (pack-family.c) the order is given, and the blobs before the target
 * that git's order (name, size) puts next to it are tried too.  A large
 * target is encoded in parts on several threads (delta.c).
 */
#include "repack-internal.h"
#include "delta.h"
#include "error-internal.h"

#include <stdlib.h>

/* In a family pack, a delta larger than 1/POOR_DELTA of its object makes
 * the search look WIDER times further among like-named files. */
#define POOR_DELTA 16
#define WIDER 5

int repack_find_obj(struct repack *r, const silo_oid *id)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = silo_oid_cmp(&r->objs[mid].id, id);
		if (!c)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int by_type_size(const void *a, const void *b, void *ctx)
{
	const struct repack *r = ctx;
	const struct obj *x = &r->objs[*(const size_t *)a];
	const struct obj *y = &r->objs[*(const size_t *)b];

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return silo_oid_cmp(&x->id, &y->id);
}

/* Does following hint bases from I ever reach J? */
static int hint_reaches(struct repack *r, int i, int j)
{
	size_t steps = 0;

	for (; i >= 0 && steps <= r->n; i = r->objs[i].hint_base, steps++)
		if (i == j)
			return 1;
	return 0;
}

/*
 * Put I in the pack order after its chain of hinted bases, which
 * hint_reaches() kept free of cycles.  STACK has room for every object:
 * a chain of hints may be long, so no recursion.
 */
static void emit_order(struct repack *r, size_t i, char *placed, size_t *stack,
		       size_t *k)
{
	size_t depth = 0;

	while (!placed[i]) {
		stack[depth++] = i;
		if (r->objs[i].hint_base < 0)
			break;
		i = (size_t)r->objs[i].hint_base;
	}
	while (depth) {
		i = stack[--depth];
		if (placed[i])
			continue;
		placed[i] = 1;
		r->order[(*k)++] = i;
	}
}

void repack_reset_search(struct repack *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct obj *o = &r->objs[i];
		o->hint_base = -1;
		o->base = -1;
		o->depth = 0;
		free(o->delta);
		o->delta = NULL;
		o->delta_size = 0;
	}
	/* Indexes are ranked by pack order, which starts again. */
	for (i = 0; i < IDX_SLOTS; i++) {
		delta_index_free(r->icache[i].idx);
		r->icache[i].idx = NULL;
	}
	r->imem = 0;
}

int repack_plan_order(struct repack *r)
{
	size_t *sorted, *stack, i, n = 0, k = 0;
	char *placed;

	repack_reset_search(r);
	r->depth = r->o->depth;
	for (i = 0; i < r->o->n_hints; i++) {
		int a = repack_find_obj(r, &r->o->hints[i].old_id);
		int b = repack_find_obj(r, &r->o->hints[i].new_id);
		if (a < 0 || b < 0 || a == b || r->objs[a].type != r->objs[b].type ||
		    r->objs[a].in_family || r->objs[b].in_family)
			continue;
		if (hint_reaches(r, a, b))
			continue;	/* would make a cycle */
		r->objs[b].hint_base = a;
	}
	sorted = malloc((r->n ? r->n : 1) * sizeof(*sorted));
	stack = malloc((r->n ? r->n : 1) * sizeof(*stack));
	placed = calloc(r->n ? r->n : 1, 1);
	if (!r->order)
		r->order = malloc((r->n ? r->n : 1) * sizeof(*r->order));
	if (!sorted || !stack || !placed || !r->order) {
		free(sorted);
		free(stack);
		free(placed);
		return silo__error_oom();
	}
	for (i = 0; i < r->n; i++)
		if (!r->objs[i].in_family)
			sorted[n++] = i;
	qsort_r(sorted, n, sizeof(*sorted), by_type_size, r);
	for (i = 0; i < n; i++)
		emit_order(r, sorted[i], placed, stack, &k);
	r->n_order = k;
	free(sorted);
	free(stack);
	free(placed);
	return 0;
}

/* ---- the delta search ---- */

/*
 * The indexes of recent candidates, kept while memory allows: each
 * object is tried as a base for up to WINDOW targets, and indexing it
 * anew each time would cost as much as the search.  RANK is the
 * object's place in pack order; the lowest rank, the first to leave
 * the window, is evicted first (least recently used would evict exactly
 * the index the next target needs first).
 */
static int get_index(struct repack *r, size_t obj, uint64_t rank,
		     const struct delta_index **out)
{
	struct idx_slot *victim = NULL;
	struct delta_index *idx;
	size_t i, mem;
	int ret;

	for (i = 0; i < IDX_SLOTS; i++)
		if (r->icache[i].idx && r->icache[i].obj == obj) {
			*out = r->icache[i].idx;
			return 0;
		}
	if ((ret = delta_index_new(&idx, r->map + r->objs[obj].spool_off,
				   (size_t)r->objs[obj].size, INDEX_MAX_ENTRIES,
				   r->objs[obj].size > BIG_OBJECT ? DELTA_DROP_PAGES : 0)) < 0)
		return ret;
	mem = delta_index_memory(idx);
	/* Evict the least recently used until it fits. */
	for (;;) {
		struct idx_slot *free_slot = NULL;
		victim = NULL;
		for (i = 0; i < IDX_SLOTS; i++) {
			if (!r->icache[i].idx) {
				free_slot = &r->icache[i];
				continue;
			}
			if (!victim || r->icache[i].used < victim->used)
				victim = &r->icache[i];
		}
		if (free_slot && (r->imem + mem <= INDEX_CACHE_BYTES || !victim)) {
			victim = free_slot;
			break;
		}
		if (!victim)
			break;
		r->imem -= victim->mem;
		delta_index_free(victim->idx);
		victim->idx = NULL;
	}
	victim->idx = idx;
	victim->obj = obj;
	victim->mem = mem;
	victim->used = rank;
	r->imem += mem;
	*out = idx;
	return 0;
}

/* About what delta_index_new() takes for an object of SIZE bytes. */
static size_t index_estimate(uint64_t size)
{
	size_t n = size / 16 > INDEX_MAX_ENTRIES ? INDEX_MAX_ENTRIES : (size_t)(size / 16);
	size_t nb = 16;

	while (nb < n / 2)
		nb <<= 1;
	return (n + nb) * sizeof(uint32_t);
}

/* Try SRC as the delta base of TRG, as git's try_delta() does. */
static int try_one(struct repack *r, size_t si, uint64_t rank, size_t ti, int hinted)
{
	struct obj *src = &r->objs[si], *trg = &r->objs[ti];
	int max_depth = r->depth;
	const struct delta_index *idx;
	uint64_t max_size;
	unsigned char *delta;
	size_t delta_size;
	int ret;

	if (src->depth >= max_depth || src->type != trg->type || src->size < 16)
		return 0;
	if (!hinted) {
		uint64_t sizediff, ref_depth;
		if (trg->size < src->size / 32)
			return 0;
		if (!trg->delta) {
			if (trg->size / 2 <= silo_oid_rawsz(r->s->format))
				return 0;
			max_size = trg->size / 2 - silo_oid_rawsz(r->s->format);
			ref_depth = 1;
		} else {
			max_size = trg->delta_size;
			ref_depth = (uint64_t)trg->depth;
		}
		/* Deeper bases must earn their place with smaller deltas. */
		max_size = max_size * (uint64_t)(max_depth - src->depth) /
			   ((uint64_t)max_depth - ref_depth + 1);
		sizediff = src->size < trg->size ? trg->size - src->size : 0;
		if (!max_size || sizediff >= max_size)
			return 0;
	} else {
		/* A hint is trusted: any delta smaller than the object. */
		max_size = trg->delta ? trg->delta_size : trg->size;
		if (!max_size)
			return 0;
	}
	if ((ret = get_index(r, si, rank, &idx)) < 0)
		return ret;
	ret = delta_create(idx, r->map + trg->spool_off, (size_t)trg->size,
			   (size_t)max_size,
			   trg->size > BIG_OBJECT || src->size > BIG_OBJECT ? DELTA_DROP_PAGES : 0,
			   r->threads, &delta, &delta_size);
	/* The spool's pages come back from the page cache when next
	 * needed; holding them would make memory grow with the window
	 * times the object size. */
	if (src->size >= DROP_OBJECT)
		repack_drop_range(r->map + src->spool_off, src->size);
	if (ret <= 0)
		return ret;
	if (trg->delta && delta_size >= trg->delta_size) {
		free(delta);
		return 0;
	}
	free(trg->delta);
	trg->delta = delta;
	trg->delta_size = delta_size;
	trg->base = (int)si;
	trg->depth = src->depth + 1;
	return 0;
}

/* Choose the base of ORDER[J] among the objects before it, nearest
 * first: a good delta found early makes the later tries stop early. */
int repack_search_for(struct repack *r, size_t j)
{
	size_t ti = r->order[j], k, budget = 0;
	struct obj *trg = &r->objs[ti];
	int ret = 0, h;

	if (trg->size < 16)
		return 0;
	/* The hinted base, then the bases hinted for it in turn (earlier
	 * versions of the same thing), as many as the window: when the
	 * chain of the nearest is at its longest, an older version is
	 * still a base.  Once a delta is found, an older one must earn its
	 * place by git's rules. */
	for (h = trg->hint_base, k = 0; h >= 0 && !ret && (!k || k < (size_t)r->o->window);
	     h = r->objs[h].hint_base, k++)
		ret = try_one(r, (size_t)h, 0, ti, !trg->delta);
	if (ret < 0)
		return ret;
	/* As git's --window-memory: the window also ends where the indexes
	 * of its candidates would pass the budget, so that memory stays
	 * bounded and no index is built twice for one target. */
	for (k = j; k > 0 && j - k < (size_t)r->o->window && !ret; k--) {
		size_t si = r->order[k - 1];
		budget += index_estimate(r->objs[si].size);
		if (budget > INDEX_CACHE_BYTES && k != j)
			break;
		if ((int)si != trg->hint_base)
			ret = try_one(r, si, k - 1, ti, 0);
	}
	/* In a family pack, also the neighbours of the target among the
	 * blobs sorted by name and size (what git's window sees) that come
	 * before it in the pack: files of the same name in other versions,
	 * files of like names in this one. */
	if (r->fam_pos && r->fam_sorted_pos[ti] != (size_t)-1) {
		size_t at = r->fam_sorted_pos[ti], d, w = (size_t)r->o->window;
		/* A file with no good delta yet (new, renamed, rewritten)
		 * looks further: there are few such files. */
		if (!trg->delta || trg->delta_size > trg->size / POOR_DELTA)
			w *= WIDER;
		for (d = 1; d <= w && !ret; d++) {
			size_t c[2], x;
			c[0] = at >= d ? r->fam_sorted[at - d] : (size_t)-1;
			c[1] = at + d < r->fam_n ? r->fam_sorted[at + d] : (size_t)-1;
			for (x = 0; x < 2 && !ret; x++)
				if (c[x] != (size_t)-1 && r->fam_pos[c[x]] < r->fam_pos[ti] &&
				    (int)c[x] != trg->base)
					ret = try_one(r, c[x], r->fam_pos[c[x]], ti, 0);
		}
	}
	if (trg->size >= DROP_OBJECT)
		repack_drop_range(r->map + trg->spool_off, trg->size);
	return ret;
}
