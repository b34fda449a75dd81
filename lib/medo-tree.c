/*
 * silo_medo_tree: a treeptr's tree opened for lookups, listings and
 * single-file reads (medo ls, cat, diff).  Its directories are kept as
 * git tree objects (read from the silo for kind tree, built from the
 * listing of the object for the others), its leaves as a sorted list.
 */
#include "silo/medo-tree.h"
#include "silo/tree-pack.h"
#include "error-internal.h"
#include "medo-internal.h"
#include "tree-internal.h"
#include "tree-pack-internal.h"
#include "alloc.h"
#include "fsutil.h"
#include "strbuf.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mt_dir {
	char *path;
	silo_oid id;
	unsigned char *data;
	size_t len;
	int empty;		/* holds no file: known from the attribute record */
};

struct silo_medo_tree {
	char *name;		/* the treeptr's path, for messages */
	silo *s;
	struct silo_treeptr tp;
	struct silo_tree_list leaves;
	struct mt_dir *dirs;
	size_t n_dirs, alloc_dirs;
	int objects;		/* kind tree, nothing loaded: tree objects
				   are read one by one (silo_medo_tree_diff) */
	size_t max_leaves;	/* with OBJECTS: the most lines the size
				   table can have */
	size_t leaves_seen;	/* with OBJECTS: leaves a walk has met */
	int exact;		/* kind tree with an attribute record: ATTRS */
	struct silo_tree_attrs attrs;
	size_t n_empty;		/* directories of ATTRS holding no file */
};

static int on_dir(void *payload, const silo_oid *id, const void *data, size_t len,
		  const char *path, size_t plen)
{
	struct silo_medo_tree *t = payload;
	struct mt_dir *d;

	if (ALLOC_GROW(t->dirs, t->n_dirs + 1, t->alloc_dirs) < 0)
		return silo__error_oom();
	d = &t->dirs[t->n_dirs];
	memset(d, 0, sizeof(*d));
	if (!(d->path = strndup(path, plen)) || !(d->data = malloc(len ? len : 1))) {
		free(d->path);
		return silo__error_oom();
	}
	memcpy(d->data, data, len);
	d->len = len;
	d->id = *id;
	t->n_dirs++;
	return 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct mt_dir *)a)->path, ((const struct mt_dir *)b)->path);
}

/* Kinds tar and archive: the leaves from the object, read whole. */
static int list_object(struct silo_medo_tree *t)
{
	struct medo_reader src = { 0 };
	silo_stream *st;
	int ret;

	if ((ret = silo_stream_open(&st, t->s, &t->tp.object)) < 0)
		return ret;
	src.st = st;
	ret = silo_tree_list_archive(&t->leaves, silo_object_format(t->s), medo_reader_read,
				     &src, "object");
	if (!ret)
		ret = medo_reader_finish(&src);
	silo_stream_free(st);
	return ret;
}


/* The directories of the record that hold no file, as directories of T
 * (the empty tree's id, no entries), in path order with the others. */
static int add_empty_dirs(struct silo_medo_tree *t)
{
	size_t i, n = t->n_dirs, at;
	silo_oid empty;
	int ret;

	if ((ret = silo_oid_hash_buffer(&empty, t->tp.tree.format, SILO_OBJ_TREE, "", 0)) < 0)
		return ret;
	for (i = 0; i < t->attrs.n; i++) {
		const struct silo_tree_attr *a = &t->attrs.v[i];
		if (a->type != SILO_TREE_ATTR_DIR ||
		    tree_search(&t->dirs[0].path, n, sizeof(*t->dirs), a->path, strlen(a->path), &at))
			continue;
		if ((ret = on_dir(t, &empty, "", 0, a->path, strlen(a->path))) < 0)
			return ret;
		t->dirs[t->n_dirs - 1].empty = 1;
		t->n_empty++;
	}
	if (t->n_empty)
		qsort(t->dirs, t->n_dirs, sizeof(*t->dirs), by_path);
	return 0;
}

void silo_medo_tree_free(silo_medo_tree *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n_dirs; i++) {
		free(t->dirs[i].path);
		free(t->dirs[i].data);
	}
	free(t->dirs);
	free(t->name);
	silo_tree_attrs_release(&t->attrs);
	silo_tree_list_release(&t->leaves);
	silo_treeptr_release(&t->tp);
	silo_free(t->s);
	free(t);
}

static int tree_open(silo_medo_tree **out, const char *treeptr_path, const char *text,
		     size_t len, const char *where, const char *silo_option, int objects,
		     silo_medo_warn_fn on_warning, void *payload);

