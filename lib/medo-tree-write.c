/*
 * Expanding a treeptr of kind tree: the leaves read from the tree
 * objects, each file written from its blob, verified as it is read.
 */
#include "silo/tree-pack.h"
#include "silo/treeptr.h"
#include "error-internal.h"
#include "fsutil.h"
#include "medo-internal.h"
#include "cleanup-internal.h"
#include "strbuf.h"
#include "tree-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Make the directories of PATH below ROOT (open as ROOTFD), each
 * relative to ROOTFD (the tree's paths, not ROOT's, are bounded), of
 * MODE less the umask. */
static int make_parents(int rootfd, const char *root, const char *path, mode_t mode)
{
	const char *slash;
	char *dir;
	int ret = 0;

	if (!(dir = strdup(path)))
		return silo__error_oom();
	for (slash = strchr(path, '/'); slash && !ret; slash = strchr(slash + 1, '/')) {
		dir[slash - path] = '\0';
		if (mkdirat(rootfd, dir, mode) < 0 && errno != EEXIST)
			ret = silo__error_errno("cannot create '%s/%s'", root, dir);
		dir[slash - path] = '/';
	}
	free(dir);
	return ret;
}

/* Create E's file below ROOTFD (FULL in messages), of PERM (-1: by
 * E's mode, less the umask): its descriptor, or negative. */
static int create_file(int rootfd, const struct silo_tree_entry *e, const char *full, int perm)
{
	int fd = openat(rootfd, e->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			(perm >= 0 ? (mode_t)perm : e->mode == SILO_MODE_EXEC ? 0777 : 0666) &
			~fs_umask());

	return fd >= 0 ? fd : silo__error_errno("cannot create '%s'", full);
}

int medo_tree_blob_write(silo *s, const struct silo_tree_entry *e, int rootfd,
			 const char *full, int perm)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	silo_stream *st = NULL;
	const void *d;
	size_t n;
	uint64_t at = 0, size;
	int fd = -1, ret;

	if ((ret = silo_stream_open_sized(&st, s, &e->id, e->size)) < 0)
		goto fail;
	/* UINT64_MAX: the size is not known, and the blob's is taken. */
	size = e->size == UINT64_MAX ? silo_stream_size(st) : e->size;
	if (silo_stream_type(st) != SILO_OBJ_BLOB || silo_stream_size(st) != size) {
		ret = silo__error_set(SILO_ECORRUPT, "is a %s of %llu bytes, not a blob of %llu",
				      silo_object_type_name(silo_stream_type(st)),
				      (unsigned long long)silo_stream_size(st),
				      (unsigned long long)size);
		goto fail;
	}
	if (e->mode == SILO_MODE_SYMLINK) {
		char target[4096 + 1];
		size_t got = 0;
		if (size >= sizeof(target)) {
			ret = silo__error_set(SILO_ECORRUPT, "is a symlink target of %llu bytes",
					      (unsigned long long)size);
			goto fail;
		}
		while ((ret = silo_stream_read(st, &d, &n)) > 0) {
			memcpy(target + got, d, n);
			got += n;
		}
		if (ret < 0)
			goto fail;
		target[got] = '\0';
		if (strlen(target) != got) {
			ret = silo__error_set(SILO_ECORRUPT, "is a symlink target with a NUL byte");
			goto fail;
		}
		if (symlinkat(target, rootfd, e->path) < 0) {
			ret = silo__error_errno("cannot create the symlink '%s'", full);
			goto out;
		}
		goto out;
	}
	if ((fd = create_file(rootfd, e, full, perm)) < 0) {
		ret = fd;
		goto out;
	}
	/* Zero blocks become holes: a sparse file stays sparse. */
	while ((ret = silo_stream_read(st, &d, &n)) > 0) {
		if ((ret = cleanup_check()) < 0 || (ret = fs_pwrite_sparse(fd, d, n, at, full)) < 0)
			goto out;
		at += n;
	}
	if (ret < 0)
		goto fail;
	if ((ret = fs_sparse_finish(fd, size, full)) < 0)
		goto out;
	if (close(fd) < 0) {
		fd = -1;
		ret = silo__error_errno("cannot write '%s'", full);
		goto out;
	}
	fd = -1;
	goto out;
