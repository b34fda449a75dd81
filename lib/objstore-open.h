/*
 * Opening the table of operations (objstore.h) that writes a silo kept
 * behind HTTP, chosen by the URL's scheme in one place (objstore-open.c).
 */
#ifndef SILO_OBJSTORE_OPEN_H
#define SILO_OBJSTORE_OPEN_H

#include "objstore.h"

/* 1 if URL names a silo objstore_open() can write to. */
int objstore_is_url(const char *url);

/*
 * Open the silo at URL (its root) for writing: *out is the caller's, to
 * free with (*out)->ops->free().  A URL holding credentials
 * ("user:password@") is refused: they belong in ~/.netrc or the
 * environment (http.h), where no message or file shows them.
 */
int objstore_open(struct objstore **out, const char *url);

/* The kinds of server, one constructor each, as objstore_open() does. */
int objstore_webdav_open(struct objstore **out, const char *url);

#endif
