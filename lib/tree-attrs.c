/*
 * A tree's attribute record: what git's tree objects do not hold (the
 * permission bits git's normalisation changes, directories with no file
 * below them), as bytes (silo/tree.h).  The record is written from a
 * walk of a directory on disk, and read back checked against the leaves
 * of its tree, so that every reader meets only records a writer writes.
 */
#include "tree-internal.h"
#include "alloc.h"
#include "error-internal.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ATTRS_MAGIC "attrs 1"
#define MODE_DIR 040000
#define PERM_DIR 0755

void silo_tree_attrs_release(struct silo_tree_attrs *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i].path);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

static int attrs_push(struct silo_tree_attrs *a, char *path, unsigned type, unsigned perm)
{
	if (!path)
		return silo__error_oom();
	if (ALLOC_GROW(a->v, a->n + 1, a->alloc) < 0) {
		free(path);
		return silo__error_oom();
	}
	a->v[a->n].path = path;
	a->v[a->n].type = type;
	a->v[a->n].perm = perm;
	a->n++;
	return 0;
}

/* The bits git's normalisation gives back for a leaf of git mode MODE. */
static unsigned normal_perm(unsigned mode)
{
	return mode == MODE_DIR || mode == SILO_MODE_EXEC ? 0755 :
	       mode == SILO_MODE_SYMLINK ? 0777 : 0644;
}

static int under(const char *path, const char *dir, size_t dlen)
{
	return !strncmp(path, dir, dlen) && path[dlen] == '/';
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct silo_tree_attr *)a)->path,
		      ((const struct silo_tree_attr *)b)->path);
}

int tree_attrs_from_walk(struct silo_tree_attrs *out, const struct tree_walk *w)
{
	struct silo_tree_attrs a = SILO_TREE_ATTRS_INIT;
	size_t *stack = NULL, depth = 0, i;
	unsigned char *has_leaf = NULL;
	int ret = 0;

	/* The walk is in git's order, each directory just before what it
	 * holds: a stack of the directories open says which hold a file. */
	if (w->n && (!(stack = malloc(w->n * sizeof(*stack))) ||
		     !(has_leaf = calloc(w->n, 1)))) {
		ret = silo__error_oom();
		goto out;
	}
	for (i = 0; i <= w->n; i++) {
		const struct tree_walk_entry *e = i < w->n ? &w->v[i] : NULL;
		while (depth) {
			const struct tree_walk_entry *d = &w->v[stack[depth - 1]];
			if (e && under(e->path, d->path, strlen(d->path)))
				break;
			depth--;
			if (has_leaf[stack[depth]] && depth)
				has_leaf[stack[depth - 1]] = 1;
		}
		if (!e)
			break;
		if (S_ISDIR(e->mode))
			stack[depth++] = i;
		else if (depth)
			has_leaf[stack[depth - 1]] = 1;
	}
	for (i = 0; i < w->n && !ret; i++) {
		const struct tree_walk_entry *e = &w->v[i];
		unsigned perm = e->mode & 0777;
		if (S_ISDIR(e->mode) && (!has_leaf[i] || perm != PERM_DIR))
			ret = attrs_push(&a, strdup(e->path), SILO_TREE_ATTR_DIR, perm);
		else if (S_ISREG(e->mode) &&
			 perm != normal_perm(perm & S_IXUSR ? SILO_MODE_EXEC : SILO_MODE_FILE))
			ret = attrs_push(&a, strdup(e->path), SILO_TREE_ATTR_FILE, perm);
	}
	if (!ret) {
		if (a.n > 1)
			qsort(a.v, a.n, sizeof(*a.v), by_path);
		silo_tree_attrs_release(out);
		*out = a;
		memset(&a, 0, sizeof(a));
	}
out:
	free(stack);
	free(has_leaf);
	silo_tree_attrs_release(&a);
	return ret;
}

