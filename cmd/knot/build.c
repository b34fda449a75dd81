/* knot build: build and publish the wedges that are not published, as a
 * ninja graph of "knot run-task" edges, with a report of the tasks. */
#include "knot-cmd.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const struct fe_usage *const usage = &fe_usage_knot_build;

/* Progress on standard error: a line per task ended, and below them one
 * line rewritten as the tasks run, "[1/3] hello/2.10: make 0:42". */
struct progress {
	int enabled;
	char line[512];		/* the line shown, or "" */
};

/* Take the rewritten line away before other lines are written. */
static void progress_clear(struct progress *pr)
{
	if (pr->line[0])
		fputs("\r\033[K", stderr);
	pr->line[0] = '\0';
}

/* Ninja's output: its line for each task ended, without the key, on a
 * terminal; the tasks' own messages. */
static void on_ninja_line(void *payload, int kind, const char *line)
{
	struct progress *pr = payload;
	const char *key = strrchr(line, ' ');

	if (kind == SILO_KNOT_LINE_PROGRESS && !pr->enabled)
		return;
	progress_clear(pr);
	if (kind == SILO_KNOT_LINE_PROGRESS)
		fprintf(stderr, "%.*s\n", key && strlen(key + 1) == 64 ? (int)(key - line) : (int)strlen(line),
			line);
	else if (kind == SILO_KNOT_LINE_ERROR)
		fe_error(0, "ninja: %s", line);
	else if (kind == SILO_KNOT_LINE_TASK)
		fprintf(stderr, "%s\n", line);
}

/* The running tasks, each with its phase and time, as wide as the terminal. */
static void on_progress(void *payload, size_t done, size_t total,
			const struct silo_knot_running *v, size_t n)
{
	struct progress *pr = payload;
	char line[sizeof(pr->line)];
	struct winsize ws;
	size_t i, len, width = sizeof(line) - 1;

	len = (size_t)snprintf(line, sizeof(line), "[%zu/%zu]", done, total);
	for (i = 0; i < n && len < sizeof(line); i++) {
		char t[32];
		fe_format_duration(t, sizeof(t), v[i].elapsed);
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s %s/%s: %s %s",
					i ? "," : "", v[i].task->recipe->name, v[i].task->version,
					v[i].phase, t);
	}
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && ws.ws_col <= width)
		width = ws.ws_col - 1U;
	line[width] = '\0';
	if (!n || !strcmp(line, pr->line))
		return;
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	snprintf(pr->line, sizeof(pr->line), "%s", line);
}

static const char *kind_name(int kind)
{
	switch (kind) {
	case SILO_KNOT_CACHED: return "cached";
	case SILO_KNOT_SAME: return "same";
	case SILO_KNOT_DIFFERS: return "differs";
	case SILO_KNOT_FAILED: return "failed";
	case SILO_KNOT_SKIPPED: return "skipped";
	default: return "built";
	}
}

