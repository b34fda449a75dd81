/*
 * Unit tests of the SSHSIG parser on truncated and hostile input: every
 * prefix of a good signature, every byte flipped, lengths pointing past
 * the end, odd base64, hostile allowed signers lines.  None may be taken
 * as good, none may read out of bounds (run under ASan: make test
 * SANITIZE=1).  Prints TAP.
 */
#include "tap.h"
#include "scratch.h"
#include "sshsig-internal.h"
#include "silo/sshsig.h"

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
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

static const char text_data[] = "{ \"a\": 1 }\n";
static struct buf good_blob;
static char allowed_line[1024];
static struct silo_sshsig_signers *signers;

/* An mpint of the magnitude in the LEN bytes of P. */
static void put_mpint(struct buf *b, const unsigned char *p, size_t len)
{
	while (len && !*p) {
		p++;
		len--;
	}
	if (len && (*p & 0x80)) {
		put_u32(b, (uint32_t)len + 1);
		put(b, "", 1);
		put(b, p, len);
	} else {
		put_str(b, p, len);
	}
}

/* What kind of key signs: a plain Ed25519 key, or FIDO keys. */
enum kind { ED25519, SK_ED25519, SK_ECDSA };

static const char *const type_names[] = {
	"ssh-ed25519", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"
};

/* Sign the LEN bytes of MSG with KEY into SIG as SSH puts it (Ed25519:
 * 64 bytes; ECDSA: mpint r, mpint s). */
static void raw_sign(struct buf *sig, EVP_PKEY *key, int ec, const unsigned char *msg,
		     size_t len)
{
	unsigned char out[256];
	const unsigned char *p = out;
	size_t out_len = sizeof(out);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ECDSA_SIG *es;
	unsigned char r[80], sv[80];
	int rn, sn;

	if (!ctx || EVP_DigestSignInit(ctx, NULL, ec ? EVP_sha256() : NULL, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, out, &out_len, msg, len) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
	if (!ec) {
		put(sig, out, out_len);
		return;
	}
	if (!(es = d2i_ECDSA_SIG(NULL, &p, (long)out_len)))
		abort();
	rn = BN_bn2bin(ECDSA_SIG_get0_r(es), r);
	sn = BN_bn2bin(ECDSA_SIG_get0_s(es), sv);
	put_mpint(sig, r, (size_t)rn);
	put_mpint(sig, sv, (size_t)sn);
	ECDSA_SIG_free(es);
}

/*
 * A good signature of the LEN bytes of DATA in namespace NS, made here
 * with a new key of KIND, into BLOB; LINE gets the allowed signers line
 * of PRINCIPAL for the key.  FIDO signatures are made as an
 * authenticator makes them (PROTOCOL.u2f), with flags FLAGS.
 */
static void make_sshsig(struct buf *blob, char *line, size_t line_size, enum kind kind,
			const char *ns, const void *data, size_t len, const char *principal,
			unsigned char flags)
{
	static const char app[] = "ssh:";
	unsigned char pk[133], md[64], apphash[32], fido[69];
	size_t pk_len = sizeof(pk);
	unsigned int md_len;
	struct buf msg = { { 0 }, 0 }, pub = { { 0 }, 0 }, inner = { { 0 }, 0 },
		   sigblob = { { 0 }, 0 };
	EVP_PKEY_CTX *kctx = kind == SK_ECDSA ? EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL)
					      : EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *key = NULL;
	const char *type = type_names[kind];
	char b64[512];

	if (!kctx || EVP_PKEY_keygen_init(kctx) != 1 ||
	    (kind == SK_ECDSA && EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kctx, NID_X9_62_prime256v1) != 1) ||
	    EVP_PKEY_keygen(kctx, &key) != 1)
		abort();
	put_cstr(&pub, type);
	if (kind == SK_ECDSA) {
		unsigned char *point = NULL;
		pk_len = EVP_PKEY_get1_encoded_public_key(key, &point);
		put_cstr(&pub, "nistp256");
		put_str(&pub, point, pk_len);
		OPENSSL_free(point);
	} else {
		if (EVP_PKEY_get_raw_public_key(key, pk, &pk_len) != 1)
			abort();
		put_str(&pub, pk, pk_len);
	}
	if (kind != ED25519)
		put_cstr(&pub, app);
	EVP_Digest(data, len, md, &md_len, EVP_sha512(), NULL);
	put(&msg, "SSHSIG", 6);
	put_cstr(&msg, ns);
	put_cstr(&msg, "");
	put_cstr(&msg, "sha512");
	put_str(&msg, md, md_len);
	put_cstr(&sigblob, type);
	if (kind == ED25519) {
		raw_sign(&inner, key, 0, msg.d, msg.n);
	} else {
		EVP_Digest(app, strlen(app), apphash, &md_len, EVP_sha256(), NULL);
		memcpy(fido, apphash, 32);
		fido[32] = flags;
		memcpy(fido + 33, "\0\0\0\7", 4);	/* the counter */
		EVP_Digest(msg.d, msg.n, fido + 37, &md_len, EVP_sha256(), NULL);
		raw_sign(&inner, key, kind == SK_ECDSA, fido, sizeof(fido));
	}
	put_str(&sigblob, inner.d, inner.n);
	if (kind != ED25519) {
		put(&sigblob, &flags, 1);
		put_u32(&sigblob, 7);
	}
	blob->n = 0;
	put(blob, "SSHSIG", 6);
	put_u32(blob, 1);
	put_str(blob, pub.d, pub.n);
	put_cstr(blob, ns);
	put_cstr(blob, "");
	put_cstr(blob, "sha512");
	put_str(blob, sigblob.d, sigblob.n);
	EVP_EncodeBlock((unsigned char *)b64, pub.d, (int)pub.n);
	snprintf(line, line_size, "%s %s %s\n", principal, type, b64);
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(kctx);
}

