/* File helpers for medo's small files (see medo-internal.h). */
#include "medo-internal.h"
#include "error-internal.h"
#include "silo/store.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

unsigned medo_umask(void)
{
	return (unsigned)fs_umask();
}

char *medo_dirname(const char *path)
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

char *medo_basename(const char *path)
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

int medo_write_file_atomic(const char *path, const void *data, size_t len)
{
	char *dir = medo_dirname(path), *base = medo_basename(path), *prefix = NULL;
	int ret;

	if (!dir || !base || !(prefix = malloc(strlen(base) + 3))) {
		ret = silo_error_oom();
		goto out;
	}
	/* A hidden temporary name beside the file: ".<name>.XXXXXX". */
	snprintf(prefix, strlen(base) + 3, ".%s.", base);
	ret = fs_write_file(dir, prefix, path, data, len, 0666 & ~(mode_t)medo_umask(), 1);
out:
	free(prefix);
	free(dir);
	free(base);
	return ret;
}

int medo_read_file(char **out, size_t *len, const char *path, size_t max)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, ret = 0;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return silo_error_errno("cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		ret = silo_error_errno("cannot stat '%s'", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = silo_error_set(SILO_EINVALID, "'%s' is a directory", path);
		goto out;
	}
	if (!(buf = malloc(max + 1))) {
		ret = silo_error_oom();
		goto out;
	}
	/* Read one byte past MAX to tell a file of exactly MAX from a
	 * longer one. */
	for (;;) {
		ssize_t n = read(fd, buf + got, max + 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = silo_error_errno("cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			ret = silo_error_set(SILO_EINVALID,
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

int medo_source_read(void *payload, const void **data, size_t *len)
{
	struct medo_source *src = payload;
	int ret;

	if (src->ended)
		return 0;
	ret = silo_stream_read(src->st, data, len);
	if (ret <= 0)
		src->ended = 1;
	return ret;
}

int medo_source_finish(struct medo_source *src)
{
	const void *d;
	size_t n;
	int ret;

	while ((ret = medo_source_read(src, &d, &n)) > 0)
		;
	return ret;
}

/* The blob id of the regular file PATH. */
int medo_file_blob_id(silo_oid *out, int format, const char *path)
{
	silo_hasher *h = NULL;
	unsigned char buf[65536];
	struct stat st;
	int fd, ret;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return silo_error_errno("cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		ret = silo_error_errno("cannot stat '%s'", path);
		goto out;
	}
	if ((ret = silo_hasher_new(&h, format)) < 0 ||
	    (ret = silo_hasher_begin(h, SILO_OBJ_BLOB, (uint64_t)st.st_size)) < 0)
		goto out;
	for (;;) {
		ssize_t n = fs_read_full(fd, buf, sizeof(buf), path);
		if (n < 0) {
			ret = (int)n;
			goto out;
		}
		if (n == 0)
			break;
		if ((ret = silo_hasher_update(h, buf, (size_t)n)) < 0)
			goto out;
	}
	ret = silo_hasher_final(out, h);
out:
	silo_hasher_free(h);
	close(fd);
	return ret;
}
