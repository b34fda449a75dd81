/*
 * Unit tests of the SSHSIG parser on truncated and hostile input: every
 * prefix of a good signature, every byte flipped, lengths pointing past
 * the end, odd base64, hostile allowed signers lines.  None may be taken
 * as good, none may read out of bounds (run under ASan: make test
 * SANITIZE=1).  Prints TAP.
 */
#include "tap.h"
#include "sshsig-internal.h"
#include "silo/sshsig.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	unsigned char d[4096];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > sizeof(b->d))
		abort();
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void put_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };
	put(b, x, 4);
}

static void put_str(struct buf *b, const void *p, size_t n)
{
	put_u32(b, (uint32_t)n);
	put(b, p, n);
}

static void put_cstr(struct buf *b, const char *s)
{
	put_str(b, s, strlen(s));
}

/* The armored form of the LEN bytes of RAW, in OUT. */
static size_t armor(char *out, const unsigned char *raw, size_t len)
{
	size_t n = 0;

	n += (size_t)sprintf(out, "-----BEGIN SSH SIGNATURE-----\n");
	n += (size_t)EVP_EncodeBlock((unsigned char *)out + n, raw, (int)len);
	n += (size_t)sprintf(out + n, "\n-----END SSH SIGNATURE-----\n");
	return n;
}

static const char data[] = "{ \"a\": 1 }\n";
static struct buf pubkey, blob;
static char allowed_line[256];
static struct silo_sshsig_signers *signers;

/* A good ed25519 signature of DATA in namespace NS, made here. */
static void make_signature(const char *ns)
{
	unsigned char pk[32], md[64], sig[64];
	size_t pk_len = sizeof(pk), sig_len = sizeof(sig);
	unsigned int md_len;
	struct buf msg = { { 0 }, 0 }, sigblob = { { 0 }, 0 };
	EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char b64[128];

	if (!kctx || EVP_PKEY_keygen_init(kctx) != 1 || EVP_PKEY_keygen(kctx, &key) != 1 ||
	    EVP_PKEY_get_raw_public_key(key, pk, &pk_len) != 1 || !ctx)
		abort();
	pubkey.n = 0;
	put_cstr(&pubkey, "ssh-ed25519");
	put_str(&pubkey, pk, pk_len);
	EVP_Digest(data, strlen(data), md, &md_len, EVP_sha512(), NULL);
	put(&msg, "SSHSIG", 6);
	put_cstr(&msg, ns);
	put_cstr(&msg, "");
	put_cstr(&msg, "sha512");
	put_str(&msg, md, md_len);
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &sig_len, msg.d, msg.n) != 1)
		abort();
	put_cstr(&sigblob, "ssh-ed25519");
	put_str(&sigblob, sig, sig_len);
	blob.n = 0;
	put(&blob, "SSHSIG", 6);
	put_u32(&blob, 1);
	put_str(&blob, pubkey.d, pubkey.n);
	put_cstr(&blob, ns);
	put_cstr(&blob, "");
	put_cstr(&blob, "sha512");
	put_str(&blob, sigblob.d, sigblob.n);
	EVP_EncodeBlock((unsigned char *)b64, pubkey.d, (int)pubkey.n);
	snprintf(allowed_line, sizeof(allowed_line), "me@example.org ssh-ed25519 %s\n", b64);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(kctx);
}

static int verify_raw(const unsigned char *raw, size_t len)
{
	static char text[8192];
	size_t n = armor(text, raw, len);

	return silo_sshsig_verify(NULL, signers, "medo", data, strlen(data), "x.treeptr",
				  text, n, "x.treeptr.sig");
}

static void test_good_and_truncated(void)
{
	char *principal = NULL, text[8192];
	size_t n = armor(text, blob.d, blob.n), i;
	int all_invalid = 1, ret;

	ret = silo_sshsig_verify(&principal, signers, "medo", data, strlen(data), "x.treeptr",
				 text, n, "x.treeptr.sig");
	is_int(ret, 0, "a good signature is good");
	is_str(principal ? principal : "", "me@example.org", "with the principal of its line");
	free(principal);
	is_int(silo_sshsig_verify(NULL, signers, "medo", "x", 1, "x.treeptr", text, n,
				  "x.treeptr.sig"),
	       SILO_EDIFFERS, "other data is a bad signature");
	for (i = 0; i < blob.n; i++)
		if (verify_raw(blob.d, i) != SILO_EINVALID) {
			all_invalid = 0;
			printf("# prefix of %zu bytes: %s\n", i, silo_error_message());
		}
	ok(all_invalid, "every proper prefix of the blob is malformed");
	/* All but the final newline, which is not needed. */
	for (i = 0; i + 1 < n; i++)
		if (silo_sshsig_verify(NULL, signers, "medo", data, strlen(data), "x.treeptr",
				       text, i, "x.treeptr.sig") >= 0) {
			all_invalid = 0;
			printf("# prefix of %zu characters passed\n", i);
		}
	ok(all_invalid, "no prefix of the armored text passes");
}

