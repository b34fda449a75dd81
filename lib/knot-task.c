/*
 * One task of knot build's graph, as ninja runs it through knot
 * run-task: read the recipes, find the version with the task's key,
 * build and publish it, append its row (and keep its log) in the
 * report, and touch its stamp when it succeeded.
 */
#include "knot-internal.h"
#include "error-internal.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
		int ret = silo_error_set(SILO_EIO, "cannot write the stamp '%s': %s", file,
					 strerror(errno));
		if (fd >= 0)
			close(fd);
		return ret;
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

/* The task of SET with KEY that was asked for, or NULL. */
static struct silo_knot_task *task_with_key(silo_knot_set *set, const char *key)
{
	struct silo_knot_task *t = NULL;
	size_t i;

	for (i = 0; i < silo_knot_set_count(set); i++)
		if (!strcmp(silo_knot_set_task(set, i)->key, key) &&
		    silo_knot_set_task(set, i)->requested)
			t = silo_knot_set_task(set, i);
	return t;
}

/* The row of the report for T, as RES and the clock say. */
static void fill_row(struct silo_knot_row *row, const struct silo_knot_task *t,
		     const struct silo_knot_result *res, int status)
{
	struct rusage self, children;

	row->wedge = t->recipe->name;
	row->version = (char *)t->version;
	row->key = (char *)t->key;
	switch (res->kind) {
	case SILO_KNOT_FAILED:
		row->cache = "failed";
		break;
	case SILO_KNOT_CACHED:
		row->cache = "hit";
		break;
	default:
		row->cache = "built";
	}
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	row->status = status;
	row->elapsed = row->end - row->start;
	row->user = tv_secs(self.ru_utime) + tv_secs(children.ru_utime);
	row->sys = tv_secs(self.ru_stime) + tv_secs(children.ru_stime);
	row->max_rss_kib = self.ru_maxrss > children.ru_maxrss ? self.ru_maxrss : children.ru_maxrss;
}

int silo_knot_run_task(struct silo_knot_result *res, const struct silo_knot_task_spec *spec,
		       int (*exit_status)(const struct silo_knot_result *res))
{
	struct silo_knot_config cfg = { 0 };
	struct silo_knot_build_options o = { 0 };
	struct silo_knot_row row;
	struct silo_knot_task *t;
	silo_knot_set *set;
	char *log = NULL;
	const char *recipe = spec->recipe;
	int ret, status;

	memset(res, 0, sizeof(*res));
	cfg.domain = spec->domain;
	cfg.unboxed = spec->unboxed;
	cfg.limits = &spec->limits;
	cfg.derived = spec->derived;
	cfg.silo = spec->silo;
	/* What knot build learnt already: the recipes as sourced. */
	cfg.recipe_cache = spec->recipe_cache;
	cfg.recipe_cache_read = spec->recipe_cache != NULL;
	if ((ret = silo_knot_set_open(&set, &cfg, &recipe, 1)) < 0)
		return ret;
	if (!(t = task_with_key(set, spec->key))) {
		silo_knot_set_free(set);
		return silo_error_set(SILO_EINVALID,
				      "'%s': no version has the key %s (was the recipe changed since the graph was written?)",
				      spec->recipe, spec->key);
	}
	if (spec->report && ((ret = silo_knot_report_init(spec->report)) < 0 ||
			     asprintf(&log, "%s/logs/%s.log", spec->report, t->key) < 0)) {
		silo_knot_set_free(set);
		return ret < 0 ? ret : silo_error_oom();
	}
	o.rebuild = spec->rebuild;
	o.sign_key = spec->sign_key;
	o.base_packages = spec->base_packages;
	o.command = spec->command;
	o.tool = spec->tool;
	o.log_copy = log;
	memset(&row, 0, sizeof(row));
	row.start = wall_now();
	ret = silo_knot_build(res, t, set, &o);
	row.end = wall_now();
	if (ret < 0) {
		memset(res, 0, sizeof(*res));
		res->kind = SILO_KNOT_FAILED;
		res->error = ret;
		res->message = strdup(silo_error_message());
		if (log)
			write_message_log(log, silo_error_message());
	}
	status = exit_status(res);
	fill_row(&row, t, res, status);
	row.log = res->kind == SILO_KNOT_CACHED || !log ? "-" : log + strlen(spec->report) + 1;
	ret = 0;
	if (spec->report && (ret = silo_knot_report_append(spec->report, &row)) < 0 && status)
		ret = 0;	/* the build's failure is what the task says */
	if (!ret && !status && spec->stamp)
		ret = touch(spec->stamp);
	if (ret < 0)
		silo_knot_result_release(res);
	silo_knot_set_free(set);
	free(log);
	return ret;
}
