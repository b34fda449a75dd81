#include "fsutil.h"
#include "error-internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <unistd.h>

/* Write all LEN bytes, at the file position if OFF < 0, else at OFF. */
static int write_full_at(int fd, const void *data, size_t len, off_t off, const char *path)
{
	const char *p = data;

	while (len) {
		ssize_t n = off < 0 ? write(fd, p, len) : pwrite(fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return silo__error_errno("cannot write '%s'", path);
		}
		p += n;
		len -= (size_t)n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

int fs_write_all(int fd, const void *data, size_t len, const char *path)
{
	return write_full_at(fd, data, len, -1, path);
}

int fs_pwrite_all(int fd, const void *data, size_t len, uint64_t off, const char *path)
{
	return write_full_at(fd, data, len, (off_t)off, path);
}

static int all_zero(const char *p, size_t n)
{
	/* memcmp runs vectorised: compare the block with itself, shifted. */
	return !p[0] && !memcmp(p, p + 1, n - 1);
}

int fs_pwrite_sparse(int fd, const void *data, size_t len, uint64_t offset, const char *path)
{
	const char *p = data, *run = p;
	size_t i = 0;
	int ret;

	/* Up to the first block boundary, written as it is. */
	if (offset % FS_SPARSE_BLOCK) {
		i = FS_SPARSE_BLOCK - (size_t)(offset % FS_SPARSE_BLOCK);
		if (i > len)
			i = len;
	}
	while (len - i >= FS_SPARSE_BLOCK) {
		if (!all_zero(p + i, FS_SPARSE_BLOCK)) {
			i += FS_SPARSE_BLOCK;
			continue;
		}
		if ((ret = fs_pwrite_all(fd, run, (size_t)(p + i - run),
				      offset + (uint64_t)(run - p), path)) < 0)
			return ret;
		i += FS_SPARSE_BLOCK;
		run = p + i;
	}
	return fs_pwrite_all(fd, run, (size_t)(p + len - run), offset + (uint64_t)(run - p), path);
}

int fs_sparse_finish(int fd, uint64_t size, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return silo__error_errno("cannot stat '%s'", path);
	if ((uint64_t)st.st_size < size && ftruncate(fd, (off_t)size) < 0)
		return silo__error_errno("cannot set the size of '%s'", path);
	return 0;
}

/* Read up to LEN bytes, from the file position if OFF < 0, else at OFF;
 * fewer only at end of file. */
static ssize_t read_full_at(int fd, void *data, size_t len, off_t off, const char *path)
{
	char *p = data;
	size_t got = 0;

	while (got < len) {
		ssize_t n = off < 0 ? read(fd, p + got, len - got) :
				      pread(fd, p + got, len - got, off + (off_t)got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return silo__error_errno("cannot read '%s'", path);
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

ssize_t fs_read_full(int fd, void *data, size_t len, const char *path)
{
	return read_full_at(fd, data, len, -1, path);
}

ssize_t fs_pread_full(int fd, void *data, size_t len, off_t off, const char *path)
{
	return read_full_at(fd, data, len, off, path);
}

int fs_mkdir_p(const char *dir, mode_t mode)
{
	char *copy, *p;
	int ret = 0;

	if (mkdir(dir, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return silo__error_errno("cannot create directory '%s'", dir);
	copy = strdup(dir);
	if (!copy)
		return silo__error_oom();
	for (p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			ret = silo__error_errno("cannot create directory '%s'", copy);
			break;
		}
		*p = '/';
	}
	if (!ret && mkdir(copy, mode) < 0 && errno != EEXIST)
		ret = silo__error_errno("cannot create directory '%s'", copy);
	free(copy);
	return ret;
}

int fs_tmpfile(int *fd_out, char **path_out, const char *dir, const char *prefix)
{
	size_t len = strlen(dir) + strlen(prefix) + 16;
	char *path = malloc(len);
	int fd;

	*fd_out = -1;
	*path_out = NULL;
	if (!path)
		return silo__error_oom();
	snprintf(path, len, "%s/%sXXXXXX", dir, prefix);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		int ret = silo__error_errno("cannot create a temporary file in '%s'", dir);
		free(path);
		return ret;
	}
	/* Held while it is ours: see fs_remove_stale_temps(). */
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	/* Objects are read by web servers and rsync: world-readable, like git's. */
	if (fchmod(fd, 0444) < 0) {
		int ret = silo__error_errno("cannot set the mode of '%s'", path);
		close(fd);
		unlink(path);
		free(path);
		return ret;
	}
	*fd_out = fd;
	*path_out = path;
	return 0;
}

int fs_link_into_place(const char *tmp, const char *dest, int *created)
{
	if (created)
		*created = 0;
	if (link(tmp, dest) == 0) {
		if (created)
			*created = 1;
	} else if (errno == EEXIST) {
		/* Someone stored it first: theirs stays, untouched. */
	} else if (errno == EPERM || errno == ENOSYS || errno == EOPNOTSUPP ||
		   errno == EXDEV || errno == EMLINK) {
		/* A file system without hard links: rename, but never over
		 * an existing file. */
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_NOREPLACE) == 0) {
			if (created)
				*created = 1;
			return 0;
		}
		if (errno != EEXIST)
			return silo__error_errno("cannot rename '%s' to '%s'", tmp, dest);
	} else {
		return silo__error_errno("cannot link '%s' to '%s'", tmp, dest);
	}
	if (unlink(tmp) < 0 && errno != ENOENT)
		return silo__error_errno("cannot remove '%s'", tmp);
	return 0;
}

int fs_write_file(const char *dir, const char *prefix, const char *dest,
		  const void *data, size_t len, mode_t mode, int replace)
{
	char *tmp = NULL;
	int fd, ret;

	if ((ret = fs_tmpfile(&fd, &tmp, dir, prefix)) < 0)
		return ret;
	/* Locked while it is ours: fs_remove_stale_temps() removes only
	 * temporary files no process holds (left by a killed one). */
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	if (fchmod(fd, mode) < 0)
		ret = silo__error_errno("cannot set the mode of '%s'", tmp);
	else if ((ret = fs_write_all(fd, data, len, tmp)) == 0 && fsync(fd) < 0)
		ret = silo__error_errno("cannot fsync '%s'", tmp);
	if (!ret) {
		if (replace && rename(tmp, dest) < 0)
			ret = silo__error_errno("cannot rename '%s' to '%s'", tmp, dest);
		else if (!replace)
			ret = fs_link_into_place(tmp, dest, NULL);
	}
	if (close(fd) < 0 && !ret)
		ret = silo__error_errno("cannot write '%s'", dest);
	if (!ret)
		ret = fs_fsync_path(dir);
	if (ret)
		unlink(tmp);
	free(tmp);
	return ret;
}

int fs_fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return silo__error_errno("cannot open '%s'", path);
	if (fsync(fd) < 0 && errno != EINVAL)
		ret = silo__error_errno("cannot fsync '%s'", path);
	close(fd);
	return ret;
}

int fs_syncfs(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return silo__error_errno("cannot open '%s'", path);
	if (syncfs(fd) < 0)
		ret = silo__error_errno("cannot flush the file system of '%s'", path);
	close(fd);
	return ret;
}

void fs_sync_set_init(struct fs_sync_set *set, const char *fs_path)
{
	memset(set, 0, sizeof(*set));
	set->fs_path = fs_path;
}

int fs_sync_set_add(struct fs_sync_set *set, const char *path)
{
	size_t i;

	if (set->whole)
		return 0;
	for (i = 0; i < set->n; i++)
		if (!strcmp(set->paths[i], path))
			return 0;
	if (set->n == FS_SYNC_EACH_MAX) {
		fs_sync_set_release(set);
		set->whole = 1;
		return 0;
	}
	if (!(set->paths[set->n] = strdup(path)))
		return silo__error_oom();
	set->n++;
	return 0;
}

int fs_sync_set_run(struct fs_sync_set *set)
{
	int ret = 0;
	size_t i;

	if (set->whole)
		ret = fs_syncfs(set->fs_path);
	for (i = 0; i < set->n && !ret; i++)
		ret = fs_fsync_path(set->paths[i]);
	fs_sync_set_release(set);
	return ret;
}

void fs_sync_set_release(struct fs_sync_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->paths[i]);
	set->n = 0;
	set->whole = 0;
}

int fs_exists(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return 1;
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	return silo__error_errno("cannot stat '%s'", path);
}

char *fs_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = malloc(la + lb + 2);

	if (!p)
		return NULL;
	memcpy(p, a, la);
	if (la && a[la - 1] != '/')
		p[la++] = '/';
	memcpy(p + la, b, lb + 1);
	return p;
}