int cmd_knot_build(int argc, const char **argv)
{
	struct silo_knot_config cfg = { 0 };
	struct silo_knot_build_all_options o = { 0 };
	struct silo_knot_build_result *r = NULL;
	struct silo_knot_limits limits;
	const char *limits_opt = NULL;
	int allowed = 0, verbose = 0;
	struct progress progress = { 0, "" };
	struct fe_option opts[] = {
		OPT_INT('j', "jobs", &o.jobs),
		OPT_FLAG(0, "unboxed", &cfg.unboxed),
		OPT_STRING(0, "limits", &limits_opt),
		OPT_FLAG(0, "keep-going", &o.keep_going),
		OPT_INT(0, "allowed-failures", &allowed),
		OPT_FLAG(0, "rebuild", &o.rebuild),
		OPT_STRING(0, "derived", &cfg.derived),
		OPT_STRING(0, "base", &cfg.base),
		OPT_STRING(0, "layout", &cfg.layout),
		OPT_STRING(0, "build-dir", &o.build_dir),
		OPT_STRING(0, "report", &o.report),
		OPT_INT(0, "heavy-jobs", &o.heavy_jobs),
		OPT_STRING(0, "sign-key", &o.sign_key),
		OPT_FLAG(0, "install", &o.install),
		OPT_STRING(0, "root", &o.root),
		OPT_FLAG('v', "verbose", &verbose),
		OPT_END()
	};
	char exe[4096], cmdline[4096] = "";
	size_t i, failures = 0, skipped = 0;
	int ret, status = 0, first_failure = 0, negative = 0;
	ssize_t len;

	/* The command line, for the provenance the tasks record. */
	for (i = 0; i < (size_t)argc; i++) {
		size_t l = strlen(cmdline);
		snprintf(cmdline + l, sizeof(cmdline) - l, "%s%s", i ? " " : "knot ", argv[i]);
	}
	o.heavy_jobs = 1;
	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc < 1)
		return fe_usage_error(usage, opts, "name recipe directories or a source medo");
	if (o.jobs < 0 || allowed < 0 || o.heavy_jobs < 1)
		return fe_usage_error(usage, opts, "-j and --allowed-failures must not be negative, --heavy-jobs at least 1");
	if (o.root && !o.install)
		return fe_usage_error(usage, opts, "--root needs --install");
	if (allowed)
		o.keep_going = 1;
	if ((status = knot_cmd_limits(&limits, limits_opt)))
		return status;
	cfg.limits = &limits;
	/* Interrupted, knot stops ninja, which stops the tasks, each of
	 * which stops its box; then it dies of the signal. */
	knot_cmd_catch_signals();
	if ((len = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) < 0)
		return fe_error(FE_EXIT_FAILURE, "cannot find my own program: %m");
	exe[len] = '\0';
	progress.enabled = !fe_quiet && (fe_progress_mode >= 0 ? fe_progress_mode : isatty(2));
	o.cfg = &cfg;
	o.paths = argv;
	o.n_paths = (size_t)argc;
	o.program = exe;
	o.command = cmdline;
	o.on_line = on_ninja_line;
	o.on_progress = progress.enabled ? on_progress : NULL;
	o.payload = &progress;
	ret = silo_knot_build_all(&r, &o);
	progress_clear(&progress);
	if (!r)
		return knot_cmd_finish(fe_lib_error(ret));
	/* With --keep-going, what cannot be built is not built; the rest is. */
	for (i = 0; i < silo_knot_set_absent_count(r->set); i++) {
		const struct silo_knot_absent *a = silo_knot_set_absent(r->set, i);

		if (a->kind == SILO_KNOT_INVALID) {
			fe_error(0, "%s", a->reason);
			failures++;
			if (!first_failure)
				first_failure = FE_EXIT_INVALID;
		}
		if (verbose)
			printf("%s %s/%s - -\n", a->kind == SILO_KNOT_INVALID ? "invalid" : "no-source",
			       a->name, a->version ? a->version : "-");
	}
	for (i = 0; i < r->n; i++) {
		const struct silo_knot_outcome *c = &r->v[i];
		const struct silo_knot_task *t = c->task;

		if (c->kind == SILO_KNOT_SKIPPED) {
			fe_error(0, "%s/%s: not built, after an earlier failure", t->recipe->name, t->version);
			skipped++;
		} else if (c->kind == SILO_KNOT_FAILED) {
			failures++;
			if (!first_failure)
				first_failure = c->status ? c->status : FE_EXIT_FAILURE;
		}
		negative |= c->kind == SILO_KNOT_DIFFERS;
		if (verbose)
			printf("%s %s/%s %s %s\n", kind_name(c->kind), t->recipe->name, t->version, t->key,
			       c->tree);
		if (c->installed < 0)
			status = fe_error(fe_exit_for(c->installed), "%s", c->install_message);
	}
	if (ret < 0 && !status)
		status = fe_lib_error(ret);
	/* Tasks skipped after a failure count with it, not on their own. */
	if (!status && (failures > (size_t)allowed || (skipped && !failures)))
		status = first_failure ? first_failure : FE_EXIT_FAILURE;
	if (!status && negative)
		status = FE_EXIT_NEGATIVE;
	if (!status && r->ninja_status && !failures && !skipped)
		status = fe_error(FE_EXIT_FAILURE, "ninja failed (exit status %d)", r->ninja_status);
	if (!fe_quiet)
		fprintf(stderr, "knot: report: %s/index.html\n", r->report);
	silo_knot_build_result_free(r);
	return knot_cmd_finish(status);
}
