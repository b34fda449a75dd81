/*
 * What a treeptr keeps in a silo (silo/closure.h): its roots, and
 * everything below a tree among them.  Trees are read (verified); blobs
 * are only looked up, from their loose file's gzip header or their pack
 * entry's header, so that neither a garbage collection nor a check reads
 * a file's content.
 */
#include "silo/closure.h"
#include "silo/tree-pack.h"
#include "strvec.h"
#include "error-internal.h"
#include "fsutil.h"
#include "pack.h"
#include "source.h"
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH_MAX 4096		/* as deep as a tree is read anywhere */
#define REPORT_MAX 10		/* problems of one treeptr told one by one */

/* A hash table of ids, each with two numbers. */
struct oid_slot {
	silo_oid id;
	int used;
	uint64_t a, b;
};

struct oid_map {
	struct oid_slot *v;
	size_t n, cap;		/* cap: a power of two, or 0 */
};

static size_t oid_hash(const silo_oid *id, size_t cap)
{
	uint64_t h;

	memcpy(&h, id->hash, sizeof(h));	/* ids are uniform already */
	return (size_t)h & (cap - 1);
}

/* The slot of ID in M: *found 1 if it was there, else a new slot. */
static int map_slot(struct oid_map *m, const silo_oid *id, struct oid_slot **out, int *found)
{
	size_t i;

	if (2 * (m->n + 1) > m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 256, j;
		struct oid_slot *v = calloc(cap, sizeof(*v));
		if (!v)
			return silo__error_oom();
		for (j = 0; j < m->cap; j++) {
			if (!m->v[j].used)
				continue;
			i = oid_hash(&m->v[j].id, cap);
			while (v[i].used)
				i = (i + 1) & (cap - 1);
			v[i] = m->v[j];
		}
		free(m->v);
		m->v = v;
		m->cap = cap;
	}
	i = oid_hash(id, m->cap);
	while (m->v[i].used && !silo_oid_equal(&m->v[i].id, id))
		i = (i + 1) & (m->cap - 1);
	*found = m->v[i].used;
	if (!m->v[i].used) {
		m->v[i].used = 1;
		m->v[i].id = *id;
		m->v[i].a = m->v[i].b = 0;
		m->n++;
	}
	*out = &m->v[i];
	return 0;
}

static void map_release(struct oid_map *m)
{
	free(m->v);
	m->v = NULL;
	m->n = m->cap = 0;
}

struct silo_closure {
	silo *s;
	struct silo_oid_set set;
	int sorted;
	struct oid_map walked;		/* trees walked whole by silo_closure_add() */
	struct oid_map info;		/* silo_object_info() of objects checked:
					 * a = type + 1 (0: absent), b = size */
};

int silo_treeptr_roots(struct silo_oid_set *set, const struct silo_treeptr *tp)
{
	silo_oid attrs;
	uint64_t attrs_size;
	int ret;

	if ((ret = silo_oid_set_add(set, &tp->object)) < 0)
		return ret;
	/* A tree kept as git objects: the size table above, and the root
	 * tree, which keeps every tree and blob below it. */
	if (tp->kind == SILO_TREEPTR_TREE)
		ret = silo_oid_set_add(set, &tp->tree);
	/* An image: the tree of its records, layers and blobs. */
	if (tp->kind == SILO_TREEPTR_IMAGE)
		ret = silo_oid_set_add(set, &tp->tree);
	/* And its attribute record. */
	if (!ret && silo_treeptr_attrs(tp, &attrs, &attrs_size))
		ret = silo_oid_set_add(set, &attrs);
	return ret;
}

int silo_closure_new(struct silo_closure **out, silo *s)
{
	struct silo_closure *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return silo__error_oom();
	c->s = s;
	*out = c;
	return 0;
}

void silo_closure_free(struct silo_closure *c)
{
	if (!c)
		return;
	silo_oid_set_release(&c->set);
	map_release(&c->walked);
	map_release(&c->info);
	free(c);
}

static int closure_add_id(struct silo_closure *c, const silo_oid *id)
{
	c->sorted = 0;
	return silo_oid_set_add(&c->set, id);
}

const struct silo_oid_set *silo_closure_set(struct silo_closure *c)
{
	if (!c->sorted) {
		silo_oid_set_sort(&c->set);
		c->sorted = 1;
	}
	return &c->set;
}

