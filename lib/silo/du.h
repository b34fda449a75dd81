/*
 * The size of a silo: what `du --si -s` would say, by kind of file, and
 * what a garbage collection could take back.
 *
 *	struct silo_du du;
 *	silo_du(&du, s, &keep, expire);		(KEEP may be NULL)
 *
 * What a garbage collection could free is what silo_prune() chooses, by
 * the very same function, in a dry run: the numbers are those a prune
 * with the same keep list and grace period would report.
 */
#ifndef SILO_DU_H
#define SILO_DU_H

#include "silo/common.h"

#include <stdint.h>
#include <time.h>
#include "silo/oid-set.h"
#include "silo/store.h"

struct silo_du {
	uint64_t loose_objects, loose_bytes;	/* objects/xx/rest.gz files */
	uint64_t packs, packed_objects, pack_bytes;	/* .pack and .idx files */
	uint64_t temp_files, temp_bytes;	/* writers' temporary files */
	uint64_t total_bytes;			/* all of the above */
	/* With a keep list: the objects not in its closure (silo/closure.h),
	 * and the bytes they take (loose files, and packed entries as
	 * stored), whatever their age... */
	uint64_t unreferenced_objects, unreferenced_bytes;
	/* ...and what silo_prune() with that list and EXPIRE removes: the
	 * unreferenced objects older than EXPIRE (but those of packs too
	 * young to rewrite), the old temporary files, and their bytes. */
	uint64_t prunable_objects, prunable_temp_files, prunable_bytes;
};

/* Measure S into OUT; KEEP, if not NULL, gives the unreferenced and
 * prunable counts, EXPIRE as in struct silo_prune_options. */
SILO_EXTERN int silo_du(struct silo_du *out, silo *s, const struct silo_oid_set *keep, time_t expire);

#endif
