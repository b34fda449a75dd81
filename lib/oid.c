/* Object ids and object hashing over OpenSSL's libcrypto. */
#include "silo/oid.h"
#include "error-internal.h"
#include "hex.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
	[SILO_OBJ_COMMIT] = "commit",
	[SILO_OBJ_TREE] = "tree",
	[SILO_OBJ_BLOB] = "blob",
	[SILO_OBJ_TAG] = "tag",
};

const char *silo_object_type_name(int type)
{
	if (type < SILO_OBJ_COMMIT || type > SILO_OBJ_TAG)
		return NULL;
	return type_names[type];
}

size_t silo_oid_rawsz(int format)
{
	return format == SILO_OID_SHA1 ? 20 : format == SILO_OID_SHA256 ? 32 : 0;
}

size_t silo_oid_hexsz(int format)
{
	return 2 * silo_oid_rawsz(format);
}

const char *silo_oid_format_name(int format)
{
	return format == SILO_OID_SHA1 ? "sha1" :
	       format == SILO_OID_SHA256 ? "sha256" : NULL;
}

int silo_oid_format_from_name(const char *name)
{
	if (!strcmp(name, "sha1"))
		return SILO_OID_SHA1;
	if (!strcmp(name, "sha256"))
		return SILO_OID_SHA256;
	return 0;
}

int silo_oid_from_hex(silo_oid *out, int format, const char *hex)
{
	size_t rawsz = silo_oid_rawsz(format);
	size_t i;

	if (!rawsz)
		return silo__error_set(SILO_EINVALID, "unknown object format %d", format);
	if (strlen(hex) != 2 * rawsz)
		return silo__error_set(SILO_EINVALID,
			"'%.80s' is not a %s object id: expected %zu hex digits",
			hex, silo_oid_format_name(format), 2 * rawsz);
	memset(out, 0, sizeof(*out));
	out->format = (unsigned char)format;
	for (i = 0; i < rawsz; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return silo__error_set(SILO_EINVALID,
				"'%.80s' is not a %s object id: expected hex digits only",
				hex, silo_oid_format_name(format));
		out->hash[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int silo_oid_from_hex_any(silo_oid *out, const char *hex)
{
	size_t len = strlen(hex);

	if (len == silo_oid_hexsz(SILO_OID_SHA256))
		return silo_oid_from_hex(out, SILO_OID_SHA256, hex);
	if (len == silo_oid_hexsz(SILO_OID_SHA1))
		return silo_oid_from_hex(out, SILO_OID_SHA1, hex);
	return silo__error_set(SILO_EINVALID,
		"'%.80s' is not an object id: expected 40 or 64 hex digits", hex);
}

char *silo_oid_to_hex(char out[SILO_OID_MAX_HEXSZ + 1], const silo_oid *id)
{
	static const char digits[] = "0123456789abcdef";
	size_t rawsz = silo_oid_rawsz(id->format), i;

	for (i = 0; i < rawsz; i++) {
		out[2 * i] = digits[id->hash[i] >> 4];
		out[2 * i + 1] = digits[id->hash[i] & 15];
	}
	out[2 * rawsz] = '\0';
	return out;
}

void silo_oid_from_raw(silo_oid *out, int format, const unsigned char *raw)
{
	memset(out, 0, sizeof(*out));
	out->format = (unsigned char)format;
	memcpy(out->hash, raw, silo_oid_rawsz(format));
}

int silo_oid_cmp(const silo_oid *a, const silo_oid *b)
{
	if (a->format != b->format)
		return a->format < b->format ? -1 : 1;
	return memcmp(a->hash, b->hash, silo_oid_rawsz(a->format));
}

int silo_oid_equal(const silo_oid *a, const silo_oid *b)
{
	return !silo_oid_cmp(a, b);
}

/*
 * Fetching a digest implementation is costly in OpenSSL 3, and a silo
 * hashes many small objects, so each algorithm is fetched once.
 */
static EVP_MD *md_sha1, *md_sha256;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void fetch_digests(void)
{
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

struct silo_hasher {
	int format;
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
};

int silo_hasher_new(silo_hasher **out, int format)
{
	silo_hasher *h;

	*out = NULL;
	if (!silo_oid_rawsz(format))
		return silo__error_set(SILO_EINVALID, "unknown object format %d", format);
	pthread_once(&md_once, fetch_digests);
	h = calloc(1, sizeof(*h));
	if (!h)
		return silo__error_oom();
	h->format = format;
	h->md = format == SILO_OID_SHA1 ? md_sha1 : md_sha256;
	h->ctx = EVP_MD_CTX_new();
	if (!h->md || !h->ctx) {
		silo_hasher_free(h);
		return silo__error_set(SILO_ERROR, "cannot set up %s hashing in libcrypto",
				       silo_oid_format_name(format));
	}
	*out = h;
	return 0;
}

int silo_hasher_begin_raw(silo_hasher *h)
{
	if (EVP_DigestInit_ex(h->ctx, h->md, NULL) != 1)
		return silo__error_set(SILO_ERROR, "libcrypto: cannot start digest");
	return 0;
}

int silo_hasher_begin(silo_hasher *h, int type, uint64_t size)
{
	char header[64];
	const char *name = silo_object_type_name(type);
	int n;

	if (!name)
		return silo__error_set(SILO_EINVALID, "unknown object type %d", type);
	n = snprintf(header, sizeof(header), "%s %" PRIu64, name, size);
	if (silo_hasher_begin_raw(h) < 0)
		return SILO_ERROR;
	/* The header includes its terminating NUL. */
	return silo_hasher_update(h, header, (size_t)n + 1);
}

int silo_hasher_update(silo_hasher *h, const void *data, size_t len)
{
	if (len && EVP_DigestUpdate(h->ctx, data, len) != 1)
		return silo__error_set(SILO_ERROR, "libcrypto: digest update failed");
	return 0;
}

int silo_hasher_final(silo_oid *out, silo_hasher *h)
{
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(h->ctx, raw, &len) != 1 ||
	    len != silo_oid_rawsz(h->format))
		return silo__error_set(SILO_ERROR, "libcrypto: digest final failed");
	silo_oid_from_raw(out, h->format, raw);
	return 0;
}

void silo_hasher_free(silo_hasher *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int silo_oid_hash_buffer(silo_oid *out, int format, int type,
			 const void *data, size_t len)
{
	silo_hasher *h;
	int ret;

	if ((ret = silo_hasher_new(&h, format)) < 0)
		return ret;
	if ((ret = silo_hasher_begin(h, type, len)) >= 0 &&
	    (ret = silo_hasher_update(h, data, len)) >= 0)
		ret = silo_hasher_final(out, h);
	silo_hasher_free(h);
	return ret;
}