int silo_medo_tree_open(silo_medo_tree **out, const char *treeptr_path,
			const char *silo_option, silo_medo_warn_fn on_warning,
			void *payload)
{
	return tree_open(out, treeptr_path, NULL, 0, treeptr_path, silo_option, 0, on_warning,
			 payload);
}

int silo_medo_tree_open_objects(silo_medo_tree **out, const char *treeptr_path,
				const char *silo_option, silo_medo_warn_fn on_warning,
				void *payload)
{
	return tree_open(out, treeptr_path, NULL, 0, treeptr_path, silo_option, 1, on_warning,
			 payload);
}

int silo_medo_tree_open_text(silo_medo_tree **out, const char *name, const char *text,
			     size_t len, const char *where, const char *silo_option,
			     silo_medo_warn_fn on_warning, void *payload)
{
	return tree_open(out, name, text, len, where, silo_option, 0, on_warning, payload);
}

/* Load T whole: its leaves, its directories' tree objects, its record;
 * a tree opened for objects one by one becomes one loaded whole. */
static int load_whole(struct silo_medo_tree *t)
{
	struct tree_object_sink sink = { on_dir, t };
	char hex[SILO_OID_MAX_HEXSZ + 1];
	silo_oid got, attrs_id;
	uint64_t attrs_size;
	int ret;

	t->objects = 0;
	if (t->tp.kind == SILO_TREEPTR_TREE) {
		ret = tree_load_objects(&t->leaves, t->s, &t->tp.tree, &t->tp.object, t->tp.size,
					&sink);
		if (!ret && silo_treeptr_attrs(&t->tp, &attrs_id, &attrs_size))
			ret = silo_tree_attrs_read(&t->attrs, t->s, &attrs_id, attrs_size,
						   &t->tp.tree, &t->leaves);
	} else if (t->tp.kind == SILO_TREEPTR_IMAGE) {
		/* The merged tree of its layers, which no treeptr names. */
		if ((ret = medo_image_rootfs(&t->leaves, t->s, &t->tp, t->name)) == 0)
			ret = tree_list_objects(&got, &t->leaves, &sink);
	} else if ((ret = list_object(t)) == 0) {
		ret = tree_list_objects(&got, &t->leaves, &sink);
	}
	if (ret < 0)
		return silo__error_wrap("'%s'", t->name);
	if (t->tp.kind != SILO_TREEPTR_TREE && t->tp.kind != SILO_TREEPTR_IMAGE &&
	    !silo_oid_equal(&got, &t->tp.tree))
		return silo__error_set(SILO_ECORRUPT, "'%s': object %s holds tree %s, not the "
				       "treeptr's", t->name, silo_oid_to_hex(hex, &t->tp.object),
				       silo_oid_to_hex(hex, &got));
	if (!t->n_dirs && (ret = on_dir(t, &t->tp.tree, "", 0, "", 0)) < 0)
		return ret;
	qsort(t->dirs, t->n_dirs, sizeof(*t->dirs), by_path);
	return t->exact ? add_empty_dirs(t) : 0;
}

/* The treeptr NAME: the file of that name, or LEN bytes of TEXT if not
 * NULL; its silos are those of WHERE. */
static int tree_open(silo_medo_tree **out, const char *treeptr_path, const char *text,
		     size_t len, const char *where, const char *silo_option, int objects,
		     silo_medo_warn_fn on_warning, void *payload)
{
	struct silo_medo_tree *t = calloc(1, sizeof(*t));
	silo_oid attrs_id;
	uint64_t attrs_size;
	int ret;

	*out = NULL;
	if (!t)
		return silo__error_oom();
	if (!(t->name = strdup(treeptr_path))) {
		free(t);
		return silo__error_oom();
	}
	if ((ret = text ? silo_treeptr_parse(&t->tp, text, len, treeptr_path) :
			  silo_treeptr_load(&t->tp, treeptr_path)) < 0)
		goto fail;
	if (!silo_treeptr_is_tree(&t->tp) && t->tp.kind != SILO_TREEPTR_IMAGE) {
		ret = silo__error_set(SILO_EINVALID, "'%s' names a file, not a tree", treeptr_path);
		goto fail;
	}
	t->exact = silo_treeptr_attrs(&t->tp, &attrs_id, &attrs_size);
	t->objects = objects && t->tp.kind == SILO_TREEPTR_TREE;
	if ((ret = (t->objects ? silo_medo_open_tree_objects : silo_medo_open_treeptr)(
			&t->s, where, silo_option, &t->tp, on_warning, payload)) < 0)
		goto fail;
	t->leaves.format = t->tp.tree.format;
	if (t->objects) {
		/* A walk meets each leaf once, and the size table has a
		 * line of at least two bytes for each: its size, which the
		 * treeptr declares, bounds the walk without reading it. */
		t->max_leaves = t->tp.size / 2 > SIZE_MAX ? SIZE_MAX : (size_t)(t->tp.size / 2);
		*out = t;
		return 0;
	}
	if ((ret = load_whole(t)) < 0)
		goto fail;
	*out = t;
	return 0;
fail:
	silo_medo_tree_free(t);
	return ret;
}

