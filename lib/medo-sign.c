/*
 * Signatures of treeptrs: X.treeptr.sig beside X.treeptr, an SSHSIG
 * signature of the treeptr's bytes in namespace "medo".
 */
#include "silo/sshsig.h"
#include "silo/medo.h"
#include "silo/treeptr.h"
#include "error-internal.h"
#include "medo-internal.h"
#include "fsutil.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A signature is a few hundred bytes; an RSA key of 16384 bits makes
 * about 6 KiB. */
#define SIG_MAX_BYTES (64 * 1024)
/* As silo_treeptr_load() reads them. */
#define TREEPTR_MAX_BYTES (1024 * 1024)

static char *sig_path_of(const char *treeptr)
{
	size_t n = strlen(treeptr) + sizeof(SILO_SSHSIG_SUFFIX);
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s%s", treeptr, SILO_SSHSIG_SUFFIX);
	return p;
}

int silo_medo_sign(const char *treeptr, const char *key)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	char *sig_path;
	int ret;

	/* Only treeptrs: a signature of anything else (a .sig given by
	 * mistake) would be a signature nobody checks. */
	if ((ret = silo_treeptr_load(&tp, treeptr)) < 0)
		return ret;
	silo_treeptr_release(&tp);
	if (!(sig_path = sig_path_of(treeptr)))
		return silo__error_oom();
	ret = silo_sshsig_sign_file(treeptr, key, SILO_SSHSIG_MEDO_NAMESPACE, sig_path);
	free(sig_path);
	return ret;
}

/* Check the signature of TREEPTR over DATA (LEN bytes), its text as read. */
static int check_text(char **principal, const struct silo_sshsig_signers *signers,
		      const char *treeptr, const char *data, size_t len)
{
	char *sig_path = sig_path_of(treeptr), *sig = NULL;
	size_t sig_len;
	int ret;

	if (principal)
		*principal = NULL;
	if (!sig_path)
		return silo__error_oom();
	if ((ret = fs_read_file(&sig, &sig_len, sig_path, SIG_MAX_BYTES)) < 0) {
		if (ret == SILO_ENOTFOUND)
			ret = silo__error_set(SILO_ENOTFOUND, "no signature '%s' for '%s'",
					      sig_path, treeptr);
		goto out;
	}
	ret = silo_sshsig_verify(principal, signers, SILO_SSHSIG_MEDO_NAMESPACE, data, len,
				 treeptr, sig, sig_len, sig_path);
out:
	free(sig);
	free(sig_path);
	return ret;
}

int silo_medo_check_signature(char **principal, const struct silo_sshsig_signers *signers,
			      const char *treeptr)
{
	char *data = NULL;
	size_t len;
	int ret;

	if (principal)
		*principal = NULL;
	if ((ret = fs_read_file(&data, &len, treeptr, TREEPTR_MAX_BYTES)) < 0)
		return ret;
	ret = check_text(principal, signers, treeptr, data, len);
	free(data);
	return ret;
}

int silo_medo_treeptr_load_signed(struct silo_treeptr *tp,
				  const struct silo_sshsig_signers *signers,
				  const char *path)
{
	char *data = NULL;
	size_t len;
	int ret;

	if (!signers)
		return silo_treeptr_load(tp, path);
	if ((ret = fs_read_file(&data, &len, path, TREEPTR_MAX_BYTES)) < 0)
		return ret;
	if ((ret = check_text(NULL, signers, path, data, len)) == 0)
		ret = silo_treeptr_parse(tp, data, len, path);
	free(data);
	return ret;
}

int silo_medo_check_signatures(const struct silo_sshsig_signers *signers, const char *path,
			       void (*on_fail)(void *payload, const char *treeptr, int code,
					       const char *message),
			       void *payload)
{
	struct strbuf one = STRBUF_INIT;
	struct stat st;
	char **names;
	size_t n, i;
	int ret, failures = 0;

	if (!(stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
		if ((ret = silo_medo_check_signature(NULL, signers, path)) < 0) {
			if (on_fail)
				on_fail(payload, path, ret, silo_error_message());
			return 1;
		}
		return 0;
	}
	if ((ret = silo_medo_find_treeptrs(&names, &n, path)) < 0)
		return ret;
	for (i = 0; i < n; i++) {
		strbuf_reset(&one);
		if ((ret = strbuf_addf(&one, "%s/%s", path, names[i])) == 0)
			ret = silo_medo_check_signature(NULL, signers, one.buf);
		if (ret < 0) {
			failures++;
			if (on_fail)
				on_fail(payload, one.len ? one.buf : names[i], ret,
					silo_error_message());
		}
	}
	strbuf_release(&one);
	silo_medo_list_free(names, n);
	return failures;
}
