/* silo push: publish a silo's new objects to a shared silo. */
#include "silo-cmd.h"
#include "silo/push.h"
#include "silo/error.h"

#include <stdio.h>

static const struct fe_usage *const usage = &fe_usage_silo_push;

int cmd_silo_push(int argc, const char **argv)
{
	const char *silo_dir = NULL;
	int verbose = 0, force = 0, ret;
	struct fe_option opts[] = {
		OPT_FLAG(0, "force", &force),
		OPT_STRING(0, "silo", &silo_dir),
		OPT_FLAG('v', "verbose", &verbose),
		OPT_END()
	};
	struct silo_push_result r;
	silo *s;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc != 1)
		return fe_usage_error(usage, opts, "name one destination");
	if ((ret = silo_cmd_open(&s, silo_dir)))
		return ret;
	ret = silo_push_flags(&r, silo_root(s), argv[0], force ? SILO_PUSH_FORCE : 0);
	silo_free(s);
	if (ret < 0)
		return fe_lib_error(ret);
	if (verbose)
		printf("%zu files copied to %s\n", r.files, argv[0]);
	return 0;
}