static int verify_raw(const unsigned char *raw, size_t len)
{
	static char text[8192];
	size_t n = armor(text, raw, len);

	return silo_sshsig_verify(NULL, signers, "medo", text_data, strlen(text_data), "x.treeptr",
				  text, n, "x.treeptr.sig");
}

static void test_good_and_truncated(void)
{
	char *principal = NULL, text[8192];
	size_t n = armor(text, good_blob.d, good_blob.n), i;
	int all_invalid = 1, ret;

	ret = silo_sshsig_verify(&principal, signers, "medo", text_data, strlen(text_data), "x.treeptr",
				 text, n, "x.treeptr.sig");
	is_int(ret, 0, "a good signature is good");
	is_str(principal ? principal : "", "me@example.org", "with the principal of its line");
	free(principal);
	is_int(silo_sshsig_verify(NULL, signers, "medo", "x", 1, "x.treeptr", text, n,
				  "x.treeptr.sig"),
	       SILO_EDIFFERS, "other data is a bad signature");
	for (i = 0; i < good_blob.n; i++)
		if (verify_raw(good_blob.d, i) != SILO_EINVALID) {
			all_invalid = 0;
			printf("# prefix of %zu bytes: %s\n", i, silo_error_message());
		}
	ok(all_invalid, "every proper prefix of the blob is malformed");
	/* All but the final newline, which is not needed. */
	for (i = 0; i + 1 < n; i++)
		if (silo_sshsig_verify(NULL, signers, "medo", text_data, strlen(text_data), "x.treeptr",
				       text, i, "x.treeptr.sig") >= 0) {
			all_invalid = 0;
			printf("# prefix of %zu characters passed\n", i);
		}
	ok(all_invalid, "no prefix of the armored text passes");
}

