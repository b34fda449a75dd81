/* medo sign: write an OpenSSH signature beside each treeptr. */
#include "medo-cmd.h"
#include "silo/sshsig.h"
#include "silo/error.h"

static const struct fe_usage *const usage = &fe_usage_medo_sign;

int cmd_medo_sign(int argc, const char **argv)
{
	const char *key = NULL;
	int verbose = 0, status = FE_EXIT_OK, i;
	struct fe_option opts[] = {
		OPT_STRING('k', "key", &key),
		OPT_FLAG('v', "verbose", &verbose),
		OPT_END()
	};

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (!key)
		return fe_usage_error(usage, opts, "-k <key> is required");
	if (argc < 1)
		return fe_usage_error(usage, opts, "expected at least one treeptr");
	/* Each treeptr alone: a failure is reported and the others signed. */
	for (i = 0; i < argc; i++) {
		int ret = silo_medo_sign(argv[i], key);

		if (ret < 0)
			status = fe_lib_error(ret);
		else if (verbose)
			printf("signed %s%s\n", argv[i], SILO_SSHSIG_SUFFIX);
	}
	return status;
}
