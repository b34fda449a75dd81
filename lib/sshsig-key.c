/*
 * SSH public keys and signatures checked with libcrypto: ssh-ed25519,
 * ssh-rsa with rsa-sha2-256 or rsa-sha2-512 signatures (never SHA-1),
 * ecdsa-sha2-nistp256/384/521, and the FIDO keys sk-ssh-ed25519 and
 * sk-ecdsa-sha2-nistp256 (@openssh.com).  Formats as in RFC 4253, 5656,
 * 8332 and 8709, and OpenSSH's PROTOCOL.u2f.
 */
#include "sshsig-internal.h"
#include "error-internal.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RSA_MIN_BITS 1024
#define RSA_MAX_BITS 16384

struct ecdsa_curve {
	const char *type;	/* the key type */
	const char *curve;	/* the curve's SSH name, inside the key */
	const char *group;	/* its OpenSSL name */
	const char *digest;
};

static const struct ecdsa_curve curves[] = {
	{ "ecdsa-sha2-nistp256", "nistp256", "prime256v1", "SHA256" },
	{ "ecdsa-sha2-nistp384", "nistp384", "secp384r1", "SHA384" },
	{ "ecdsa-sha2-nistp521", "nistp521", "secp521r1", "SHA512" },
};

#define SK_ED25519 "sk-ssh-ed25519@openssh.com"
#define SK_ECDSA "sk-ecdsa-sha2-nistp256@openssh.com"

static int buf_same(const struct sshsig_buf *a, const struct sshsig_buf *b)
{
	return a->len == b->len && (a->len == 0 || !memcmp(a->p, b->p, a->len));
}

static int bad_key(const char *sig_name, const char *what)
{
	return silo__error_set(SILO_EINVALID, "malformed signature '%s': %s", sig_name, what);
}

static int crypto_error(const char *sig_name, const char *what)
{
	return silo__error_set(SILO_ERROR, "cannot check signature '%s': %s failed", sig_name, what);
}

/*
 * Check SIG of MSG with KEY, hashing with DIGEST (NULL for Ed25519, which
 * hashes itself): 0 valid, SILO_EDIFFERS not, another error when
 * libcrypto fails (WHAT names the algorithm).
 */
static int evp_verify(EVP_PKEY *key, const char *digest, const unsigned char *sig,
		      size_t sig_len, const unsigned char *msg, size_t msg_len,
		      const char *name, const char *what)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_MD *md = NULL;
	int ret = -1;

	if (ctx && (!digest || (md = EVP_MD_fetch(NULL, digest, NULL))) &&
	    EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1)
		ret = EVP_DigestVerify(ctx, sig, sig_len, msg, msg_len) == 1;
	EVP_MD_free(md);
	EVP_MD_CTX_free(ctx);
	if (ret < 0)
		return crypto_error(name, what);
	return ret ? 0 : SILO_EDIFFERS;
}

/* A key from OSSL_PARAMs: TYPE "RSA" or "EC". */
static EVP_PKEY *key_from_params(const char *type, OSSL_PARAM *params)
{
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *key = NULL;

	if (pctx && EVP_PKEY_fromdata_init(pctx) == 1)
		EVP_PKEY_fromdata(pctx, &key, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(pctx);
	return key;
}

/* PK: the 32 bytes of an Ed25519 public key. */
static int verify_ed25519(const struct sshsig_buf *pk, const struct sshsig_buf *sig,
			  const unsigned char *msg, size_t msg_len, const char *name)
{
	EVP_PKEY *pkey;
	int ret;

	if (pk->len != 32)
		return bad_key(name, "bad Ed25519 public key");
	if (sig->len != 64)
		return bad_key(name, "an Ed25519 signature is not 64 bytes");
	if (!(pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk->p, pk->len)))
		return crypto_error(name, "loading the Ed25519 key");
	ret = evp_verify(pkey, NULL, sig->p, sig->len, msg, msg_len, name, "Ed25519 verification");
	EVP_PKEY_free(pkey);
	return ret;
}