int silo_tree_attrs_format(char **out, size_t *len, const struct silo_tree_attrs *a,
			   const silo_oid *tree)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int ret;

	*out = NULL;
	*len = 0;
	ret = strbuf_addf(&sb, ATTRS_MAGIC " %s", silo_oid_to_hex(hex, tree));
	if (!ret)
		ret = strbuf_addch(&sb, '\0');
	for (i = 0; i < a->n && !ret; i++)
		if ((ret = strbuf_addf(&sb, "%c %04o ", a->v[i].type, a->v[i].perm)) == 0)
			ret = strbuf_add(&sb, a->v[i].path, strlen(a->v[i].path) + 1);
	if (ret < 0) {
		strbuf_release(&sb);
		return ret;
	}
	*len = sb.len;
	*out = strbuf_detach(&sb);
	return 0;
}

int silo_tree_attrs_id(silo_oid *id, uint64_t *size, const struct silo_tree_attrs *a,
		       const silo_oid *tree)
{
	char *data;
	size_t len;
	int ret;

	if ((ret = silo_tree_attrs_format(&data, &len, a, tree)) < 0)
		return ret;
	ret = silo_oid_hash_buffer(id, tree->format, SILO_OBJ_BLOB, data, len);
	*size = len;
	free(data);
	return ret;
}

/* The leaf PATH (LEN bytes) of L, or NULL. */
static const struct silo_tree_entry *find_leaf(const struct silo_tree_list *l,
					       const char *path, size_t len)
{
	size_t i;

	return l->n && tree_search(&l->v[0].path, l->n, sizeof(*l->v), path, len, &i) ?
	       &l->v[i] : NULL;
}

/* 1 if a leaf of L is below the directory PATH (LEN bytes). */
static int holds_leaf(const struct silo_tree_list *l, const char *path, size_t len)
{
	size_t lo = 0, hi = l->n;

	/* The first leaf not before "PATH/". */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *p = l->v[mid].path;
		int c = strncmp(p, path, len);
		if (!c)
			c = (unsigned char)p[len] < '/' ? -1 : p[len] == '/' ? 0 : 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->n && under(l->v[lo].path, path, len);
}

static const struct silo_tree_attr *find_attr(const struct silo_tree_attrs *a,
					      const char *path, size_t len)
{
	size_t i;

	return a && a->n && tree_search(&a->v[0].path, a->n, sizeof(*a->v), path, len, &i) ?
	       &a->v[i] : NULL;
}

unsigned silo_tree_attrs_perm(const struct silo_tree_attrs *a, const char *path, unsigned mode)
{
	const struct silo_tree_attr *r = find_attr(a, path, strlen(path));

	return r ? r->perm : normal_perm(mode);
}

void silo_tree_attrs_counts(const struct silo_tree_attrs *a, const struct silo_tree_list *l,
			    uint64_t *empty_dirs, uint64_t *modes)
{
	size_t i;

	*empty_dirs = *modes = 0;
	for (i = 0; i < a->n; i++) {
		const struct silo_tree_attr *r = &a->v[i];
		if (r->type == SILO_TREE_ATTR_DIR && !holds_leaf(l, r->path, strlen(r->path)))
			(*empty_dirs)++;
		if (r->type != SILO_TREE_ATTR_DIR || r->perm != PERM_DIR)
			(*modes)++;
	}
}

/* Push onto OUT the record of PATH (LEN bytes, of type TYPE; a directory
 * holding a file if HOLDS) of the bits PERM less UMASK, if a walk of the
 * directory expanded records it (tree_attrs_from_walk()). */
static int push_expanded(struct silo_tree_attrs *out, const char *path, size_t len,
			 unsigned type, unsigned perm, unsigned umask, int holds)
{
	perm &= ~umask & 0777;
	if (type == SILO_TREE_ATTR_DIR ? holds && perm == PERM_DIR :
	    perm == normal_perm(perm & S_IXUSR ? SILO_MODE_EXEC : SILO_MODE_FILE))
		return 0;
	return attrs_push(out, strndup(path, len), type, perm);
}

