/*
 * A sorted set of ids: the keep list of a prune, the closure of what
 * treeptrs reach, a list read from a file (`medo reachable` output).
 */
#ifndef SILO_OID_SET_H
#define SILO_OID_SET_H

#include <stddef.h>
#include "silo/oid.h"

/* An initialised set owns its array: silo_oid_set_release() frees it. */
struct silo_oid_set {
	silo_oid *v;
	size_t n, alloc;
};

#define SILO_OID_SET_INIT { NULL, 0, 0 }

SILO_EXTERN int silo_oid_set_add(struct silo_oid_set *set, const silo_oid *id);
/* Sort and drop duplicates; needed after adding, before looking up. */
SILO_EXTERN void silo_oid_set_sort(struct silo_oid_set *set);
SILO_EXTERN int silo_oid_set_contains(const struct silo_oid_set *set, const silo_oid *id);
SILO_EXTERN void silo_oid_set_release(struct silo_oid_set *set);

/*
 * Read ids from the file at PATH ("-" is standard input), one per line or
 * NUL-terminated: each a hex id in FORMAT or a loose object path
 * "objects/xx/rest.gz" (as `medo reachable --paths` prints them), with
 * or without a leading "./".  Empty lines are skipped; anything else is
 * SILO_EINVALID naming the file and line.  The set is sorted on return.
 */
SILO_EXTERN int silo_oid_set_read(struct silo_oid_set *set, int format, const char *path);

#endif