const struct silo_treeptr *silo_medo_tree_treeptr(const silo_medo_tree *t)
{
	return &t->tp;
}

const struct silo_tree_list *silo_medo_tree_leaves(const silo_medo_tree *t)
{
	return &t->leaves;
}

size_t silo_medo_tree_count(const silo_medo_tree *t)
{
	return t->n_dirs + t->leaves.n;
}

int silo_medo_tree_node(const silo_medo_tree *t, size_t n, struct silo_medo_tree_node *out)
{
	const char *slash;

	memset(out, 0, sizeof(*out));
	out->node = n;
	if (n < t->n_dirs) {
		out->path = t->dirs[n].path;
		out->mode = 040000;
		out->id = t->dirs[n].id;
	} else if (n - t->n_dirs < t->leaves.n) {
		const struct silo_tree_entry *e = &t->leaves.v[n - t->n_dirs];
		out->path = e->path;
		out->mode = e->mode;
		out->id = e->id;
		out->size = e->size;
	} else {
		return silo__error_set(SILO_ENOTFOUND, "no node %zu", n);
	}
	slash = strrchr(out->path, '/');
	out->name = slash ? slash + 1 : out->path;
	return 0;
}


/* PATH (LEN bytes) among the dirs, then the leaves: its node. */
static int find(const silo_medo_tree *t, const char *path, size_t len, size_t *node)
{
	size_t at;

	if (t->n_dirs && tree_search(&t->dirs[0].path, t->n_dirs, sizeof(*t->dirs), path, len, &at)) {
		*node = at;
		return 1;
	}
	if (t->leaves.n && tree_search(&t->leaves.v[0].path, t->leaves.n, sizeof(*t->leaves.v),
				  path, len, &at)) {
		*node = t->n_dirs + at;
		return 1;
	}
	return 0;
}

int silo_medo_tree_lookup(const silo_medo_tree *t, const char *path,
			  struct silo_medo_tree_node *out)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	const char *p = path;
	size_t len, n;

	while (p[0] == '.' && p[1] == '/')
		p += 2;
	while (*p == '/')
		p++;
	len = strlen(p);
	while (len && p[len - 1] == '/')
		len--;
	if (len == 1 && p[0] == '.')
		len = 0;
	if (!find(t, p, len, &n))
		return silo__error_set(SILO_ENOTFOUND, "'%s': no '%s' in tree %s", t->name, path,
				       silo_oid_to_hex(hex, &t->tp.tree));
	return silo_medo_tree_node(t, n, out);
}

int silo_medo_tree_child(const silo_medo_tree *t, size_t dir, const char *name,
			 size_t nlen, struct silo_medo_tree_node *out)
{
	const char *base;
	size_t blen, n;
	char *full;
	int found;

	if (dir >= t->n_dirs)
		return SILO_ENOTFOUND;
	base = t->dirs[dir].path;
	blen = strlen(base);
	if (!(full = malloc(blen + nlen + 2)))
		return silo__error_oom();
	memcpy(full, base, blen);
	if (blen)
		full[blen++] = '/';
	memcpy(full + blen, name, nlen);
	found = find(t, full, blen + nlen, &n);
	free(full);
	return found ? silo_medo_tree_node(t, n, out) : SILO_ENOTFOUND;
}

static int by_git_order(const void *a, const void *b)
{
	const struct silo_medo_tree_node *x = a, *y = b;

	return tree_path_cmp(x->name, strlen(x->name), x->mode == 040000,
			     y->name, strlen(y->name), y->mode == 040000);
}

/* silo_medo_tree_list() of a tree with directories holding no file,
 * which no tree object lists: each entry of DIR's tree object and each
 * such directory in DIR, sorted together. */
