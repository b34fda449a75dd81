/*
 * Ids given by a person: the whole id, or a prefix of it that names one
 * object of the silo, as git accepts abbreviated ids.
 *
 *	silo_oid id;
 *	silo_resolve_id(&id, s, "1e79d5a");
 */
#ifndef SILO_OID_PREFIX_H
#define SILO_OID_PREFIX_H

#include "silo/common.h"

#include "silo/oid.h"

#include "silo/store.h"

/* The fewest hex digits a prefix may have. */
#define SILO_OID_MIN_PREFIX 7

/*
 * Set *out to the id HEX names in S: a whole id (whether or not S holds
 * it), or a prefix of at least SILO_OID_MIN_PREFIX hex digits of the id
 * of exactly one object, loose or packed.  A prefix no object has is
 * SILO_ENOTFOUND; one that several objects have, one too short, or
 * anything but hex digits is SILO_EINVALID, with a message that says so
 * (naming the candidates when ambiguous).  A silo read over HTTP cannot
 * be listed: there, only whole ids are accepted.
 */
SILO_EXTERN int silo_resolve_id(silo_oid *out, silo *s, const char *hex);

#endif
