/* What remote.c and remote-pack.c share. */
#ifndef SILO_REMOTE_INTERNAL_H
#define SILO_REMOTE_INTERNAL_H

#include "silo/remote.h"
#include "store-internal.h"

struct remote_pack;

struct silo_remote {
	char *url;		/* without a trailing slash */
	int format;
	/* pack/packs of the remote, read on first need (remote-pack.c) */
	struct remote_pack *packs;
	size_t n_packs, alloc_packs;
	int packs_loaded;
};

/* Where indexes of remote packs are kept: beside the cache silo, in
 * "<cache>/idx-<format>".  The result is owned by the caller. */
int remote_index_dir(char **out, int format);

/* Fetch ID from R's packs into CACHE as a loose object, checked against
 * its id.  SILO_ENOTFOUND if no pack of R holds it. */
int remote_pack_fetch(silo_remote *r, silo *cache, const silo_oid *id);

void remote_packs_free(silo_remote *r);

/* Rewrite pack/packs from the packs in pack/ (pack-list.c). */
int silo_pack_list_write(silo *s);

/* A writer for the cache itself, which silo_writer_new() refuses for a
 * handle opened on a URL. */
int silo_writer_new_local(silo_writer **out, silo *s);

#endif
