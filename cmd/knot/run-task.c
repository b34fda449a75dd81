/* knot run-task: build and publish one task of knot build's graph. */
#include "knot-cmd.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <signal.h>

#ifndef SILO_VERSION
#define SILO_VERSION "unknown"
#endif

static const struct fe_usage *const usage = &fe_usage_knot_run_task;

/* The exit status of a task, which its row in the report records. */
static int task_status(const struct silo_knot_result *res)
{
	switch (res->kind) {
	case SILO_KNOT_FAILED:
		return res->error == SILO_ERROR ? FE_EXIT_FAILURE : fe_exit_for(res->error);
	case SILO_KNOT_DIFFERS:
		return FE_EXIT_NEGATIVE;
	default:
		return FE_EXIT_OK;
	}
}

int cmd_knot_run_task(int argc, const char **argv)
{
	struct silo_knot_task_file file;
	struct silo_knot_task_spec spec = { 0 };
	const char *limits_opt = NULL, *task = NULL;
	struct fe_option opts[] = {
		OPT_STRING(0, "task", &task),
		OPT_STRING(0, "key", &spec.key),
		OPT_FLAG(0, "unboxed", &spec.unboxed),
		OPT_STRING(0, "limits", &limits_opt),
		OPT_FLAG(0, "rebuild", &spec.rebuild),
		OPT_STRING(0, "derived", &spec.derived),
		OPT_STRING(0, "silo", &spec.silo),
		OPT_STRING(0, "report", &spec.report),
		OPT_STRING(0, "stamp", &spec.stamp),
		OPT_STRING(0, "sign-key", &spec.sign_key),
		OPT_END()
	};
	struct silo_knot_result res;
	char *cmdline = NULL;
	int ret, status;

	/* A task dies with the ninja (and the knot build) that started it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (task && (argc || spec.key || spec.unboxed || limits_opt || spec.rebuild || spec.derived ||
		     spec.silo || spec.report || spec.stamp || spec.sign_key))
		return fe_usage_error(usage, opts, "--task takes no other option and no recipe directory");
	if (!task && (argc != 1 || !spec.key))
		return fe_usage_error(usage, opts, "name one recipe directory and --key, or --task");
	if (task) {
		/* Everything the task needs is in its file. */
		if ((ret = silo_knot_task_file_read(&file, task)) < 0)
			return fe_lib_error(ret);
		spec = file.spec;
	} else {
		if ((ret = knot_cmd_limits(&spec.limits, limits_opt)))
			return ret;
		spec.recipe = argv[0];
		if (asprintf(&cmdline, "knot run-task --key=%s %s", spec.key, argv[0]) < 0)
			return fe_error(FE_EXIT_FAILURE, "out of memory");
		spec.command = cmdline;
	}
	spec.tool = "knot " SILO_VERSION;
	/* Stopped by ninja (or anyone), the task stops its box first. */
	knot_cmd_catch_signals();
	ret = silo_knot_run_task(&res, &spec, task_status);
	if (task)
		silo_knot_task_file_release(&file);
	free(cmdline);
	if (ret < 0)
		return knot_cmd_finish(fe_lib_error(ret));
	status = task_status(&res);
	if (res.kind == SILO_KNOT_FAILED && res.log)
		fe_error(0, "%s; log: %s", res.message ? res.message : "build failed", res.log);
	else if (res.kind == SILO_KNOT_FAILED)
		fe_error(0, "%s", res.message ? res.message : "build failed");
	else if (res.kind == SILO_KNOT_DIFFERS)
		fe_warning("%s", res.message ? res.message : "a rebuild differs");
	silo_knot_result_release(&res);
	return knot_cmd_finish(status);
}
