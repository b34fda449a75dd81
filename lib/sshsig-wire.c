/*
 * SSH wire data and the SSHSIG armor: every read is checked against
 * what is left, so that a truncated or hostile signature is an error and
 * never a read out of bounds.
 */
#include "sshsig-internal.h"
#include "error-internal.h"

#include <stdlib.h>
#include <string.h>

#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define ARMOR_END "-----END SSH SIGNATURE-----"
#define SSHSIG_MAGIC "SSHSIG"
#define SSHSIG_VERSION 1

int sshsig_get_u32(struct sshsig_buf *b, uint32_t *v)
{
	if (b->len < 4)
		return -1;
	*v = (uint32_t)b->p[0] << 24 | (uint32_t)b->p[1] << 16 |
	     (uint32_t)b->p[2] << 8 | (uint32_t)b->p[3];
	b->p += 4;
	b->len -= 4;
	return 0;
}

int sshsig_get_u8(struct sshsig_buf *b, unsigned char *v)
{
	if (b->len < 1)
		return -1;
	*v = b->p[0];
	b->p++;
	b->len--;
	return 0;
}

int sshsig_get_string(struct sshsig_buf *b, struct sshsig_buf *out)
{
	struct sshsig_buf rest = *b;
	uint32_t n;

	if (sshsig_get_u32(&rest, &n) < 0 || n > rest.len)
		return -1;
	out->p = rest.p;
	out->len = n;
	b->p = rest.p + n;
	b->len = rest.len - n;
	return 0;
}

int sshsig_get_mpint(struct sshsig_buf *b, struct sshsig_buf *out)
{
	struct sshsig_buf rest = *b, m;

	if (sshsig_get_string(&rest, &m) < 0)
		return -1;
	if (m.len && (m.p[0] & 0x80))
		return -2;
	while (m.len && m.p[0] == 0) {
		m.p++;
		m.len--;
	}
	*out = m;
	*b = rest;
	return 0;
}

int sshsig_buf_eq(const struct sshsig_buf *s, const char *c)
{
	size_t n = strlen(c);

	return s->len == n && (n == 0 || memcmp(s->p, c, n) == 0);
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int sshsig_base64_decode(unsigned char **out, size_t *out_len, const char *in, size_t len)
{
	unsigned char *buf = malloc(len / 4 * 3 + 3);
	uint32_t acc = 0;
	size_t i, n = 0, bits = 0, pad = 0;

	*out = NULL;
	*out_len = 0;
	if (!buf)
		return silo__error_oom();
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int v;

		if (is_space(c))
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || (v = b64_value(c)) < 0)
			goto bad;	/* data after padding, or not base64 */
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* 6 or more bits left over is a lone character; padding must make
	 * up exactly the missing characters; unused bits must be zero. */
	if (bits >= 6 || acc != 0 || (pad && pad != (bits == 4 ? 2u : bits == 2 ? 1u : 0u)))
		goto bad;
	*out = buf;
	*out_len = n;
	return 0;
bad:
	free(buf);
	return -1;
}

void sshsig_base64_encode_nopad(char *out, const unsigned char *in, size_t len)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	size_t i, bits = 0;

	for (i = 0; i < len; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			*out++ = digits[(acc >> bits) & 63];
		}
	}
	if (bits)
		*out++ = digits[(acc << (6 - bits)) & 63];
	*out = '\0';
}

/* Where NEEDLE starts in the LEN bytes of HAY, or NULL. */
static const char *find(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (hay[i] == needle[0] && !memcmp(hay + i, needle, n))
			return hay + i;
	return NULL;
}

static int malformed(const char *name, const char *what)
{
	return silo__error_set(SILO_EINVALID, "malformed signature '%s': %s", name, what);
}

int sshsig_blob_parse(struct sshsig_blob *out, const char *text, size_t len, const char *name)
{
	size_t begin_len = strlen(ARMOR_BEGIN), i;
	const char *body, *end;
	struct sshsig_buf b;
	uint32_t version;
	int ret;
	const struct {
		struct sshsig_buf *field;
		const char *what;
	} fields[] = {
		{ &out->pubkey, "public key" },
		{ &out->namespace, "namespace" },
		{ &out->reserved, "reserved field" },
		{ &out->hashalg, "hash algorithm" },
		{ &out->signature, "signature" },
	};

	memset(out, 0, sizeof(*out));
	/* Whitespace may come before the armor, nothing else. */
	for (i = 0; i < len && is_space((unsigned char)text[i]); i++)
		;
	if (len - i < begin_len || memcmp(text + i, ARMOR_BEGIN, begin_len))
		return malformed(name, "no '" ARMOR_BEGIN "' line");
	body = text + i + begin_len;
	if (!(end = find(body, len - (size_t)(body - text), ARMOR_END)))
		return malformed(name, "no '" ARMOR_END "' line");
	for (i = (size_t)(end - text) + strlen(ARMOR_END); i < len; i++)
		if (!is_space((unsigned char)text[i]))
			return malformed(name, "text after the '" ARMOR_END "' line");
	ret = sshsig_base64_decode(&out->raw, &out->raw_len, body, (size_t)(end - body));
	if (ret == SILO_ENOMEM)
		return ret;
	if (ret < 0)
		return malformed(name, "bad base64");
	b.p = out->raw;
	b.len = out->raw_len;
	if (b.len < 6 || memcmp(b.p, SSHSIG_MAGIC, 6)) {
		ret = malformed(name, "no 'SSHSIG' magic");
		goto fail;
	}
	b.p += 6;
	b.len -= 6;
	if (sshsig_get_u32(&b, &version) < 0) {
		ret = malformed(name, "truncated before the version");
		goto fail;
	}
	if (version != SSHSIG_VERSION) {
		ret = silo__error_set(SILO_EINVALID,
			"malformed signature '%s': version %u, expected %d", name,
			(unsigned)version, SSHSIG_VERSION);
		goto fail;
	}
	for (i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		if (sshsig_get_string(&b, fields[i].field) < 0) {
			ret = silo__error_set(SILO_EINVALID, "malformed signature '%s': truncated %s",
					      name, fields[i].what);
			goto fail;
		}
	if (b.len) {
		ret = malformed(name, "data after the signature");
		goto fail;
	}
	if (!out->namespace.len || memchr(out->namespace.p, '\0', out->namespace.len)) {
		ret = malformed(name, "empty namespace or one holding a NUL");
		goto fail;
	}
	return 0;
fail:
	sshsig_blob_release(out);
	return ret;
}

void sshsig_blob_release(struct sshsig_blob *b)
{
	free(b->raw);
	memset(b, 0, sizeof(*b));
}
