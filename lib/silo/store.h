/*
 * The silo object store: a directory of write-once, content-addressed
 * objects that any file copier or static web server can handle.
 *
 *	deps.silo/
 *	  config.json		{ "silo": 1, "object-format": "sha1" }
 *	  objects/ce/0136...a.gz	a loose object: gzip of the raw content
 *	  pack/pack-<id>.pack	git packs and their indexes
 *	  derived/		reserved
 *
 * Life cycle:
 *
 *	silo_init(path, SILO_OID_SHA1);		once, to create one
 *	silo_open(&s, path);			or silo_open_default()
 *	silo_writer_new(&w, s);			to store objects
 *	  silo_writer_put_file(&id, w, file);	... as many as needed
 *	  silo_writer_commit(w, &created);	durable, then visible
 *	silo_writer_free(w);
 *	silo_stream_open(&st, s, &id);		to read one back
 *	  while ((r = silo_stream_read(st, &buf, &len)) > 0) ...
 *	silo_stream_free(st);
 *	silo_free(s);
 *
 * A handle is used by one thread at a time; different handles on one silo
 * may be used by many threads and processes at once.
 *
 * Conventions of every header: out-parameters come first; a handle made
 * by a *_new() or *_open() call belongs to the caller and is released
 * with the matching *_free(), which accepts NULL; const char * results
 * are borrowed from the handle they came from, char * results belong to
 * the caller (free()).
 */
#ifndef SILO_STORE_H
#define SILO_STORE_H

#include "silo/common.h"

#include <stddef.h>
#include <stdint.h>
#include "silo/oid.h"

typedef struct silo silo;

/* The environment variable naming the silo when no option does. */
#define SILO_ENV_DIR "SILO_DIR"

/*
 * Create a silo at PATH (the directory is made if missing) whose ids are
 * in FORMAT.  Initialising an existing silo again with the same format
 * succeeds and changes nothing; with another format it is SILO_EEXISTS.
 */
SILO_EXTERN int silo_init(const char *path, int format);

/* Open the silo at PATH.  On success *out is owned by the caller:
 * silo_free(). */
SILO_EXTERN int silo_open(silo **out, const char *path);

/*
 * Open the silo named by EXPLICIT_PATH if not NULL, else by the
 * environment variable SILO_DIR if set and not empty, else the current
 * directory.  A name that is an http(s) URL opens it through the cache,
 * as silo_remote_open_cached() (silo/remote.h).  *out is owned by the
 * caller: silo_free().
 */
SILO_EXTERN int silo_open_default(silo **out, const char *explicit_path);

/*
 * Open the silo at LOCATION for reading: a directory (silo_open()), or an
 * http(s) URL read through the cache (silo_remote_open_cached(),
 * silo/remote.h), whose config.json is fetched now.  *out is owned by
 * the caller: silo_free().
 */
SILO_EXTERN int silo_open_location(silo **out, const char *location);

/*
 * The silo at the URL LOCATION, opened without a request because the
 * cache that silos over HTTP share holds WANT already: 1 and *out (a
 * handle as silo_open_location() gives, which asks its server, its
 * config.json first, only when something the cache lacks is read);
 * else 0 and *out NULL, no request made, and for a directory too.
 * Negative on error.  So a reader of a whole object from a silo over
 * HTTP reads it from the cache with no server up, as it was checked
 * when it arrived and is checked again as it is read.
 */
SILO_EXTERN int silo_open_if_cached(silo **out, const char *location, const silo_oid *want);

SILO_EXTERN void silo_free(silo *s);	/* NULL is allowed */

/* The directory of the silo as it was given when opened (for a silo
 * read over HTTP, its cache); borrowed from S. */
SILO_EXTERN const char *silo_root(const silo *s);

/* The id format of the silo (enum silo_oid_format). */
SILO_EXTERN int silo_object_format(const silo *s);

/*
 * The path of ID's loose object relative to the silo root,
 * "objects/ce/0136...a.gz", written into OUT with its NUL.
 */