static int list_with_empty(const silo_medo_tree *t, size_t dir,
			   int (*cb)(void *payload, const struct silo_medo_tree_node *e),
			   void *payload)
{
	const struct mt_dir *d = &t->dirs[dir];
	struct silo_medo_tree_node *v = NULL;
	size_t n = 0, alloc = 0, plen = strlen(d->path), i;
	struct silo_tree_iter it;
	int ret;

	silo_tree_iter_init(&it, d->data, d->len, t->leaves.format);
	while ((ret = silo_tree_iter_next(&it)) > 0) {
		if (ALLOC_GROW(v, n + 1, alloc) < 0) {
			ret = silo__error_oom();
			goto out;
		}
		if (silo_medo_tree_child(t, dir, it.name, it.nlen, &v[n]) < 0) {
			ret = silo__error_set(SILO_ECORRUPT, "tree of '%s' lists '%.*s', not found",
					      d->path, (int)it.nlen, it.name);
			goto out;
		}
		n++;
	}
	if (ret < 0) {
		silo__error_wrap("tree of '%s'", d->path[0] ? d->path : ".");
		goto out;
	}
	for (i = 0; i < t->n_dirs; i++) {
		const char *p = t->dirs[i].path;
		if (!t->dirs[i].empty || strncmp(p, d->path, plen) || (plen && p[plen] != '/') ||
		    strchr(p + plen + !!plen, '/'))
			continue;
		if (ALLOC_GROW(v, n + 1, alloc) < 0) {
			ret = silo__error_oom();
			goto out;
		}
		if ((ret = silo_medo_tree_node(t, i, &v[n++])) < 0)
			goto out;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_git_order);
	for (i = 0; i < n && !ret; i++)
		ret = cb(payload, &v[i]);
out:
	free(v);
	return ret;
}

unsigned silo_medo_tree_perm(const silo_medo_tree *t, size_t n)
{
	struct silo_medo_tree_node node;

	if (silo_medo_tree_node(t, n, &node) < 0) {
		silo_error_clear();
		return 0;
	}
	return silo_tree_attrs_perm(t->exact ? &t->attrs : NULL, node.path, node.mode);
}

const struct silo_tree_attrs *silo_medo_tree_attrs(const silo_medo_tree *t)
{
	return t->exact ? &t->attrs : NULL;
}

int silo_medo_tree_list(const silo_medo_tree *t, size_t dir,
			int (*cb)(void *payload, const struct silo_medo_tree_node *e),
			void *payload)
{
	const struct mt_dir *d;
	struct silo_tree_iter it;
	int ret;

	if (dir >= t->n_dirs)
		return silo__error_set(SILO_EINVALID, "not a directory");
	d = &t->dirs[dir];
	if (t->n_empty)
		return list_with_empty(t, dir, cb, payload);
	silo_tree_iter_init(&it, d->data, d->len, t->leaves.format);
	while ((ret = silo_tree_iter_next(&it)) > 0) {
		struct silo_medo_tree_node e;
		if ((ret = silo_medo_tree_child(t, dir, it.name, it.nlen, &e)) < 0)
			return silo__error_set(SILO_ECORRUPT, "tree of '%s' lists '%.*s', not found",
					       d->path, (int)it.nlen, it.name);
		if ((ret = cb(payload, &e)) != 0)
			return ret;
	}
	if (ret < 0)
		silo__error_wrap("tree of '%s'", d->path[0] ? d->path : ".");
	return ret;
}

int silo_medo_tree_head(silo_medo_tree *t, unsigned char *buf, size_t len, size_t *got)
{
	silo_stream *st;
	const void *d;
	size_t n;
	int ret;

	*got = 0;
	if (t->tp.kind == SILO_TREEPTR_TREE)
		return silo__error_set(SILO_EINVALID, "'%s' is of kind tree: no archive", t->name);
	if ((ret = silo_stream_open(&st, t->s, &t->tp.object)) < 0)
		return ret;
	/* Only the start is read: the object was verified whole when the
	 * tree was listed. */
	while (*got < len && (ret = silo_stream_read(st, &d, &n)) > 0) {
		if (n > len - *got)
			n = len - *got;
		memcpy(buf + *got, d, n);
		*got += n;
	}
	silo_stream_free(st);
	return ret < 0 ? ret : 0;
}

/* ---- one file's content ---- */

struct cat_state {
	const char *want;
	int fd;
	const char *name;
	int in;			/* the current entry is the one wanted */
	int found;
	uint64_t at;		/* bytes written */
};

