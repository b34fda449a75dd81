/* knot report: write index.html of a task report from its tasks.tsv. */
#include "knot-cmd.h"
#include "silo/error.h"

static const struct fe_usage *const usage = &fe_usage_knot_report;

int cmd_knot_report(int argc, const char **argv)
{
	struct fe_option opts[] = {
		OPT_END()
	};
	int ret;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc != 1)
		return fe_usage_error(usage, opts, "name one report directory");
	if ((ret = silo_knot_report_html(argv[0])) < 0)
		return fe_lib_error(ret);
	return 0;
}
