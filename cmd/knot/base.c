/* knot base: make a Debian root file system with mmdebstrap, as a treeptr. */
#include "knot-cmd.h"
#include "fe-json.h"
#include "silo/error.h"
#include "silo/treeptr.h"

#include <stdio.h>

#ifndef SILO_VERSION
#define SILO_VERSION "unknown"
#endif

static const struct fe_usage *const usage = &fe_usage_knot_base;

int cmd_knot_base(int argc, const char **argv)
{
	struct silo_knot_base_options o = { 0 };
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	int json = 0, ret;
	struct fe_option opts[] = {
		OPT_STRING(0, "variant", &o.variant),
		OPT_STRING(0, "packages", &o.packages),
		OPT_STRING(0, "mirror", &o.mirror),
		OPT_STRING(0, "silo", &o.silo),
		OPT_FLAG(0, "force", &o.force),
		OPT_JSON(&json),
		OPT_END()
	};

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc != 2)
		return fe_usage_error(usage, opts, "expected a suite and a treeptr");
	o.suite = argv[0];
	o.tool = "knot " SILO_VERSION;
	knot_cmd_catch_signals();
	ret = silo_knot_base_make(&tp, argv[1], &o);
	if (ret == SILO_EINVALID)
		return knot_cmd_finish(fe_usage_error(usage, opts, "%s", silo_error_message()));
	if (ret < 0)
		return knot_cmd_finish(fe_lib_error(ret));
	ret = FE_EXIT_OK;
	if (json)
		ret = fe_json_print(json_pack("{s:o,s:o,s:s,s:s}", "treeptr", fe_json_text(argv[1]),
					      "tree", fe_json_oid(&tp.tree), "suite", o.suite,
					      "release-sha256",
					      silo_treeptr_provenance(&tp, "release-sha256")));
	silo_treeptr_release(&tp);
	return knot_cmd_finish(ret);
}