fail:
	silo__error_wrap("blob %s of '%s'", silo_oid_to_hex(hex, &e->id), e->path);
out:
	if (fd >= 0)
		close(fd);
	silo_stream_free(st);
	return ret;
}

static int by_oid(const void *a, const void *b)
{
	const struct silo_tree_entry *const *x = a, *const *y = b;

	return silo_oid_cmp(&(*x)->id, &(*y)->id);
}

/* By id, then by place in the list: the first of identical files first. */
static int by_oid_then_place(const void *a, const void *b)
{
	const struct silo_tree_entry *const *x = a, *const *y = b;
	int c = by_oid(a, b);

	return c ? c : *x < *y ? -1 : *x > *y;
}

/*
 * For each file of L that has the content of an earlier one, the index
 * of the first: *twin_of (owned by the caller, free()) holds it, or
 * SIZE_MAX for a file that is the first of its content, empty, of an
 * unknown size, or a symlink.  What a clone may share.
 */
static int find_twins(size_t **twin_of, const struct silo_tree_list *l)
{
	const struct silo_tree_entry **v;
	size_t i, k = 0, *t;

	*twin_of = NULL;
	if (!(t = malloc((l->n ? l->n : 1) * sizeof(*t))) ||
	    !(v = malloc((l->n ? l->n : 1) * sizeof(*v)))) {
		free(t);
		return silo__error_oom();
	}
	for (i = 0; i < l->n; i++) {
		t[i] = SIZE_MAX;
		/* A partial expand's walk leaves sizes unknown (UINT64_MAX):
		 * such a file cannot be checked as a clone, so it has none. */
		if (l->v[i].mode != SILO_MODE_SYMLINK && l->v[i].size &&
		    l->v[i].size != UINT64_MAX)
			v[k++] = &l->v[i];
	}
	qsort(v, k, sizeof(*v), by_oid_then_place);
	for (i = 1; i < k; i++) {
		size_t first = (size_t)(v[i - 1] - l->v);
		if (silo_oid_equal(&v[i]->id, &v[i - 1]->id))
			t[v[i] - l->v] = t[first] != SIZE_MAX ? t[first] : first;
	}
	free(v);
	*twin_of = t;
	return 0;
}

/*
 * E as a clone of the file SRC below ROOTFD, written already from the
 * same blob and checked against its id: it shares its blocks (a reflink)
 * and costs no disk until one is changed.  1 when done, 0 when this file
 * system cannot (E is not there: the caller writes it from its blob),
 * negative on error.
 */
