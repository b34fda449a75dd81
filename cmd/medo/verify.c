/* medo verify: check trees on disk against their treeptrs. */
#include "medo-cmd.h"
#include "silo/medo.h"
#include "silo/tree.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const usage[] = {
	"medo verify [--silo=<dir>] [--signed-by=<allowed-signers>] [-v] <treeptr> <dir>",
	"medo verify [--silo=<dir>] [--signed-by=<allowed-signers>] [-v] <medo-dir> <dir>",
	NULL
};

static void on_diff(void *payload, int change, const char *path)
{
	const char *word;

	(void)payload;
	switch (change) {
	case SILO_TREE_ADDED: word = "added"; break;
	case SILO_TREE_REMOVED: word = "removed"; break;
	case SILO_TREE_CHANGED: word = "changed"; break;
	case SILO_TREE_MODE: word = "mode"; break;
	case SILO_MEDO_MISSING: word = "missing"; break;
	default: word = "differs"; break;
	}
	printf("%s %s\n", word, path);
}

/* Verify one; returns an exit status. */
static int verify_one(const char *treeptr, const char *dir,
		      const struct silo_medo_verify_options *o, int verbose)
{
	int ret = silo_medo_verify(treeptr, dir, o);

	if (ret == SILO_EDIFFERS)
		return FE_EXIT_NEGATIVE;
	if (ret < 0)
		return fe_lib_error(ret);
	if (verbose)
		printf("ok %s\n", dir);
	return FE_EXIT_OK;
}

int cmd_medo_verify(int argc, const char **argv)
{
	struct silo_medo_verify_options o = { 0 };
	const char *signed_by = NULL;
	int verbose = 0, status = 0, ret;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &o.silo, "dir", "the silo to list differences from (default: from SILO.json)"),
		OPT_STRING(0, "signed-by", &signed_by, "allowed-signers",
			   "first check each treeptr's signature against this file"),
		OPT_FLAG('v', "verbose", &verbose, "also print each tree that matches"),
		OPT_END()
	};
	struct stat st;
	char **names;
	size_t n, i;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc != 2)
		return fe_usage_error(usage, opts, "expected a treeptr or medo directory and a directory");
	/* Every signature is checked before any tree: an unsigned treeptr
	 * says nothing worth comparing. */
	if (signed_by && (status = medo_cmd_check_signatures(signed_by, argv[0])))
		return status;
	o.on_diff = on_diff;
	o.on_warning = medo_cmd_warn;
	if (!(stat(argv[0], &st) == 0 && S_ISDIR(st.st_mode)))
		return verify_one(argv[0], argv[1], &o, verbose);
	if ((ret = silo_medo_find_treeptrs(&names, &n, argv[0])) < 0)
		return fe_lib_error(ret);
	/* Every treeptr is checked; a mismatch (1) gives way to a failure to
	 * check at all, which says more. */
	for (i = 0; i < n; i++) {
		size_t len = strlen(argv[0]) + strlen(names[i]) + 2;
		char *tp = malloc(len), *dir = silo_medo_dest_for(argv[1], names[i]);
		int one;

		if (!tp || !dir) {
			free(tp);
			free(dir);
			silo_medo_list_free(names, n);
			return fe_error(FE_EXIT_FAILURE, "out of memory");
		}
		snprintf(tp, len, "%s/%s", argv[0], names[i]);
		one = verify_one(tp, dir, &o, verbose);
		if (one && (status == 0 || status == FE_EXIT_NEGATIVE))
			status = one;
		free(tp);
		free(dir);
	}
	silo_medo_list_free(names, n);
	return status;
}
