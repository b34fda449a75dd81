/*
 * Trees of the tree kind in a repack (silo-layout(5)).  medo add writes
 * such a tree into a pack of its own: its tree objects, root first, then
 * its size table, then its new blobs in path order, so that a reader
 * over HTTP gets the whole listing in one range from the start of the
 * pack.  A repack keeps that layout.  It finds these trees among its
 * objects (a tree no other tree names, whose size table, computed from
 * its leaves, is an object of the repack too), groups versions of one tree into families
 * (trees that share most of their files, or whose roots a hint pairs),
 * and writes each family into a pack of its own: the tree objects of
 * every version first, then their attribute records (found by the root
 * they name) and their size tables, then the blobs, version
 * after version, each in path order.  An object is tried first as a
 * delta of the object at the same path in the versions before; chains
 * are at most TREE_DELTA_DEPTH long, so that reading one file reads a
 * bounded number of objects.  A blob two families share is written into
 * the packs of both: each tree's objects are in one pack.  Everything
 * else goes into one more pack, ordered as before (pack-delta.c).
 */
#include "repack-internal.h"
#include "silo/tree-pack.h"
#include "silo/tree.h"
#include "tree-internal.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>

#define NONE ((size_t)-1)
#define MAX_TREE_DEPTH 4096
#define MODE_DIR 040000
#define MAX_FAMILY 64		/* trees in one family pack, at most */

struct ktree {
	size_t root, sizes;			/* in r->objs */
	size_t attrs;				/* its first attribute record, or
						   NONE; the others: attrs_next */
	size_t *trees, n_trees, a_trees;	/* tree objects, in preorder */
	size_t *leaves, n_leaves, a_leaves;	/* blobs, in path order */
	uint64_t *paths;			/* hashes of their paths */
	size_t a_paths;
	size_t *pred;				/* the tree before that has
						   the same path, or NONE */
	size_t distinct;			/* distinct blobs */
	struct timespec mtime;			/* of the pack it came from */
	int old_pack;
	uint64_t old_off;
	size_t up;				/* union-find */
	size_t members;				/* of a family's root */
	size_t prev;				/* the version before, or NONE */
};

struct kset {
	struct ktree *v;
	size_t n, alloc;
	/* One tree may have several records (the same git tree added
	 * with other modes): the next record of the same root after
	 * object I of r->objs, or NONE. */
	size_t *attrs_next;
};

static void kset_release(struct kset *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++) {
		free(ks->v[i].trees);
		free(ks->v[i].leaves);
		free(ks->v[i].paths);
		free(ks->v[i].pred);
	}
	free(ks->v);
	free(ks->attrs_next);
	memset(ks, 0, sizeof(*ks));
}

/* The entries of tree object T, through next_entry(). */
static void entries(struct repack *r, const struct obj *t, struct silo_tree_iter *it)
{
	silo_tree_iter_init(it, r->map + t->spool_off, (size_t)t->size, r->s->format);
}

/* The next entry of IT: 1, 0 at its end, or -1 if malformed or refused
 * (such a tree is no tree of the tree kind: it is packed as any object). */
static int next_entry(struct silo_tree_iter *it)
{
	int ret = silo_tree_iter_next(it);

	if (ret < 0) {
		silo_error_clear();
		return -1;
	}
	return ret;
}

/* Git's name hash (pack-objects): names that end alike sort together. */
static uint32_t name_hash(const char *name, size_t len)
{
	uint32_t h = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == ' ' || (c >= '\t' && c <= '\r'))
			continue;
		h = (h >> 2) + ((uint32_t)c << 24);
	}
	return h ? h : 1;
}

/* FNV-1a of the path PARENT/NAME, from the hash of PARENT. */
static uint64_t path_hash(uint64_t parent, const char *name, size_t len)
{
	uint64_t h = (parent ^ '/') * 1099511628211ull;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ull;
	return h;
}

/*
 * The tree objects and leaves under tree object TI into K, the sizes of
 * the leaves into SIZES: 0, 1 if TI is not a complete tree of the repack
 * (an object missing, a gitlink, a malformed tree), negative on error.
 * Bounded: a size table longer than LIMIT bytes (the largest blob of the
 * repack) is no object of it, and a directory without a leaf below it
 * is none git writes, so a few trees that name one subtree twice at each
 * of many levels are given up at once, never walked 2^levels times.
 */