/* What S says of ID, asked once per closure: 1 and *type (SILO_OBJ_NONE
 * if unknown) and *size (UINT64_MAX if unknown), 0 if absent. */
static int object_info(struct silo_closure *c, const silo_oid *id, int *type, uint64_t *size)
{
	struct oid_slot *slot;
	int found, ret;

	if ((ret = map_slot(&c->info, id, &slot, &found)) < 0)
		return ret;
	if (!found) {
		if ((ret = silo_object_info(c->s, id, type, size)) < 0) {
			/* Asked again next time: the slot stays "absent"
			 * only for what really is. */
			c->info.n--;
			slot->used = 0;
			return ret;
		}
		slot->a = ret ? (uint64_t)*type + 1 : 0;
		slot->b = *size;
	}
	*type = slot->a ? (int)(slot->a - 1) : SILO_OBJ_NONE;
	*size = slot->b;
	return slot->a != 0;
}

/* Walk tree ID below a kept object, adding what is below it. */
static int walk_kept(struct silo_closure *c, const silo_oid *id, struct strbuf *path,
		     const silo_oid *top, int depth)
{
	char hex[SILO_OID_MAX_HEXSZ + 1], top_hex[SILO_OID_MAX_HEXSZ + 1];
	unsigned char *data;
	struct oid_slot *slot;
	size_t len, plen = path->len;
	struct silo_tree_iter it;
	int found, ret, below = 0;

	silo_oid_to_hex(top_hex, top);
	if (depth > DEPTH_MAX)
		return silo__error_set(SILO_ECORRUPT, "kept tree %s is nested too deeply at '%s'",
				       top_hex, path->buf);
	if ((ret = map_slot(&c->walked, id, &slot, &found)) < 0 || found)
		return ret;
	if ((ret = silo_tree_object_read(&data, &len, c->s, id, path->len ? path->buf : ".")) < 0) {
		char why[1024];
		if (ret == SILO_ENOMEM)
			return ret;
		snprintf(why, sizeof(why), "%s", silo_error_message());
		return silo__error_set(SILO_ECORRUPT, "kept tree %s: %s: what is below it "
				       "cannot be known", top_hex, why);
	}
	silo_tree_iter_init(&it, data, len, id->format);
	while ((ret = silo_tree_iter_next(&it)) > 0) {
		if ((ret = closure_add_id(c, &it.id)) < 0)
			break;
		if (it.mode != 040000)
			continue;
		strbuf_setlen(path, plen);
		if ((plen && (ret = strbuf_addch(path, '/')) < 0) ||
		    (ret = strbuf_add(path, it.name, it.nlen)) < 0 ||
		    (ret = walk_kept(c, &it.id, path, top, depth + 1)) < 0) {
			below = 1;
			break;
		}
	}
	strbuf_setlen(path, plen);
	free(data);
	/* The iterator names the entry only: say which tree. */
	if ((ret == SILO_ECORRUPT || ret == SILO_EUNSAFE) && !below)
		ret = silo__error_set(SILO_ECORRUPT, "kept tree %s: tree %s of '%s' is malformed",
				      top_hex, silo_oid_to_hex(hex, id), plen ? path->buf : ".");
	return ret < 0 ? ret : 0;
}

int silo_closure_add(struct silo_closure *c, const silo_oid *id)
{
	struct strbuf path = STRBUF_INIT;
	int type, ret;

	if ((ret = closure_add_id(c, id)) < 0)
		return ret;
	/* The type alone: a loose object (a blob) need not be opened. */
	if ((ret = silo_object_info(c->s, id, &type, NULL)) <= 0 || type != SILO_OBJ_TREE)
		return ret < 0 ? ret : 0;
	if ((ret = strbuf_grow(&path, 256)) == 0)
		ret = walk_kept(c, id, &path, id, 0);
	strbuf_release(&path);
	return ret;
}

/* ---- the check of one treeptr ---- */

struct check {
	struct silo_closure *c;
	const struct silo_treeptr *tp;
	struct silo_closure_check_result *r;
	silo_closure_problem_fn fn;
	void *payload;
	uint64_t *sizes;	/* the size table, or NULL when it cannot be read */
	size_t n_sizes;
	size_t leaf;		/* leaves met so far: the next line */
	int stop;		/* more leaves than lines: the walk ends */
	struct oid_map trees;	/* trees of this tree walked: a = first leaf,
				 * b = how many leaves it holds */
	struct strbuf path;
};

