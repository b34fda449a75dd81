/* knot validate: check recipes without building them. */
#include "knot-cmd.h"
#include "silo/error.h"

#include <stdio.h>

static const struct fe_usage *const usage = &fe_usage_knot_validate;

int cmd_knot_validate(int argc, const char **argv)
{
	struct silo_knot_config cfg = { 0 };
	int status = FE_EXIT_OK, i;
	struct fe_option opts[] = {
		OPT_FLAG(0, "unboxed", &cfg.unboxed),
		OPT_END()
	};

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc < 1)
		return fe_usage_error(usage, opts, "name at least one recipe directory");

	for (i = 0; i < argc; i++) {
		struct silo_knot_recipe r;
		size_t k;
		int ret = silo_knot_recipe_load(&r, argv[i], &cfg);

		if (ret < 0) {
			fe_lib_error(ret);
			/* A box that cannot be made is not the recipe's fault. */
			status = ret == SILO_ERROR ? FE_EXIT_FAILURE : FE_EXIT_INVALID;
			continue;
		}
		for (k = 0; k < r.n_problems; k++)
			fe_error(0, "'%s': %s", argv[i], r.problems[k]);
		if (r.n_problems)
			status = FE_EXIT_INVALID;
		else
			printf("ok %s %s (%zu version%s)\n", argv[i], r.name, r.n_versions,
			       r.n_versions == 1 ? "" : "s");
		silo_knot_recipe_release(&r);
	}
	return status;
}
