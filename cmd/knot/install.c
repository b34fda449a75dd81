/* knot install: put published wedges at their /wedge paths. */
#include "knot-cmd.h"
#include "silo/error.h"

#include <stdio.h>

static const struct fe_usage *const usage = &fe_usage_knot_install;

int cmd_knot_install(int argc, const char **argv)
{
	struct silo_knot_config cfg = { 0 };
	const char *root = NULL;
	int verbose = 0, status = 0;
	struct fe_option opts[] = {
		OPT_FLAG(0, "unboxed", &cfg.unboxed),
		OPT_STRING(0, "derived", &cfg.derived),
		OPT_STRING(0, "layout", &cfg.layout),
		OPT_STRING(0, "base", &cfg.base),
		OPT_STRING(0, "root", &root),
		OPT_FLAG('v', "verbose", &verbose),
		OPT_END()
	};
	silo_knot_set *set;
	size_t i;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc < 1)
		return fe_usage_error(usage, opts, "name at least one recipe directory");
	if ((status = knot_cmd_load(&set, &cfg, argc, argv)))
		return status;
	for (i = 0; i < silo_knot_set_count(set); i++) {
		const struct silo_knot_task *t = silo_knot_set_task(set, i);
		int ret;

		if (!t->requested)
			continue;
		if ((ret = silo_knot_install(t, root)) < 0) {
			status = fe_lib_error(ret);
			continue;
		}
		if (verbose)
			printf("%s %s%s\n", ret == 1 ? "present" : "installed",
			       root && root[0] && !(root[0] == '/' && !root[1]) ? root : "", t->wedge_path);
	}
	silo_knot_set_free(set);
	return status;
}
