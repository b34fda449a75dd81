/*
 * The walk of a directory tree on disk, shared by tree listing and tar
 * writing.  Directories are opened relative to their parent (openat with
 * O_NOFOLLOW), so a symlink swapped in during the walk is never followed.
 * The result is one flat array sorted as git sorts tree entries.
 */
#include "tree-internal.h"
#include "alloc.h"
#include "error-internal.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void tree_walk_release(struct tree_walk *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		free(w->v[i].path);
		free(w->v[i].target);
	}
	free(w->v);
	w->v = NULL;
	w->n = w->alloc = 0;
	if (w->rootfd >= 0)
		close(w->rootfd);
	w->rootfd = -1;
	free(w->root);
	w->root = NULL;
}

static const char *kind_name(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a fifo";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	return "of an unknown type";
}

static int read_link(char **out, int dfd, const char *name, size_t hint,
		     const char *root, const char *rel)
{
	size_t size = hint + 1 < 64 ? 64 : hint + 1;

	for (;;) {
		char *buf = malloc(size);
		ssize_t n;

		if (!buf)
			return silo_error_oom();
		n = readlinkat(dfd, name, buf, size);
		if (n < 0) {
			free(buf);
			return silo_error_errno("cannot read symlink '%s/%s'", root, rel);
		}
		if ((size_t)n < size) {
			buf[n] = '\0';
			*out = buf;
			return 0;
		}
		free(buf);
		size *= 2;	/* the link grew since lstat */
	}
}

static int push(struct tree_walk *w, struct tree_walk_entry *e)
{
	if (ALLOC_GROW(w->v, w->n + 1, w->alloc) < 0)
		return silo_error_oom();
	w->v[w->n++] = *e;
	return 0;
}

/* Walk the directory open as DFD (taken over) whose relative path is PATH. */
static int walk(struct tree_walk *w, int dfd, struct strbuf *path, int want_dirs,
		int depth)
{
	DIR *d = fdopendir(dfd);
	size_t base = path->len;
	struct dirent *de;
	int ret = 0;

	if (!d) {
		ret = silo_error_errno("cannot read directory '%s/%s'", w->root, path->buf);
		close(dfd);
		return ret;
	}
	if (depth > 4096) {
		closedir(d);
		return silo_error_set(SILO_EINVALID, "'%s/%s' is nested too deeply",
				      w->root, path->buf);
	}
	for (;;) {
		struct tree_walk_entry e;
		struct stat st;
		const char *name, *why;

		errno = 0;
		if (!(de = readdir(d))) {
			if (errno)
				ret = silo_error_errno("cannot read directory '%s/%s'",
						       w->root, path->buf);
			break;
		}
		name = de->d_name;
		if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
			continue;
		strbuf_setlen(path, base);
		if ((ret = strbuf_adds(path, name)) < 0)
			break;
		if (path->len > TREE_PATH_MAX) {
			ret = silo_error_set(SILO_EINVALID, "'%s/...%s' is a path longer than %d "
					     "bytes", w->root, path->buf + path->len - 120,
					     TREE_PATH_MAX);
			break;
		}
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = silo_error_errno("cannot stat '%s/%s'", w->root, path->buf);
			break;
		}
		if ((why = silo_tree_name_refused(name, strlen(name),
						   S_ISLNK(st.st_mode) ? SILO_MODE_SYMLINK :
						   S_ISDIR(st.st_mode) ? 040000 : SILO_MODE_FILE))) {
			ret = silo_error_set(SILO_EUNSAFE, "refusing '%s/%s': %s, which git refuses",
					     w->root, path->buf, why);
			break;
		}
		memset(&e, 0, sizeof(e));
		e.mode = st.st_mode;
		e.size = (uint64_t)st.st_size;
		e.mtime = st.st_mtim;
		e.dev = st.st_dev;
		e.ino = st.st_ino;
		e.nlink = st.st_nlink;
		if (S_ISLNK(st.st_mode)) {
			if ((ret = read_link(&e.target, dirfd(d), name, (size_t)st.st_size,
					     w->root, path->buf)) < 0)
				break;
			e.size = strlen(e.target);
		} else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			ret = silo_error_set(SILO_EINVALID,
				"'%s/%s' is %s: a tree holds only files, symlinks and directories",
				w->root, path->buf, kind_name(st.st_mode));
			break;
		}
		if (!S_ISDIR(st.st_mode) || want_dirs) {
			if (!(e.path = strdup(path->buf))) {
				free(e.target);
				ret = silo_error_oom();
				break;
			}
			if ((ret = push(w, &e)) < 0) {
				free(e.path);
				free(e.target);
				break;
			}
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				ret = silo_error_errno("cannot open directory '%s/%s'",
						       w->root, path->buf);
				break;
			}
			if ((ret = strbuf_addch(path, '/')) < 0) {
				close(sub);
				break;
			}
			if ((ret = walk(w, sub, path, want_dirs, depth + 1)) < 0)
				break;
		}
	}
	strbuf_setlen(path, base);
	closedir(d);
	return ret;
}

static int walk_cmp(const void *a, const void *b)
{
	const struct tree_walk_entry *x = a, *y = b;

	return tree_path_cmp(x->path, strlen(x->path), S_ISDIR(x->mode),
			     y->path, strlen(y->path), S_ISDIR(y->mode));
}

int tree_walk_dir(struct tree_walk *w, const char *dir, int want_dirs)
{
	struct strbuf path = STRBUF_INIT;
	size_t len = strlen(dir);
	int dfd, ret;

	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (!(w->root = strndup(dir, len)))
		return silo_error_oom();
	w->rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->rootfd < 0 && errno == ENOTDIR)
		return silo_error_set(SILO_EINVALID, "'%s' is not a directory", dir);
	if (w->rootfd < 0)
		return silo_error_errno("cannot open directory '%s'", dir);
	dfd = dup(w->rootfd);
	if (dfd < 0)
		return silo_error_errno("cannot open directory '%s'", dir);
	if ((ret = strbuf_adds(&path, "")) < 0) {
		close(dfd);
		return ret;
	}
	ret = walk(w, dfd, &path, want_dirs, 0);
	strbuf_release(&path);
	if (ret < 0)
		return ret;
	if (w->n > 1)
		qsort(w->v, w->n, sizeof(*w->v), walk_cmp);
	return 0;
}
