/*
 * Publishing a silo's objects to another silo, a shared one: a local path
 * (a shared or network file system), "host:path" reached by rsync over
 * ssh, or a WebDAV server's URL (Documentation/silo-push.1.scd).
 *
 *	struct silo_push_result r;
 *	silo_push(&r, "deps.silo", "ci.example.org:/srv/deps.silo");
 */
#ifndef SILO_PUSH_H
#define SILO_PUSH_H

#include "silo/common.h"

#include <stddef.h>

struct silo_push_result {
	size_t files;		/* files copied (new at the destination) */
	size_t passes;		/* rsync runs */
};

/*
 * Copy what SRC (a silo directory) holds and DEST does not, in an order
 * that is safe for readers of DEST: the silo's own files, then loose
 * objects, then packs, then their indexes (an index only after its
 * pack), then the files of pack/ that list packs.  Files are never replaced at DEST
 * (silo files never change), but for pack/packs, which is made at DEST
 * from the packs DEST holds (pushed there from other silos too);
 * temporary files (names starting with "tmp_" or ".") are skipped.
 * Loose objects and packs both hold that are younger in SRC are made as
 * young at DEST first (never older): what a prune's grace period spares
 * in SRC, a prune of DEST spares too.  DEST is "host:path" when it holds a ':'
 * before its first '/', otherwise a path.  Runs rsync(1) (over $RSYNC_RSH,
 * ssh by default); a failed run is SILO_ENET (remote) or SILO_EIO
 * (local) with rsync's exit status.
 */
SILO_EXTERN int silo_push(struct silo_push_result *out, const char *src, const char *dest);

/* Push even where the server ignores the conditions of its requests. */
#define SILO_PUSH_FORCE 1u

/*
 * silo_push(), and also to a silo behind HTTP: DEST an http:// or
 * https:// URL of a WebDAV server.  Files go with PUT and
 * "If-None-Match: *" (one already there is not sent again), in the same
 * passes, and pack/packs is merged with the server's, replaced with
 * "If-Match" and tried again when another writer came first.  A server
 * that stores a file over an existing one in spite of "If-None-Match: *"
 * (asked once, before anything is written, with its own config.json) is
 * refused with SILO_EUNSAFE, unless FLAGS has SILO_PUSH_FORCE.  Transfer
 * failures and refusals by the server are SILO_ENET.
 */
SILO_EXTERN int silo_push_flags(struct silo_push_result *out, const char *src,
				const char *dest, unsigned flags);

/* 1 if DEST names a remote "host:path" rather than a local path or a
 * URL. */
SILO_EXTERN int silo_push_is_remote(const char *dest);

#endif
