/*
 * What medo's modules (treeptr, SILO.json, add, expand, verify) share
 * inside the library.
 */
#ifndef SILO_MEDO_INTERNAL_H
#define SILO_MEDO_INTERNAL_H

#include <stddef.h>
#include "silo/oid.h"

/*
 * Write LEN bytes of DATA to PATH atomically: a temporary file in the
 * same directory, flushed, then renamed over PATH.  The file gets mode
 * 0666 less the umask, as a file written by an editor would, since these
 * files are kept in git.
 */
/* The blob id of the regular file PATH, in FORMAT. */
int medo_file_blob_id(silo_oid *out, int format, const char *path);

int medo_write_file_atomic(const char *path, const void *data, size_t len);

/*
 * Read the whole file at PATH into *out (NUL-terminated, owned by the
 * caller) and its length into *len.  Files larger than MAX are refused.
 */
int medo_read_file(char **out, size_t *len, const char *path, size_t max);

/*
 * A silo stream as a silo_source_fn.  A stream's last read verifies the
 * object and may not be repeated, while a reader such as libarchive may
 * or may not read to the end: medo_source_finish() reads what is left,
 * once, so that every object is verified exactly once.
 */
struct silo_stream;
struct medo_source {
	struct silo_stream *st;
	int ended;
};
int medo_source_read(void *payload, const void **data, size_t *len);
int medo_source_finish(struct medo_source *src);

/* The process's umask, read once. */
unsigned medo_umask(void);

/* dirname and basename of PATH as new strings (owned by the caller). */
char *medo_dirname(const char *path);
char *medo_basename(const char *path);

#endif