static int walk(struct repack *r, size_t ti, int depth, uint64_t path, struct ktree *k,
		struct strbuf *sizes, uint64_t limit)
{
	const struct obj *t = &r->objs[ti];
	struct silo_tree_iter it;
	size_t before = k->n_leaves;
	int ret, c;

	if (depth > MAX_TREE_DEPTH)
		return 1;
	if (ALLOC_GROW(k->trees, k->n_trees + 1, k->a_trees) < 0)
		return silo__error_oom();
	k->trees[k->n_trees++] = ti;
	entries(r, t, &it);
	while ((ret = next_entry(&it)) > 0) {
		const char *name = it.name;
		size_t nlen = it.nlen;
		if ((c = repack_find_obj(r, &it.id)) < 0)
			return 1;
		if (it.mode == MODE_DIR) {
			if (r->objs[c].type != SILO_OBJ_TREE)
				return 1;
			if ((ret = walk(r, (size_t)c, depth + 1, path_hash(path, name, nlen),
					k, sizes, limit)) != 0)
				return ret;
			continue;
		}
		if (r->objs[c].type != SILO_OBJ_BLOB)
			return 1;
		if (!r->objs[c].name_hash)
			r->objs[c].name_hash = name_hash(name, nlen);
		if (ALLOC_GROW(k->leaves, k->n_leaves + 1, k->a_leaves) < 0 ||
		    ALLOC_GROW(k->paths, k->n_leaves + 1, k->a_paths) < 0)
			return silo__error_oom();
		k->paths[k->n_leaves] = path_hash(path, name, nlen);
		k->leaves[k->n_leaves++] = (size_t)c;
		if ((ret = strbuf_addf(sizes, "%llu\n", (unsigned long long)r->objs[c].size)) < 0)
			return ret;
		if (sizes->len > limit)
			return 1;
	}
	return ret < 0 || (depth && k->n_leaves == before) ? 1 : 0;
}

/*
 * The age of pack OLD: when it was written.  Its modification time says
 * when its objects were last wanted (a writer that stores one again, or
 * names one in a new tree, makes the pack young for prune's sake), so
 * its birth time is taken where the file system has it and it is the
 * earlier (a copy made by rsync keeps the modification time only).
 */
static struct timespec pack_mtime(struct repack *r, int old, struct timespec *cache)
{
	char rel[64 + SILO_OID_MAX_HEXSZ], *path;
	struct timespec none = { 0, 0 };
	struct statx stx;

	if (old < 0 || (size_t)old >= r->n_old)
		return none;
	if (cache[old].tv_nsec >= 0)
		return cache[old];
	snprintf(rel, sizeof(rel), "%s.pack", r->old[old]);
	cache[old] = none;
	if ((path = fs_join(r->s->root, rel)) &&
	    statx(AT_FDCWD, path, 0, STATX_MTIME | STATX_BTIME, &stx) == 0) {
		struct statx_timestamp t = stx.stx_mtime;
		if ((stx.stx_mask & STATX_BTIME) &&
		    (stx.stx_btime.tv_sec < t.tv_sec ||
		     (stx.stx_btime.tv_sec == t.tv_sec && stx.stx_btime.tv_nsec < t.tv_nsec)))
			t = stx.stx_btime;
		cache[old].tv_sec = (time_t)t.tv_sec;
		cache[old].tv_nsec = (long)t.tv_nsec;
	}
	free(path);
	return cache[old];
}

/* Is tree T of the tree kind?  Then into KS. */
static int try_tree(struct repack *r, size_t t, struct kset *ks, struct timespec *mtimes,
		    uint64_t limit)
{
	struct strbuf sizes = STRBUF_INIT;
	struct ktree k;
	silo_oid id;
	int ret, c = -1;

	memset(&k, 0, sizeof(k));
	if ((ret = strbuf_grow(&sizes, 1)) < 0 || (ret = walk(r, t, 0, 14695981039346656037ull, &k, &sizes, limit)) != 0)
		goto out;
	if ((ret = silo_oid_hash_buffer(&id, r->s->format, SILO_OBJ_BLOB,
					sizes.len ? sizes.buf : "", sizes.len)) < 0)
		goto out;
	if ((c = repack_find_obj(r, &id)) < 0 || r->objs[c].type != SILO_OBJ_BLOB)
		goto out;
	if (ALLOC_GROW(ks->v, ks->n + 1, ks->alloc) < 0) {
		ret = silo__error_oom();
		goto out;
	}
	k.root = t;
	k.sizes = (size_t)c;
	k.attrs = NONE;
	k.old_pack = r->objs[t].old_pack;
	k.old_off = r->objs[t].old_off;
	k.mtime = pack_mtime(r, k.old_pack, mtimes);
	k.prev = NONE;
	ks->v[ks->n++] = k;
	strbuf_release(&sizes);
	return 0;
out:
	free(k.trees);
	free(k.leaves);
	free(k.paths);
	strbuf_release(&sizes);
	return ret < 0 ? ret : 0;
}

