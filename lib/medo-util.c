/* File helpers for medo's small files (see medo-internal.h). */
#include "medo-internal.h"
#include "cleanup-internal.h"
#include "hash-file.h"
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

int medo_reader_read(void *payload, const void **data, size_t *len)
{
	struct medo_reader *src = payload;
	int ret;

	if (src->ended)
		return 0;
	/* An interrupted expansion stops here, between two pieces. */
	if ((ret = cleanup_check()) < 0) {
		src->ended = 1;
		return ret;
	}
	ret = silo_stream_read(src->st, data, len);
	if (ret <= 0)
		src->ended = 1;
	else if (src->on_bytes) {
		src->read += *len;
		src->on_bytes(src->payload, src->files, src->base + src->read, src->total);
	}
	return ret;
}

int medo_reader_finish(struct medo_reader *src)
{
	const void *d;
	size_t n;
	int ret;

	while ((ret = medo_reader_read(src, &d, &n)) > 0)
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
		return silo__error_errno("cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		ret = silo__error_errno("cannot stat '%s'", path);
		goto out;
	}
	if ((ret = silo_hasher_new(&h, format)) < 0 ||
	    (ret = silo_hasher_begin(h, SILO_OBJ_BLOB, (uint64_t)st.st_size)) < 0 ||
	    (ret = hasher_fd(h, fd, &st, buf, sizeof(buf), path, NULL)) < 0)
		goto out;
	ret = silo_hasher_final(out, h);
out:
	silo_hasher_free(h);
	close(fd);
	return ret;
}
