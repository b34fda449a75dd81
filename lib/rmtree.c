/*
 * rm -rf without following symlinks: every directory is opened relative
 * to its parent with O_NOFOLLOW, and entries are removed with unlinkat,
 * so a symlink inside the tree is removed, never its target.  A directory
 * without write or search permission (a read-only tree as extracted) is
 * made writable first, as rm -rf would fail on it otherwise.
 */
#include "silo/tree.h"
#include "error-internal.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_dir(int parent, const char *name)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == EACCES &&
	    fchmodat(parent, name, 0700, 0) == 0)
		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/* Empty the directory open as DFD (taken over); PATH names it. */
static int empty_dir(int dfd, struct strbuf *path, int depth)
{
	size_t base = path->len;
	struct dirent *de;
	DIR *d;
	int ret = 0, made_writable = 0;

	if (!(d = fdopendir(dfd))) {
		ret = silo__error_errno("cannot read directory '%s'", path->buf);
		close(dfd);
		return ret;
	}
	if (depth > 4096) {
		closedir(d);
		return silo__error_set(SILO_EINVALID, "'%s' is nested too deeply", path->buf);
	}
	for (;;) {
		const char *name;

		errno = 0;
		if (!(de = readdir(d))) {
			if (errno)
				ret = silo__error_errno("cannot read directory '%s'", path->buf);
			break;
		}
		name = de->d_name;
		if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
			continue;
		strbuf_setlen(path, base);
		if ((ret = strbuf_addch(path, '/')) < 0 || (ret = strbuf_adds(path, name)) < 0)
			break;
		if (unlinkat(dirfd(d), name, 0) == 0 || errno == ENOENT)
			continue;
		if (errno == EACCES && !made_writable) {
			made_writable = 1;
			if (fchmod(dirfd(d), 0700) == 0 && unlinkat(dirfd(d), name, 0) == 0)
				continue;
		}
		if (errno == EISDIR || errno == EPERM || errno == ENOTEMPTY || errno == EEXIST ||
		    errno == EACCES) {
			int sub = open_dir(dirfd(d), name);
			if (sub < 0) {
				ret = silo__error_errno("cannot remove '%s'", path->buf);
				break;
			}
			if ((ret = empty_dir(sub, path, depth + 1)) < 0)
				break;
			if (unlinkat(dirfd(d), name, AT_REMOVEDIR) == 0 || errno == ENOENT)
				continue;
			if (errno == EACCES && !made_writable) {
				made_writable = 1;
				if (fchmod(dirfd(d), 0700) == 0 &&
				    unlinkat(dirfd(d), name, AT_REMOVEDIR) == 0)
					continue;
			}
		}
		ret = silo__error_errno("cannot remove '%s'", path->buf);
		break;
	}
	strbuf_setlen(path, base);
	closedir(d);
	return ret;
}

int silo_tree_remove(const char *dir)
{
	struct strbuf path = STRBUF_INIT;
	struct stat st;
	int fd, ret;

	if (lstat(dir, &st) < 0) {
		if (errno == ENOENT)
			return 0;	/* as rm -rf */
		return silo__error_errno("cannot remove '%s'", dir);
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(dir) < 0 && errno != ENOENT)
			return silo__error_errno("cannot remove '%s'", dir);
		return 0;
	}
	fd = open_dir(AT_FDCWD, dir);
	if (fd < 0)
		return silo__error_errno("cannot remove '%s'", dir);
	if ((ret = strbuf_adds(&path, dir)) < 0) {
		close(fd);
		return ret;
	}
	ret = empty_dir(fd, &path, 0);
	strbuf_release(&path);
	if (ret < 0)
		return ret;
	if (rmdir(dir) < 0 && errno != ENOENT)
		return silo__error_errno("cannot remove '%s'", dir);
	return 0;
}