int silo_tree_attrs_expanded(struct silo_tree_attrs *out, const struct silo_tree_attrs *a,
			     const struct silo_tree_list *l, unsigned umask)
{
	struct silo_tree_attrs x = SILO_TREE_ATTRS_INIT;
	size_t i;
	int ret = 0;

	/* What the record says, less the umask. */
	for (i = 0; i < a->n && !ret; i++) {
		const struct silo_tree_attr *r = &a->v[i];
		size_t len = strlen(r->path);
		ret = push_expanded(&x, r->path, len, r->type, r->perm, umask,
				    r->type == SILO_TREE_ATTR_DIR && holds_leaf(l, r->path, len));
	}
	/* The files and directories it leaves to git's normalisation. */
	for (i = 0; i < l->n && !ret && (umask & 0777); i++) {
		const struct silo_tree_entry *e = &l->v[i];
		const char *slash;
		if ((e->mode == SILO_MODE_FILE || e->mode == SILO_MODE_EXEC) &&
		    !find_attr(a, e->path, strlen(e->path)))
			ret = push_expanded(&x, e->path, strlen(e->path), SILO_TREE_ATTR_FILE,
					    normal_perm(e->mode), umask, 1);
		/* Each directory above it, once: at the first leaf below it
		 * (what is below a directory is together in path order). */
		for (slash = strchr(e->path, '/'); slash && !ret; slash = strchr(slash + 1, '/')) {
			size_t len = (size_t)(slash - e->path);
			if (i && !strncmp(l->v[i - 1].path, e->path, len) &&
			    l->v[i - 1].path[len] == '/')
				continue;
			if (!find_attr(a, e->path, len))
				ret = push_expanded(&x, e->path, len, SILO_TREE_ATTR_DIR,
						    PERM_DIR, umask, 1);
		}
	}
	if (!ret && x.n > 1)
		qsort(x.v, x.n, sizeof(*x.v), by_path);
	if (ret < 0) {
		silo_tree_attrs_release(&x);
		return ret;
	}
	silo_tree_attrs_release(out);
	*out = x;
	return 0;
}

/* Record N of A, at RECORD (LEN bytes, its NUL excluded), checked. */
static int parse_one(struct silo_tree_attrs *a, const char *rec, size_t len, size_t n,
		     const struct silo_tree_list *l)
{
	const struct silo_tree_entry *leaf;
	const char *path, *why, *slash;
	size_t plen, digits, i;
	unsigned type, perm = 0;

#define SHOW(len_) ((int)((len_) > 200 ? 200 : (len_)))
	if (len < 2 || (rec[0] != SILO_TREE_ATTR_DIR && rec[0] != SILO_TREE_ATTR_FILE) ||
	    rec[1] != ' ')
		return silo__error_set(SILO_ECORRUPT, "record %zu is not 'd' or 'f', a space, "
				       "a mode and a path: '%.*s'", n, SHOW(len), rec);
	type = (unsigned char)rec[0];
	for (digits = 0; 2 + digits < len && rec[2 + digits] != ' '; digits++) {
		char c = rec[2 + digits];
		if (c < '0' || c > '7' || digits > 10)
			return silo__error_set(SILO_ECORRUPT, "record %zu: mode '%.*s' is not "
					       "octal digits", n, SHOW(len - 2), rec + 2);
		perm = perm * 8 + (unsigned)(c - '0');
	}
	if (2 + digits >= len)
		return silo__error_set(SILO_ECORRUPT, "record %zu has no path", n);
	if (perm > 07777)
		return silo__error_set(SILO_ECORRUPT, "record %zu: mode %o has file type bits",
				       n, perm);
	if (perm & 07000)
		return silo__error_set(SILO_ECORRUPT, "record %zu: mode %04o has setuid, setgid "
				       "or sticky bits, which are not kept", n, perm);
	if (digits != 4)
		return silo__error_set(SILO_ECORRUPT, "record %zu: mode '%.*s' is not four "
				       "octal digits", n, (int)digits, rec + 2);
	path = rec + 3 + digits;
	plen = len - 3 - digits;
	if (plen > TREE_PATH_MAX)
		return silo__error_set(SILO_EINVALID, "record %zu holds a path longer than %d "
				       "bytes: '...%.*s'", n, TREE_PATH_MAX, 120,
				       path + plen - 120);
	leaf = l ? find_leaf(l, path, plen) : NULL;
	for (i = 0; i <= plen;) {
		size_t j = i;
		unsigned mode = MODE_DIR;
		while (j < plen && path[j] != '/')
			j++;
		if (j == plen && type == SILO_TREE_ATTR_FILE)
			mode = leaf ? leaf->mode : SILO_MODE_FILE;
		if ((why = silo_tree_name_refused(path + i, j - i, mode)))
			return silo__error_set(SILO_EUNSAFE, "record %zu: refusing '%.*s': %s", n,
					       SHOW(plen), path, why);
		i = j + 1;
	}
	if (a->n) {
		const char *prev = a->v[a->n - 1].path;
		int c = strncmp(prev, path, plen);
		if (!c && !prev[plen])
			return silo__error_set(SILO_ECORRUPT, "record %zu: '%.*s' is recorded twice",
					       n, SHOW(plen), path);
		if (c > 0 || (!c && prev[plen]))
			return silo__error_set(SILO_ECORRUPT, "record %zu: '%.*s' is out of order",
					       n, SHOW(plen), path);
	}
	if (!l) {
		/* The records' own form only: no leaves to check them by. */
	} else if (type == SILO_TREE_ATTR_FILE) {
		if (!leaf || leaf->mode == SILO_MODE_SYMLINK)
			return silo__error_set(SILO_ECORRUPT, "record %zu: '%.*s' is not a file of "
					       "the tree", n, SHOW(plen), path);
		if (!!(perm & S_IXUSR) != (leaf->mode == SILO_MODE_EXEC))
			return silo__error_set(SILO_ECORRUPT, "record %zu: mode %04o of '%.*s' "
					       "disagrees with its mode %06o in the tree", n, perm,
					       SHOW(plen), path, leaf->mode);
		if (perm == normal_perm(leaf->mode))
			return silo__error_set(SILO_ECORRUPT, "record %zu: '%.*s' has the mode git "
					       "gives back, which is not recorded", n, SHOW(plen),
					       path);
	} else {
		if (leaf)
			return silo__error_set(SILO_ECORRUPT, "record %zu: '%.*s' is a file of the "
					       "tree, not a directory", n, SHOW(plen), path);
		if (perm == PERM_DIR && holds_leaf(l, path, plen))
			return silo__error_set(SILO_ECORRUPT, "record %zu: '%.*s' holds files and "
					       "has the mode git gives back, which is not recorded",
					       n, SHOW(plen), path);
	}
	slash = memrchr(path, '/', plen);
	if (l && slash && !holds_leaf(l, path, (size_t)(slash - path))) {
		const struct silo_tree_attr *up = find_attr(a, path, (size_t)(slash - path));
		if (!up || up->type != SILO_TREE_ATTR_DIR)
			return silo__error_set(SILO_ECORRUPT, "record %zu: '%.*s' is in no directory "
					       "of the tree", n, SHOW(plen), path);
	}
#undef SHOW
	return attrs_push(a, strndup(path, plen), type, perm);
}

