/*
 * The objstore (objstore.h) of a silo in an S3 bucket, s3://BUCKET/PREFIX,
 * with the keys, region and server s3-auth.h reads.
 *
 * Each operation is one request (a listing, one per page), conditional
 * where objstore.h says: put_new sends If-None-Match: *, put_if sends
 * If-Match with the entity tag bare (radosgw compares the header with
 * its stored tag as strings, and a quoted one never matches).  A 500 is
 * retried as any server error, then an error: radosgw answers so
 * (ECANCELED) to the loser of a race on If-Match, having written
 * nothing, and the retry meets the winner's tag (a 412, the condition
 * failing); to a put_new it is never taken for "already there".
 */
#ifndef SILO_OBJSTORE_S3_H
#define SILO_OBJSTORE_S3_H

#include "objstore.h"

/*
 * Open the silo at URL (s3://BUCKET or s3://BUCKET/PREFIX, a trailing
 * '/' or not): no request is made.  *out is owned by the caller:
 * (*out)->ops->free(*out).  SILO_EINVALID for another URL.
 */
int objstore_s3_open(struct objstore **out, const char *url);

/* Ask for at most N keys per page of a listing (1 to 1000; 0: the
 * server's default, 1000). */
void objstore_s3_page_size(struct objstore *st, unsigned n);

#endif
