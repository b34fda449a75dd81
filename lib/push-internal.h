/*
 * What silo push's two halves share: the files of a silo sorted into
 * passes (silo-push.c, for a path or host:path) and the push to a
 * silo behind HTTP (silo-push-http.c), which copies in the same order.
 */
#ifndef SILO_PUSH_INTERNAL_H
#define SILO_PUSH_INTERNAL_H

#include "silo/push.h"
#include "strbuf.h"

/* The passes, in order: the silo's own files; files both hold that are
 * younger here (their times only); loose objects; packs; their indexes
 * (and other pack-<id> files); files that list packs. */
enum { PASS_TOP, PASS_FRESHEN, PASS_OBJECTS, PASS_PACKS, PASS_INDEXES, PASS_LISTS, N_PASSES };

/* The list of packs, replaced rather than written once. */
#define PACK_LIST "pack/packs"

/*
 * Add the regular files below SRC/REL (recursively; REL "" for all) to
 * LISTS, one "rel\n" line each, in the pass it belongs to, unless the
 * local DEST has them; pack/packs and temporary files are left out.
 * With DEST NULL every file is added, and loose objects and packs go to
 * PASS_FRESHEN too.
 */
int silo__push_collect(struct strbuf lists[N_PASSES], const char *src, const char *rel,
		       const char *dest);

/* silo_push_flags() to a URL objstore_is_url() takes. */
int silo__push_http(struct silo_push_result *out, const char *src, const char *url,
		    unsigned flags);

#endif
