/* What the files of the remote layer (remote*.c) share. */
#ifndef SILO_REMOTE_INTERNAL_H
#define SILO_REMOTE_INTERNAL_H

#include "silo/remote.h"
#include "store-internal.h"

struct remote_pack;

struct silo_remote {
	char *url;		/* without a trailing slash */
	int format;
	/* the packs of the remote it knows (remote-pack-list.c) */
	struct remote_pack *packs;
	size_t n_packs, alloc_packs;
	int packs_loaded;
	/* requests spent on .moved files and the indexes they name
	 * (REMOTE_MOVED_LOOKUPS_MAX) */
	unsigned moved_lookups;
	/* silo_remote_fetch()'s PROGRESS while objects are read from packs:
	 * called after each range with the bytes and objects so far */
	void (*progress)(void *payload, uint64_t bytes, size_t done);
	void *progress_payload;
	uint64_t progress_bytes;
	size_t progress_done;
};

/* A handle on the silo at URL that has asked its server nothing: its
 * ids are taken to be in FORMAT (remote.c).  *out is owned by the caller
 * (silo_remote_free()). */
int remote_new(silo_remote **out, const char *url, int format);
/* Read R's config.json: *format is the format it records.  NAME names
 * the silo in messages. */
int remote_read_config(silo_remote *r, int *format, const char *name);

/* Where indexes of remote packs are kept (remote-cache.c): beside the
 * cache silo, in "<cache>/idx-<format>".  The result is owned by the
 * caller. */
int remote_index_dir(char **out, int format);

/* Trim the cache to SILO_CACHE_MAX_SIZE, if set, unless another process
 * trims it now (remote-cache-trim.c).  Best effort: after downloads
 * that succeeded, a failure to trim is no failure of theirs. */
void remote_cache_trim_auto(void);

/*
 * A pack of a remote: known from pack/packs, from a treeptr that names
 * it (remote_pack_hint()), or from a .moved file.
 */
struct remote_pack {
	char name[96];		/* "pack-<hex>" */
	unsigned char *idx;	/* the verified index, whole */
	size_t idx_size;
	uint64_t *sorted;	/* entry offsets, sorted: where entries end */
	uint32_t nr;
	uint64_t pack_size;	/* the pack's size, once learned; 0 before */
	int size_kept;		/* pack_size is the one kept in the cache, which
				 * no answer has confirmed yet */
	int hinted;		/* a treeptr named it, or a .moved file */
	int via_moved;		/* a .moved file named it */
	int gone;		/* its index is not on the server */
	int moved_read;		/* its .moved file was asked for */
};

/* Requests a handle spends at most on .moved files and the indexes of
 * the packs they name, before it reads pack/packs instead
 * (remote-pack-list.c). */
#define REMOTE_MOVED_LOOKUPS_MAX 32

/* ---- which pack holds an object (remote-pack-list.c) ---- */

/*
 * The first pack of R whose index lists ID: 1 and *out set, 0 if none,
 * negative on error.  The planning step: only pack/packs and indexes
 * are read, never an object.  The packs already known (those a treeptr
 * names) come first: pack/packs and every index it lists are read only
 * when none of them has ID.
 */
int remote_pack_find(struct remote_pack **out, silo_remote *r, const silo_oid *id);

/* 1 if a pack of R lists ID in its index, 0 if none does, negative on
 * error (remote_pack_find() without the pack). */
int remote_pack_has(silo_remote *r, const silo_oid *id);

/* 1 if a pack R knows lists ID: a pack a treeptr named (its index is
 * fetched if need be), or one whose index is held in memory or kept
 * beside the cache (no request).  Then the object is fetched from that
 * pack without first asking for a loose copy. */
int remote_pack_known(silo_remote *r, const silo_oid *id);

/* Make the N packs NAMES ("pack-<hex>") of R known before pack/packs is
 * read: their indexes are searched first, and pack/packs only for an
 * object none of them holds. */
int remote_pack_hint(silo_remote *r, char *const *names, size_t n);

void remote_packs_free(silo_remote *r);

/* ---- the index of a remote pack (remote-pack-index.c) ---- */

/* Load P's index, from beside the cache or else from the server, and
 * check it; with it, P's size kept beside it, if consistent. */
int remote_pack_index_load(silo_remote *r, struct remote_pack *p);
/* The offset of the POS-th entry of RP's index. */
uint64_t remote_pack_offset(const struct remote_pack *rp, uint32_t pos, size_t rawsz);
/* The offset of the entry after the one at OFF: 1 and *next set, or 0
 * when OFF is the last entry. */
int remote_pack_next_offset(const struct remote_pack *p, uint64_t off, uint64_t *next);
/* 1 if a pack of SIZE bytes can hold the entries P's index lists and
 * the trailer (RAWSZ bytes) after them. */
int remote_pack_size_fits(const struct remote_pack *p, uint64_t size, size_t rawsz);
/* Keep SIZE, which an answer gave and P's index allows, as P's size. */
void remote_pack_size_keep(struct remote_pack *p, silo_remote *r, uint64_t size);
/* Drop the size of P kept in the cache: an answer contradicted it. */
void remote_pack_size_forget(struct remote_pack *p, silo_remote *r);

/* ---- objects of remote packs (remote-pack.c) ---- */

/* Fetch ID, of SIZE bytes (UINT64_MAX: not known; an entry of another
 * size is SILO_ECORRUPT before it is read), from R's packs into CACHE as
 * a loose object, checked against its id.  SILO_ENOTFOUND if no pack of
 * R holds it. */
int remote_pack_fetch(silo_remote *r, silo *cache, const silo_oid *id, uint64_t size);
/* The N ITEMS, each in a pack R knows with its index loaded (as
 * remote_pack_known() left them), into the writer BATCH of CACHE: the
 * entries of one pack sorted by offset, each run of adjacent entries in
 * one range request; an item's size, when given, as for
 * remote_pack_fetch().  Each item's status says how it went. */
struct silo_fetch_item;
int remote_pack_fetch_many(silo_remote *r, silo *cache, struct silo_fetch_item **items,
			   size_t n, silo_writer *batch);

/* Read ID, of WANT bytes (UINT64_MAX: not known) from R's packs, checked
 * against its id as it streams: a blob into CACHE as a loose object
 * (*data NULL; through the writer BATCH if not NULL, which the caller
 * commits), anything else (a tree object) into *data (owned, free()) of
 * *size bytes, kept nowhere. */
int remote_pack_read(silo_remote *r, silo *cache, const silo_oid *id, uint64_t want,
		     silo_writer *batch, unsigned char **data, size_t *size, int *type);

/* ---- tree sections (remote-section.c) ---- */

/* Fetch the start of the pack of R holding LAST, up to the end of LAST's
 * entry, in one range request, and keep its objects (each checked) in a
 * new pack of CACHE: for the tree kind, its tree objects and its size
 * table.  0 when done (or R has no pack holding LAST). */
int remote_pack_fetch_section(silo_remote *r, silo *cache, const silo_oid *last);

#endif
