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

int medo_cmd_check_signatures(const char *allowed_signers, const char *path)
{
	struct silo_sshsig_signers *signers;
	int ret, status = FE_EXIT_OK;

	if ((ret = silo_sshsig_signers_load(&signers, allowed_signers)) < 0)
		return fe_lib_error(ret);
	ret = silo_medo_check_signatures(signers, path, on_signature_failure, &status);
	silo_sshsig_signers_free(signers);
	if (ret < 0)
		return fe_lib_error(ret);
	return status;
}
