/* knot key: the build key of each recipe version. */
#include "knot-cmd.h"

#include <stdio.h>

static const struct fe_usage *const usage = &fe_usage_knot_key;

int cmd_knot_key(int argc, const char **argv)
{
	struct silo_knot_config cfg = { 0 };
	int explain = 0, status;
	struct fe_option opts[] = {
		OPT_FLAG(0, "unboxed", &cfg.unboxed),
		OPT_FLAG(0, "explain", &explain),
		OPT_STRING(0, "base", &cfg.base),
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
		if (!t->requested)
			continue;
		printf("%s %s/%s\n", t->key, t->recipe->name, t->version);
		if (explain)
			printf("%s\n", t->key_text);
	}
	silo_knot_set_free(set);
	return FE_EXIT_OK;
}