#define SILO_LOOSE_PATH_MAX (sizeof("objects//.gz") + SILO_OID_MAX_HEXSZ)
SILO_EXTERN void silo_loose_relpath(char out[SILO_LOOSE_PATH_MAX], const silo_oid *id);

/*
 * 1 if the silo holds ID (loose or packed, or on the server of a silo
 * read over HTTP), 0 if not, negative on error.  A question only: it
 * never transfers the object (a server is asked with a HEAD request or
 * its pack indexes).
 */
SILO_EXTERN int silo_has_object(silo *s, const silo_oid *id);

/*
 * What ID is, without reading its content: 1 and its type (enum
 * silo_object_type) and size in bytes in *type and *size, 0 when no
 * source of S holds it, negative on error.  A loose object's size is
 * in its gzip header; a packed one's type and size are in its entry's
 * header (for a delta, its result's size and its base's type).  For an
 * object a silo read over HTTP has not brought into its cache, the
 * server is asked without a transfer (as silo_has_object()), and type
 * and size are unknown: SILO_OBJ_NONE and UINT64_MAX.  SIZE may be NULL
 * when only the type is wanted, which is cheaper for loose objects.
 */
SILO_EXTERN int silo_object_info(silo *s, const silo_oid *id, int *type, uint64_t *size);

/*
 * The explicit transfer step: make ID readable from S's own files, for a
 * silo read over HTTP by downloading and verifying it into the cache.  0
 * when S holds it locally now (at once for a local silo that has it),
 * SILO_ENOTFOUND when no source of S has it, SILO_ECORRUPT when the copy
 * offered fails its id (nothing is kept).  silo_stream_open() does the
 * same on its own, so that calling this first is needed only to choose
 * between silos by what can really be read.  SIZE is the object's size
 * when the caller knows it (a treeptr records it), else UINT64_MAX: a
 * server offering an object of another size (its gzip header says so) is
 * refused at once, SILO_ECORRUPT, not after inflating and hashing what
 * it sends.
 */
SILO_EXTERN int silo_fetch_object(silo *s, const silo_oid *id, uint64_t size);

/*
 * What a reader knows of the objects it is about to read, for the sources
 * of S that bring objects from elsewhere (a silo read over HTTP; a local
 * silo has no use for it).  Every field may be empty: zero-initialise
 * the struct, then fill in what is known.
 */
struct silo_prefetch_hints {
	/* Packs ("pack-<hex>", as a treeptr of kind tree lists them) that
	 * hold the objects: a silo over HTTP searches their indexes first,
	 * and reads the list of all its packs only for an object none of
	 * them holds.  Borrowed from the caller; they stay known to S. */
	char *const *packs;
	size_t n_packs;
	/* A section of one pack, brought in one request: the objects from
	 * the start of the pack holding SECTION_LAST to the end of its
	 * entry, unless SECTION_FIRST is held already.  A tree written by
	 * medo add --kind=tree starts its pack so (treeptr(5)): FIRST its
	 * root tree, LAST its size table.  Both or neither. */
	const silo_oid *section_first, *section_last;
	/* Called (may be NULL) as objects arrive: the bytes received and
	 * the objects brought so far, with PROGRESS_PAYLOAD. */
	void (*progress)(void *payload, uint64_t bytes, size_t done);
	void *progress_payload;
};

/*
 * The batch step before reading many objects: ask each source of S in
 * order to bring the N objects IDS (N may be 0) and what HINTS (NULL for
 * none) describes.  SIZES (NULL when none is known) gives each object's
 * size where the caller knows it (a tree's size table does), else
 * UINT64_MAX: a server offering an object of another size is refused at
 * its first bytes (a loose object's gzip header, a pack entry's header),
 * before it is transferred.  A silo read over HTTP brings the section,
 * then the objects its cache lacks, with one request for each run of
 * adjacent entries of the packs it knows, and one flush of the cache for
 * all; a local silo does nothing.  An object that cannot be brought is
 * no error here: reading it says why; but one the server offers damaged
 * or of another size is SILO_ECORRUPT, as reading it would be offered
 * the same.  0, or negative when the step could not run at all (memory,
 * or the section's transfer failing).
 */