static int verify_rsa(struct sshsig_buf *key, const struct sshsig_buf *sig_type,
		      struct sshsig_buf *sig, const unsigned char *msg, size_t msg_len,
		      const char *name)
{
	const char *digest;
	struct sshsig_buf e, n;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *bn_e = NULL, *bn_n = NULL;
	EVP_PKEY *pkey = NULL;
	unsigned char *padded = NULL;
	size_t bits;
	int bit, ret;

	if (sshsig_buf_eq(sig_type, "rsa-sha2-512"))
		digest = "SHA512";
	else if (sshsig_buf_eq(sig_type, "rsa-sha2-256"))
		digest = "SHA256";
	else if (sshsig_buf_eq(sig_type, "ssh-rsa"))
		return silo__error_set(SILO_EINVALID,
			"unsupported signature '%s': RSA with SHA-1 (ssh-rsa) is refused", name);
	else
		return bad_key(name, "an ssh-rsa key with a signature of another type");
	if (sshsig_get_mpint(key, &e) < 0 || sshsig_get_mpint(key, &n) < 0 || key->len ||
	    !e.len || !n.len)
		return bad_key(name, "bad ssh-rsa public key");
	bits = n.len * 8;
	for (bit = 0x80; bit && !(n.p[0] & bit); bit >>= 1)
		bits--;
	if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS)
		return silo__error_set(SILO_EINVALID,
			"unsupported signature '%s': an RSA key of %zu bits", name, bits);
	if (sig->len > n.len)
		return bad_key(name, "an RSA signature longer than its key");
	/* A signature may come without its leading zero bytes. */
	if (!(padded = calloc(1, n.len)))
		return silo__error_oom();
	memcpy(padded + n.len - sig->len, sig->p, sig->len);
	ret = crypto_error(name, "loading the RSA key");
	if (!(bn_e = BN_bin2bn(e.p, (int)e.len, NULL)) || !(bn_n = BN_bin2bn(n.p, (int)n.len, NULL)) ||
	    !(bld = OSSL_PARAM_BLD_new()) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) || !(pkey = key_from_params("RSA", params)))
		goto out;
	ret = evp_verify(pkey, digest, padded, n.len, msg, msg_len, name, "RSA verification");
out:
	EVP_PKEY_free(pkey);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_e);
	BN_free(bn_n);
	free(padded);
	return ret;
}

/* The DER of the ECDSA signature (r, s) in *der, owned by the caller. */
static int ecdsa_der(unsigned char **der, int *der_len, struct sshsig_buf *sig, const char *name)
{
	struct sshsig_buf r, s;
	ECDSA_SIG *es = NULL;
	BIGNUM *bn_r = NULL, *bn_s = NULL;

	*der = NULL;
	if (sshsig_get_mpint(sig, &r) < 0 || sshsig_get_mpint(sig, &s) < 0 || sig->len ||
	    r.len > 66 || s.len > 66)
		return bad_key(name, "bad ECDSA signature");
	if (!(bn_r = BN_bin2bn(r.p, (int)r.len, NULL)) || !(bn_s = BN_bin2bn(s.p, (int)s.len, NULL)) ||
	    !(es = ECDSA_SIG_new()) || !ECDSA_SIG_set0(es, bn_r, bn_s)) {
		BN_free(bn_r);
		BN_free(bn_s);
		ECDSA_SIG_free(es);
		return crypto_error(name, "encoding the ECDSA signature");
	}
	*der_len = i2d_ECDSA_SIG(es, der);
	ECDSA_SIG_free(es);
	if (*der_len <= 0)
		return crypto_error(name, "encoding the ECDSA signature");
	return 0;
}