static void problem(struct check *ck, int severity, const silo_oid *id, const char *fmt, ...)
	SILO_PRINTF(4, 5);

static void tell(struct check *ck, int severity, const silo_oid *id, const char *fmt,
		 va_list ap)
{
	char msg[1024];

	if (!ck->fn || ck->r->bad + ck->r->warnings + ck->r->unreadable > REPORT_MAX)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	ck->fn(ck->payload, severity, id, ck->path.buf ? ck->path.buf : "", msg);
}

static void problem(struct check *ck, int severity, const silo_oid *id, const char *fmt, ...)
{
	va_list ap;

	if (severity == SILO_CLOSURE_BAD)
		ck->r->bad++;
	else
		ck->r->warnings++;
	va_start(ap, fmt);
	tell(ck, severity, id, fmt, ap);
	va_end(ap);
}

/*
 * Is CODE, the failure to read or look up an object, a finding about the
 * silo (the object is missing, damaged, not what it should be) rather
 * than a failure to look (a transfer or a read that failed)?
 */
static int is_finding(int code)
{
	return code == SILO_ENOTFOUND || code == SILO_ECORRUPT || code == SILO_EINVALID ||
	       code == SILO_EUNSAFE;
}

static void failure(struct check *ck, int code, const silo_oid *id, const char *fmt, ...)
	SILO_PRINTF(4, 5);

/* Object ID could not be looked at (CODE): a problem when that is a
 * finding, else what is below it is unknown, and the check incomplete. */
static void failure(struct check *ck, int code, const silo_oid *id, const char *fmt, ...)
{
	va_list ap;

	if (is_finding(code)) {
		ck->r->bad++;
	} else {
		ck->r->unreadable++;
		ck->r->error = code;
	}
	va_start(ap, fmt);
	tell(ck, SILO_CLOSURE_BAD, id, fmt, ap);
	va_end(ap);
}

static const char *shown(const struct check *ck)
{
	return ck->path.len ? ck->path.buf : ".";
}

/* Leaf ID of mode MODE at ck->path: there, a blob, of its line's size. */
static int check_leaf(struct check *ck, const silo_oid *id)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	uint64_t size, want = UINT64_MAX;
	int type, ret;

	if (ck->sizes) {
		if (ck->leaf >= ck->n_sizes) {
			problem(ck, SILO_CLOSURE_BAD, NULL, "the tree has more leaves than its "
				"size table has lines (%zu)", ck->n_sizes);
			ck->stop = 1;
			return 0;
		}
		want = ck->sizes[ck->leaf];
	}
	ck->leaf++;
	ck->r->objects++;
	silo_oid_to_hex(hex, id);
	if ((ret = object_info(ck->c, id, &type, &size)) == SILO_ENOMEM)
		return ret;
	if (ret < 0)
		failure(ck, ret, id, "blob %s of '%s': %s", hex, shown(ck), silo_error_message());
	else if (ret == 0)
		problem(ck, SILO_CLOSURE_BAD, id, "blob %s of '%s' is missing", hex, shown(ck));
	else if (type != SILO_OBJ_NONE && type != SILO_OBJ_BLOB)
		problem(ck, SILO_CLOSURE_BAD, id, "object %s of '%s' is a %s, not a blob", hex,
			shown(ck), silo_object_type_name(type));
	else if (size != UINT64_MAX && want != UINT64_MAX && size != want)
		problem(ck, SILO_CLOSURE_BAD, id, "blob %s of '%s' has %llu bytes, its size "
			"table says %llu", hex, shown(ck), (unsigned long long)size,
			(unsigned long long)want);
	return 0;
}

/*
 * Tree ID at ck->path, in path order, each leaf against the next line of
 * the size table.  A tree met before in this tree is not read again: its
 * lines must repeat those of its first place, so that the work is bounded
 * by the tree's distinct objects and its size table, whatever the paths.
 */
