/*
 * One task of knot build's graph, as ninja runs it through knot
 * run-task: its inputs in one file (<build-dir>/tasks/<key>.json,
 * Documentation/knot-run-task.1.scd), written by knot build and read by
 * the task; then the task itself: read the recipes, find the version
 * with the task's key, build and publish it, append its row (and keep
 * its log) in the report, and touch its stamp when it succeeded.
 */
#include "knot-internal.h"
#include "json-text.h"
#include "error-internal.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the task file ---- */

#define TASK_FORMAT 1

/* A task file is JSON, whose strings are UTF-8. */
static int utf8_check(const char *s)
{
	json_t *j = json_string(s);

	if (!j)
		return silo__error_set(SILO_EINVALID, "'%s' is not UTF-8, which a task file (JSON) cannot hold", s);
	json_decref(j);
	return 0;
}

int knot_path_check(const char *path)
{
	if (strchr(path, '\n'))
		return silo__error_set(SILO_EINVALID, "'%s': a path with a newline cannot be built", path);
	return utf8_check(path);
}

/* VALUE as a JSON string, or null. */
static json_t *string_or_null(const char *value)
{
	return value ? json_string(value) : json_null();
}

int knot_task_file_write(const char *path, const struct silo_knot_task_spec *spec)
{
	json_t *doc;
	char *limits = silo_knot_limits_format(&spec->limits), *json = NULL, *text = NULL;
	int ret, len;

	if (!limits)
		return silo__error_oom();
	{	/* the paths, and what else is text */
		const char *const paths[] = { spec->recipe, spec->derived, spec->silo,
			spec->sign_key, spec->report, spec->stamp, spec->recipe_cache, spec->phase,
			spec->base };
		size_t i;
		for (i = 0; i < sizeof(paths) / sizeof(*paths); i++)
			if (paths[i] && (ret = knot_path_check(paths[i])) < 0) {
				free(limits);
				return ret;
			}
		if ((spec->domain && (ret = utf8_check(spec->domain)) < 0) ||
		    (spec->layout && (ret = knot_path_check(spec->layout)) < 0) ||
		    (spec->command && (ret = utf8_check(spec->command)) < 0)) {
			free(limits);
			return ret;
		}
	}
	doc = json_pack("{s:i, s:s, s:s, s:o, s:o, s:b, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			"knot-task", TASK_FORMAT, "key", spec->key, "recipe", spec->recipe,
			"domain", string_or_null(spec->domain),
			"layout", string_or_null(spec->layout), "unboxed", spec->unboxed,
			"limits", limits, "rebuild", spec->rebuild,
			"derived", string_or_null(spec->derived), "silo", string_or_null(spec->silo),
			"sign-key", string_or_null(spec->sign_key),
			"report", string_or_null(spec->report), "stamp", string_or_null(spec->stamp),
			"phase", string_or_null(spec->phase),
			"recipe-cache", string_or_null(spec->recipe_cache),
			"base", string_or_null(spec->base),
			"base-packages", string_or_null(spec->base_packages),
			"command", string_or_null(spec->command));
	free(limits);
	if (doc)
		json = json_dumps(doc, JSON_INDENT(2));
	json_decref(doc);
	len = json ? asprintf(&text, "%s\n", json) : -1;
	free(json);
	if (len < 0)
		return silo__error_oom();
	ret = knot_write_file(path, text, (size_t)len);
	free(text);
	return ret;
}

static int field_error(const char *path, const char *field, const char *expected, const json_t *got)
{
	if (!got)
		return silo__error_set(SILO_EINVALID, "'%s': missing field '%s': expected %s",
				      path, field, expected);
	return silo__error_set(SILO_EINVALID, "'%s': field '%s': expected %s, not %s",
			      path, field, expected, json_type_name(got));
}

/* How a field of the task file is read. */
enum field_kind {
	F_KEY,		/* 64 lowercase hex digits */
	F_PATH,		/* an absolute path */
	F_TEXT,		/* a string that is not empty */
	F_FLAG,		/* true or false */
	F_LIMITS,	/* limits as --limits takes them */
	F_PACKAGES	/* as silo_knot_base_packages() gives them */
};

struct field {
	const char *name;
	enum field_kind kind;
	int required;
	size_t offset;		/* in struct silo_knot_task_spec */
};

#define SPEC_AT(member) offsetof(struct silo_knot_task_spec, member)

