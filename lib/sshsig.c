/*
 * Checking an SSHSIG signature of some data (PROTOCOL.sshsig): the
 * namespace and hash named, the key allowed, then the signature of
 *
 *	"SSHSIG" string(namespace) string("") string(hash) string(H(data))
 *
 * exactly what ssh-keygen -Y sign signs (and -Y verify checks: the
 * reserved field is signed empty, whatever the blob holds).
 */
#include "sshsig-internal.h"
#include "error-internal.h"
#include "strbuf.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static int put_string(struct strbuf *sb, const void *data, size_t len)
{
	unsigned char n[4] = {
		(unsigned char)(len >> 24), (unsigned char)(len >> 16),
		(unsigned char)(len >> 8), (unsigned char)len
	};
	int ret;

	if ((ret = strbuf_add(sb, n, 4)) < 0)
		return ret;
	return len ? strbuf_add(sb, data, len) : 0;
}

/* Print the bytes of B for a message: printable ASCII, else '?'. */
static void printable(char *out, size_t size, const struct sshsig_buf *b)
{
	size_t i, n = b->len < size - 1 ? b->len : size - 1;

	for (i = 0; i < n; i++)
		out[i] = b->p[i] >= 32 && b->p[i] < 127 ? (char)b->p[i] : '?';
	out[n] = '\0';
}

/* The message a signature of DATA signs, in *msg. */
static int signed_message(struct strbuf *msg, const struct sshsig_blob *blob,
			  const void *data, size_t len, const char *sig_name)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	const EVP_MD *type;
	int ret;

	if (sshsig_buf_eq(&blob->hashalg, "sha512"))
		type = EVP_sha512();
	else if (sshsig_buf_eq(&blob->hashalg, "sha256"))
		type = EVP_sha256();
	else {
		char name[64];
		printable(name, sizeof(name), &blob->hashalg);
		return silo__error_set(SILO_EINVALID,
			"unsupported signature '%s': hash algorithm '%s'", sig_name, name);
	}
	if (EVP_Digest(data, len, md, &md_len, type, NULL) != 1)
		return silo__error_set(SILO_ERROR, "cannot hash the data of '%s'", sig_name);
	if ((ret = strbuf_add(msg, "SSHSIG", 6)) < 0 ||
	    (ret = put_string(msg, blob->namespace.p, blob->namespace.len)) < 0 ||
	    (ret = put_string(msg, NULL, 0)) < 0 ||
	    (ret = put_string(msg, blob->hashalg.p, blob->hashalg.len)) < 0 ||
	    (ret = put_string(msg, md, md_len)) < 0)
		return ret;
	return 0;
}

/*
 * Check the signature in BLOB of DATA with the key the blob carries;
 * whether that key is allowed is for the caller.
 */
static int check_blob(const struct sshsig_blob *blob, const void *data, size_t len,
		      const char *data_name, const char *sig_name)
{
	struct strbuf msg = STRBUF_INIT;
	int ret;

	if ((ret = signed_message(&msg, blob, data, len, sig_name)) == 0)
		ret = sshsig_key_verify(&blob->pubkey, &blob->signature,
					(const unsigned char *)msg.buf, msg.len, sig_name);
	strbuf_release(&msg);
	if (ret == SILO_EDIFFERS)
		return silo__error_set(SILO_EDIFFERS, "bad signature '%s': it does not match '%s'",
				       sig_name, data_name);
	return ret;
}

/* The namespace of the blob is NAMESPACE, or SILO_EDIFFERS. */
static int check_namespace(const struct sshsig_blob *blob, const char *namespace,
			   const char *sig_name)
{
	char got[128];

	if (sshsig_buf_eq(&blob->namespace, namespace))
		return 0;
	printable(got, sizeof(got), &blob->namespace);
	return silo__error_set(SILO_EDIFFERS, "signature '%s' is for namespace '%s', not '%s'",
			       sig_name, got, namespace);
}

int silo_sshsig_verify(char **principal, const struct silo_sshsig_signers *signers,
		       const char *namespace, const void *data, size_t len,
		       const char *data_name, const char *sig, size_t sig_len,
		       const char *sig_name)
{
	struct sshsig_blob blob;
	const char *who = NULL;
	char key[128];
	int ret, why;

	if (principal)
		*principal = NULL;
	if ((ret = sshsig_blob_parse(&blob, sig, sig_len, sig_name)) < 0)
		return ret;
	if ((ret = check_namespace(&blob, namespace, sig_name)) < 0)
		goto out;
	why = sshsig_signers_allow(&who, signers, &blob.pubkey, namespace, time(NULL));
	if (why) {
		sshsig_key_describe(key, sizeof(key), &blob.pubkey);
		if (why == SSHSIG_NOT_LISTED)
			ret = silo__error_set(SILO_EDIFFERS, "untrusted signature '%s': %s is not in '%s'",
					      sig_name, key, sshsig_signers_name(signers));
		else if (why == SSHSIG_NO_PRINCIPAL)
			ret = silo__error_set(SILO_EDIFFERS,
				"untrusted signature '%s': %s is in '%s' only for principals no one can be",
				sig_name, key, sshsig_signers_name(signers));
		else if (why == SSHSIG_OTHER_NAMESPACE)
			ret = silo__error_set(SILO_EDIFFERS,
				"untrusted signature '%s': %s is not allowed by '%s' for namespace '%s'",
				sig_name, key, sshsig_signers_name(signers), namespace);
		else
			ret = silo__error_set(SILO_EDIFFERS,
				"untrusted signature '%s': %s is not valid now in '%s'",
				sig_name, key, sshsig_signers_name(signers));
		goto out;
	}
	if ((ret = check_blob(&blob, data, len, data_name, sig_name)) < 0)
		goto out;
	if (principal && !(*principal = strdup(who)))
		ret = silo__error_oom();
out:
	sshsig_blob_release(&blob);
	return ret;
}

int sshsig_check_own(const char *sig, size_t sig_len, const char *sig_name,
		     const char *namespace, const void *data, size_t len,
		     const char *data_name)
{
	struct sshsig_blob blob;
	int ret;

	if ((ret = sshsig_blob_parse(&blob, sig, sig_len, sig_name)) < 0)
		return ret;
	/* A key type this library cannot check is taken on ssh-keygen's
	 * word: it made the signature, it can check it. */
	if ((ret = check_namespace(&blob, namespace, sig_name)) == 0 &&
	    sshsig_key_supported(&blob.pubkey))
		ret = check_blob(&blob, data, len, data_name, sig_name);
	sshsig_blob_release(&blob);
	return ret;
}
