/* medo cat: one file of a treeptr's tree, verified, to standard output. */
#include "medo-cmd.h"
#include "silo/medo-tree.h"
#include "silo/error.h"

#include <stdio.h>
#include <unistd.h>

static const struct fe_usage *const usage = &fe_usage_medo_cat;

int cmd_medo_cat(int argc, const char **argv)
{
	const char *silo_opt = NULL;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_opt),
		OPT_END()
	};
	struct silo_medo_tree_node node;
	silo_medo_tree *t;
	int ret;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc != 2)
		return fe_usage_error(usage, opts, "expected a treeptr and a path");
	if ((ret = silo_medo_tree_open(&t, argv[0], silo_opt, medo_cmd_warn, NULL)) < 0)
		return fe_lib_error(ret);
	if ((ret = silo_medo_tree_lookup(t, argv[1], &node)) == 0) {
		if (fflush(stdout) != 0)
			ret = fe_error(FE_EXIT_FAILURE, "cannot write to standard output");
		else
			ret = silo_medo_tree_cat(t, node.node, STDOUT_FILENO, "standard output");
	}
	silo_medo_tree_free(t);
	return ret < 0 ? fe_lib_error(ret) : ret;
}