static int check_tree(struct check *ck, const silo_oid *id, int depth)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	unsigned char *data;
	struct oid_slot *slot;
	size_t len, plen = ck->path.len, first = ck->leaf, entries = 0;
	struct silo_tree_iter it;
	int found, ret;

	silo_oid_to_hex(hex, id);
	if (depth > DEPTH_MAX) {
		problem(ck, SILO_CLOSURE_BAD, id, "tree %s of '%s' is nested too deeply", hex,
			shown(ck));
		ck->stop = 1;
		return 0;
	}
	if ((ret = map_slot(&ck->trees, id, &slot, &found)) < 0)
		return ret;
	if (found) {
		size_t n = (size_t)slot->b, at = (size_t)slot->a;
		if (!ck->sizes) {
			ck->leaf += n;
			return 0;
		}
		if (n > ck->n_sizes - ck->leaf) {
			problem(ck, SILO_CLOSURE_BAD, NULL, "the tree has more leaves than its "
				"size table has lines (%zu)", ck->n_sizes);
			ck->stop = 1;
			return 0;
		}
		if (memcmp(ck->sizes + at, ck->sizes + ck->leaf, n * sizeof(*ck->sizes)))
			problem(ck, SILO_CLOSURE_BAD, id, "the size table gives tree %s other "
				"sizes at '%s' than at its first place", hex, shown(ck));
		ck->leaf += n;
		return 0;
	}
	/* Marked before its walk: a repeat met inside it (which hashing
	 * makes impossible) finds no leaves to skip. */
	slot->a = first;
	slot->b = 0;
	if (depth)
		ck->r->objects++;	/* the root was counted as a root */
	if ((ret = silo_tree_object_read(&data, &len, ck->c->s, id, shown(ck))) < 0) {
		if (ret == SILO_ENOMEM)
			return ret;
		failure(ck, ret, id, "%s", silo_error_message());
		/* What is below is unknown: the lines no longer say whose
		 * size they are. */
		free(ck->sizes);
		ck->sizes = NULL;
		return 0;
	}
	silo_tree_iter_init(&it, data, len, id->format);
	while (!ck->stop && (ret = silo_tree_iter_next(&it)) > 0) {
		entries++;
		strbuf_setlen(&ck->path, plen);
		if ((plen && (ret = strbuf_addch(&ck->path, '/')) < 0) ||
		    (ret = strbuf_add(&ck->path, it.name, it.nlen)) < 0)
			break;
		ret = it.mode == 040000 ? check_tree(ck, &it.id, depth + 1) : check_leaf(ck, &it.id);
		if (ret < 0)
			break;
	}
	strbuf_setlen(&ck->path, plen);
	free(data);
	if (ret == SILO_ENOMEM)
		return ret;
	if (ret < 0) {
		problem(ck, SILO_CLOSURE_BAD, id, "tree %s of '%s' is malformed: %s", hex,
			shown(ck), silo_error_message());
		free(ck->sizes);
		ck->sizes = NULL;
	} else if (!entries && depth) {
		problem(ck, SILO_CLOSURE_BAD, id, "tree %s of '%s' is empty: git writes no "
			"empty tree below a root", hex, shown(ck));
	}
	if ((ret = map_slot(&ck->trees, id, &slot, &found)) < 0)
		return ret;
	slot->b = ck->leaf - first;
	return 0;
}

/* Root ID of TP, which must be of TYPE (and SIZE, unless UINT64_MAX).
 * Returns 1 if it is there and of that type, 0 if not. */
static int check_root(struct check *ck, const silo_oid *id, int want_type, uint64_t want_size,
		      const char *what)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	uint64_t size;
	int type, ret;

	ck->r->objects++;
	silo_oid_to_hex(hex, id);
	if ((ret = object_info(ck->c, id, &type, &size)) == SILO_ENOMEM)
		return ret;
	if (ret < 0) {
		failure(ck, ret, id, "%s %s: %s", what, hex, silo_error_message());
		return 0;
	}
	if (ret == 0) {
		problem(ck, SILO_CLOSURE_BAD, id, "%s %s is missing", what, hex);
		return 0;
	}
	ck->r->roots_held++;
	if (type != SILO_OBJ_NONE && type != want_type) {
		problem(ck, SILO_CLOSURE_BAD, id, "%s %s is a %s, not a %s", what, hex,
			silo_object_type_name(type), silo_object_type_name(want_type));
		return 0;
	}
	if (want_size != UINT64_MAX && size != UINT64_MAX && size != want_size) {
		problem(ck, SILO_CLOSURE_BAD, id, "%s %s has %llu bytes, the treeptr says %llu",
			what, hex, (unsigned long long)size, (unsigned long long)want_size);
		return 0;
	}
	return 1;
}