static int cat_header(void *payload, struct archive_entry *e, const char *path)
{
	struct cat_state *c = payload;
	const char *target;

	c->in = !strcmp(path, c->want);
	if (!c->in)
		return 0;
	c->found = 1;
	c->at = 0;
	if (archive_entry_hardlink(e))
		return silo__error_set(SILO_EINVALID, "'%s' is a hard link in the archive; read '%s'",
				       path, archive_entry_hardlink(e));
	if ((target = archive_entry_symlink(e))) {
		c->in = 0;
		return fs_write_all(c->fd, target, strlen(target), c->name);
	}
	return 0;
}

static int cat_data(void *payload, const void *buf, size_t len, int64_t offset)
{
	struct cat_state *c = payload;
	static const char zeros[4096];
	int ret;

	if (!c->in)
		return 0;
	while (c->at < (uint64_t)offset) {
		size_t n = (uint64_t)offset - c->at < sizeof(zeros) ?
			   (size_t)((uint64_t)offset - c->at) : sizeof(zeros);
		if ((ret = fs_write_all(c->fd, zeros, n, c->name)) < 0)
			return ret;
		c->at += n;
	}
	c->at += len;
	return fs_write_all(c->fd, buf, len, c->name);
}

/* Read the object of T (kind tar or archive) to its verified end, HOOKS
 * called for its entries. */
static int walk_object(silo_medo_tree *t, const struct tree_archive_hooks *hooks)
{
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	struct medo_reader src = { 0 };
	silo_stream *st;
	int ret;

	if ((ret = silo_stream_open(&st, t->s, &t->tp.object)) < 0)
		return ret;
	src.st = st;
	ret = tree_archive_walk(&l, silo_object_format(t->s), medo_reader_read, &src,
				"object", hooks);
	if (!ret)
		ret = medo_reader_finish(&src);
	silo_tree_list_release(&l);
	silo_stream_free(st);
	return ret;
}

static int cat_archive(silo_medo_tree *t, const char *path, int fd, const char *name)
{
	struct tree_archive_hooks hooks = { cat_header, cat_data, NULL, NULL, NULL };
	struct cat_state c = { path, fd, name, 0, 0, 0 };

	hooks.payload = &c;
	return walk_object(t, &hooks);
}

/* ---- every file's content, in one pass ---- */

struct cat_all {
	silo_medo_tree *t;
	int fd;
	uint64_t *offsets;
	uint64_t pos;		/* bytes written to FD */
	uint64_t start;		/* where the current leaf starts */
	int in;			/* the current entry is a leaf being written */
};

static int cat_all_write(struct cat_all *c, const void *buf, size_t len)
{
	c->pos += len;
	return fs_write_all(c->fd, buf, len, "the spool file");
}

/* Zeros up to offset AT of the current leaf (holes of sparse files), as
 * a hole of the spool file: a member of 10 GiB of holes in an archive of
 * 10 KiB costs no disk.  The spool is written in order, so its size is
 * POS. */
static int cat_all_fill(struct cat_all *c, uint64_t at)
{
	uint64_t end = c->start + at;

	if (c->pos >= end)
		return 0;
	if (at > (uint64_t)INT64_MAX || end > (uint64_t)INT64_MAX)
		return silo__error_set(SILO_ECORRUPT, "'%s': a file too large for the spool file",
				      c->t->name);
	if (ftruncate(c->fd, (off_t)end) < 0 || lseek(c->fd, (off_t)end, SEEK_SET) < 0)
		return silo__error_errno("cannot extend the spool file");
	c->pos = end;
	return 0;
}

static int cat_all_header(void *payload, struct archive_entry *e, const char *path)
{
	struct cat_all *c = payload;
	const char *target;
	size_t node, link;

	c->in = 0;
	if (!find(c->t, path, strlen(path), &node) || node < c->t->n_dirs)
		return 0;
	if ((target = archive_entry_hardlink(e))) {
		/* Its target came before: the same bytes. */
		if (find(c->t, target, strlen(target), &link) && link >= c->t->n_dirs)
			c->offsets[node] = c->offsets[link];
		return 0;
	}
	c->offsets[node] = c->start = c->pos;
	if ((target = archive_entry_symlink(e)))
		return cat_all_write(c, target, strlen(target));
	c->in = 1;
	return 0;
}

static int cat_all_data(void *payload, const void *buf, size_t len, int64_t offset)
{
	struct cat_all *c = payload;
	int ret;

	if (!c->in)
		return 0;
	if ((ret = cat_all_fill(c, (uint64_t)offset)) < 0)
		return ret;
	return cat_all_write(c, buf, len);
}

static int cat_all_finish(void *payload, struct archive_entry *e, const char *path)
{
	struct cat_all *c = payload;

	(void)path;
	if (!c->in)
		return 0;
	c->in = 0;
	return cat_all_fill(c, (uint64_t)archive_entry_size(e));
}