int silo_tree_attrs_parse(struct silo_tree_attrs *out, const void *data, size_t len,
			  const silo_oid *tree, const struct silo_tree_list *l)
{
	struct silo_tree_attrs a = SILO_TREE_ATTRS_INIT;
	const char *p = data, *end = p + len;
	char head[sizeof(ATTRS_MAGIC) + 1 + SILO_OID_MAX_HEXSZ + 1];
	size_t n = 0, hlen;
	int ret = 0;

	hlen = (size_t)snprintf(head, sizeof(head), ATTRS_MAGIC " ");
	silo_oid_to_hex(head + hlen, tree);
	hlen = strlen(head) + 1;
	if (len < hlen || memcmp(p, head, hlen))
		return silo__error_set(SILO_ECORRUPT, "does not start with \"" ATTRS_MAGIC
				       " %s\" and a NUL: not a record of version 1 of the "
				       "tree", head + sizeof(ATTRS_MAGIC));
	for (p += hlen; p < end && !ret; n++) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		if (!nul) {
			ret = silo__error_set(SILO_ECORRUPT, "record %zu does not end (no NUL in "
					      "its last %zu bytes)", n + 1, (size_t)(end - p));
			break;
		}
		ret = parse_one(&a, p, (size_t)(nul - p), n + 1, l);
		p = nul + 1;
	}
	if (!ret) {
		silo_tree_attrs_release(out);
		*out = a;
		return 0;
	}
	silo_tree_attrs_release(&a);
	return ret;
}

/* ---- differences ---- */

struct change {
	int what;
	const char *path;	/* borrowed from the records */
};