SILO_EXTERN int silo_prefetch(silo *s, const silo_oid *ids, const uint64_t *sizes, size_t n,
			      const struct silo_prefetch_hints *hints);

/*
 * Writing.  A writer stores a batch of objects: each put writes a
 * temporary file, and silo_writer_commit() makes the whole batch durable
 * with one file system flush and only then gives each object its name.
 * Objects are visible to readers after the commit, not before.
 * silo_writer_free() without a commit removes the temporary files.
 */
typedef struct silo_writer silo_writer;

/* *out is owned by the caller: silo_writer_free(); it borrows S, which
 * must outlive it.  A silo read over HTTP cannot be written. */
SILO_EXTERN int silo_writer_new(silo_writer **out, silo *s);

/*
 * The compression level for new loose objects, 1 (fast) to 9 (small),
 * as libdeflate counts them.  The default, 5, measured on a tar of a
 * system's libraries: 0.4% smaller than gzip -6, in 30% of its time
 * (libdeflate's 6 is no smaller than gzip -6 by much and 60% slower).
 */
#define SILO_DEFAULT_LEVEL 5
SILO_EXTERN void silo_writer_set_level(silo_writer *w, int level);

/* Threads that compress one large object, 1 to 8; default one per CPU.
 * Objects of 2 MiB and more are written as several gzip members. */
SILO_EXTERN void silo_writer_set_threads(silo_writer *w, int threads);

/* Call FN(PAYLOAD, BYTES) on the calling thread as each 1 MiB of an
 * object is compressed and written (BYTES: of that object, so far). */
SILO_EXTERN void silo_writer_set_progress(silo_writer *w,
			      void (*fn)(void *payload, uint64_t bytes), void *payload);

/* Store the content of the open file descriptor FD (any kind: a regular
 * file, a pipe; the caller keeps and closes it); NAME names it in error
 * messages.  *out receives the object's id. */
SILO_EXTERN int silo_writer_put_fd(silo_oid *out, silo_writer *w, int fd, const char *name);

/* Store the content of the file at PATH; *out receives its id. */
SILO_EXTERN int silo_writer_put_file(silo_oid *out, silo_writer *w, const char *path);

/* Store LEN bytes from memory (borrowed for the call); *out receives
 * their id. */
SILO_EXTERN int silo_writer_put_buffer(silo_oid *out, silo_writer *w, const void *data, size_t len);

/*
 * Content produced on the fly (a tar being written), whose size is not
 * known in advance: write it to a spool, then store it.  The spool is a
 * temporary file in the silo, removed by silo_spool_free().
 */
typedef struct silo_spool silo_spool;

/* *out is owned by the caller: silo_spool_free(); it borrows W. */
SILO_EXTERN int silo_spool_new(silo_spool **out, silo_writer *w);
/* Append LEN bytes; SPOOL is a void * so that this is a silo_write_fn. */
SILO_EXTERN int silo_spool_write(void *spool, const void *data, size_t len);
/* Store what was written as one object of the writer's batch; *out
 * receives its id.  The spool is still to be freed. */
SILO_EXTERN int silo_spool_put(silo_oid *out, silo_spool *sp);
SILO_EXTERN void silo_spool_free(silo_spool *sp);	/* NULL is allowed */

/* Make every object put so far durable, then visible.  The number of
 * objects that were new to the silo is added to *created, a counter the
 * caller keeps across batches (may be NULL); it follows W, as a tally
 * rather than a result. */
SILO_EXTERN int silo_writer_commit(silo_writer *w, size_t *created);

SILO_EXTERN void silo_writer_free(silo_writer *w);	/* NULL is allowed */