#define MOVED_MAX 256		/* packs followed through .moved files */

/* Add NAME (LEN bytes) to L unless it is there; 1 if added. */
static int names_add(struct strvec *l, const char *name, size_t len)
{
	if (strvec_findn(l, name, len) >= 0)
		return 0;
	return strvec_pushn(l, name, len) < 0 ? silo__error_oom() : 1;
}

/* Whether pack NAME of S is in pack/ (1), moved (2: the names its .moved
 * file lists appended to TODO), or neither (0). */
static int pack_state(silo *s, const char *name, struct strvec *todo)
{
	char rel[64 + SILO_OID_MAX_HEXSZ], *path, *text = NULL;
	size_t len = 0;
	const char *p, *end;
	int ret;

	snprintf(rel, sizeof(rel), "pack/%s.pack", name);
	if (!(path = fs_join(silo_root(s), rel)))
		return silo__error_oom();
	ret = fs_exists(path);
	free(path);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "pack/%s" PACK_MOVED_SUFFIX, name);
	if (!(path = fs_join(silo_root(s), rel)))
		return silo__error_oom();
	ret = fs_read_file(&text, &len, path, 64u << 10);
	free(path);
	if (ret == SILO_ENOTFOUND) {
		silo_error_clear();
		return 0;
	}
	if (ret < 0)
		return ret;
	for (p = text, end = text + len; p < end && todo->n < MOVED_MAX; ) {
		size_t l = strcspn(p, "\n");
		char file[64 + SILO_OID_MAX_HEXSZ];
		snprintf(file, sizeof(file), "%.*s.pack", (int)(l < 80 ? l : 80), p);
		if (pack_name_is(file, silo_object_format(s), "pack") &&
		    (ret = names_add(todo, p, l)) < 0)
			break;
		p += l + (p + l < end);
	}
	free(text);
	return ret < 0 ? ret : 2;
}

/* Does pack NAME (in pack/) of S hold ID? */
static int pack_holds(silo *s, const char *name, const silo_oid *id)
{
	char rel[64 + SILO_OID_MAX_HEXSZ];
	uint32_t pos;
	size_t i;
	int ret;

	if ((ret = pack_set_load(s->packs, 0)) < 0)
		return ret;
	snprintf(rel, sizeof(rel), "pack/%s.pack", name);
	for (i = 0; i < s->packs->n; i++)
		if (!strcmp(s->packs->v[i]->relpack, rel))
			return pack_lookup(s->packs->v[i], id, &pos);
	return 0;
}

/*
 * The packs TP names, for readers over HTTP, who search them first: each
 * in pack/ or moved (pack/<name>.moved, followed as readers follow it),
 * and among them the one holding its root tree.  Warnings: a reader that
 * finds neither searches pack/packs instead.
 */
static int check_packs(struct check *ck, int have_root)
{
	struct strvec todo = STRVEC_INIT;
	size_t i, named = silo_treeptr_n_packs(ck->tp);
	int ret = 0, holds = 0;

	if (silo__remote_source(ck->c->s))
		return 0;	/* a server's packs are its own business */
	for (i = 0; i < named && ret >= 0; i++) {
		const char *name = silo_treeptr_pack(ck->tp, i);
		ret = names_add(&todo, name, strlen(name));
	}
	for (i = 0; i < todo.n && ret >= 0; i++) {
		if ((ret = pack_state(ck->c->s, todo.v[i], &todo)) < 0)
			break;
		if (!ret && i < named)
			problem(ck, SILO_CLOSURE_WARNING, NULL, "the treeptr names pack '%s', which "
				"is neither in pack/ nor moved: readers over HTTP search "
				"pack/packs for its objects", todo.v[i]);
		if (ret == 1 && have_root && !holds && (ret = pack_holds(ck->c->s, todo.v[i],
									 &ck->tp->tree)) > 0)
			holds = 1;
	}
	if (ret >= 0 && have_root && named && !holds) {
		char hex[SILO_OID_MAX_HEXSZ + 1];
		problem(ck, SILO_CLOSURE_WARNING, &ck->tp->tree, "the packs the treeptr names "
			"do not hold its root tree %s: readers over HTTP search pack/packs "
			"for it", silo_oid_to_hex(hex, &ck->tp->tree));
	}
	strvec_clear(&todo);
	return ret < 0 ? ret : 0;
}