static int by_age(const void *a, const void *b)
{
	const struct ktree *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	if (x->old_pack != y->old_pack)
		return x->old_pack < y->old_pack ? -1 : 1;
	if (x->old_off != y->old_off)
		return x->old_off < y->old_off ? -1 : 1;
	return x->root < y->root ? -1 : x->root > y->root;
}

/* The attribute record of each tree of KS (silo/tree.h), if R holds
 * it: a blob starting "attrs 1 <root>" and a NUL, found by its root. */
static int find_attrs(struct repack *r, struct kset *ks)
{
	static const char magic[] = "attrs 1 ";
	size_t hexsz = silo_oid_hexsz(r->s->format), m = sizeof(magic) - 1, i;
	size_t *of_root;

	if (!ks->n)
		return 0;
	if (!(of_root = malloc(r->n * sizeof(*of_root))) ||
	    !(ks->attrs_next = malloc(r->n * sizeof(*ks->attrs_next)))) {
		free(of_root);
		return silo__error_oom();
	}
	for (i = 0; i < r->n; i++)
		of_root[i] = ks->attrs_next[i] = NONE;
	for (i = 0; i < ks->n; i++)
		of_root[ks->v[i].root] = i;
	for (i = 0; i < r->n; i++) {
		const char *data = (const char *)r->map + r->objs[i].spool_off;
		char hex[SILO_OID_MAX_HEXSZ + 1];
		silo_oid root;
		int t;

		if (r->objs[i].gone || r->objs[i].type != SILO_OBJ_BLOB ||
		    r->objs[i].size < m + hexsz + 1 ||
		    memcmp(data, magic, m) || data[m + hexsz])
			continue;
		memcpy(hex, data + m, hexsz);
		hex[hexsz] = '\0';
		if (silo_oid_from_hex(&root, r->s->format, hex) < 0) {
			silo_error_clear();	/* a file that looks like one */
			continue;
		}
		if ((t = repack_find_obj(r, &root)) >= 0 && of_root[t] != NONE) {
			ks->attrs_next[i] = ks->v[of_root[t]].attrs;
			ks->v[of_root[t]].attrs = i;
		}
	}
	free(of_root);
	return 0;
}

/* Every tree of the tree kind among R's objects, oldest first (by the
 * pack it came from, and its place there). */
static int find_trees(struct repack *r, struct kset *ks)
{
	unsigned char *named = calloc(r->n ? r->n : 1, 1);
	struct timespec *mtimes = malloc((r->n_old ? r->n_old : 1) * sizeof(*mtimes));
	uint64_t limit = 0;
	size_t i;
	int ret = 0;

	if (!named || !mtimes) {
		free(named);
		free(mtimes);
		return silo__error_oom();
	}
	for (i = 0; i < r->n_old; i++)
		mtimes[i].tv_nsec = -1;
	for (i = 0; i < r->n; i++) {
		struct silo_tree_iter it;
		int c;
		if (r->objs[i].type == SILO_OBJ_BLOB && r->objs[i].size > limit)
			limit = r->objs[i].size;
		if (r->objs[i].type != SILO_OBJ_TREE)
			continue;
		entries(r, &r->objs[i], &it);
		while (next_entry(&it) > 0)
			if (it.mode == MODE_DIR && (c = repack_find_obj(r, &it.id)) >= 0)
				named[c] = 1;
	}
	/* Only roots: a subtree's size table is a short list of numbers,
	 * which may well be a file of the silo. */
	for (i = 0; i < r->n && !ret; i++)
		if (r->objs[i].type == SILO_OBJ_TREE && !named[i])
			ret = try_tree(r, i, ks, mtimes, limit);
	if (!ret)
		ret = find_attrs(r, ks);
	free(named);
	free(mtimes);
	if (!ret && ks->n)
		qsort(ks->v, ks->n, sizeof(*ks->v), by_age);
	return ret;
}

static size_t uf_find(struct kset *ks, size_t i)
{
	while (ks->v[i].up != i) {
		ks->v[i].up = ks->v[ks->v[i].up].up;
		i = ks->v[i].up;
	}
	return i;
}

