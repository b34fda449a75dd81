/*
 * Packing a silo's objects into git packfiles.
 *
 *	struct silo_repack_options o = SILO_REPACK_OPTIONS_INIT;
 *	o.all = 1; o.delete_old = 1;
 *	silo_repack(&result, s, &o);
 *
 * A repack writes one new pack/pack-<checksum>.pack and its .idx (git's
 * pack version 2 and index version 2, readable by git), each under a
 * temporary name, made durable, then linked into place; only then, with
 * delete_old, are the loose objects and old packs it holds removed.  An
 * interrupted repack leaves every object readable.
 */
#ifndef SILO_PACK_H
#define SILO_PACK_H

#include "silo/common.h"

#include <stddef.h>
#include <stdint.h>
#include "silo/oid.h"
#include "silo/store.h"

/* "Store NEW as a delta of OLD": versions of one thing, whatever sizes. */
struct silo_repack_hint {
	silo_oid old_id;
	silo_oid new_id;
};

struct silo_repack_options {
	int all;		/* also repack the objects of existing packs */
	int delete_old;		/* remove what the new pack holds */
	int window;		/* candidates tried as delta bases (git: 10) */
	int depth;		/* longest delta chain (git: 50) */
	int level;		/* zlib level of pack entries, 1 to 9 */
	int threads;		/* 0: one per online CPU */
	const struct silo_repack_hint *hints;
	size_t n_hints;
	/* Called with a phase name ("reading", "compressing", "writing")
	 * and counts of objects. */
	void (*on_progress)(void *payload, const char *phase, uint64_t done,
			    uint64_t total);
	void *payload;
};

#define SILO_REPACK_OPTIONS_INIT { 0, 0, 10, 50, 9, 0, NULL, 0, NULL, NULL }

struct silo_repack_result {
	uint64_t objects;	/* objects in the new pack; 0: nothing to do */
	uint64_t deltas;	/* of which stored as deltas */
	char pack[64 + SILO_OID_MAX_HEXSZ];	/* "pack/pack-<hex>.pack": the
						   first pack written */
	char **packs;		/* every pack written, in order; owned */
	size_t n_packs;
	uint64_t removed_loose;	/* loose objects removed */
	uint64_t removed_packs;	/* old packs removed */
	uint64_t kept_young;	/* old packs kept: a writer freshened them */
};

/*
 * Fills *result (owned by the caller: silo_repack_result_release()).  S
 * must be a local silo.  Trees of the tree kind (silo-layout(5)) go into
 * packs of their own, one per family of versions, laid out as medo add
 * lays out one tree; the other objects into one pack.
 */
SILO_EXTERN int silo_repack(struct silo_repack_result *result, silo *s,
		const struct silo_repack_options *opts);

SILO_EXTERN void silo_repack_result_release(struct silo_repack_result *result);

#endif
