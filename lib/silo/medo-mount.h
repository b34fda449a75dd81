/*
 * medo mount: a treeptr's tree as a read-only FUSE file system (libfuse3,
 * low-level API, multithreaded).  Everything is immutable, so the kernel
 * may cache entries, attributes and pages for as long as it likes.
 *
 *	silo_medo_tree_open(&t, "x.treeptr", NULL, NULL, NULL);
 *	silo_medo_mount(t, "/mnt/x", &opts);	returns when unmounted
 */
#ifndef SILO_MEDO_MOUNT_H
#define SILO_MEDO_MOUNT_H

#include "silo/common.h"

#include "silo/medo-tree.h"

struct silo_medo_mount_options {
	int foreground;		/* else detach once mounted */
	int debug;		/* libfuse's debug output */
	/* Called (from any thread, one at a time) with what went wrong
	 * when a file is EIO: the object and its path.  NULL: nothing. */
	silo_medo_warn_fn on_error;
	void *payload;
};

/* Mount T (borrowed, used until the return) at MOUNTPOINT and serve it
 * until it is unmounted (fusermount3 -u).  A file that cannot be read or
 * fails its id is EIO for that file only.  A file's content is streamed
 * into an unlinked spool file beside the cache silo on its first open
 * (memory stays bounded), and read from there. */
SILO_EXTERN int silo_medo_mount(silo_medo_tree *t, const char *mountpoint,
		    const struct silo_medo_mount_options *opts);

#endif