/* Join the families of A and B, unless that makes one of more than
 * MAX_FAMILY trees: 0 if they are not one family then. */
static int uf_union(struct kset *ks, size_t a, size_t b)
{
	a = uf_find(ks, a);
	b = uf_find(ks, b);
	if (a == b)
		return 1;
	if (ks->v[a].members + ks->v[b].members > MAX_FAMILY)
		return 0;
	if (b < a) {
		size_t t = a;
		a = b;
		b = t;
	}
	ks->v[b].up = a;
	ks->v[a].members += ks->v[b].members;
	return 1;
}

struct path_ref {
	uint64_t hash;
	size_t t, leaf;
};

static int by_path(const void *a, const void *b)
{
	const struct path_ref *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->t < y->t ? -1 : x->t > y->t;
}

/* For every leaf of every tree, the latest earlier tree with a file at
 * the same path (k->pred). */
static int path_preds(struct kset *ks)
{
	struct path_ref *v;
	size_t n = 0, t, i;

	for (t = 0; t < ks->n; t++)
		n += ks->v[t].n_leaves;
	if (!(v = malloc((n ? n : 1) * sizeof(*v))))
		return silo__error_oom();
	for (n = 0, t = 0; t < ks->n; t++) {
		struct ktree *k = &ks->v[t];
		if (!(k->pred = malloc((k->n_leaves ? k->n_leaves : 1) * sizeof(*k->pred)))) {
			free(v);
			return silo__error_oom();
		}
		for (i = 0; i < k->n_leaves; i++) {
			v[n].hash = k->paths[i];
			v[n].t = t;
			v[n++].leaf = i;
		}
	}
	qsort(v, n, sizeof(*v), by_path);
	for (i = 0; i < n; i++)
		ks->v[v[i].t].pred[v[i].leaf] =
			i && v[i - 1].hash == v[i].hash && v[i - 1].t != v[i].t ? v[i - 1].t : NONE;
	free(v);
	return 0;
}

/* Do trees of D1 and D2 distinct files with SHARED of them in common
 * look like versions of one tree? */
static int alike(size_t shared, size_t d1, size_t d2)
{
	size_t lo = d1 < d2 ? d1 : d2, hi = d1 < d2 ? d2 : d1;

	return shared && 2 * shared >= lo && 4 * shared >= hi;
}

/*
 * Families: a tree joins the earlier tree it shares the most paths with
 * (else blobs) if they share at least half of the smaller one's and a
 * quarter of the larger one's (a common small file does not make two
 * trees one family); that tree is its version before.  A hint whose ids
 * are the roots of two such trees joins them too.  No family has more
 * than MAX_FAMILY trees: the tree section of a pack stays bounded.
 */
static int group(struct repack *r, struct kset *ks)
{
	size_t *last = malloc(r->n * sizeof(*last)), *stamp = malloc(r->n * sizeof(*stamp));
	size_t *cnt = calloc(ks->n, sizeof(*cnt)), *pcnt = calloc(ks->n, sizeof(*pcnt));
	size_t *touched = malloc(2 * ks->n * sizeof(*touched));
	size_t *root_of = malloc(r->n * sizeof(*root_of));
	size_t t, i, j;
	int ret = 0;

	if (!last || !stamp || !cnt || !pcnt || !touched || !root_of ||
	    (ret = path_preds(ks)) < 0) {
		ret = ret ? ret : silo__error_oom();
		goto out;
	}
	for (i = 0; i < r->n; i++)
		last[i] = stamp[i] = root_of[i] = NONE;
	for (t = 0; t < ks->n; t++) {
		struct ktree *k = &ks->v[t];
		size_t nt = 0, best = NONE;
		k->up = t;
		k->members = 1;
		root_of[k->root] = t;
		for (i = 0; i < k->n_leaves; i++) {
			size_t b = k->leaves[i], u;
			if ((u = k->pred[i]) != NONE && !pcnt[u]++ && !cnt[u])
				touched[nt++] = u;
			if (stamp[b] == t)
				continue;
			stamp[b] = t;
			k->distinct++;
			if ((u = last[b]) != NONE && !cnt[u]++ && !pcnt[u])
				touched[nt++] = u;
			last[b] = t;
		}
		/* The most alike by paths, else by blobs, first. */
		for (j = 0; j < nt; j++) {
			size_t u = touched[j];
			int a = alike(pcnt[u], k->n_leaves, ks->v[u].n_leaves);
			int b = alike(cnt[u], k->distinct, ks->v[u].distinct);
			if (!a && !b)
				continue;
			if (best == NONE || pcnt[u] > pcnt[best] ||
			    (pcnt[u] == pcnt[best] && cnt[u] > cnt[best]) ||
			    (pcnt[u] == pcnt[best] && cnt[u] == cnt[best] && u > best))
				best = u;
		}
		if (best != NONE && uf_union(ks, t, best))
			k->prev = best;
		for (j = 0; j < nt; j++)
			cnt[touched[j]] = pcnt[touched[j]] = 0;
	}
	for (i = 0; i < r->o->n_hints; i++) {
		int a = repack_find_obj(r, &r->o->hints[i].old_id);
		int b = repack_find_obj(r, &r->o->hints[i].new_id);
		size_t ta, tb;
		if (a < 0 || b < 0 || (ta = root_of[a]) == NONE || (tb = root_of[b]) == NONE ||
		    ta == tb)
			continue;
		if (uf_union(ks, ta, tb) && ta < tb)
			ks->v[tb].prev = ta;
	}
out:
	free(last);
	free(stamp);
	free(cnt);
	free(pcnt);
	free(touched);
	free(root_of);
	return ret;
}