/* CURVE and Q: the curve name and point of an ECDSA public key. */
static int verify_ecdsa(const struct ecdsa_curve *c, const struct sshsig_buf *curve,
			const struct sshsig_buf *q, struct sshsig_buf *sig,
			const unsigned char *msg, size_t msg_len, const char *name)
{
	OSSL_PARAM params[3];
	EVP_PKEY *pkey = NULL;
	unsigned char *der = NULL;
	int der_len = 0, ret;

	if (!sshsig_buf_eq(curve, c->curve) || !q->len || q->p[0] != 0x04)
		return bad_key(name, "bad ECDSA public key");
	if ((ret = ecdsa_der(&der, &der_len, sig, name)) < 0)
		return ret;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)c->group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						      (void *)q->p, q->len);
	params[2] = OSSL_PARAM_construct_end();
	if (!(pkey = key_from_params("EC", params))) {
		ret = bad_key(name, "an ECDSA public key not on its curve");
		goto out;
	}
	ret = evp_verify(pkey, c->digest, der, (size_t)der_len, msg, msg_len, name,
			 "ECDSA verification");
out:
	EVP_PKEY_free(pkey);
	OPENSSL_free(der);
	return ret;
}

/*
 * A FIDO key's signature (PROTOCOL.u2f): the authenticator signs
 * SHA-256(application) || flags || counter || SHA-256(message), the flags
 * and counter following the signature.  User presence is not required,
 * as ssh-keygen -Y verify does not require it.  KEY is what follows the
 * key's own fields (its application); S what follows the signature.
 */
