/*
 * Hashing zeros, and files whose holes are not read (hash-file.c).
 *
 * A sparse file's holes read as zeros, but reading them makes the kernel
 * copy zero pages, as many as the hole is long: a 10 GiB hole costs
 * 10 GiB of copying before it is hashed.  Here holes are found with
 * SEEK_DATA and SEEK_HOLE and hashed from one static zero buffer.
 */
#ifndef SILO_HASH_FILE_H
#define SILO_HASH_FILE_H

#include "silo/oid.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Hash N zero bytes into H (begun), from a static buffer. */
int hasher_zeros(silo_hasher *h, uint64_t n);

/*
 * Hash the content of the regular file open as FD, from offset 0, of
 * ST->st_size bytes (ST is its fstat()) into H (begun); when it has
 * holes (fewer blocks than its size needs) they are hashed without being
 * read.  BUF (LEN bytes) is the caller's read buffer.  A file that ends
 * before is SILO_EIO "'DIR/PATH' shrank while being read" (PATH may be
 * NULL: then DIR alone names it).
 */
int hasher_fd(silo_hasher *h, int fd, const struct stat *st, unsigned char *buf, size_t len,
	      const char *dir, const char *path);

#endif
