/*
 * Object ids: git's blob ids, in SHA-1 or SHA-256.
 *
 * An id carries its format, so that it can be printed and compared alone.
 * A silo uses one format for all its objects.
 */
#ifndef SILO_OID_H
#define SILO_OID_H

#include "silo/common.h"

#include <stddef.h>
#include <stdint.h>

enum silo_oid_format {
	SILO_OID_SHA1 = 1,
	SILO_OID_SHA256 = 2
};

#define SILO_OID_MAX_RAWSZ 32
#define SILO_OID_MAX_HEXSZ 64

typedef struct silo_oid {
	unsigned char format;	/* enum silo_oid_format */
	unsigned char hash[SILO_OID_MAX_RAWSZ];
} silo_oid;

/* Git object types, numbered as in git's pack format. */
enum silo_object_type {
	SILO_OBJ_NONE = 0,
	SILO_OBJ_COMMIT = 1,
	SILO_OBJ_TREE = 2,
	SILO_OBJ_BLOB = 3,
	SILO_OBJ_TAG = 4
};

/* "blob", "tree", ... (static strings); NULL for an unknown type. */
SILO_EXTERN const char *silo_object_type_name(int type);

/* Raw and hex lengths of an id in FORMAT; 0 for an unknown format. */
SILO_EXTERN size_t silo_oid_rawsz(int format);
SILO_EXTERN size_t silo_oid_hexsz(int format);

/* "sha1" or "sha256" (static strings); NULL for an unknown format. */
SILO_EXTERN const char *silo_oid_format_name(int format);

/* The format named NAME, or 0 when NAME is not one. */
SILO_EXTERN int silo_oid_format_from_name(const char *name);

/*
 * Parse exactly silo_oid_hexsz(format) lowercase or uppercase hex digits.
 * Returns SILO_EINVALID (with a message naming HEX) on anything else.
 */
SILO_EXTERN int silo_oid_from_hex(silo_oid *out, int format, const char *hex);

/* As silo_oid_from_hex, but the format is told by the length of HEX. */
SILO_EXTERN int silo_oid_from_hex_any(silo_oid *out, const char *hex);

/* Write the lowercase hex of ID and a NUL into OUT; returns OUT. */
SILO_EXTERN char *silo_oid_to_hex(char out[SILO_OID_MAX_HEXSZ + 1], const silo_oid *id);

/* Set *out to the id built from RAW, which holds silo_oid_rawsz(format) bytes. */
SILO_EXTERN void silo_oid_from_raw(silo_oid *out, int format, const unsigned char *raw);

SILO_EXTERN int silo_oid_cmp(const silo_oid *a, const silo_oid *b);
SILO_EXTERN int silo_oid_equal(const silo_oid *a, const silo_oid *b);

/*
 * Incremental hashing of a git object: the header "<type> <size>\0" and
 * then exactly SIZE bytes of content.
 */
typedef struct silo_hasher silo_hasher;

/* On success *out is a new hasher owned by the caller; free with silo_hasher_free(). */
SILO_EXTERN int silo_hasher_new(silo_hasher **out, int format);
/* Start an object; the hasher may be reused for object after object. */
SILO_EXTERN int silo_hasher_begin(silo_hasher *h, int type, uint64_t size);
/* Start a plain digest with no object header (pack and index checksums). */
SILO_EXTERN int silo_hasher_begin_raw(silo_hasher *h);
SILO_EXTERN int silo_hasher_update(silo_hasher *h, const void *data, size_t len);
SILO_EXTERN int silo_hasher_final(silo_oid *out, silo_hasher *h);
SILO_EXTERN void silo_hasher_free(silo_hasher *h);

/* The id of an object held whole in memory. */
SILO_EXTERN int silo_oid_hash_buffer(silo_oid *out, int format, int type,
			 const void *data, size_t len);

#endif
