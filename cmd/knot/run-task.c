/* knot run-task: build and publish one task of knot build's graph. */
#include "knot-cmd.h"
#include "silo/error.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#ifndef SILO_VERSION
#define SILO_VERSION "unknown"
#endif

static const struct fe_usage *const usage = &fe_usage_knot_run_task;

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv_secs(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Create FILE, or set its time to now. */
static int touch(const char *file)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0 || futimens(fd, NULL) < 0) {
		if (fd >= 0)
			close(fd);
		return fe_error(FE_EXIT_IO, "cannot write the stamp '%s': %m", file);
	}
	close(fd);
	return 0;
}

/* A log holding only MESSAGE, for a task that failed before it ran. */
static void write_message_log(const char *path, const char *message)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fprintf(f, "knot: %s\n", message);
		fclose(f);
	}
}

int cmd_knot_run_task(int argc, const char **argv)
{
	struct silo_knot_config cfg = { 0 };
	struct silo_knot_build_options o = { 0 };
	const char *key = NULL, *report = NULL, *stamp = NULL, *limits_opt = NULL;
	struct silo_knot_limits limits;
	struct fe_option opts[] = {
		OPT_STRING(0, "key", &key),
		OPT_FLAG(0, "unboxed", &cfg.unboxed),
		OPT_STRING(0, "limits", &limits_opt),
		OPT_FLAG(0, "rebuild", &o.rebuild),
		OPT_STRING(0, "derived", &cfg.derived),
		OPT_STRING(0, "silo", &cfg.silo),
		OPT_STRING(0, "report", &report),
		OPT_STRING(0, "stamp", &stamp),
		OPT_STRING(0, "sign-key", &o.sign_key),
		OPT_END()
	};
	struct silo_knot_row row;
	struct silo_knot_result res;
	struct silo_knot_task *t = NULL;
	struct rusage self, children;
	silo_knot_set *set;
	char *log = NULL, *cmdline = NULL;
	size_t i;
	int ret, status = 0;

	/* A task dies with the ninja (and the knot build) that started it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc != 1 || !key)
		return fe_usage_error(usage, opts, "name one recipe directory and --key");
	if ((ret = knot_cmd_limits(&limits, limits_opt)))
		return ret;
	cfg.limits = &limits;
	/* Stopped by ninja (or anyone), the task stops its box first. */
	knot_cmd_catch_signals();
	if (!report && getenv("KNOT_REPORT") && *getenv("KNOT_REPORT"))
		report = getenv("KNOT_REPORT");
	/* What knot build learnt already: the recipes as sourced, and the
	 * installed packages. */
	if (getenv("KNOT_RECIPE_CACHE") && *getenv("KNOT_RECIPE_CACHE") == '/') {
		cfg.recipe_cache = getenv("KNOT_RECIPE_CACHE");
		cfg.recipe_cache_read = 1;
	}
	if (getenv("KNOT_BASE_PACKAGES") && silo_knot_base_packages_valid(getenv("KNOT_BASE_PACKAGES")))
		o.base_packages = getenv("KNOT_BASE_PACKAGES");
	if ((ret = knot_cmd_load(&set, &cfg, argc, argv)))
		return knot_cmd_finish(ret);
	for (i = 0; i < silo_knot_set_count(set); i++)
		if (!strcmp(silo_knot_set_task(set, i)->key, key) &&
		    silo_knot_set_task(set, i)->requested)
			t = silo_knot_set_task(set, i);
	if (!t) {
		silo_knot_set_free(set);
		return fe_error(FE_EXIT_INVALID,
				"'%s': no version has the key %s (was the recipe changed since the graph was written?)",
				argv[0], key);
	}
	memset(&row, 0, sizeof(row));
	row.wedge = t->recipe->name;
	row.version = (char *)t->version;
	row.key = t->key;
	if (report && ((ret = silo_knot_report_init(report)) < 0 ||
		       asprintf(&log, "%s/logs/%s.log", report, t->key) < 0)) {
		silo_knot_set_free(set);
		return ret < 0 ? fe_lib_error(ret) : fe_error(FE_EXIT_FAILURE, "out of memory");
	}
	if (asprintf(&cmdline, "knot run-task --key=%s %s", key, argv[0]) < 0)
		cmdline = NULL;
	o.command = getenv("KNOT_COMMAND") && *getenv("KNOT_COMMAND") ? getenv("KNOT_COMMAND") : cmdline;
	o.tool = "knot " SILO_VERSION;
	o.log_copy = log;
	row.start = wall_now();
	ret = silo_knot_build(&res, t, set, &o);
	row.end = wall_now();
	if (ret < 0) {
		memset(&res, 0, sizeof(res));
		res.kind = SILO_KNOT_FAILED;
		res.error = ret;
		res.message = strdup(silo_error_message());
		if (log)
			write_message_log(log, silo_error_message());
	}
	switch (res.kind) {
	case SILO_KNOT_FAILED:
		status = res.error == SILO_ERROR ? FE_EXIT_FAILURE : fe_exit_for(res.error);
		if (res.log)
			fe_error(0, "%s; log: %s", res.message ? res.message : "build failed", res.log);
		else
			fe_error(0, "%s", res.message ? res.message : "build failed");
		row.cache = "failed";
		break;
	case SILO_KNOT_DIFFERS:
		fe_warning("%s", res.message ? res.message : "a rebuild differs");
		status = FE_EXIT_NEGATIVE;
		row.cache = "built";
		break;
	case SILO_KNOT_CACHED:
		row.cache = "hit";
		break;
	default:
		row.cache = "built";
	}
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	row.status = status;
	row.elapsed = row.end - row.start;
	row.user = tv_secs(self.ru_utime) + tv_secs(children.ru_utime);
	row.sys = tv_secs(self.ru_stime) + tv_secs(children.ru_stime);
	row.max_rss_kib = self.ru_maxrss > children.ru_maxrss ? self.ru_maxrss : children.ru_maxrss;
	row.log = res.kind == SILO_KNOT_CACHED || !log ? "-" : log + strlen(report) + 1;
	if (report && (ret = silo_knot_report_append(report, &row)) < 0 && !status)
		status = fe_lib_error(ret);
	if (!status && stamp)
		status = touch(stamp);
	silo_knot_result_release(&res);
	silo_knot_set_free(set);
	free(log);
	free(cmdline);
	return knot_cmd_finish(status);
}
