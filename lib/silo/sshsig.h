/*
 * OpenSSH signatures of files (the SSHSIG format of OpenSSH's
 * PROTOCOL.sshsig, as "ssh-keygen -Y sign" writes and "ssh-keygen -Y
 * verify" checks them), and their use for treeptrs.
 *
 *	struct silo_sshsig_signers *s;
 *	silo_sshsig_signers_load(&s, "allowed_signers");
 *	silo_medo_check_signature(s, "x.treeptr", &principal);	any number,
 *	  ... free(principal) ...					any thread
 *	silo_sshsig_signers_free(s);
 *
 *	silo_medo_sign("x.treeptr", "~/.ssh/id_ed25519");	x.treeptr.sig
 *
 * Signing runs ssh-keygen, so that keys held by an agent, encrypted keys
 * and FIDO keys work; its prompts go to the process's terminal and its
 * messages to the process's stderr.  Verifying needs no ssh-keygen: it is
 * done in the process with libcrypto, for ssh-ed25519, ssh-rsa (signatures
 * rsa-sha2-256 and rsa-sha2-512), ecdsa-sha2-nistp256, -nistp384 and
 * -nistp521 keys, and the FIDO keys sk-ssh-ed25519@openssh.com and
 * sk-ecdsa-sha2-nistp256@openssh.com.
 *
 * Verification failures are told apart by their code, each with a
 * message naming the signature file:
 *	SILO_ENOTFOUND	the signature (or allowed signers) file does not exist
 *	SILO_EINVALID	a malformed signature or allowed signers file, or a
 *			key or hash of a type this library cannot check
 *	SILO_EDIFFERS	a negative answer: the signature is for another
 *			namespace, by a key the allowed signers do not allow,
 *			or does not match the data
 */
#ifndef SILO_SSHSIG_H
#define SILO_SSHSIG_H

#include "silo/common.h"

#include <stddef.h>

/* The namespace of medo's signatures of treeptrs. */
#define SILO_SSHSIG_MEDO_NAMESPACE "medo"

/* The suffix a treeptr's signature file adds to its name. */
#define SILO_SSHSIG_SUFFIX ".sig"

/*
 * The keys allowed to sign, from a file in the ALLOWED SIGNERS format of
 * ssh-keygen(1): one key a line, "principals [options] keytype base64
 * [comment]"; blank lines and lines starting with '#' are skipped.
 * Options understood: namespaces="pattern,...", valid-after="time",
 * valid-before="time".  Lines marked cert-authority are skipped: medo
 * verifies plain keys, never certificates.  Any other option is an error.
 */
struct silo_sshsig_signers;

/* Read PATH; *out is owned by the caller: silo_sshsig_signers_free(). */
SILO_EXTERN int silo_sshsig_signers_load(struct silo_sshsig_signers **out, const char *path);

/* Parse LEN bytes of TEXT; NAME names the file in messages. */
SILO_EXTERN int silo_sshsig_signers_parse(struct silo_sshsig_signers **out, const char *text,
			      size_t len, const char *name);

SILO_EXTERN void silo_sshsig_signers_free(struct silo_sshsig_signers *s);	/* NULL is allowed */

/*
 * Check the armored signature SIG (SIG_LEN bytes, the text of the file
 * SIG_NAME) of the LEN bytes of DATA (the content of DATA_NAME): made for
 * NAMESPACE, by a key SIGNERS allow for it now, and valid.  On success
 * *principal (may be NULL) receives the principals of the allowing line,
 * owned by the caller.
 */
SILO_EXTERN int silo_sshsig_verify(char **principal, const struct silo_sshsig_signers *signers,
		       const char *namespace, const void *data, size_t len,
		       const char *data_name, const char *sig, size_t sig_len,
		       const char *sig_name);

/*
 * Sign the file PATH with KEY (a private key file, or a public key whose
 * private half an agent holds) by running "ssh-keygen -Y sign -n
 * NAMESPACE", and write the armored signature to SIG_PATH atomically (a
 * temporary file beside it, then renamed).  The signature is checked
 * against PATH before it is written.
 */
SILO_EXTERN int silo_sshsig_sign_file(const char *path, const char *key, const char *namespace,
			  const char *sig_path);

/* ---- treeptrs ---- */

/* Sign TREEPTR (which must parse as one) into TREEPTR.sig with KEY. */
SILO_EXTERN int silo_medo_sign(const char *treeptr, const char *key);

/*
 * Check TREEPTR.sig, a signature of TREEPTR in namespace "medo" by a key
 * SIGNERS allow.  *principal as for silo_sshsig_verify().
 */
SILO_EXTERN int silo_medo_check_signature(char **principal, const struct silo_sshsig_signers *signers,
			      const char *treeptr);

/*
 * Check the signature of TREEPTR, or of every treeptr below it when it is
 * a directory.  ON_FAIL (may be NULL) is called for each failure with the
 * treeptr's path, the code and the message.  Returns the number of
 * failures, or a negative error when the treeptrs could not be listed.
 */
SILO_EXTERN int silo_medo_check_signatures(const struct silo_sshsig_signers *signers, const char *path,
			       void (*on_fail)(void *payload, const char *treeptr, int code,
					       const char *message),
			       void *payload);

#endif