struct fam {
	struct repack *r;
	size_t *pos;		/* place in the pack order, or NONE */
	size_t *placer;		/* the tree that placed it */
	size_t t;		/* the tree being placed */
};

static void place(struct fam *f, size_t x)
{
	struct repack *r = f->r;

	if (f->pos[x] != NONE)
		return;
	f->pos[x] = r->n_order;
	f->placer[x] = f->t;
	r->order[r->n_order++] = x;
	r->objs[x].in_family = 1;
}

/* X is a version of Y: Y becomes its hinted base if X is new in the
 * tree being placed and Y came before it. */
static void set_hint(struct fam *f, size_t x, size_t y)
{
	struct obj *o = &f->r->objs[x];

	if (x != y && f->placer[x] == f->t && f->pos[y] < f->pos[x] && o->hint_base < 0 &&
	    o->type == f->r->objs[y].type)
		o->hint_base = (int)y;
}

/* Hint each object under tree NEW as a version of the one at the same
 * path under tree OLD. */
static void hint_trees(struct fam *f, size_t old, size_t new, int depth)
{
	struct repack *r = f->r;
	struct silo_tree_iter o, n;
	int ho, hn;

	set_hint(f, new, old);
	if (old == new || depth > MAX_TREE_DEPTH)
		return;
	entries(r, &r->objs[old], &o);
	entries(r, &r->objs[new], &n);
	ho = next_entry(&o);
	hn = next_entry(&n);
	while (ho > 0 && hn > 0) {
		int c = tree_path_cmp(o.name, o.nlen, o.mode == MODE_DIR, n.name, n.nlen,
				      n.mode == MODE_DIR);
		if (!c && (o.mode == MODE_DIR) == (n.mode == MODE_DIR)) {
			int a = repack_find_obj(r, &o.id), b = repack_find_obj(r, &n.id);
			if (a >= 0 && b >= 0) {
				if (n.mode == MODE_DIR)
					hint_trees(f, (size_t)a, (size_t)b, depth + 1);
				else
					set_hint(f, (size_t)b, (size_t)a);
			}
		}
		if (c <= 0)
			ho = next_entry(&o);
		if (c >= 0)
			hn = next_entry(&n);
	}
}

/* The pack order of the family of trees M[0..N) of KS, into r->order. */
static void plan_family(struct fam *f, struct kset *ks, const size_t *m, size_t n)
{
	struct repack *r = f->r;
	size_t i, j;

	repack_reset_search(r);
	r->n_order = 0;
	r->depth = r->o->depth < TREE_DELTA_DEPTH ? r->o->depth : TREE_DELTA_DEPTH;
	for (i = 0; i < n; i++) {
		f->t = m[i];
		for (j = 0; j < ks->v[m[i]].n_trees; j++)
			place(f, ks->v[m[i]].trees[j]);
	}
	for (i = 0; i < n; i++) {
		f->t = m[i];
		for (j = ks->v[m[i]].attrs; j != NONE; j = ks->attrs_next[j])
			place(f, j);
	}
	for (i = 0; i < n; i++) {
		f->t = m[i];
		place(f, ks->v[m[i]].sizes);
	}
	for (i = 0; i < n; i++) {
		f->t = m[i];
		for (j = 0; j < ks->v[m[i]].n_leaves; j++)
			place(f, ks->v[m[i]].leaves[j]);
	}
	for (i = 0; i < n; i++) {
		const struct ktree *k = &ks->v[m[i]];
		if (k->prev == NONE)
			continue;
		f->t = m[i];
		hint_trees(f, ks->v[k->prev].root, k->root, 0);
		set_hint(f, k->sizes, ks->v[k->prev].sizes);
		if (k->attrs != NONE && ks->v[k->prev].attrs != NONE)
			set_hint(f, k->attrs, ks->v[k->prev].attrs);
	}
}

