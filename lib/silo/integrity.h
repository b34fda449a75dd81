/*
 * Subresource Integrity strings (https://www.w3.org/TR/SRI/), as npm and
 * HTML publish them, for pinning what medo adds:
 *
 *	sha512-<the 64-byte digest in base64: 88 characters>
 *
 * A string holds one or more hashes separated by white space, each
 * "<algorithm>-<base64 digest>", optionally followed by "?<options>"
 * (ignored).  The algorithms are sha256, sha384 and sha512.  As SRI says,
 * only the strongest algorithm present counts, and data matches when its
 * digest equals any of that algorithm's values.  Unlike a browser, which
 * ignores what it cannot read, a pin that names another algorithm or
 * whose digest has the wrong length is refused as malformed.
 */
#ifndef SILO_INTEGRITY_H
#define SILO_INTEGRITY_H

#include "silo/common.h"

#include <stddef.h>

/* 0 if TEXT is a well-formed integrity string; else SILO_EINVALID with a
 * message saying what is wrong. */
SILO_EXTERN int silo_integrity_check_syntax(const char *text);

/*
 * Digests of data as it streams past, for checking against an integrity
 * string and for the sha256 that medo records.
 *
 *	silo_integrity_hasher *h;
 *	silo_integrity_hasher_new(&h, sri);	SRI may be NULL: sha256 only
 *	silo_integrity_hasher_update(h, buf, len);	... for every piece
 *	silo_integrity_hasher_finish(h, sha256_hex, "file.tar.gz");
 *	silo_integrity_hasher_free(h);
 */
typedef struct silo_integrity_hasher silo_integrity_hasher;

SILO_EXTERN int silo_integrity_hasher_new(silo_integrity_hasher **out, const char *sri);
SILO_EXTERN int silo_integrity_hasher_update(silo_integrity_hasher *h, const void *data, size_t len);

/*
 * End the digests: the sha256 in hex goes to SHA256_HEX.  If the hasher
 * has an integrity string and the data does not match it, SILO_ECORRUPT
 * with a message naming NAME and the digest found.
 */
SILO_EXTERN int silo_integrity_hasher_finish(silo_integrity_hasher *h, char sha256_hex[65],
				 const char *name);

SILO_EXTERN void silo_integrity_hasher_free(silo_integrity_hasher *h);	/* NULL is allowed */

#endif
