/*
 * Writing to a silo kept as named files behind HTTP (a WebDAV server or
 * an S3 bucket): the few operations a push and a remote prune need, each
 * safe against racing writers because the server checks a condition.
 * One table of operations per kind of server (lib/objstore-webdav.c,
 * lib/objstore-s3.c); lib/silo-push-http.c and the remote prune use only
 * this table.
 *
 * REL is a path relative to the silo's root ("objects/ab/cd...",
 * "pack/pack-<id>.pack", "pack/packs"), never starting with '/'.
 * Every function returns 0 or a negative SILO_E* code with a message
 * naming the URL (never a credential) and what the server said.
 */
#ifndef SILO_OBJSTORE_H
#define SILO_OBJSTORE_H

#include <stddef.h>
#include <stdint.h>

struct objstore;

/* One entry of a listing. */
struct objstore_entry {
	const char *rel;	/* relative to the silo's root */
	uint64_t size;
	int64_t mtime;		/* seconds since the epoch, the server's
				 * Last-Modified; -1 if unknown */
};

struct objstore_ops {
	const char *kind;	/* "webdav", "s3" */

	/*
	 * Store LEN bytes read from FD (from offset 0) at REL only if the
	 * server has no REL yet (If-None-Match: *).  *stored is 1 when this
	 * call made it, 0 when REL was there already (a 412: the name is
	 * the content, so that is success too).  Parent collections are made
	 * as the server needs them.
	 */
	int (*put_new)(struct objstore *st, const char *rel, int fd, uint64_t len,
		       int *stored);

	/*
	 * Read the small file REL whole: *data (owned by the caller, NUL
	 * added after *len bytes) and its entity tag *etag (owned by the
	 * caller, as the server sent it).  SILO_ENOTFOUND if REL is absent.
	 */
	int (*get)(struct objstore *st, const char *rel, char **data, size_t *len,
		   char **etag);

	/*
	 * Replace REL with DATA (LEN bytes) only if its entity tag is still
	 * ETAG (If-Match); with ETAG NULL, only if REL is absent
	 * (If-None-Match: *).  *done is 1 when replaced, 0 when the condition
	 * failed (another writer came first: read again and retry).
	 */
	int (*put_if)(struct objstore *st, const char *rel, const void *data,
		      size_t len, const char *etag, int *done);

	/* Delete REL; a REL already absent is not an error. */
	int (*remove)(struct objstore *st, const char *rel);

	/*
	 * Call FN for each file under the directory DIR ("objects", "pack"),
	 * recursively; FN returning non-zero stops the listing with that
	 * value.
	 */
	int (*list)(struct objstore *st, const char *dir,
		    int (*fn)(void *payload, const struct objstore_entry *e),
		    void *payload);

	void (*free)(struct objstore *st);
};

struct objstore {
	const struct objstore_ops *ops;
	char *base_url;		/* the silo's root, ending in '/' */
};

#endif