static int by_name_size(const void *a, const void *b, void *ctx)
{
	const struct repack *r = ctx;
	const struct obj *x = &r->objs[*(const size_t *)a];
	const struct obj *y = &r->objs[*(const size_t *)b];

	if (x->name_hash != y->name_hash)
		return x->name_hash < y->name_hash ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return silo_oid_cmp(&x->id, &y->id);
}

/* The blobs of the pack order sorted as git sorts delta candidates, into
 * SORTED (and each one's place there into SORTED_POS). */
static void sort_candidates(struct repack *r, size_t *sorted, size_t *sorted_pos)
{
	size_t i, n = 0;

	for (i = 0; i < r->n_order; i++)
		if (r->objs[r->order[i]].type == SILO_OBJ_BLOB)
			sorted[n++] = r->order[i];
	qsort_r(sorted, n, sizeof(*sorted), by_name_size, r);
	for (i = 0; i < n; i++)
		sorted_pos[sorted[i]] = i;
	r->fam_sorted = sorted;
	r->fam_sorted_pos = sorted_pos;
	r->fam_n = n;
}

struct member {
	size_t fam, t;
};

static int by_family(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	return x->t < y->t ? -1 : x->t > y->t;
}

int repack_write_packs(struct repack *r, struct silo_repack_result *res)
{
	struct kset ks = { NULL, 0, 0, NULL };
	struct member *mv = NULL;
	size_t *m = NULL, *sorted = NULL, *sorted_pos = NULL, i, j, k;
	struct fam f;
	int ret;

	memset(&f, 0, sizeof(f));
	f.r = r;
	if (!r->order && !(r->order = malloc((r->n ? r->n : 1) * sizeof(*r->order))))
		return silo__error_oom();
	if ((ret = find_trees(r, &ks)) < 0 || !ks.n)
		goto rest;
	if ((ret = group(r, &ks)) < 0)
		goto out;
	f.pos = malloc(r->n * sizeof(*f.pos));
	f.placer = malloc(r->n * sizeof(*f.placer));
	sorted = malloc(r->n * sizeof(*sorted));
	sorted_pos = malloc(r->n * sizeof(*sorted_pos));
	mv = malloc(ks.n * sizeof(*mv));
	m = malloc(ks.n * sizeof(*m));
	if (!f.pos || !f.placer || !sorted || !sorted_pos || !mv || !m) {
		ret = silo__error_oom();
		goto out;
	}
	for (i = 0; i < r->n; i++)
		f.pos[i] = f.placer[i] = sorted_pos[i] = NONE;
	for (i = 0; i < ks.n; i++) {
		mv[i].fam = uf_find(&ks, i);
		mv[i].t = i;
	}
	qsort(mv, ks.n, sizeof(*mv), by_family);
	for (i = 0; i < ks.n; i = j) {
		for (j = i, k = 0; j < ks.n && mv[j].fam == mv[i].fam; j++)
			m[k++] = mv[j].t;
		plan_family(&f, &ks, m, k);
		sort_candidates(r, sorted, sorted_pos);
		r->fam_pos = f.pos;
		ret = repack_write_pack(r, res);
		r->fam_pos = NULL;
		if (ret < 0)
			goto out;
		/* Only the places of this family's objects were set. */
		for (k = 0; k < r->n_order; k++)
			f.pos[r->order[k]] = f.placer[r->order[k]] =
				sorted_pos[r->order[k]] = NONE;
	}
rest:
	if (ret == 0 && (ret = repack_plan_order(r)) == 0 && r->n_order)
		ret = repack_write_pack(r, res);
out:
	r->fam_pos = r->fam_sorted = r->fam_sorted_pos = NULL;
	free(f.pos);
	free(f.placer);
	free(sorted);
	free(sorted_pos);
	free(mv);
	free(m);
	kset_release(&ks);
	return ret;
}
