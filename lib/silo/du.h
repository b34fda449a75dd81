/*
 * The size of a silo: what `du --si -s` would say, by kind of file, and
 * what a garbage collection could take back.
 *
 *	struct silo_du du;
 *	silo_du(&du, s, &keep);		(KEEP may be NULL)
 */
#ifndef SILO_DU_H
#define SILO_DU_H

#include <stdint.h>
#include "silo/prune.h"
#include "silo/store.h"

struct silo_du {
	uint64_t loose_objects, loose_bytes;	/* objects/xx/rest.gz files */
	uint64_t packs, packed_objects, pack_bytes;	/* .pack and .idx files */
	uint64_t temp_files, temp_bytes;	/* writers' temporary files */
	uint64_t total_bytes;			/* all of the above */
	/* With a keep list: the objects not in it, and the bytes they take
	 * (loose files, and packed entries as stored), whatever their age. */
	uint64_t unreferenced_objects, unreferenced_bytes;
};

/* Measure S into OUT; KEEP, if not NULL, gives the unreferenced counts. */
int silo_du(struct silo_du *out, silo *s, const struct silo_oid_set *keep);

#endif