static void test_flipped(void)
{
	unsigned char copy[sizeof(good_blob.d)];
	size_t i;
	int bit, none_pass = 1;

	for (i = 0; i < good_blob.n; i++)
		for (bit = 0; bit < 8; bit += 3) {
			memcpy(copy, good_blob.d, good_blob.n);
			copy[i] ^= (unsigned char)(1u << bit);
			if (verify_raw(copy, good_blob.n) >= 0) {
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

	memcpy(b.d, good_blob.d, good_blob.n);
	b.n = good_blob.n;
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

static void test_fido(void)
{
	static const char *const names[] = { NULL, "sk-ssh-ed25519", "sk-ecdsa-sha2-nistp256" };
	struct silo_sshsig_signers *s;
	struct buf b;
	char line[1024], text[8192], what[128];
	enum kind k;

	for (k = SK_ED25519; k <= SK_ECDSA; k++) {
		size_t n;

		make_sshsig(&b, line, sizeof(line), k, "medo", text_data, strlen(text_data), "fido@example.org", 1);
		if (silo_sshsig_signers_parse(&s, line, strlen(line), "allowed") < 0)
			abort();
		n = armor(text, b.d, b.n);
		snprintf(what, sizeof(what), "%s: a good signature is good", names[k]);
		is_int(silo_sshsig_verify(NULL, s, "medo", text_data, strlen(text_data), "x.treeptr", text, n,
					  "x.treeptr.sig"), 0, what);
		snprintf(what, sizeof(what), "%s: other data is a bad signature", names[k]);
		is_int(silo_sshsig_verify(NULL, s, "medo", "x", 1, "x.treeptr", text, n,
					  "x.treeptr.sig"), SILO_EDIFFERS, what);
		/* The flags are signed: presence claimed afterwards fails. */
		b.d[b.n - 5] ^= 4;
		n = armor(text, b.d, b.n);
		snprintf(what, sizeof(what), "%s: changed flags are a bad signature", names[k]);
		is_int(silo_sshsig_verify(NULL, s, "medo", text_data, strlen(text_data), "x.treeptr", text, n,
					  "x.treeptr.sig"), SILO_EDIFFERS, what);
		silo_sshsig_signers_free(s);
	}
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

/*
 * "sk-sign KIND FILE": sign FILE as a FIDO key of KIND (sk-ed25519 or
 * sk-ecdsa) would, into FILE.sig, and print the allowed signers line of
 * the key, so that a test can check the result with ssh-keygen -Y verify.
 */
static int sk_sign(const char *kind_name, const char *path)
{
	static char content[1 << 20], text[8192];
	char line[1024], sig_path[4096];
	struct buf b;
	FILE *f = fopen(path, "rb");
	size_t len;
	enum kind k = !strcmp(kind_name, "sk-ecdsa") ? SK_ECDSA : SK_ED25519;

	if (!f)
		die(path);
	len = fread(content, 1, sizeof(content), f);
	fclose(f);
	make_sshsig(&b, line, sizeof(line), k, "medo", content, len, "fido@example.org", 1);
	snprintf(sig_path, sizeof(sig_path), "%s.sig", path);
	if (!(f = fopen(sig_path, "wb")))
		die(sig_path);
	len = armor(text, b.d, b.n);
	if (fwrite(text, 1, len, f) != len || fclose(f) != 0)
		die(sig_path);
	fputs(line, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "sk-sign"))
		return sk_sign(argv[2], argv[3]);
	make_sshsig(&good_blob, allowed_line, sizeof(allowed_line), ED25519, "medo", text_data,
		    strlen(text_data), "me@example.org", 0);
	if (silo_sshsig_signers_parse(&signers, allowed_line, strlen(allowed_line), "allowed") < 0) {
		printf("Bail out! %s\n", silo_error_message());
		return 1;
	}
	test_good_and_truncated();
	test_flipped();
	test_hostile_lengths();
	test_base64();
	test_mpint();
	test_fido();
	test_allowed();
	silo_sshsig_signers_free(signers);
	return done_testing();
}