static int verify_sk(const struct ecdsa_curve *c, const struct sshsig_buf *pk,
		     const struct sshsig_buf *curve, struct sshsig_buf *key,
		     struct sshsig_buf *sig_bytes, struct sshsig_buf *s,
		     const unsigned char *msg, size_t msg_len, const char *name)
{
	struct sshsig_buf app;
	unsigned char signed_data[32 + 1 + 4 + 32], flags;
	uint32_t counter;
	unsigned int md_len;

	if (sshsig_get_string(key, &app) < 0 || key->len)
		return bad_key(name, "bad FIDO public key");
	if (sshsig_get_u8(s, &flags) < 0 || sshsig_get_u32(s, &counter) < 0 || s->len)
		return bad_key(name, "bad FIDO signature");
	if (EVP_Digest(app.p, app.len, signed_data, &md_len, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(msg, msg_len, signed_data + 37, &md_len, EVP_sha256(), NULL) != 1)
		return crypto_error(name, "SHA-256");
	signed_data[32] = flags;
	signed_data[33] = (unsigned char)(counter >> 24);
	signed_data[34] = (unsigned char)(counter >> 16);
	signed_data[35] = (unsigned char)(counter >> 8);
	signed_data[36] = (unsigned char)counter;
	if (!c)
		return verify_ed25519(pk, sig_bytes, signed_data, sizeof(signed_data), name);
	return verify_ecdsa(c, curve, pk, sig_bytes, signed_data, sizeof(signed_data), name);
}

int sshsig_key_verify(const struct sshsig_buf *pubkey, const struct sshsig_buf *sig,
		      const unsigned char *msg, size_t msg_len, const char *sig_name)
{
	struct sshsig_buf key = *pubkey, s = *sig, key_type, sig_type, sig_bytes, pk, curve;
	char type[80];
	size_t i;

	if (sshsig_get_string(&key, &key_type) < 0)
		return bad_key(sig_name, "truncated key type");
	if (sshsig_get_string(&s, &sig_type) < 0 || sshsig_get_string(&s, &sig_bytes) < 0)
		return bad_key(sig_name, "truncated signature");
	if (!sshsig_buf_eq(&key_type, "ssh-rsa") && !buf_same(&key_type, &sig_type))
		return bad_key(sig_name, "a key with a signature of another type");
	if (sshsig_buf_eq(&key_type, "ssh-rsa")) {
		if (s.len)
			return bad_key(sig_name, "data after the RSA signature");
		return verify_rsa(&key, &sig_type, &sig_bytes, msg, msg_len, sig_name);
	}
	if (sshsig_buf_eq(&key_type, "ssh-ed25519")) {
		if (sshsig_get_string(&key, &pk) < 0 || key.len || s.len)
			return bad_key(sig_name, "bad ssh-ed25519 key or signature");
		return verify_ed25519(&pk, &sig_bytes, msg, msg_len, sig_name);
	}
	if (sshsig_buf_eq(&key_type, SK_ED25519)) {
		if (sshsig_get_string(&key, &pk) < 0)
			return bad_key(sig_name, "bad FIDO public key");
		return verify_sk(NULL, &pk, NULL, &key, &sig_bytes, &s, msg, msg_len, sig_name);
	}
	if (sshsig_buf_eq(&key_type, SK_ECDSA)) {
		if (sshsig_get_string(&key, &curve) < 0 || sshsig_get_string(&key, &pk) < 0)
			return bad_key(sig_name, "bad FIDO public key");
		return verify_sk(&curves[0], &pk, &curve, &key, &sig_bytes, &s, msg, msg_len,
				 sig_name);
	}
	for (i = 0; i < sizeof(curves) / sizeof(*curves); i++)
		if (sshsig_buf_eq(&key_type, curves[i].type)) {
			if (sshsig_get_string(&key, &curve) < 0 || sshsig_get_string(&key, &pk) < 0 ||
			    key.len || s.len)
				return bad_key(sig_name, "bad ECDSA key or signature");
			return verify_ecdsa(&curves[i], &curve, &pk, &sig_bytes, msg, msg_len,
					    sig_name);
		}
	/* Show the type only when it is printable. */
	snprintf(type, sizeof(type), "%s", "?");
	if (key_type.len < sizeof(type)) {
		for (i = 0; i < key_type.len && key_type.p[i] > 32 && key_type.p[i] < 127; i++)
			type[i] = (char)key_type.p[i];
		if (i == key_type.len)
			type[i] = '\0';
		else
			snprintf(type, sizeof(type), "%s", "?");
	}
	return silo__error_set(SILO_EINVALID, "unsupported signature '%s': key type '%s'",
			       sig_name, type);
}

int sshsig_key_supported(const struct sshsig_buf *pubkey)
{
	struct sshsig_buf key = *pubkey, type;
	size_t i;

	if (sshsig_get_string(&key, &type) < 0)
		return 0;
	if (sshsig_buf_eq(&type, "ssh-ed25519") || sshsig_buf_eq(&type, "ssh-rsa") ||
	    sshsig_buf_eq(&type, SK_ED25519) || sshsig_buf_eq(&type, SK_ECDSA))
		return 1;
	for (i = 0; i < sizeof(curves) / sizeof(*curves); i++)
		if (sshsig_buf_eq(&type, curves[i].type))
			return 1;
	return 0;
}

void sshsig_key_describe(char *out, size_t size, const struct sshsig_buf *pubkey)
{
	unsigned char md[32];
	char b64[48];
	struct sshsig_buf key = *pubkey, type;
	const char *kind = "unknown";
	unsigned int md_len = 0;

	if (sshsig_get_string(&key, &type) == 0) {
		if (sshsig_buf_eq(&type, "ssh-ed25519"))
			kind = "ED25519";
		else if (sshsig_buf_eq(&type, "ssh-rsa"))
			kind = "RSA";
		else if (type.len > 6 && !memcmp(type.p, "ecdsa-", 6))
			kind = "ECDSA";
		else if (sshsig_buf_eq(&type, SK_ED25519))
			kind = "ED25519-SK";
		else if (sshsig_buf_eq(&type, SK_ECDSA))
			kind = "ECDSA-SK";
	}
	if (EVP_Digest(pubkey->p, pubkey->len, md, &md_len, EVP_sha256(), NULL) != 1 ||
	    md_len != sizeof(md)) {
		snprintf(out, size, "%s key", kind);
		return;
	}
	sshsig_base64_encode_nopad(b64, md, sizeof(md));
	snprintf(out, size, "%s key SHA256:%s", kind, b64);
}
