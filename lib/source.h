/*
 * Object sources: the places a silo's objects come from.  A silo handle
 * is a list of sources tried in order (store.c); each source is one small
 * set of operations over one kind of storage:
 *
 *	loose-source.c	objects/xx/rest.gz under the silo root
 *	pack-source.c	the packs in pack/ (pack-read.c reads them)
 *	remote-source.c	a silo served over HTTP(S), read through the cache
 *
 * The store never knows what a source is made of, and a source never
 * calls back into the silo that holds it.  A question (lookup) never
 * transfers an object; transfers happen where an object is read (open),
 * in the explicit step (fetch), or ahead of reads in a batch (prefetch),
 * where a reader hands over what it knows of the objects it will read.
 */
#ifndef SILO_SOURCE_H
#define SILO_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include "silo/oid.h"

/* The store's types, named here without its header: the store uses its
 * sources, never the other way round (C11 allows the typedefs twice). */
typedef struct silo silo;
typedef struct silo_stream silo_stream;
struct silo_object_info;
struct silo_prefetch_hints;

struct silo_source;

/* What open() returns when the source does not hold the object, after
 * recording why (silo__error_set()): the code recorded (SILO_ENOTFOUND,
 * or SILO_ECORRUPT for a damaged pack that may have held it) is what the
 * silo reports if no later source has the object either. */
#define SILO_SOURCE_MISS 1

struct silo_source_ops {
	/* 1 if SRC holds ID, 0 if not, negative on error.  Never transfers
	 * the object (a remote source may ask its server). */
	int (*lookup)(struct silo_source *src, const silo_oid *id);
	/* A verified stream of ID: 0 and *out set, SILO_SOURCE_MISS, or a
	 * negative error.  May transfer the object first (a remote source),
	 * which SIZE (UINT64_MAX: not known), the size the caller expects,
	 * bounds: an offer of another size is not transferred.  The caller
	 * checks the stream's size itself. */
	int (*open)(silo_stream **out, struct silo_source *src, const silo_oid *id,
		    uint64_t size);
	/* Call CB for each object the source holds, in id order, with the
	 * file holding it; a non-zero return from CB stops and is returned.
	 * NULL for a source that cannot list (a static web server). */
	int (*each)(struct silo_source *src,
		    int (*cb)(const struct silo_object_info *info, void *payload),
		    void *payload);
	/* The explicit transfer step: make ID local.  0 when it is local
	 * now, SILO_ENOTFOUND when the source lacks it.  SIZE is the
	 * object's size when the caller knows it (else UINT64_MAX): an
	 * offer of another size is refused before it is transferred.  NULL
	 * for sources that are local already. */
	int (*fetch)(struct silo_source *src, const silo_oid *id, uint64_t size);
	void (*free)(struct silo_source *src);
	/* What ID is without reading its content: 1 and *type, *size set
	 * (SIZE may be NULL: the type alone), 0 if the source does not
	 * hold it, negative on error.  NULL for a source that cannot tell
	 * without a transfer: the store asks lookup() and reports type and
	 * size unknown (silo_object_info()). */
	int (*info)(struct silo_source *src, const silo_oid *id, int *type, uint64_t *size);
	/* The batch step ahead of reads (silo_prefetch(), which hands
	 * HINTS, never NULL, to each source in order): bring the N objects
	 * IDS, and what HINTS names, in as few transfers as the source can.
	 * SIZES (NULL: none known; an entry UINT64_MAX: that one not known)
	 * are their sizes, as for fetch: an offer of another size is not
	 * transferred.  What it holds already costs nothing; an object it
	 * cannot bring is no error here (reading it says why), but one
	 * offered damaged or of another size is SILO_ECORRUPT (reading it
	 * would be offered the same).  0, or negative when the step cannot
	 * run.  NULL for sources that are local already. */
	int (*prefetch)(struct silo_source *src, const silo_oid *ids, const uint64_t *sizes,
			size_t n, const struct silo_prefetch_hints *hints);
};

/* What a source is made of. */
enum silo_source_type {
	SILO_SOURCE_LOOSE = 1,	/* loose-source.c */
	SILO_SOURCE_PACKS,	/* pack-source.c */
	SILO_SOURCE_REMOTE	/* remote-source.c */
};

/* Every source starts with this header. */
struct silo_source {
	const struct silo_source_ops *ops;
	enum silo_source_type type;
	/* What the source is, for messages: a path or a URL. */
	const char *name;
	/* A local source of the cache: each file an object is read from is
	 * marked used (fs_mark_used()), for the cache's trimming. */
	int mark_used;
};

/* 1 for files under the silo root, which can be written, listed and
 * verified; 0 for a remote source. */
static inline int silo_source_is_local(const struct silo_source *src)
{
	return src->type != SILO_SOURCE_REMOTE;
}

/*
 * The checked downcast: 0 when SRC is a source of TYPE, whose struct
 * (which starts with SRC) its caller may then use; else a bug of the
 * library, reported as one: SILO_ERROR with a message starting "BUG:"
 * that names both types, never a silent NULL.  Each source takes its
 * own struct through it (as_loose(), as_packs(), as_remote()), and so
 * must anything else that needs one kind of source.
 */
int silo__source_check(const struct silo_source *src, enum silo_source_type type);

/* Append SRC (taken over, also on failure) to the sources of S. */
int silo__add_source(silo *s, struct silo_source *src);

/* Mark the files S's local sources read objects from as used from now
 * on: S reads the cache (remote-cache-trim.c trims it by last use). */
void silo__mark_used_on_read(silo *s);

/* The first source of S that is not local, or NULL. */
struct silo_source *silo__remote_source(const silo *s);

/*
 * The cache directory that silos over HTTP(S) read through when this
 * thread opens them from now on (silo_cache_dir()): DIR, which the
 * caller made and removes with what was fetched into it, or NULL for
 * the shared cache again.  Set while every such handle lives, so that
 * one piece of work can keep nothing in the shared cache (medo expand
 * --no-cache).  DIR is borrowed until it is reset.
 */
void silo__cache_dir_override(const char *dir);

/* The sources of a local silo at ROOT holding ids in FORMAT: its loose
 * objects and its packs (struct pack_set, pack.h). */
int loose_source_new(struct silo_source **out, const char *root, int format);
struct pack_set;
int pack_source_new(struct silo_source **out, struct pack_set **set,
		    const char *root, int format);

#endif