static void test_flipped(void)
{
	unsigned char copy[sizeof(blob.d)];
	size_t i;
	int bit, none_pass = 1;

	for (i = 0; i < blob.n; i++)
		for (bit = 0; bit < 8; bit += 3) {
			memcpy(copy, blob.d, blob.n);
			copy[i] ^= (unsigned char)(1u << bit);
			if (verify_raw(copy, blob.n) >= 0) {
				none_pass = 0;
				printf("# flip of bit %d of byte %zu passed\n", bit, i);
			}
		}
	ok(none_pass, "no flipped bit passes");
}

static void test_hostile_lengths(void)
{
	struct buf b = { { 0 }, 0 };
	int ret;

	put(&b, "SSHSIG", 6);
	put_u32(&b, 1);
	put_u32(&b, 0xffffffffu);	/* a public key "longer" than everything */
	put(&b, "abc", 3);
	ret = verify_raw(b.d, b.n);
	is_int(ret, SILO_EINVALID, "a length past the end is malformed");
	is_str(silo_error_message(),
	       "malformed signature 'x.treeptr.sig': truncated public key", "and says where");

	b.n = 0;
	put(&b, "SSHSIG", 6);
	put_u32(&b, 2);
	is_int(verify_raw(b.d, b.n), SILO_EINVALID, "version 2 is refused");
	is_str(silo_error_message(), "malformed signature 'x.treeptr.sig': version 2, expected 1",
	       "with its number");

	memcpy(b.d, blob.d, blob.n);
	b.n = blob.n;
	put(&b, "x", 1);
	is_int(verify_raw(b.d, b.n), SILO_EINVALID, "a byte after the blob is malformed");
	is_str(silo_error_message(), "malformed signature 'x.treeptr.sig': data after the signature",
	       "and named");
}

static void test_base64(void)
{
	static const struct {
		const char *in;
		const char *out;	/* NULL: malformed */
	} cases[] = {
		{ "QQ==", "A" }, { "QQ", "A" }, { "QUI=", "AB" }, { "QUJD", "ABC" },
		{ "QU\nJD\r\n", "ABC" }, { "", "" },
		{ "QQ=", NULL }, { "Q", NULL }, { "QR==", NULL }, { "QQ==QQ==", NULL },
		{ "QU*D", NULL }, { "=", NULL }, { "QUJD=", NULL },
	};
	size_t i;
	int all = 1;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		unsigned char *out;
		size_t n;
		int ret = sshsig_base64_decode(&out, &n, cases[i].in, strlen(cases[i].in));

		if (cases[i].out ? ret != 0 || n != strlen(cases[i].out) ||
				   memcmp(out, cases[i].out, n)
				 : ret != -1) {
			all = 0;
			printf("# base64 '%s': %d\n", cases[i].in, ret);
		}
		free(out);
	}
	ok(all, "base64: padding optional, exact; junk and stray bits refused");
}

static void test_mpint(void)
{
	struct buf b = { { 0 }, 0 };
	struct sshsig_buf r, m;

	put_str(&b, "\x00\x00\x80\x01", 4);
	r.p = b.d;
	r.len = b.n;
	ok(sshsig_get_mpint(&r, &m) == 0 && m.len == 2 && m.p[0] == 0x80 && r.len == 0,
	   "an mpint loses its leading zeros");
	b.n = 0;
	put_str(&b, "\x80\x01", 2);
	r.p = b.d;
	r.len = b.n;
	ok(sshsig_get_mpint(&r, &m) == -2 && r.len == b.n, "a negative mpint is refused");
	r.len = 3;
	ok(sshsig_get_mpint(&r, &m) == -1 && r.len == 3, "a truncated one too, nothing read");
}

static void test_allowed(void)
{
	static const char *const bad[] = {
		"a@b \"unterminated ssh-ed25519 AAAA\n",
		"a@b namespaces=\"x ssh-ed25519 AAAA\n",
		"a@b namespaces=\"x\",namespaces=\"y\" ssh-ed25519 AAAA\n",
		"a@b namespaces=\"x\", ssh-ed25519 AAAA\n",
		"a@b valid-before=\"2020010\" ssh-ed25519 AAAA\n",
		"a@b valid-before=\"20201301\" ssh-ed25519 AAAA\n",
		"a@b ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP////\n",
		"a@b ssh-ed25519\n",
	};
	struct silo_sshsig_signers *s;
	size_t i;
	int all = 1;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		int ret = silo_sshsig_signers_parse(&s, bad[i], strlen(bad[i]), "allowed");

		if (ret != SILO_EINVALID || s) {
			all = 0;
			printf("# accepted: %s", bad[i]);
			silo_sshsig_signers_free(s);
		}
	}
	ok(all, "hostile allowed signers lines are refused");
	ok(silo_sshsig_signers_parse(&s, "\n# c\n  \t\n", 8, "allowed") == 0 && s,
	   "blank and comment lines make an empty list");
	silo_sshsig_signers_free(s);
	ok(silo_sshsig_signers_parse(&s, "a\0b", 3, "allowed") == SILO_EINVALID,
	   "a NUL byte is refused");
}

int main(void)
{
	make_signature("medo");
	if (silo_sshsig_signers_parse(&signers, allowed_line, strlen(allowed_line), "allowed") < 0) {
		printf("Bail out! %s\n", silo_error_message());
		return 1;
	}
	test_good_and_truncated();
	test_flipped();
	test_hostile_lengths();
	test_base64();
	test_mpint();
	test_allowed();
	silo_sshsig_signers_free(signers);
	return done_testing();
}
