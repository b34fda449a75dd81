/*
 * Silos served over HTTP(S) by a static web server, read through a local
 * cache that is itself a silo.
 *
 *	silo_cache_open(&cache, SILO_OID_SHA1);
 *	silo_remote_open(&r, "https://example.org/deps.silo/");
 *	silo_remote_fetch(r, cache, items, n, jobs, NULL, NULL);
 *	... read the objects from CACHE with silo_stream_open() ...
 *	silo_remote_free(r);
 *	silo_free(cache);
 *
 * Nothing fetched is trusted before its id is checked: a download goes to
 * a temporary file in the cache, is inflated and hashed, and only then
 * gets its name.  An interrupted download is resumed by the next fetch of
 * the same object; processes sharing a cache wait for each other instead
 * of downloading the same object twice.
 */
#ifndef SILO_REMOTE_H
#define SILO_REMOTE_H

#include "silo/common.h"

#include <stddef.h>
#include <stdint.h>
#include "silo/store.h"

/* The environment variable that overrides where the cache lives. */
#define SILO_ENV_CACHE_DIR "SILO_CACHE_DIR"

/*
 * The directory of the cache: $SILO_CACHE_DIR, else $XDG_CACHE_HOME/silo,
 * else $HOME/.cache/silo.  *out is owned by the caller (free()).
 */
SILO_EXTERN int silo_cache_dir(char **out);

/* Open (creating if needed) the cache silo for ids in FORMAT; *out is
 * owned by the caller (silo_free()). */
SILO_EXTERN int silo_cache_open(silo **out, int format);

/* The environment variable that bounds the cache's size: after a
 * process brought objects into the cache, it trims it to this size. */
#define SILO_ENV_CACHE_MAX_SIZE "SILO_CACHE_MAX_SIZE"

/* Parse a size: a number of bytes, optionally followed by k, M, G or T
 * (either case; powers of 1024) and optionally "B" or "iB": "500M",
 * "2G", "4096".  SILO_EINVALID, naming TEXT, for anything else. */
SILO_EXTERN int silo_parse_size(uint64_t *out, const char *text);

/* The bound SILO_CACHE_MAX_SIZE sets: 1 and *max set, 0 when it is not
 * set (*max is UINT64_MAX), SILO_EINVALID when it is not a size. */
SILO_EXTERN int silo_cache_max_size(uint64_t *max);

/* What the cache holds, in bytes of its files (st_size). */
struct silo_cache_usage {
	uint64_t bytes;			/* every regular file counted below and others */
	uint64_t objects, object_bytes;	/* loose objects of the cache silos */
	uint64_t packs, pack_bytes;	/* packs of the cache silos: .pack and .idx */
	uint64_t indexes, index_bytes;	/* indexes of remote packs, and their .size */
	uint64_t temps, temp_bytes;	/* temporary files of writers */
};

/* Measure the cache at DIR (silo_cache_dir()); a cache not made yet
 * holds nothing. */
SILO_EXTERN int silo_cache_usage(struct silo_cache_usage *out, const char *dir);

struct silo_cache_trim_options {
	uint64_t max_bytes;	/* trim to at most this */
	/* Wait for a trim another process runs, then trim; else return at
	 * once, result->skipped set. */
	int wait;
	/* Called with each file removed, relative to DIR; may be NULL. */
	void (*on_remove)(void *payload, const char *relpath);
	void *payload;
};

struct silo_cache_trim_result {
	uint64_t removed, removed_bytes;	/* files removed, their bytes */
	struct silo_cache_usage after;		/* what is left */
	int skipped;				/* another process trimmed */
};

/*
 * Trim the cache at DIR to opts->max_bytes, least recently used first:
 * loose objects, packs and indexes of remote packs, each unit whole.  A
 * read through the cache marks what it read used (its access time, set
 * explicitly, so that noatime and relatime mounts do not matter); the
 * last use of a file is the later of its access and modification times.
 * Temporary files are removed when no writer holds them and they are an
 * hour old, whatever the bound.  A process that has a removed file open
 * keeps reading it; one that looks for it later fetches it again.  One
 * process trims at a time (a lock on DIR/trim.lock).
 */
SILO_EXTERN int silo_cache_trim(struct silo_cache_trim_result *result, const char *dir,
		    const struct silo_cache_trim_options *opts);

typedef struct silo_remote silo_remote;

/* Open the silo served at URL (http://, https://, s3:// or file://): its
 * config.json is fetched to learn its id format.  *out is owned by the
 * caller: silo_remote_free(). */
SILO_EXTERN int silo_remote_open(silo_remote **out, const char *url);
SILO_EXTERN void silo_remote_free(silo_remote *r);	/* NULL is allowed */

/* The URL without its trailing slash; borrowed from R. */
SILO_EXTERN const char *silo_remote_url(const silo_remote *r);
SILO_EXTERN int silo_remote_format(const silo_remote *r);

/* The URL of ID's loose object in R; owned by the caller (free()), NULL
 * when memory runs out. */
SILO_EXTERN char *silo_remote_object_url(const silo_remote *r, const silo_oid *id);

struct silo_fetch_item {
	silo_oid id;		/* in */
	/* in: the object's size when known, to refuse a download that
	 * declares another at its first bytes; 0 when unknown */
	uint64_t size_plus_one;
	int status;		/* out: 0 (in the cache now), or SILO_ENOTFOUND,
				 * SILO_ECORRUPT, SILO_ENET, SILO_EIO */
	char message[600];	/* out: why, naming the URL */
	int checked;		/* out: 1 if the cache's file is the one this
				 * call downloaded and checked against the id */
	uint64_t checked_dev, checked_ino;	/* out: that file, if checked */
};

/*
 * Bring ITEMS (N of them) into CACHE from R, at most JOBS transfers at
 * once.  Items already in the cache cost nothing.  PROGRESS, if set, is
 * called with the bytes received and the items finished.  Returns 0 when
 * every item has an outcome (see each status), negative if the fetch
 * could not run at all.  ITEMS are the caller's; CACHE is borrowed.
 */
SILO_EXTERN int silo_remote_fetch(silo_remote *r, silo *cache, struct silo_fetch_item *items,
		      size_t n, int jobs,
		      void (*progress)(void *payload, uint64_t bytes, size_t done),
		      void *payload);

/*
 * Open the silo served at URL for reading through the cache: *out reads
 * like a local silo and is owned by the caller (silo_free()).  An object
 * is fetched (and verified) into the cache where it is read, by
 * silo_stream_open(), or in the explicit step silo_fetch_object();
 * silo_has_object() only asks the server; silo_prefetch() brings many
 * at once, and learns where they are (the packs and the tree section a
 * treeptr of kind tree names, silo/store.h).  Such a handle cannot be
 * written, listed or verified: a static server cannot list its files,
 * and a silo is written where it is stored.
 */
SILO_EXTERN int silo_remote_open_cached(silo **out, const char *url);

#endif
