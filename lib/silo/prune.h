/*
 * Pruning a local silo: removing the objects that no treeptr names any
 * more, the last step of garbage collection after `medo reachable`.
 *
 *	struct silo_oid_set keep = SILO_OID_SET_INIT;
 *	silo_oid_set_read(&keep, silo_object_format(s), "reachable.txt");
 *	silo_prune_parse_age(&age, "2.weeks");
 *	opts.expire = time(NULL) - age;
 *	silo_prune(&result, s, &keep, &opts);
 *	silo_oid_set_release(&keep);
 *
 * Objects and temporary files modified at or after opts.expire are never
 * removed: a writer may be about to name them, or a treeptr naming them
 * may not be committed yet.  Packed objects are removed by rewriting:
 * the packs older than opts.expire that hold an object not in KEEP are
 * replaced by one new pack of what they hold that KEEP names, written and
 * made durable before they are removed (see silo_prune()).
 */
#ifndef SILO_PRUNE_H
#define SILO_PRUNE_H

#include "silo/common.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "silo/oid.h"
#include "silo/oid-set.h"
#include "silo/store.h"

/*
 * Parse an age: a number of seconds ("3600"), "now" (0), "never"
 * (INT64_MAX) or "<n>.<unit>" with unit second, minute, hour, day, week,
 * month (30 days) or year (365 days), singular or plural, optionally
 * followed by ".ago", as git's gc.pruneExpire.
 */
SILO_EXTERN int silo_prune_parse_age(int64_t *seconds, const char *text);

#define SILO_PRUNE_DEFAULT_AGE "2.weeks"

/* The time before which a file is older than SECONDS (from
 * silo_prune_parse_age()), for struct silo_prune_options: for "now" (0),
 * the next second, so that what was written this very second goes too. */
SILO_EXTERN time_t silo_prune_expire(int64_t seconds);

enum silo_prune_what {
	SILO_PRUNE_OBJECT = 1,	/* an unreferenced loose object */
	SILO_PRUNE_TEMP		/* a stale temporary file of a writer */
};

struct silo_prune_options {
	time_t expire;		/* remove only what was modified before this */
	int dry_run;		/* report, remove nothing */
	/* If not 0: when more than this percentage of the silo's objects
	 * would go, remove nothing and return SILO_EUNSAFE (the result
	 * says how many would have gone). */
	unsigned max_percent;
	/* Called for each file removed (or that would be); may be NULL. */
	void (*on_remove)(void *payload, int what, const char *relpath);
	/* Called for each packed object removed (or that would be), with
	 * the pack ("pack/pack-<hex>.pack") that held it; may be NULL. */
	void (*on_remove_packed)(void *payload, const silo_oid *id, const char *relpack);
	/* Called now and then with what is being done ("finding kept
	 * objects", the phases of a repack of packs with garbage,
	 * "removing objects"), DONE of TOTAL; may be NULL. */
	void (*on_progress)(void *payload, const char *phase, uint64_t done, uint64_t total);
	void *payload;
};

struct silo_prune_result {
	uint64_t kept;		/* loose objects in KEEP */
	uint64_t young;		/* unreferenced, but too young to remove */
	uint64_t young_bytes;	/* their bytes */
	uint64_t removed;	/* objects removed (or that would be) */
	uint64_t temps;		/* temporary files removed (or that would be) */
	uint64_t temp_bytes;	/* their bytes */
	uint64_t bytes;		/* bytes of what was removed, loose and packed,
				 * temporary files included */
	uint64_t packed_kept;	/* packed objects in KEEP, in packs rewritten */
	uint64_t packed_removed;	/* packed objects removed (or that would be) */
	uint64_t packed_young;	/* unreferenced in packs too young to rewrite */
	uint64_t packed_young_bytes;	/* their bytes, as stored */
	uint64_t packs_young;	/* packs with garbage, too young to rewrite */
	uint64_t packs_rewritten;	/* old packs replaced (or that would be) */
	uint64_t packs_freshened;	/* old packs a writer freshened meanwhile: kept */
	uint64_t objects_before;	/* objects in the silo: loose files and pack entries */
};

/*
 * Remove the objects of S not in the closure of KEEP (silo/closure.h:
 * a kept tree keeps every tree and blob below it) that are older than
 * opts->expire, loose and packed, and stale temporary files.  What goes
 * is chosen first; then, before anything is removed, every object of the
 * removal list is checked again against the closure (a failure is a bug:
 * SILO_ERROR, nothing removed); then the share opts->max_percent.  Fills
 * *result (owned by the caller); KEEP is borrowed for the call.  A dry
 * run chooses and reports exactly what a real one would remove.
 */
SILO_EXTERN int silo_prune(struct silo_prune_result *result, silo *s,
	       const struct silo_oid_set *keep,
	       const struct silo_prune_options *opts);

#endif
