/* Hashing zeros and files with holes (hash-file.h). */
#include "hash-file.h"
#include "error-internal.h"

#include <errno.h>
#include <unistd.h>

/* Zeros hashed from here: read-only, shared, always in the cache. */
static const unsigned char zeros[64 * 1024];

int hasher_zeros(silo_hasher *h, uint64_t n)
{
	int ret;

	while (n) {
		size_t k = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);
		if ((ret = silo_hasher_update(h, zeros, k)) < 0)
			return ret;
		n -= k;
	}
	return 0;
}

#define NAME(dir, path) (dir), (path) ? "/" : "", (path) ? (path) : ""

/* Hash bytes [OFF, END) of FD, read. */
static int hash_range(silo_hasher *h, int fd, uint64_t off, uint64_t end, unsigned char *buf,
		      size_t len, const char *dir, const char *path)
{
	int ret;

	while (off < end) {
		size_t want = end - off < len ? (size_t)(end - off) : len;
		ssize_t n = pread(fd, buf, want, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return silo__error_errno("cannot read '%s%s%s'", NAME(dir, path));
		}
		if (n == 0)
			return silo__error_set(SILO_EIO, "'%s%s%s' shrank while being read",
					       NAME(dir, path));
		if ((ret = silo_hasher_update(h, buf, (size_t)n)) < 0)
			return ret;
		off += (uint64_t)n;
	}
	return 0;
}

int hasher_fd(silo_hasher *h, int fd, const struct stat *st, unsigned char *buf, size_t len,
	      const char *dir, const char *path)
{
	uint64_t off = 0, size = (uint64_t)st->st_size;
	int ret;

	/* Most files have no hole: no lseek for them. */
	if ((uint64_t)st->st_blocks * 512 >= size)
		return hash_range(h, fd, 0, size, buf, len, dir, path);
	while (off < size) {
		off_t data = lseek(fd, (off_t)off, SEEK_DATA), hole;
		if (data < 0 && errno == ENXIO) {
			/* A hole up to the end: the file must still be as long. */
			off_t end = lseek(fd, 0, SEEK_END);
			if (end >= 0 && (uint64_t)end < size)
				return silo__error_set(SILO_EIO, "'%s%s%s' shrank while being read",
						       NAME(dir, path));
			return hasher_zeros(h, size - off);
		}
		if (data < 0)	/* no SEEK_DATA here: read it all */
			return hash_range(h, fd, off, size, buf, len, dir, path);
		if ((uint64_t)data > size)
			data = (off_t)size;
		if ((ret = hasher_zeros(h, (uint64_t)data - off)) < 0)
			return ret;
		off = (uint64_t)data;
		if (off >= size)
			break;
		hole = lseek(fd, (off_t)off, SEEK_HOLE);
		if (hole < 0 || (uint64_t)hole > size || (uint64_t)hole <= off)
			hole = (off_t)size;
		if ((ret = hash_range(h, fd, off, (uint64_t)hole, buf, len, dir, path)) < 0)
			return ret;
		off = (uint64_t)hole;
	}
	return 0;
}
