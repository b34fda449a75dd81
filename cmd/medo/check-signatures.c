/* Checking treeptr signatures before expand or verify uses them. */
#include "medo-cmd.h"
#include "silo/sshsig.h"

static void on_signature_failure(void *payload, const char *treeptr, int code,
				 const char *message)
{
	int *status = payload, one = fe_error(fe_exit_for(code), "%s", message);

	(void)treeptr;
	/* A negative answer (1) gives way to a failure to check at all. */
	if (*status == FE_EXIT_OK || *status == FE_EXIT_NEGATIVE)
		*status = one;
}

int medo_cmd_check_signatures(const char *allowed_signers, const char *path,
			      struct silo_sshsig_signers **keep)
{
	struct silo_sshsig_signers *signers;
	int ret, status = FE_EXIT_OK;

	*keep = NULL;
	if ((ret = silo_sshsig_signers_load(&signers, allowed_signers)) < 0)
		return fe_lib_error(ret);
	ret = silo_medo_check_signatures(signers, path, on_signature_failure, &status);
	if (ret < 0 || status != FE_EXIT_OK) {
		silo_sshsig_signers_free(signers);
		return ret < 0 ? fe_lib_error(ret) : status;
	}
	/* The caller checks each treeptr again as it reads it, over the
	 * bytes it uses: a treeptr replaced since is refused. */
	*keep = signers;
	return FE_EXIT_OK;
}