static int clone_twin(int rootfd, const char *src, const struct silo_tree_entry *e,
		      const char *full, int perm)
{
	int sfd, fd, ret;
	struct stat st;

	sfd = openat(rootfd, src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0 && errno == EACCES)
		return 0;	/* its mode forbids reading it */
	if (sfd < 0)
		return silo__error_errno("cannot open '%s'", src);
	if (fstat(sfd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != e->size) {
		close(sfd);
		return silo__error_set(SILO_ECORRUPT, "'%s' changed while the tree was written", src);
	}
	if ((fd = create_file(rootfd, e, full, perm)) < 0) {
		close(sfd);
		return fd;
	}
	ret = fs_clone_file(fd, sfd, full);
	close(sfd);
	if (close(fd) < 0 && ret == 0)
		ret = silo__error_errno("cannot write '%s'", full);
	if (ret == 1 && unlinkat(rootfd, e->path, 0) < 0)
		ret = silo__error_errno("cannot remove '%s'", full);
	return ret < 0 ? ret : !ret;
}

/* Every blob of L, each once (identical files share one), each of the
 * size its line of the size table gives. */
struct write_progress {
	silo_medo_bytes_fn on_bytes;
	void *payload;
};

static void fetch_progress(void *payload, uint64_t bytes, size_t done)
{
	struct write_progress *wp = payload;

	wp->on_bytes(wp->payload, done, bytes, 0);
}

static int prefetch(silo *s, const struct silo_tree_list *l, struct write_progress *wp)
{
	struct silo_prefetch_hints hints = { 0 };
	silo_oid *ids = malloc((l->n ? l->n : 1) * sizeof(*ids));
	uint64_t *sizes = malloc((l->n ? l->n : 1) * sizeof(*sizes));
	const struct silo_tree_entry **v = malloc((l->n ? l->n : 1) * sizeof(*v));
	size_t i, n = 0;
	int ret;

	if (!ids || !sizes || !v) {
		free(ids);
		free(sizes);
		free(v);
		return silo__error_oom();
	}
	for (i = 0; i < l->n; i++)
		v[i] = &l->v[i];
	qsort(v, l->n, sizeof(*v), by_oid);
	for (i = 0; i < l->n; i++)
		if (!n || !silo_oid_equal(&ids[n - 1], &v[i]->id)) {
			ids[n] = v[i]->id;
			sizes[n++] = v[i]->size;
		}
	hints.progress = wp->on_bytes ? fetch_progress : NULL;
	hints.progress_payload = wp;
	ret = silo_prefetch(s, ids, sizes, n, &hints);
	free(ids);
	free(sizes);
	free(v);
	return ret;
}

/*
 * The directories of A below ROOT (open as ROOTFD): those holding no file
 * made (parents first: the records are sorted), then each given its
 * mode, less the umask, deepest first, once nothing more is written
 * into it.
 */
static int write_dirs(const struct silo_tree_attrs *a, int rootfd, const char *root,
		      struct medo_select *sel)
{
	mode_t umask = fs_umask();
	size_t i;
	int m;

	for (i = 0; i < a->n; i++) {
		if (a->v[i].type != SILO_TREE_ATTR_DIR)
			continue;
		if (sel && (m = medo_select_match(sel, a->v[i].path, 1)) != 2) {
			if (m < 0)
				return m;
			continue;
		}
		/* Asked for alone, below directories that were not (and
		 * that the record names only when their mode is not the
		 * one git gives back): those on the way are made, as for a
		 * file. */
		if (sel && (m = make_parents(rootfd, root, a->v[i].path, 0755)) < 0)
			return m;
		if (mkdirat(rootfd, a->v[i].path, 0700) < 0 && errno != EEXIST)
			return silo__error_errno("cannot create '%s/%s'", root, a->v[i].path);
	}
	for (i = a->n; i-- > 0;) {
		int fd;
		if (a->v[i].type != SILO_TREE_ATTR_DIR)
			continue;
		fd = openat(rootfd, a->v[i].path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		/* A partial expansion makes only the directories on the way
		 * to what it writes. */
		if (fd < 0 && sel && errno == ENOENT)
			continue;
		if (fd < 0 || fchmod(fd, a->v[i].perm & ~umask) < 0) {
			int ret = silo__error_errno("cannot set the mode of '%s/%s'", root,
						    a->v[i].path);
			if (fd >= 0)
				close(fd);
			return ret;
		}
		close(fd);
	}
	return 0;
}

/*
 * The leaves SEL selects, read from the tree objects on their way alone:
 * a directory SEL neither selects nor leads into is not read.  Each
 * object is verified against its id from the root, the treeptr's, down.
 * Their sizes are unknown (UINT64_MAX: the size table counts every leaf,
 * and the walk skips some); the walk is bounded as silo_medo_tree's is,
 * by the most leaves the size table's declared length allows.
 */
struct walk {
	silo *s;
	struct medo_select *sel;
	struct silo_tree_list *l;
	struct strbuf path;
	size_t max, seen;
};

static int walk_tree(struct walk *w, const silo_oid *id, int all, int depth)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	struct silo_tree_iter it;
	size_t plen = w->path.len;
	unsigned char *data;
	size_t len;
	int ret, m;

	if (depth > 4096)
		return silo__error_set(SILO_ECORRUPT, "tree %s of '%s' is nested too deeply",
				       silo_oid_to_hex(hex, id), w->path.buf);
	if ((ret = silo_tree_object_read(&data, &len, w->s, id, w->path.buf)) < 0)
		return ret;
	silo_tree_iter_init(&it, data, len, w->l->format);
	while ((ret = silo_tree_iter_next(&it)) > 0) {
		char *leaf;
		strbuf_setlen(&w->path, plen);
		if ((plen && (ret = strbuf_addch(&w->path, '/')) < 0) ||
		    (ret = strbuf_add(&w->path, it.name, it.nlen)) < 0)
			break;
		if (w->path.len > TREE_PATH_MAX) {
			ret = silo__error_set(SILO_EINVALID, "tree %s holds a path longer than %d "
					      "bytes", silo_oid_to_hex(hex, id), TREE_PATH_MAX);
			break;
		}
		m = all ? 2 : medo_select_match(w->sel, w->path.buf, it.mode == 040000);
		if (m < 0) {
			ret = m;
			break;
		}
		if (it.mode == 040000) {
			if (m && (ret = walk_tree(w, &it.id, m == 2, depth + 1)) < 0)
				goto out;	/* said below */
			continue;
		}
		if (++w->seen > w->max) {
			strbuf_setlen(&w->path, plen);
			ret = silo__error_set(SILO_ECORRUPT, "tree %s of '%s' lists more files "
					      "than its size table can (%zu)",
					      silo_oid_to_hex(hex, id), plen ? w->path.buf : ".",
					      w->max);
			goto out;
		}
		if (m != 2)
			continue;
		if (!(leaf = strdup(w->path.buf))) {
			ret = silo__error_oom();
			break;
		}
		if ((ret = tree_list_push(w->l, leaf, it.mode, &it.id, UINT64_MAX)) < 0)
			break;
	}
	strbuf_setlen(&w->path, plen);
	if (ret < 0)
		silo__error_wrap("tree %s of '%s'", silo_oid_to_hex(hex, id), plen ? w->path.buf : ".");
out:
	strbuf_setlen(&w->path, plen);
	free(data);
	return ret < 0 ? ret : 0;
}

static int walk_selected(struct silo_tree_list *l, silo *s, const struct silo_treeptr *tp,
			 struct medo_select *sel)
{
	struct walk w = { s, sel, l, STRBUF_INIT, 0, 0 };
	int ret;

	l->format = tp->tree.format;
	/* A line of the size table takes at least two bytes. */
	w.max = tp->size / 2 > SIZE_MAX ? SIZE_MAX : (size_t)(tp->size / 2);
	if ((ret = strbuf_adds(&w.path, "")) == 0)
		ret = walk_tree(&w, &tp->tree, 0, 0);
	strbuf_release(&w.path);
	return ret;
}

int medo_tree_write(silo *s, const struct silo_treeptr *tp, const char *new_path,
		    const char *treeptr_path, silo_medo_bytes_fn on_bytes, void *payload)
{
	return medo_tree_write_some(s, tp, new_path, treeptr_path, NULL, on_bytes, payload);
}

int medo_tree_write_some(silo *s, const struct silo_treeptr *tp, const char *new_path,
			 const char *treeptr_path, struct medo_select *sel,
			 silo_medo_bytes_fn on_bytes, void *payload)
{
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	struct silo_tree_attrs attrs = SILO_TREE_ATTRS_INIT;
	struct write_progress wp = { on_bytes, payload };
	uint64_t bytes = 0, total = 0, attrs_size;
	silo_oid attrs_id;
	size_t i, next = 0, done = 0, *twin_of = NULL;
	int ret, rootfd = -1, exact = silo_treeptr_attrs(tp, &attrs_id, &attrs_size);
	int can_clone = 1;

	/* Every name checked, the walk bounded by the size table, the
	 * list checked to be the tree's, the record checked against it:
	 * before anything is written. */
	if (sel) {
		/* Only the trees on the way, and the record, whose form
		 * alone can then be checked (it is the treeptr's, by its
		 * id). */
		if ((ret = walk_selected(&l, s, tp, sel)) < 0 ||
		    (exact && (ret = silo_tree_attrs_read(&attrs, s, &attrs_id, attrs_size,
							  &tp->tree, NULL)) < 0)) {
			silo__error_wrap("'%s'", treeptr_path);
			goto out;
		}
		for (i = 0; i < attrs.n; i++)
			if (attrs.v[i].type == SILO_TREE_ATTR_DIR &&
			    (ret = medo_select_match(sel, attrs.v[i].path, 1)) < 0)
				goto out;
		if ((ret = medo_select_check_used(sel, treeptr_path)) < 0)
			goto out;
	} else if ((ret = silo_tree_load(&l, s, &tp->tree, &tp->object, tp->size)) < 0 ||
		   (exact && (ret = silo_tree_attrs_read(&attrs, s, &attrs_id, attrs_size,
							 &tp->tree, &l)) < 0)) {
		silo__error_wrap("'%s'", treeptr_path);
		goto out;
	}
	if (mkdir(new_path, 0777) < 0 ||
	    (rootfd = open(new_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		ret = silo__error_errno("cannot create '%s'", new_path);
		goto out;
	}
	/* Over HTTP: every blob the cache lacks, in one batch. */
	if ((ret = prefetch(s, &l, &wp)) < 0) {
		silo__error_wrap("'%s'", treeptr_path);
		goto out;
	}
	/* Identical files: the second and later are clones of the first
	 * where the file system has reflinks, sharing its blocks. */
	if ((ret = find_twins(&twin_of, &l)) < 0)
		goto out;
	for (i = 0; i < l.n; i++) {
		char *full;
		int perm;
		if ((ret = cleanup_check()) < 0 ||
		    (ret = make_parents(rootfd, new_path, l.v[i].path, exact ? 0755 : 0777)) < 0)
			goto out;
		if (!(full = fs_join(new_path, l.v[i].path))) {
			ret = silo__error_oom();
			goto out;
		}
		perm = -1;
		if (exact) {
			/* Both sorted by path: the file's record, if any, is
			 * the next one not before it. */
			while (next < attrs.n && strcmp(attrs.v[next].path, l.v[i].path) < 0)
				next++;
			perm = next < attrs.n && !strcmp(attrs.v[next].path, l.v[i].path) ?
			       (int)attrs.v[next].perm : l.v[i].mode == SILO_MODE_EXEC ? 0755 : 0644;
		}
		ret = 0;
		if (can_clone && twin_of[i] != SIZE_MAX &&
		    (ret = clone_twin(rootfd, l.v[twin_of[i]].path, &l.v[i], full, perm)) == 0)
			can_clone = 0;	/* not here: write the rest */
		if (ret == 0)
			ret = medo_tree_blob_write(s, &l.v[i], rootfd, full, perm);
		free(full);
		if (ret < 0) {
			silo__error_wrap("'%s'", treeptr_path);
			goto out;
		}
		if (on_bytes) {
			/* Sizes unknown (a walk of the trees on the way):
			 * files only. */
			if (!done)
				for (size_t k = 0; k < l.n; k++)
					total += l.v[k].size != UINT64_MAX ? l.v[k].size : 0;
			bytes += l.v[i].size != UINT64_MAX ? l.v[i].size : 0;
			on_bytes(payload, ++done, bytes, total);
		}
	}
	if (exact && (ret = write_dirs(&attrs, rootfd, new_path, sel)) < 0)
		silo__error_wrap("'%s'", treeptr_path);
out:
	free(twin_of);
	if (rootfd >= 0)
		close(rootfd);
	silo_tree_attrs_release(&attrs);
	silo_tree_list_release(&l);
	return ret;
}
