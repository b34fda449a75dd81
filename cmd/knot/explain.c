/* knot explain: why each version of a recipe would be built, or not. */
#include "knot-cmd.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct fe_usage *const usage = &fe_usage_knot_explain;

int cmd_knot_explain(int argc, const char **argv)
{
	struct silo_knot_config cfg = { 0 };
	struct fe_option opts[] = {
		OPT_FLAG(0, "unboxed", &cfg.unboxed),
		OPT_STRING(0, "derived", &cfg.derived),
		OPT_STRING(0, "base", &cfg.base),
		OPT_END()
	};
	const char **paths;
	silo_knot_set *set;
	size_t i;
	int status = 0;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc < 1)
		return fe_usage_error(usage, opts, "name at least one recipe");
	if (!(paths = calloc((size_t)argc, sizeof(*paths))))
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	/* A name that is no path is a recipe of deps/source.medo. */
	for (i = 0; i < (size_t)argc && !status; i++) {
		const char *slash = strchr(argv[i], '/');
		char *first = strndup(argv[i], slash ? (size_t)(slash - argv[i]) : strlen(argv[i]));
		struct stat st;

		if (!first)
			status = fe_error(FE_EXIT_FAILURE, "out of memory");
		else if (argv[i][0] != '/' && stat(first, &st) < 0 && asprintf((char **)&paths[i], "deps/source.medo/%s", argv[i]) < 0)
			status = fe_error(FE_EXIT_FAILURE, "out of memory");
		else if (!paths[i])
			paths[i] = strdup(argv[i]);
		free(first);
		if (!status && !paths[i])
			status = fe_error(FE_EXIT_FAILURE, "out of memory");
	}
	if (!status)
		status = knot_cmd_load(&set, &cfg, argc, paths);
	for (i = 0; i < (size_t)argc; i++)
		free((char *)paths[i]);
	free(paths);
	if (status)
		return status;
	for (i = 0; i < silo_knot_set_count(set); i++) {
		const struct silo_knot_task *t = silo_knot_set_task(set, i);
		char *why, *detail, *line, *save = NULL;
		int ret;

		if (!t->requested)
			continue;
		if ((ret = silo_knot_explain(&why, &detail, t, set)) < 0) {
			status = fe_lib_error(ret);
			continue;
		}
		printf("%s/%s: %s\n", t->recipe->name, t->version, why);
		for (line = strtok_r(detail, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			printf("  %s\n", line);
		free(why);
		free(detail);
	}
	silo_knot_set_free(set);
	return status;
}