/* The attribute record ID (SIZE bytes) of a tree found whole: read as
 * every reader reads it, checked against the tree's leaves. */
static int check_attrs(struct check *ck, const silo_oid *id, uint64_t size)
{
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	struct silo_tree_attrs a = SILO_TREE_ATTRS_INIT;
	const struct silo_treeptr *tp = ck->tp;
	int ret;

	if ((ret = silo_tree_load(&l, ck->c->s, &tp->tree, &tp->object, tp->size)) == 0)
		ret = silo_tree_attrs_read(&a, ck->c->s, id, size, &tp->tree, &l);
	if (ret < 0 && ret != SILO_ENOMEM) {
		failure(ck, ret, id, "%s", silo_error_message());
		ret = 0;
	}
	silo_tree_attrs_release(&a);
	silo_tree_list_release(&l);
	return ret;
}

int silo_closure_check(struct silo_closure_check_result *result, struct silo_closure *c,
		       const struct silo_treeptr *tp, silo_closure_problem_fn fn,
		       void *payload)
{
	struct check ck;
	int ret, have_table, have_root, have_attrs = 0;
	uint64_t reported, attrs_size;
	silo_oid attrs;

	memset(result, 0, sizeof(*result));
	memset(&ck, 0, sizeof(ck));
	ck.c = c;
	ck.tp = tp;
	ck.r = result;
	ck.fn = fn;
	ck.payload = payload;
	if ((ret = strbuf_grow(&ck.path, 256)) < 0)
		return ret;
	if (tp->kind == SILO_TREEPTR_IMAGE) {
		/* Its record, and the tree of all it keeps. */
		if ((ret = check_root(&ck, &tp->object, SILO_OBJ_BLOB, tp->size,
				      "image record")) < 0 ||
		    (have_root = ret = check_root(&ck, &tp->tree, SILO_OBJ_TREE, UINT64_MAX,
						  "image tree")) < 0)
			goto out;
		if (have_root)
			ret = check_tree(&ck, &tp->tree, 0);
		goto out;
	}
	if (tp->kind != SILO_TREEPTR_TREE) {
		ret = check_root(&ck, &tp->object, SILO_OBJ_BLOB, tp->size, "object");
		goto out;
	}
	if ((have_table = ret = check_root(&ck, &tp->object, SILO_OBJ_BLOB, tp->size,
					   "size table")) < 0 ||
	    (have_root = ret = check_root(&ck, &tp->tree, SILO_OBJ_TREE, UINT64_MAX,
					  "root tree")) < 0)
		goto out;
	if (silo_treeptr_attrs(tp, &attrs, &attrs_size) &&
	    (have_attrs = ret = check_root(&ck, &attrs, SILO_OBJ_BLOB, attrs_size,
					   "attribute record")) < 0)
		goto out;
	if (have_table && (ret = silo_tree_sizes_read(&ck.sizes, &ck.n_sizes, c->s,
						      &tp->object, tp->size)) < 0) {
		if (ret == SILO_ENOMEM)
			goto out;
		failure(&ck, ret, &tp->object, "%s", silo_error_message());
	}
	if (have_root && (ret = check_tree(&ck, &tp->tree, 0)) < 0)
		goto out;
	if (have_root && ck.sizes && !ck.stop && ck.leaf != ck.n_sizes)
		problem(&ck, SILO_CLOSURE_BAD, NULL, "the size table has %zu lines, the tree "
			"%zu leaves", ck.n_sizes, ck.leaf);
	/* Its record, once the tree it is checked against is sound. */
	if (have_attrs > 0 && have_root && ck.sizes && !result->bad && !result->unreadable &&
	    (ret = check_attrs(&ck, &attrs, attrs_size)) < 0)
		goto out;
	ret = check_packs(&ck, have_root);
out:
	reported = result->bad + result->warnings + result->unreadable;
	if (ret >= 0 && fn && reported > REPORT_MAX) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%llu more problems",
			 (unsigned long long)(reported - REPORT_MAX));
		fn(payload, result->bad ? SILO_CLOSURE_BAD : SILO_CLOSURE_WARNING, NULL, "", msg);
	}
	free(ck.sizes);
	map_release(&ck.trees);
	strbuf_release(&ck.path);
	return ret < 0 ? ret : 0;
}
