/* knot build: build and publish the wedges that are not published. */
#include "knot-cmd.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SILO_VERSION
#define SILO_VERSION "unknown"
#endif

static const char *const usage[] = {
	"knot build [-j <n>] [--unboxed] [--keep-going] [--rebuild] [--derived=<dir>] [--install] [--root=<dir>] [-v] (<recipe-dir>... | <source-medo>)",
	NULL
};

struct state {
	int verbose, install;
	const char *root;
	int status;
	struct fe_progress progress;	/* on a terminal only */
	uint64_t done, total;
};

static const char *kind_word(int kind)
{
	switch (kind) {
	case SILO_KNOT_CACHED: return "cached";
	case SILO_KNOT_BUILT: return "built";
	case SILO_KNOT_SAME: return "same";
	case SILO_KNOT_DIFFERS: return "differs";
	case SILO_KNOT_SKIPPED: return "skipped";
	default: return "failed";
	}
}

static void on_result(void *payload, const struct silo_knot_task *t,
		      const struct silo_knot_result *res)
{
	struct state *s = payload;

	fe_progress_update(&s->progress, ++s->done, s->total);
	switch (res->kind) {
	case SILO_KNOT_FAILED:
		if (res->log)
			fe_error(0, "%s; log: %s", res->message ? res->message : "build failed", res->log);
		else
			fe_error(0, "%s", res->message ? res->message : "build failed");
		s->status = res->error == SILO_ERROR ? FE_EXIT_FAILURE : fe_exit_for(res->error);
		break;
	case SILO_KNOT_SKIPPED:
		fe_error(0, "%s/%s: not built, after an earlier failure", t->recipe->name, t->version);
		if (!s->status)
			s->status = FE_EXIT_FAILURE;
		break;
	case SILO_KNOT_DIFFERS:
		fe_warning("%s", res->message ? res->message : "a rebuild differs");
		if (!s->status)
			s->status = FE_EXIT_NEGATIVE;
		break;
	default:
		break;
	}
	if (s->verbose)
		printf("%s %s/%s %s %s\n", kind_word(res->kind), t->recipe->name, t->version,
		       t->key, res->tree[0] ? res->tree : "-");
	if (s->install && t->requested && res->kind != SILO_KNOT_FAILED &&
	    res->kind != SILO_KNOT_SKIPPED) {
		int ret = silo_knot_install(t, s->root);
		if (ret < 0) {
			s->status = fe_lib_error(ret);
		}
	}
}

/* The command line, for the provenance. */
static char *command_line(int argc, const char **argv)
{
	size_t len = strlen("knot build") + 1;
	char *s;
	int i;

	for (i = 1; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (!(s = malloc(len)))
		return NULL;
	strcpy(s, "knot build");
	for (i = 1; i < argc; i++) {
		strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

int cmd_knot_build(int argc, const char **argv)
{
	struct silo_knot_config cfg = { 0 };
	struct silo_knot_build_options o = { 0 };
	struct state st;
	struct fe_option opts[] = {
		OPT_INT('j', "jobs", &o.jobs, "n", "build N wedges at once (default 1)"),
		OPT_FLAG(0, "unboxed", &cfg.unboxed, "run recipes without the bubblewrap box"),
		OPT_FLAG(0, "keep-going", &o.keep_going, "after a failure, go on with what does not depend on it"),
		OPT_FLAG(0, "rebuild", &o.rebuild, "build published wedges again and compare the trees"),
		OPT_STRING(0, "derived", &cfg.derived, "dir", "the derived medo (default: beside the source medo)"),
		OPT_FLAG(0, "install", &st.install, "then put each wedge at its /wedge path, as knot install"),
		OPT_STRING(0, "root", &st.root, "dir", "with --install: below DIR instead of /"),
		OPT_FLAG('v', "verbose", &st.verbose, "print what was done with each wedge"),
		OPT_END()
	};
	char *cmdline;
	silo_knot_set *set;
	int ret;

	memset(&st, 0, sizeof(st));
	cmdline = command_line(argc, argv);
	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0) {
		free(cmdline);
		return fe_parse_exit(argc);
	}
	if (argc < 1) {
		free(cmdline);
		return fe_usage_error(usage, opts, "name recipe directories or a source medo");
	}
	if (o.jobs < 0) {
		free(cmdline);
		return fe_usage_error(usage, opts, "-j must not be negative");
	}
	if (st.root && !st.install) {
		free(cmdline);
		return fe_usage_error(usage, opts, "--root needs --install");
	}
	if ((ret = knot_cmd_load(&set, &cfg, argc, argv))) {
		free(cmdline);
		return ret;
	}
	o.command = cmdline;
	o.tool = "knot " SILO_VERSION;
	st.total = silo_knot_set_count(set);
	fe_progress_start(&st.progress, "knot: wedges done", 0);
	ret = silo_knot_build_all(set, &o, on_result, &st);
	fe_progress_stop(&st.progress, st.done, st.total);
	if (ret < 0)
		st.status = fe_lib_error(ret);
	silo_knot_set_free(set);
	free(cmdline);
	return st.status;
}