static const struct field fields[] = {
	{ "key", F_KEY, 1, SPEC_AT(key) },
	{ "recipe", F_PATH, 1, SPEC_AT(recipe) },
	{ "domain", F_TEXT, 0, SPEC_AT(domain) },
	{ "layout", F_TEXT, 0, SPEC_AT(layout) },
	{ "unboxed", F_FLAG, 0, SPEC_AT(unboxed) },
	{ "limits", F_LIMITS, 0, SPEC_AT(limits) },
	{ "rebuild", F_FLAG, 0, SPEC_AT(rebuild) },
	{ "derived", F_PATH, 0, SPEC_AT(derived) },
	{ "silo", F_PATH, 0, SPEC_AT(silo) },
	{ "sign-key", F_PATH, 0, SPEC_AT(sign_key) },
	{ "report", F_PATH, 0, SPEC_AT(report) },
	{ "stamp", F_PATH, 0, SPEC_AT(stamp) },
	{ "phase", F_PATH, 0, SPEC_AT(phase) },
	{ "recipe-cache", F_PATH, 0, SPEC_AT(recipe_cache) },
	{ "base", F_PATH, 0, SPEC_AT(base) },
	{ "base-packages", F_PACKAGES, 0, SPEC_AT(base_packages) },
	{ "command", F_TEXT, 0, SPEC_AT(command) },
};

#define N_FIELDS (sizeof(fields) / sizeof(*fields))

static int read_field(struct silo_knot_task_spec *spec, const struct field *f, json_t *v,
		      const char *path)
{
	char *at = (char *)spec + f->offset;
	const char *s;

	if (f->kind == F_FLAG) {
		if (!json_is_boolean(v))
			return field_error(path, f->name, "true or false", v);
		*(int *)(void *)at = json_is_true(v);
		return 0;
	}
	if (json_is_null(v) && !f->required)
		return 0;
	if (!json_is_string(v))
		return field_error(path, f->name, f->required ? "a string" : "a string or null", v);
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return silo__error_set(SILO_EINVALID, "'%s': field '%s': a NUL byte in a string",
				      path, f->name);
	switch (f->kind) {
	case F_KEY:
		if (strlen(s) != 64 || strspn(s, "0123456789abcdef") != 64)
			return silo__error_set(SILO_EINVALID,
					      "'%s': field '%s': expected 64 lowercase hex digits, not '%s'",
					      path, f->name, s);
		break;
	case F_PATH:
		if (s[0] != '/' || strchr(s, '\n'))
			return silo__error_set(SILO_EINVALID,
					      "'%s': field '%s': expected an absolute path without a newline",
					      path, f->name);
		break;
	case F_TEXT:
		if (!*s)
			return silo__error_set(SILO_EINVALID,
					      "'%s': field '%s': expected a string that is not empty, or null",
					      path, f->name);
		break;
	case F_LIMITS: {
		char *what;
		int ret;
		if (asprintf(&what, "'%s': field '%s'", path, f->name) < 0)
			return silo__error_oom();
		ret = silo_knot_limits_parse((struct silo_knot_limits *)(void *)at, s, what);
		free(what);
		return ret;
	}
	case F_PACKAGES:
		if (!silo_knot_base_packages_valid(s))
			return silo__error_set(SILO_EINVALID,
					      "'%s': field '%s': expected '<sha256> (<n> packages)', not '%s'",
					      path, f->name, s);
		break;
	case F_FLAG:
		break;
	}
	*(const char **)(void *)at = s;
	return 0;
}

int silo_knot_task_file_read(struct silo_knot_task_file *out, const char *path)
{
	json_error_t jerr;
	json_t *doc, *v;
	const char *name;
	size_t i;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	/* What a task file leaves out is the default, not the environment. */
	out->spec.domain = SILO_KNOT_DEFAULT_DOMAIN;
	silo_knot_limits_default(&out->spec.limits);
	if (!(doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr))) {
		if (json_error_code(&jerr) == json_error_cannot_open_file)
			return silo__error_set(access(path, F_OK) < 0 && errno == ENOENT ? SILO_ENOTFOUND : SILO_EIO,
					      "cannot read the task file '%s': %s", path, jerr.text);
		return silo__error_set(SILO_EINVALID, "'%s' line %d: %s", path, jerr.line, jerr.text);
	}
	if (!json_is_object(doc)) {
		ret = silo__error_set(SILO_EINVALID, "'%s': expected a JSON object, not %s", path,
				     json_type_name(doc));
		goto out;
	}
	v = json_object_get(doc, "knot-task");
	if (!json_is_integer(v)) {
		ret = field_error(path, "knot-task", "the format version, an integer", v);
		goto out;
	}
	if (json_integer_value(v) != TASK_FORMAT) {
		ret = silo__error_set(SILO_EINVALID, "'%s': field 'knot-task': format version %lld, not %d: "
				     "was it written by another version of knot?", path,
				     (long long)json_integer_value(v), TASK_FORMAT);
		goto out;
	}
	json_object_foreach(doc, name, v) {
		for (i = 0; i < N_FIELDS && strcmp(fields[i].name, name); i++)
			;
		if (i == N_FIELDS && strcmp(name, "knot-task")) {
			ret = silo__error_set(SILO_EINVALID, "'%s': unknown field '%s'", path, name);
			goto out;
		}
	}
	for (i = 0; i < N_FIELDS && !ret; i++) {
		v = json_object_get(doc, fields[i].name);
		if (!v && fields[i].required)
			ret = field_error(path, fields[i].name, "a string", NULL);
		else if (v)
			ret = read_field(&out->spec, &fields[i], v, path);
	}