static pthread_once_t umask_once = PTHREAD_ONCE_INIT;
static mode_t saved_umask;

static void read_umask(void)
{
	char line[128];
	unsigned v;
	FILE *f = fopen("/proc/self/status", "re");

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "Umask: %o", &v) == 1) {
				saved_umask = (mode_t)v;
				fclose(f);
				return;
			}
		fclose(f);
	}
	/* Without /proc, umask() is read by setting it; this runs once,
	 * normally before any other thread creates files. */
	saved_umask = umask(022);
	umask(saved_umask);
}

mode_t fs_umask(void)
{
	pthread_once(&umask_once, read_umask);
	return saved_umask;
}

int fs_mkdtemp_shared(char *template)
{
	if (!mkdtemp(template))
		return silo__error_errno("cannot create '%s'", template);
	if (chmod(template, 0777 & ~fs_umask()) < 0) {
		int ret = silo__error_errno("cannot set the mode of '%s'", template);
		rmdir(template);
		return ret;
	}
	return 0;
}

int fs_same_state(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

char *fs_dirname(const char *path)
{
	const char *slash = NULL;
	size_t len;
	char *out;

	/* Trailing slashes do not make a component. */
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	for (size_t i = 0; i < len; i++)
		if (path[i] == '/')
			slash = path + i;
	if (!slash)
		return strdup(".");
	while (slash > path && slash[-1] == '/')
		slash--;
	if (slash == path)
		return strdup("/");
	out = malloc((size_t)(slash - path) + 1);
	if (!out)
		return NULL;
	memcpy(out, path, (size_t)(slash - path));
	out[slash - path] = '\0';
	return out;
}

char *fs_basename(const char *path)
{
	size_t len = strlen(path), start;
	char *out;

	while (len > 1 && path[len - 1] == '/')
		len--;
	start = len;
	while (start > 0 && path[start - 1] != '/')
		start--;
	if (start == len && len == 1)
		return strdup("/");	/* the root is its own name */
	out = malloc(len - start + 1);
	if (!out)
		return NULL;
	memcpy(out, path + start, len - start);
	out[len - start] = '\0';
	return out;
}

int fs_write_file_atomic(const char *path, const void *data, size_t len)
{
	char *dir = fs_dirname(path), *base = fs_basename(path), *prefix = NULL;
	int ret;

	if (!dir || !base || !(prefix = malloc(strlen(base) + 3))) {
		ret = silo__error_oom();
		goto out;
	}
	/* A hidden temporary name beside the file: ".<name>.XXXXXX".  Those
	 * of killed writers would be committed by 'git add -A': gone first. */
	snprintf(prefix, strlen(base) + 3, ".%s.", base);
	fs_remove_stale_temps(dir, prefix);
	ret = fs_write_file(dir, prefix, path, data, len, 0666 & ~fs_umask(), 1);
out:
	free(prefix);
	free(dir);
	free(base);
	return ret;
}

int fs_read_file(char **out, size_t *len, const char *path, size_t max)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0, cap;
	int fd, ret = 0;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return silo__error_errno("cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		ret = silo__error_errno("cannot stat '%s'", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = silo__error_set(SILO_EINVALID, "'%s' is a directory", path);
		goto out;
	}
	/* The buffer follows the file's size, grown if the file grows;
	 * one of MAX bytes for every small file would cost more than the
	 * read. */
	cap = S_ISREG(st.st_mode) && (uint64_t)st.st_size < max ? (size_t)st.st_size + 1 : max + 1;
	if (cap < 64)
		cap = max + 1 < 64 ? max + 1 : 64;
	if (!(buf = malloc(cap + 1))) {
		ret = silo__error_oom();
		goto out;
	}
	/* Read one byte past MAX to tell a file of exactly MAX from a
	 * longer one. */
	for (;;) {
		ssize_t n;

		if (got == cap) {
			size_t grow = cap > (max + 1) / 2 ? max + 1 : cap * 2;
			char *nb;
			if (!(nb = realloc(buf, grow + 1))) {
				ret = silo__error_oom();
				goto out;
			}
			buf = nb;
			cap = grow;
		}
		n = read(fd, buf + got, cap - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = silo__error_errno("cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			ret = silo__error_set(SILO_EINVALID,
				"'%s' is too large: more than %zu bytes", path, max);
			goto out;
		}
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return ret;
}

int fs_clone_file(int dst_fd, int src_fd, const char *path)
{
	if (ioctl(dst_fd, FICLONE, src_fd) == 0)
		return 0;
	switch (errno) {
	case EOPNOTSUPP:	/* no reflinks here (ext4, tmpfs) */
#if defined(ENOTSUP) && ENOTSUP != EOPNOTSUPP
	case ENOTSUP:
#endif
	case ENOTTY:		/* no such ioctl */
	case EXDEV:		/* another file system */
	case EINVAL:		/* a file it cannot clone */
	case EPERM:
		return 1;
	default:
		return silo__error_errno("cannot clone into '%s'", path);
	}
}
