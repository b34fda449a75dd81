/*
 * What the SSHSIG modules share inside the library: a bounds-checked
 * reader of SSH wire data (RFC 4251 strings and mpints), base64, the
 * parsed signature blob, key checks and the allowed signers lookup.
 */
#ifndef SILO_SSHSIG_INTERNAL_H
#define SILO_SSHSIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "silo/sshsig.h"

/* A view of bytes not owned: the part of a buffer not read yet. */
struct sshsig_buf {
	const unsigned char *p;
	size_t len;
};

/* Each reader returns 0, or -1 when the data ends too early (B is then
 * unchanged). */
int sshsig_get_u32(struct sshsig_buf *b, uint32_t *v);
int sshsig_get_u8(struct sshsig_buf *b, unsigned char *v);
/* A string: a length and that many bytes; OUT views them. */
int sshsig_get_string(struct sshsig_buf *b, struct sshsig_buf *out);
/* An mpint that must be positive (or zero); OUT views its magnitude,
 * leading zeros removed.  A negative one is -2. */
int sshsig_get_mpint(struct sshsig_buf *b, struct sshsig_buf *out);

/* 1 if S holds exactly the bytes of the C string C. */
int sshsig_buf_eq(const struct sshsig_buf *s, const char *c);

/*
 * Decode base64 (RFC 4648, padding optional at the very end) from LEN
 * bytes of IN, skipping whitespace.  *out is owned by the caller.
 * Returns 0, -1 when malformed, SILO_ENOMEM.
 */
int sshsig_base64_decode(unsigned char **out, size_t *out_len, const char *in, size_t len);

/* Encode without padding, as OpenSSH prints fingerprints; OUT must hold
 * 4 * ((LEN + 2) / 3) + 1 bytes. */
void sshsig_base64_encode_nopad(char *out, const unsigned char *in, size_t len);

/* A signature blob, its fields viewing RAW (owned). */
struct sshsig_blob {
	unsigned char *raw;
	size_t raw_len;
	struct sshsig_buf pubkey, namespace, reserved, hashalg, signature;
};

/*
 * Remove the armor of TEXT ("-----BEGIN SSH SIGNATURE-----", base64,
 * "-----END SSH SIGNATURE-----") and parse the blob: magic "SSHSIG",
 * version 1, public key, namespace, reserved, hash algorithm, signature,
 * nothing after.  Errors are SILO_EINVALID: "malformed signature 'NAME':
 * ...".  Release with sshsig_blob_release().
 */
int sshsig_blob_parse(struct sshsig_blob *out, const char *text, size_t len, const char *name);
void sshsig_blob_release(struct sshsig_blob *b);

/*
 * Check SIG (an SSH signature: a type string and the signature) of MSG
 * with PUBKEY (an SSH public key blob).  0 when it is valid, SILO_EDIFFERS
 * when it is not, SILO_EINVALID for a malformed or unsupported key or
 * signature; messages name SIG_NAME.
 */
int sshsig_key_verify(const struct sshsig_buf *pubkey, const struct sshsig_buf *sig,
		      const unsigned char *msg, size_t msg_len, const char *sig_name);

/* 1 if sshsig_key_verify() knows the type of PUBKEY. */
int sshsig_key_supported(const struct sshsig_buf *pubkey);

/* "ED25519 key SHA256:<base64>", as ssh-keygen describes a key. */
void sshsig_key_describe(char *out, size_t size, const struct sshsig_buf *pubkey);

/* Why a key is not allowed. */
enum sshsig_refusal {
	SSHSIG_NOT_LISTED = 1,		/* no line has the key */
	SSHSIG_NO_PRINCIPAL,		/* its lines allow no identity ("!*") */
	SSHSIG_OTHER_NAMESPACE,		/* its lines allow other namespaces */
	SSHSIG_NOT_NOW			/* its lines are not valid at NOW */
};

/* 1 if S matches the pattern list LIST as OpenSSH's match_pattern_list()
 * has it (sshsig-principals.c), else 0. */
int sshsig_match_list(const char *s, const char *list);

/* 1 if some identity matches the principals LIST (a pattern list): a
 * positive pattern and no negated one; 0 if none can (or LIST is too
 * large to tell), negative when out of memory. */
int sshsig_principals_can_match(const char *list);

/*
 * 0 with *principals (owned by SIGNERS) when a line allows PUBKEY to sign
 * in NAMESPACE at NOW; otherwise a value of enum sshsig_refusal.
 */
int sshsig_signers_allow(const char **principals, const struct silo_sshsig_signers *signers,
			 const struct sshsig_buf *pubkey, const char *namespace, time_t now);

/*
 * For the signer: the new signature SIG (the text of SIG_NAME) of DATA is
 * well formed, for NAMESPACE, and valid with the key it carries when
 * sshsig_key_supported() that key.
 */
int sshsig_check_own(const char *sig, size_t sig_len, const char *sig_name,
		     const char *namespace, const void *data, size_t len,
		     const char *data_name);

/* The name the signers were read from. */
const char *sshsig_signers_name(const struct silo_sshsig_signers *signers);

#endif