out:
	if (ret < 0) {
		json_decref(doc);
		memset(out, 0, sizeof(*out));
		return ret;
	}
	out->doc = doc;
	return 0;
}

void silo_knot_task_file_release(struct silo_knot_task_file *f)
{
	json_decref(f->doc);
	memset(f, 0, sizeof(*f));
}

/* ---- running it ---- */

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
		int ret = silo__error_set(SILO_EIO, "cannot write the stamp '%s': %s", file,
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
	/* The recipe's processes, boxed or not, are among the children:
	 * res->box_* is already in them. */
	row->user = tv_secs(self.ru_utime) + tv_secs(children.ru_utime);
	row->sys = tv_secs(self.ru_stime) + tv_secs(children.ru_stime);
	row->max_rss_kib = self.ru_maxrss > children.ru_maxrss ? self.ru_maxrss : children.ru_maxrss;
	if (res->box_max_rss_kib > row->max_rss_kib)
		row->max_rss_kib = res->box_max_rss_kib;
}

int silo_knot_run_task(struct silo_knot_result *res, const struct silo_knot_task_spec *spec,
		       int (*exit_status)(const struct silo_knot_result *res))
{
	struct silo_knot_config cfg = { 0 };
	struct silo_knot_build_options o = { 0 };
	struct silo_knot_row row;
	struct silo_knot_task *t;
	silo_knot_set *set;
	char *log = NULL, *why = NULL;
	const char *recipe = spec->recipe;
	int ret, status;

	memset(res, 0, sizeof(*res));
	cfg.domain = spec->domain;
	cfg.layout = spec->layout ? spec->layout : "wedge";
	cfg.unboxed = spec->unboxed;
	cfg.limits = &spec->limits;
	cfg.derived = spec->derived;
	cfg.silo = spec->silo;
	/* What knot build learnt already: the recipes as sourced. */
	cfg.recipe_cache = spec->recipe_cache;
	cfg.recipe_cache_read = spec->recipe_cache != NULL;
	cfg.base = spec->base;
	if ((ret = silo_knot_set_open(&set, &cfg, &recipe, 1)) < 0)
		return ret;
	if (!(t = task_with_key(set, spec->key))) {
		silo_knot_set_free(set);
		return silo__error_set(SILO_EINVALID,
				      "'%s': no version has the key %s (was the recipe changed since the graph was written?)",
				      spec->recipe, spec->key);
	}
	if (spec->report && ((ret = silo_knot_report_init(spec->report)) < 0 ||
			     asprintf(&log, "%s/logs/%s.log", spec->report, t->key) < 0)) {
		silo_knot_set_free(set);
		return ret < 0 ? ret : silo__error_oom();
	}
	o.rebuild = spec->rebuild;
	o.sign_key = spec->sign_key;
	o.base_packages = spec->base_packages;
	o.command = spec->command;
	o.tool = spec->tool;
	o.log_copy = log;
	memset(&row, 0, sizeof(row));
	/* Why it runs, before it is published. */
	if (silo_knot_explain(&why, NULL, t, set) < 0) {
		silo_error_clear();
		why = NULL;
	}
	row.why = why ? why : "-";
	row.start = wall_now();
	o.phase_file = spec->phase;
	o.phase_start = row.start;
	ret = silo_knot_build(res, t, set, &o);
	row.end = wall_now();
	/* Only a running task has a phase; one left behind is only shown
	 * (knot build removes them before and after its run). */
	if (spec->phase)
		(void)unlink(spec->phase);
	if (ret < 0) {
		memset(res, 0, sizeof(*res));
		res->kind = SILO_KNOT_FAILED;
		res->error = ret;
		res->message = strdup(silo_error_message());
		if (log)
			write_message_log(log, silo_error_message());
	}
	/* A build that failed before it ran has its message as its log. */
	if (res->kind == SILO_KNOT_FAILED && log && res->message && access(log, F_OK) < 0)
		write_message_log(log, res->message);
	status = exit_status(res);
	fill_row(&row, t, res, status);
	row.log = res->kind == SILO_KNOT_CACHED || !log ? "-" : log + strlen(spec->report) + 1;
	ret = 0;
	if (spec->report && (res->kind == SILO_KNOT_CACHED || res->kind == SILO_KNOT_BUILT ||
			     res->kind == SILO_KNOT_SAME))
		ret = knot_row_treeptr(&row, t->derived_treeptr);
	if (!ret && spec->report && (ret = silo_knot_report_append(spec->report, &row)) < 0 && status)
		ret = 0;	/* the build's failure is what the task says */
	if (!ret && !status && spec->stamp)
		ret = touch(spec->stamp);
	if (ret < 0)
		silo_knot_result_release(res);
	silo_knot_set_free(set);
	free(log);
	free(why);
	free(row.tree);
	free(row.treeptr);
	return ret;
}
