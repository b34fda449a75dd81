/* Subresource Integrity strings and the digests they pin (see
 * silo/integrity.h). */
#include "silo/integrity.h"
#include "error-internal.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct algo {
	const char *name;
	size_t size;		/* digest bytes */
	int strength;
} algos[] = {
	{ "sha256", 32, 1 },
	{ "sha384", 48, 2 },
	{ "sha512", 64, 3 },
};
#define N_ALGOS (sizeof(algos) / sizeof(*algos))

static const EVP_MD *algo_md(size_t i)
{
	return i == 0 ? EVP_sha256() : i == 1 ? EVP_sha384() : EVP_sha512();
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* The base64 length of N bytes, with padding. */
static size_t b64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* 1 if the LEN characters at S are the padded base64 of N bytes. */
static int b64_valid(const char *s, size_t len, size_t n)
{
	size_t pad = (3 - n % 3) % 3, i;

	if (len != b64_len(n))
		return 0;
	for (i = 0; i < len - pad; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", s[i]) ||
		    !s[i])
			return 0;
	for (; i < len; i++)
		if (s[i] != '=')
			return 0;
	return 1;
}

/*
 * Call FN for each hash of TEXT: the algorithm's index and its base64
 * value (LEN characters, not NUL-terminated).  Malformed text is
 * SILO_EINVALID.
 */
static int each_hash(const char *text,
		     int (*fn)(void *payload, size_t algo, const char *b64, size_t len),
		     void *payload)
{
	const char *p = text;
	int found = 0, ret;

	for (;;) {
		const char *tok, *dash, *value, *end;
		size_t i, n;

		while (is_space(*p))
			p++;
		if (!*p)
			break;
		tok = p;
		while (*p && !is_space(*p))
			p++;
		n = (size_t)(p - tok);
		dash = memchr(tok, '-', n);
		for (i = 0; dash && i < N_ALGOS; i++)
			if ((size_t)(dash - tok) == strlen(algos[i].name) &&
			    !strncmp(tok, algos[i].name, (size_t)(dash - tok)))
				break;
		if (!dash || i == N_ALGOS)
			return silo__error_set(SILO_EINVALID,
				"integrity '%.*s' is not <algorithm>-<base64 digest> with "
				"sha256, sha384 or sha512", (int)(n > 80 ? 80 : n), tok);
		value = dash + 1;
		end = memchr(value, '?', (size_t)(p - value));
		if (!end)
			end = p;
		if (!b64_valid(value, (size_t)(end - value), algos[i].size))
			return silo__error_set(SILO_EINVALID,
				"integrity '%.*s': a %s digest is %zu bytes, %zu characters of base64",
				(int)(n > 100 ? 100 : n), tok, algos[i].name, algos[i].size,
				b64_len(algos[i].size));
		if (fn && (ret = fn(payload, i, value, (size_t)(end - value))) < 0)
			return ret;
		found = 1;
	}
	if (!found)
		return silo__error_set(SILO_EINVALID, "integrity string is empty");
	return 0;
}

int silo_integrity_check_syntax(const char *text)
{
	return each_hash(text, NULL, NULL);
}

/* ---- hashing ---- */

struct silo_integrity_hasher {
	EVP_MD_CTX *ctx[N_ALGOS];	/* sha256 always; the others as needed */
	char *sri;
	int strongest;			/* index into algos, or -1 */
};

static int note_algo(void *payload, size_t algo, const char *b64, size_t len)
{
	silo_integrity_hasher *h = payload;

	(void)b64;
	(void)len;
	if (h->strongest < 0 || algos[algo].strength > algos[h->strongest].strength)
		h->strongest = (int)algo;
	return 0;
}

int silo_integrity_hasher_new(silo_integrity_hasher **out, const char *sri)
{
	silo_integrity_hasher *h = calloc(1, sizeof(*h));
	size_t i;
	int ret;

	*out = NULL;
	if (!h)
		return silo__error_oom();
	h->strongest = -1;
	if (sri && (!(h->sri = strdup(sri)) || (ret = each_hash(sri, note_algo, h)) < 0)) {
		ret = h->sri ? ret : silo__error_oom();
		silo_integrity_hasher_free(h);
		return ret;
	}
	for (i = 0; i < N_ALGOS; i++) {
		if (i != 0 && (int)i != h->strongest)
			continue;
		if (!(h->ctx[i] = EVP_MD_CTX_new()) ||
		    !EVP_DigestInit_ex(h->ctx[i], algo_md(i), NULL)) {
			silo_integrity_hasher_free(h);
			return silo__error_set(SILO_ERROR, "libcrypto: cannot start %s", algos[i].name);
		}
	}
	*out = h;
	return 0;
}

int silo_integrity_hasher_update(silo_integrity_hasher *h, const void *data, size_t len)
{
	size_t i;

	for (i = 0; i < N_ALGOS; i++)
		if (h->ctx[i] && !EVP_DigestUpdate(h->ctx[i], data, len))
			return silo__error_set(SILO_ERROR, "libcrypto: %s failed", algos[i].name);
	return 0;
}

struct match {
	size_t algo;
	const char *b64;	/* the digest found, base64 */
	int matched;
};

static int match_one(void *payload, size_t algo, const char *b64, size_t len)
{
	struct match *m = payload;

	if (algo == m->algo && strlen(m->b64) == len && !memcmp(m->b64, b64, len))
		m->matched = 1;
	return 0;
}

int silo_integrity_hasher_finish(silo_integrity_hasher *h, char sha256_hex[65],
				 const char *name)
{
	unsigned char md[N_ALGOS][EVP_MAX_MD_SIZE];
	unsigned mdlen[N_ALGOS] = { 0 };
	char b64[4 * EVP_MAX_MD_SIZE / 3 + 4];
	struct match m;
	size_t i;

	for (i = 0; i < N_ALGOS; i++)
		if (h->ctx[i] && !EVP_DigestFinal_ex(h->ctx[i], md[i], &mdlen[i]))
			return silo__error_set(SILO_ERROR, "libcrypto: %s failed", algos[i].name);
	for (i = 0; i < mdlen[0]; i++)
		snprintf(sha256_hex + 2 * i, 3, "%02x", md[0][i]);
	if (h->strongest < 0)
		return 0;
	EVP_EncodeBlock((unsigned char *)b64, md[h->strongest], (int)mdlen[h->strongest]);
	m.algo = (size_t)h->strongest;
	m.b64 = b64;
	m.matched = 0;
	each_hash(h->sri, match_one, &m);
	if (!m.matched)
		return silo__error_set(SILO_ECORRUPT,
			"'%s' has integrity %s-%s, not the expected '%s': nothing stored",
			name, algos[h->strongest].name, b64, h->sri);
	return 0;
}

void silo_integrity_hasher_free(silo_integrity_hasher *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < N_ALGOS; i++)
		EVP_MD_CTX_free(h->ctx[i]);
	free(h->sri);
	free(h);
}