int silo_medo_tree_cat_all(silo_medo_tree *t, int fd, uint64_t *offsets)
{
	struct tree_archive_hooks hooks = { cat_all_header, cat_all_data, cat_all_finish,
					    NULL, NULL };
	struct cat_all c = { t, fd, offsets, 0, 0, 0 };

	if (t->tp.kind == SILO_TREEPTR_TREE || t->tp.kind == SILO_TREEPTR_IMAGE || t->objects)
		return silo__error_set(SILO_EINVALID, "'%s' is not an archive", t->name);
	hooks.payload = &c;
	return walk_object(t, &hooks);
}

int silo_medo_tree_cat(silo_medo_tree *t, size_t n, int fd, const char *name)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	const struct silo_tree_entry *e;
	silo_stream *st;
	const void *d;
	size_t len;
	int ret;

	if (n < t->n_dirs)
		return silo__error_set(SILO_EINVALID, "'%s' is a directory", t->dirs[n].path);
	e = &t->leaves.v[n - t->n_dirs];
	if (t->tp.kind != SILO_TREEPTR_TREE && t->tp.kind != SILO_TREEPTR_IMAGE)
		return cat_archive(t, e->path, fd, name);
	if ((ret = silo_stream_open_sized(&st, t->s, &e->id, e->size)) < 0)
		goto fail;
	if (silo_stream_type(st) != SILO_OBJ_BLOB || silo_stream_size(st) != e->size)
		ret = silo__error_set(SILO_ECORRUPT, "is a %s of %llu bytes, not a blob of %llu",
				      silo_object_type_name(silo_stream_type(st)),
				      (unsigned long long)silo_stream_size(st),
				      (unsigned long long)e->size);
	while (!ret && (ret = silo_stream_read(st, &d, &len)) > 0)
		if ((ret = fs_write_all(fd, d, len, name)) < 0)
			break;
	silo_stream_free(st);
	if (ret >= 0)
		return 0;
fail:
	silo__error_wrap("blob %s of '%s'", silo_oid_to_hex(hex, &e->id), e->path);
	return ret;
}

/* ---- differences, from tree objects ---- */

/* One directory of one side: its tree object, owned or borrowed, and
 * the entries read from it. */
struct dd_dir {
	unsigned char *data;
	size_t len;
	int owned;
	struct silo_tree_iter it;
};

/* The tree object ID of directory PATH of T. */
static int dd_read(struct dd_dir *d, silo_medo_tree *t, const silo_oid *id, const char *path)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	size_t n;
	int ret;

	memset(d, 0, sizeof(*d));
	if (t->objects) {
		d->owned = 1;
		if ((ret = silo_tree_object_read(&d->data, &d->len, t->s, id, path)) < 0)
			return ret;
		/* Read one by one, a directory with nothing below it could
		 * hide a walk without end: git writes none. */
		if (!d->len && path[0])
			return silo__error_set(SILO_ECORRUPT,
				"'%s': tree %s of '%s' is empty: git writes no empty directory",
				t->name, silo_oid_to_hex(hex, id), path);
	} else {
		if (!find(t, path, strlen(path), &n) || n >= t->n_dirs)
			return silo__error_set(SILO_ECORRUPT, "'%s': no directory '%s'", t->name,
					       path);
		d->data = t->dirs[n].data;
		d->len = t->dirs[n].len;
	}
	silo_tree_iter_init(&d->it, d->data, d->len, t->leaves.format);
	return 0;
}

static void dd_release(struct dd_dir *d)
{
	if (d->owned)
		free(d->data);
}

struct dd_entry {
	const char *name;
	size_t nlen;
	unsigned mode;
	silo_oid id;
};

struct dd_walk {
	silo_medo_tree *a, *b;
	silo_medo_tree_diff_fn *cb;
	void *payload;
	struct strbuf path;
};

/*
 * The next entry of D, a directory of T: 1, 0 at its end, or an error
 * naming PATH.  Each leaf met counts against T's size table: a walk
 * meets a leaf once, so more than its lines is a tree that repeats
 * itself, refused at the first excess.
 */