struct exact_diff {
	struct change *v;
	size_t n, alloc, next;
	int (*cb)(void *payload, int change, const char *path);
	void *payload;
};

static int note(struct exact_diff *d, int what, const char *path)
{
	if (ALLOC_GROW(d->v, d->n + 1, d->alloc) < 0)
		return silo__error_oom();
	d->v[d->n].what = what;
	d->v[d->n++].path = path;
	return 0;
}

/* What a directory or file PATH is on one side: 0 absent, 1 a directory
 * holding a file, 2 a directory holding none, 3 a leaf. */
static int side(const struct silo_tree_list *l, const struct silo_tree_attrs *a,
		const char *path, const struct silo_tree_entry **leaf)
{
	const struct silo_tree_attr *r;
	size_t len = strlen(path);

	if ((*leaf = find_leaf(l, path, len)))
		return 3;
	if (holds_leaf(l, path, len))
		return 1;
	r = find_attr(a, path, len);
	return r && r->type == SILO_TREE_ATTR_DIR ? 2 : 0;
}

/* The changes of the records alone, in path order, into D. */
static int attrs_changes(struct exact_diff *d,
			 const struct silo_tree_list *ol, const struct silo_tree_attrs *oa,
			 const struct silo_tree_list *nl, const struct silo_tree_attrs *na)
{
	size_t i = 0, j = 0;
	int ret = 0;

	while ((i < oa->n || j < na->n) && !ret) {
		const struct silo_tree_attr *x = i < oa->n ? &oa->v[i] : NULL;
		const struct silo_tree_attr *y = j < na->n ? &na->v[j] : NULL;
		int c = !x ? 1 : !y ? -1 : strcmp(x->path, y->path);
		const char *path = c <= 0 ? x->path : y->path;
		const struct silo_tree_entry *lo, *ln;
		int so = side(ol, oa, path, &lo), sn = side(nl, na, path, &ln);

		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		if (so == 3 && sn == 3) {
			/* Another content or git mode: the lists say so. */
			if (silo_oid_equal(&lo->id, &ln->id) && lo->mode == ln->mode &&
			    silo_tree_attrs_perm(oa, path, lo->mode) !=
			    silo_tree_attrs_perm(na, path, ln->mode))
				ret = note(d, SILO_TREE_MODE, path);
		} else if ((so == 1 || so == 2) && (sn == 1 || sn == 2)) {
			if (silo_tree_attrs_perm(oa, path, MODE_DIR) !=
			    silo_tree_attrs_perm(na, path, MODE_DIR))
				ret = note(d, SILO_TREE_MODE, path);
		} else if (so == 2) {
			ret = note(d, SILO_TREE_REMOVED, path);
		} else if (sn == 2) {
			ret = note(d, SILO_TREE_ADDED, path);
		}
	}
	return ret;
}

/* The changes of the records before PATH (NULL: all that are left). */
static int flush(struct exact_diff *d, const char *path)
{
	int ret;

	while (d->next < d->n && (!path || strcmp(d->v[d->next].path, path) < 0)) {
		const struct change *c = &d->v[d->next++];
		if ((ret = d->cb(d->payload, c->what, c->path)) != 0)
			return ret;
	}
	return 0;
}

static int on_list_change(void *payload, int what, const char *path)
{
	struct exact_diff *d = payload;
	int ret = flush(d, path);

	return ret ? ret : d->cb(d->payload, what, path);
}

int silo_tree_exact_diff(const struct silo_tree_list *old_list,
			 const struct silo_tree_attrs *old_attrs,
			 const struct silo_tree_list *new_list,
			 const struct silo_tree_attrs *new_attrs,
			 int (*cb)(void *payload, int change, const char *path),
			 void *payload)
{
	struct exact_diff d = { NULL, 0, 0, 0, cb, payload };
	int ret;

	if (!old_attrs || !new_attrs)
		return silo_tree_list_diff(old_list, new_list, cb, payload);
	if ((ret = attrs_changes(&d, old_list, old_attrs, new_list, new_attrs)) == 0 &&
	    (ret = silo_tree_list_diff(old_list, new_list, on_list_change, &d)) == 0)
		ret = flush(&d, NULL);
	free(d.v);
	return ret;
}
