/* What remote.c, remote-pack.c and remote-source.c share. */
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
	/* requests spent on .moved files and the indexes they name
	 * (remote-pack.c, MOVED_LOOKUPS_MAX) */
	unsigned moved_lookups;
};

/* Where indexes of remote packs are kept (remote-cache.c): beside the
 * cache silo, in "<cache>/idx-<format>".  The result is owned by the
 * caller. */
int remote_index_dir(char **out, int format);

/* 1 if a pack of R lists ID in its index, 0 if none does, negative on
 * error.  Reads pack/packs and the indexes (kept beside CACHE), never
 * the object. */
int remote_pack_has(silo_remote *r, silo *cache, const silo_oid *id);

/* Fetch ID from R's packs into CACHE as a loose object, checked against
 * its id.  SILO_ENOTFOUND if no pack of R holds it. */
int remote_pack_fetch(silo_remote *r, silo *cache, const silo_oid *id);
/* The same, put into the writer BATCH of CACHE, which the caller
 * commits: one flush for many objects. */
int remote_pack_fetch_into(silo_remote *r, silo *cache, const silo_oid *id,
			   silo_writer *batch);
/* The N ITEMS, each in a pack R knows with its index loaded (as
 * remote_pack_known() left them), into the writer BATCH of CACHE: the
 * entries of one pack sorted by offset, each run of adjacent entries in
 * one range request.  Each item's status says how it went. */
struct silo_fetch_item;
int remote_pack_fetch_many(silo_remote *r, silo *cache, struct silo_fetch_item **items,
			   size_t n, silo_writer *batch);

/* Read ID from R's packs, checked against its id as it streams: a blob
 * into CACHE as a loose object (*data NULL; through the writer BATCH if
 * not NULL, which the caller commits), anything else (a tree object)
 * into *data (owned, free()) of *size bytes, kept nowhere. */
int remote_pack_read(silo_remote *r, silo *cache, const silo_oid *id, silo_writer *batch,
		     unsigned char **data, size_t *size, int *type);

/* 1 if a pack R knows lists ID: a pack a treeptr named (its index is
 * fetched if need be), or one whose index is held in memory or kept
 * beside the cache (no request).  Then the object is fetched from that
 * pack without first asking for a loose copy. */
int remote_pack_known(silo_remote *r, const silo_oid *id);

void remote_packs_free(silo_remote *r);

/* Make the N packs NAMES ("pack-<hex>") of R known before pack/packs is
 * read: their indexes are searched first, and pack/packs only for an
 * object none of them holds. */
int remote_pack_hint(silo_remote *r, char *const *names, size_t n);

/* Fetch the start of the pack of R holding LAST, up to the end of LAST's
 * entry, in one range request, and keep its objects (each checked) in a
 * new pack of CACHE: for the tree kind, its tree objects and its size
 * table.  0 when done (or R has no pack holding LAST). */
int remote_pack_fetch_section(silo_remote *r, silo *cache, const silo_oid *last);

/*
 * The object source of a silo served by R, read through CACHE (a local
 * silo of the same format): both are taken over, also on failure.
 * lookup asks the server (a HEAD request, then the pack indexes); open
 * and fetch download into CACHE, verified, then read from there.
 */
struct silo_source;
int remote_source_new(struct silo_source **out, silo_remote *r, silo *cache);

#endif