static int dd_next(struct dd_dir *d, silo_medo_tree *t, struct dd_entry *e, const char *path)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	int ret = silo_tree_iter_next(&d->it);

	if (ret < 0)
		return silo__error_wrap("'%s': tree of '%s'", t->name, path[0] ? path : ".");
	if (!ret)
		return 0;
	e->mode = d->it.mode;
	e->name = d->it.name;
	e->nlen = d->it.nlen;
	e->id = d->it.id;
	if (t->objects && e->mode != 040000 && ++t->leaves_seen > t->max_leaves)
		return silo__error_set(SILO_ECORRUPT,
			"'%s': tree %s lists more files than its size table can "
			"(%zu; at '%s%s%.*s')", t->name, silo_oid_to_hex(hex, &t->tp.tree),
			t->max_leaves, path, path[0] ? "/" : "", (int)e->nlen, e->name);
	return 1;
}

/* Append NAME to W's path; returns the old length, to go back to. */
static int dd_push(struct dd_walk *w, const struct dd_entry *e, size_t *old)
{
	*old = w->path.len;
	if (w->path.len && strbuf_addch(&w->path, '/') < 0)
		return silo__error_oom();
	if (strbuf_add(&w->path, e->name, e->nlen) < 0)
		return silo__error_oom();
	if (w->path.len > TREE_PATH_MAX)
		return silo__error_set(SILO_EINVALID, "a path longer than %d bytes: '...%s'",
				       TREE_PATH_MAX, w->path.buf + w->path.len - 120);
	return 0;
}

/* E (at W's path) and everything below it, reported as WHAT. */
static int dd_all(struct dd_walk *w, silo_medo_tree *t, const struct dd_entry *e,
		  const char *what)
{
	struct dd_dir d;
	struct dd_entry sub;
	size_t old;
	int ret;

	if (e->mode != 040000)
		return w->cb(w->payload, what, w->path.buf);
	if ((ret = dd_read(&d, t, &e->id, w->path.buf)) < 0) {
		dd_release(&d);
		return ret;
	}
	while ((ret = dd_next(&d, t, &sub, w->path.buf)) > 0) {
		if ((ret = dd_push(w, &sub, &old)) < 0 ||
		    (ret = dd_all(w, t, &sub, what)) != 0)
			break;
		strbuf_setlen(&w->path, old);
	}
	dd_release(&d);
	return ret;
}

/* Git's order of tree entries: a directory sorts as its name and '/'. */
static int dd_cmp(const struct dd_entry *x, const struct dd_entry *y)
{
	size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
	int c = memcmp(x->name, y->name, n);
	unsigned cx, cy;

	if (c)
		return c;
	cx = x->nlen > n ? (unsigned char)x->name[n] : x->mode == 040000 ? '/' : 0;
	cy = y->nlen > n ? (unsigned char)y->name[n] : y->mode == 040000 ? '/' : 0;
	return cx < cy ? -1 : cx > cy;
}

/* Directories IA of A and IB of B, both at W's path. */
static int dd_dirs(struct dd_walk *w, const silo_oid *ia, const silo_oid *ib)
{
	struct dd_dir da, db;
	struct dd_entry x, y;
	size_t old;
	int ret, hx, hy;

	if ((ret = dd_read(&da, w->a, ia, w->path.buf)) < 0) {
		dd_release(&da);
		return ret;
	}
	if ((ret = dd_read(&db, w->b, ib, w->path.buf)) < 0) {
		dd_release(&da);
		dd_release(&db);
		return ret;
	}
	hx = dd_next(&da, w->a, &x, w->path.buf);
	hy = hx < 0 ? 0 : dd_next(&db, w->b, &y, w->path.buf);
	while (hx >= 0 && hy >= 0 && (hx || hy)) {
		int c = !hx ? 1 : !hy ? -1 : 0;
		/* The same name: compared by name alone, so that a file
		 * that became a directory is one entry on each side. */
		if (!c && (x.nlen != y.nlen || memcmp(x.name, y.name, x.nlen)))
			c = dd_cmp(&x, &y);
		if ((ret = dd_push(w, c > 0 ? &y : &x, &old)) < 0)
			goto out;
		if (c < 0) {
			ret = dd_all(w, w->a, &x, "removed");
		} else if (c > 0) {
			ret = dd_all(w, w->b, &y, "added");
		} else {
			int xd = x.mode == 040000, yd = y.mode == 040000;
			if (silo_oid_equal(&x.id, &y.id) && x.mode == y.mode)
				ret = 0;	/* equal: nothing below is read */
			else if (xd && yd)
				ret = dd_dirs(w, &x.id, &y.id);
			else if (xd || yd)
				ret = dd_all(w, w->a, &x, "removed");
			else
				ret = w->cb(w->payload, silo_oid_equal(&x.id, &y.id) ? "mode" :
					    "changed", w->path.buf);
			if (!ret && xd != yd)
				ret = dd_all(w, w->b, &y, "added");
		}
		if (ret)
			goto out;
		strbuf_setlen(&w->path, old);
		if (c <= 0)
			hx = dd_next(&da, w->a, &x, w->path.buf);
		if (c >= 0 && hx >= 0)
			hy = dd_next(&db, w->b, &y, w->path.buf);
	}
	ret = hx < 0 ? hx : hy < 0 ? hy : 0;
out:
	dd_release(&da);
	dd_release(&db);
	return ret;
}