/*
 * Reading.  A stream hands out an object's content in pieces and checks
 * it against its id on the way: the last call, which returns 0, succeeds
 * only if every byte matched.  A mismatch anywhere is SILO_ECORRUPT with a
 * message naming the object and the file it came from.
 */
typedef struct silo_stream silo_stream;

/* *out is owned by the caller: silo_stream_free(); it borrows S, which
 * must outlive it.  For a silo read over HTTP, an object not yet in the
 * cache is fetched (and verified) into it here. */
SILO_EXTERN int silo_stream_open(silo_stream **out, silo *s, const silo_oid *id);
/* The same for an object the caller knows to have SIZE bytes: one that a
 * server offers with another size is not transferred (SILO_ECORRUPT).
 * The stream's size is still the caller's to check. */
SILO_EXTERN int silo_stream_open_sized(silo_stream **out, silo *s, const silo_oid *id, uint64_t size);

/* The object's type (enum silo_object_type) and size in bytes. */
SILO_EXTERN int silo_stream_type(const silo_stream *st);
SILO_EXTERN uint64_t silo_stream_size(const silo_stream *st);

/*
 * Point *data at the next piece of content and set *len.  Returns 1 when
 * a piece is handed out, 0 at the verified end, negative on error.  The
 * piece is borrowed from ST and stays valid until the next call.
 */
SILO_EXTERN int silo_stream_read(silo_stream *st, const void **data, size_t *len);

SILO_EXTERN void silo_stream_free(silo_stream *st);	/* NULL is allowed */

/*
 * Wrap INNER (taken over, also on failure) in a stream that reads ahead
 * on a second thread, so that inflating and checking an object overlap
 * with what the caller does with its bytes.  Memory stays bounded (2 MiB).
 * *out is owned by the caller and frees INNER with itself.
 */
SILO_EXTERN int silo_stream_prefetch(silo_stream **out, silo_stream *inner);

/* Copy object ID to the file descriptor FD, verifying it on the way.
 * NAME names FD in error messages. */
SILO_EXTERN int silo_cat_to_fd(silo *s, const silo_oid *id, int fd, const char *name);

/*
 * Listing.  Calls CB once for each object, in id order; a non-zero return
 * from CB stops the walk and is returned.  RELPATH is the loose object's
 * path relative to the silo root, or the pack holding it; INFO is
 * borrowed for the call.  A silo read over HTTP cannot be listed.
 */
struct silo_object_info {
	silo_oid id;
	const char *relpath;
	int packed;
};

SILO_EXTERN int silo_foreach_object(silo *s,
			int (*cb)(const struct silo_object_info *info, void *payload),
			void *payload);

/*
 * Verification of every object and every file in the store.  Problems are
 * reported once the check is done, sorted by path, through ON_PROBLEM:
 * severity SILO_VERIFY_BAD for a bad object or a file that does not
 * belong, SILO_VERIFY_WARNING for what is harmless (a temporary file of
 * an interrupted or running write).  ON_PROGRESS, if set, is called from
 * worker threads, one at a time.
 */
enum silo_verify_severity {
	SILO_VERIFY_WARNING = 1,
	SILO_VERIFY_BAD = 2
};

struct silo_verify_options {
	int jobs;	/* worker threads; 0 means one per online CPU */
	void (*on_problem)(void *payload, int severity, const char *relpath,
			   const char *message);
	void (*on_progress)(void *payload, uint64_t done, uint64_t total);
	void *payload;
};

struct silo_verify_result {
	uint64_t objects;	/* objects checked */
	uint64_t bad;		/* problems of severity SILO_VERIFY_BAD */
	uint64_t warnings;
};

/* Fills *result (owned by the caller).  Returns 0 when the check ran
 * (look at result->bad), negative when it could not run at all. */
SILO_EXTERN int silo_verify(struct silo_verify_result *result, silo *s,
		const struct silo_verify_options *opts);

#endif