/* 1 if the records of A and B record the same paths and modes (their
 * first lines name their trees), 0 if not. */
static int same_records(silo_medo_tree *a, silo_medo_tree *b)
{
	unsigned char *da = NULL, *db = NULL;
	size_t la, lb;
	silo_oid ia, ib;
	uint64_t sa, sb;
	int ret;

	silo_treeptr_attrs(&a->tp, &ia, &sa);
	silo_treeptr_attrs(&b->tp, &ib, &sb);
	if ((ret = tree_blob_read(&da, &la, a->s, &ia, sa, "attribute record")) < 0 ||
	    (ret = tree_blob_read(&db, &lb, b->s, &ib, sb, "attribute record")) < 0) {
		silo__error_wrap("'%s'", ret < 0 && da ? b->name : a->name);
	} else {
		const unsigned char *ea = memchr(da, '\0', la), *eb = memchr(db, '\0', lb);
		ret = ea && eb && la - (size_t)(ea - da) == lb - (size_t)(eb - db) &&
		      !memcmp(ea, eb, la - (size_t)(ea - da));
	}
	free(da);
	free(db);
	return ret;
}

struct exact_cb {
	silo_medo_tree_diff_fn *cb;
	void *payload;
};

static int exact_change(void *payload, int change, const char *path)
{
	struct exact_cb *e = payload;

	return e->cb(e->payload, change == SILO_TREE_ADDED ? "added" :
			 change == SILO_TREE_REMOVED ? "removed" :
			 change == SILO_TREE_MODE ? "mode" : "changed", path);
}

/* What a walk found, held until the records are compared. */
struct held {
	struct held_change { const char *what; char *path; } *v;
	size_t n, alloc;
};

static int hold(void *payload, const char *what, const char *path)
{
	struct held *h = payload;

	if (ALLOC_GROW(h->v, h->n + 1, h->alloc) < 0)
		return silo__error_oom();
	if (!(h->v[h->n].path = strdup(path)))
		return silo__error_oom();
	h->v[h->n++].what = what;
	return 0;
}

static int walk_objects(silo_medo_tree *a, silo_medo_tree *b, silo_medo_tree_diff_fn *cb,
			void *payload)
{
	struct dd_walk w = { a, b, cb, payload, STRBUF_INIT };
	int ret;

	if ((ret = strbuf_grow(&w.path, 256)) == 0 &&
	    !(silo_oid_equal(&a->tp.tree, &b->tp.tree)))
		ret = dd_dirs(&w, &a->tp.tree, &b->tp.tree);
	strbuf_release(&w.path);
	return ret;
}

int silo_medo_tree_diff(silo_medo_tree *a, silo_medo_tree *b, silo_medo_tree_diff_fn *cb,
			void *payload)
{
	struct held h = { NULL, 0, 0 };
	size_t i;
	int ret;

	if (a->leaves.format != b->leaves.format)
		return silo__error_set(SILO_EINVALID, "'%s' and '%s' use different object formats",
				       a->name, b->name);
	if (!a->exact || !b->exact)
		return walk_objects(a, b, cb, payload);
	if (a->objects || b->objects) {
		/* The walk of the tree objects that differ, held; if the
		 * records say the same, that is the answer. */
		int same = 0;
		if ((ret = walk_objects(a, b, hold, &h)) == 0 && (ret = same = same_records(a, b)) > 0)
			for (i = 0, ret = 0; i < h.n && !ret; i++)
				ret = cb(payload, h.v[i].what, h.v[i].path);
		for (i = 0; i < h.n; i++)
			free(h.v[i].path);
		free(h.v);
		if (same > 0 || ret < 0)
			return ret;
		/* Other modes or empty directories: both are needed whole. */
		if ((a->objects && (ret = load_whole(a)) < 0) ||
		    (b->objects && (ret = load_whole(b)) < 0))
			return ret;
	}
	/* Both loaded whole, with their records: compared as lists. */
	{
		struct exact_cb e = { cb, payload };
		return silo_tree_exact_diff(&a->leaves, &a->attrs, &b->leaves, &b->attrs,
					    exact_change, &e);
	}
}
