/*
 * knot build, top to bottom (Documentation/knot-build.1.scd): the paths,
 * the set, the report's first rows (cache hits), the graph and a task
 * file for each task to run (knot-graph.c, knot-task.c), ninja (with
 * the phase of each running task, from its phase file), and what
 * became of each task, read back from the report; then installing and
 * the report's index.html.
 */
#include "knot-internal.h"
#include "error-internal.h"
#include "fsutil.h"
#include "silo/treeptr.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* PATH made absolute (owned by the caller), or NULL. */
static char *absolute(const char *path)
{
	char *cwd, *s;

	if (path[0] == '/')
		return strdup(path);
	if (!(cwd = getcwd(NULL, 0)))
		return NULL;
	s = fs_join(cwd, path);
	free(cwd);
	return s;
}

/* A new report directory below BUILD_DIR/reports, named by the time. */
static char *new_report_dir(const char *build_dir)
{
	char stamp[64], *s;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (asprintf(&s, "%s/reports/%s-%ld", build_dir, stamp, (long)getpid()) < 0)
		return NULL;
	return s;
}

/* What knot build works with, beside the result. */
struct plan {
	char *build_dir, *derived, *sign_key, *recipes, *base;
	int *published;		/* enum silo_knot_published of each task */
	unsigned char *run;	/* each task: to run */
	size_t to_run;
	struct silo_knot_row *rows;	/* the report, read back */
	size_t n_rows;
};

static void plan_release(struct plan *p)
{
	free(p->build_dir);
	free(p->derived);
	free(p->sign_key);
	free(p->recipes);
	free(p->base);
	free(p->published);
	free(p->run);
	silo_knot_rows_free(p->rows, p->n_rows);
}

void silo_knot_build_result_free(struct silo_knot_build_result *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		free(r->v[i].install_message);
	free(r->v);
	silo_knot_set_free(r->set);
	free(r->report);
	free(r);
}

/* The paths made absolute and checked, before anything is written. */
static int plan_paths(struct plan *p, struct silo_knot_build_result *r,
		      const struct silo_knot_build_all_options *o)
{
	const char *derived = o->cfg ? o->cfg->derived : NULL;
	int ret;

	if (!(p->build_dir = absolute(o->build_dir ? o->build_dir : ".knot")) ||
	    !(r->report = o->report ? absolute(o->report) : new_report_dir(p->build_dir)) ||
	    (derived && !(p->derived = absolute(derived))) ||
	    (o->sign_key && !(p->sign_key = absolute(o->sign_key))) ||
	    !(p->recipes = fs_join(p->build_dir, "recipes")))
		return silo__error_oom();
	if (strchr(o->program, '\n'))
		return silo__error_set(SILO_EINVALID, "'%s': a path with a newline cannot be built",
				      o->program);
	if ((ret = knot_path_check(p->build_dir)) < 0 || (ret = knot_path_check(r->report)) < 0 ||
	    (p->derived && (ret = knot_path_check(p->derived)) < 0) ||
	    (p->sign_key && (ret = knot_path_check(p->sign_key)) < 0))
		return ret;
	return 0;
}

/* The set, its recipes checked as the paths above, and which tasks run:
 * those not published, and with rebuild the requested ones. */
static int plan_set(struct plan *p, struct silo_knot_build_result *r,
		    const struct silo_knot_build_all_options *o)
{
	struct silo_knot_config cfg = { 0 };
	size_t i, n;
	int ret;

	if (o->cfg)
		cfg = *o->cfg;
	cfg.derived = p->derived;
	cfg.keep_going = o->keep_going;
	/* What each recipe gave when sourced, for the tasks to read back. */
	cfg.recipe_cache = p->recipes;
	cfg.recipe_cache_read = 0;
	if ((ret = silo_knot_set_open(&r->set, &cfg, o->paths, o->n_paths)) < 0)
		return ret;
	n = silo_knot_set_count(r->set);
	if (!(p->published = calloc(n ? n : 1, sizeof(*p->published))) ||
	    !(p->run = calloc(n ? n : 1, 1)))
		return silo__error_oom();
	for (i = 0; i < n; i++) {
		const struct silo_knot_task *t = silo_knot_set_task(r->set, i);

		if ((ret = knot_path_check(t->recipe->dir)) < 0)
			return ret;
		if ((p->published[i] = silo_knot_published(t)) < 0)
			return p->published[i];
		p->run[i] = p->published[i] != SILO_KNOT_PUBLISHED || (o->rebuild && t->requested);
		p->to_run += p->run[i];
	}
	return 0;
}

/* The status of the report's row for an invalid recipe: what knot
 * run-task exits with for one (malformed input, in cmd/fe.h). */
#define KNOT_EXIT_INVALID 5

/* The report's first rows: the tasks that do not run are cache hits;
 * what cannot be built has a row with its reason as its log. */
static int report_hits(const struct plan *p, const struct silo_knot_build_result *r)
{
	size_t i;
	int ret;

	if ((ret = silo_knot_report_init(r->report)) < 0 ||
	    (ret = silo_knot_report_graph(r->set, r->report)) < 0)
		return ret;
	for (i = 0; i < silo_knot_set_count(r->set); i++) {
		struct silo_knot_task *t = silo_knot_set_task(r->set, i);
		struct silo_knot_row row;

		if (p->run[i])
			continue;
		memset(&row, 0, sizeof(row));
		row.wedge = t->recipe->name;
		row.version = (char *)t->version;
		row.key = t->key;
		row.cache = "hit";
		row.log = "-";
		row.why = "published";
		row.start = row.end = (double)time(NULL);
		ret = knot_row_treeptr(&row, t->derived_treeptr);
		if (!ret)
			ret = silo_knot_report_append(r->report, &row);
		free(row.tree);
		free(row.treeptr);
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < silo_knot_set_absent_count(r->set); i++) {
		const struct silo_knot_absent *a = silo_knot_set_absent(r->set, i);
		struct silo_knot_row row;
		char *log, *path, *text;

		memset(&row, 0, sizeof(row));
		row.wedge = a->name;
		row.version = a->version ? a->version : "-";
		row.key = "-";
		row.cache = a->kind == SILO_KNOT_NO_SOURCE ? "no-source" : "invalid";
		row.status = a->kind == SILO_KNOT_NO_SOURCE ? 0 : KNOT_EXIT_INVALID;
		row.start = row.end = (double)time(NULL);
		/* Its log is the reason. */
		if (!(log = knot_format("logs/%s-%s.%s.log", row.wedge, row.version, row.cache)))
			return silo__error_oom();
		path = fs_join(r->report, log);
		text = knot_format("knot: %s\n", a->reason);
		ret = path && text ? fs_write_file_atomic(path, text, strlen(text)) : silo__error_oom();
		row.log = log;
		if (!ret)
			ret = silo_knot_report_append(r->report, &row);
		free(log);
		free(path);
		free(text);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The tasks ninja runs, as their phase files and ninja's lines say. */
struct watch {
	const struct silo_knot_build_all_options *o;
	const struct plan *p;
	silo_knot_set *set;
	char *phases;			/* <build-dir>/phases */
	size_t done;			/* ninja's progress lines: tasks ended */
	struct silo_knot_running *v;	/* to_run of them */
	unsigned char *seen;		/* each task of the set: has a phase file */
	double last;			/* when on_progress was last called */
};

static double clock_now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void watch_line(void *payload, int kind, const char *line)
{
	struct watch *w = payload;

	if (kind == SILO_KNOT_LINE_PROGRESS)
		w->done++;
	if (w->o->on_line)
		w->o->on_line(w->o->payload, kind, line);
}

/* The task to run with KEY, or -1. */
static long task_to_run(const struct watch *w, const char *key)
{
	size_t i;

	for (i = 0; i < silo_knot_set_count(w->set); i++)
		if (w->p->run[i] && !strcmp(silo_knot_set_task(w->set, i)->key, key))
			return (long)i;
	return -1;
}

/* Fill R from T's phase file: 0, or -1 when it has none. */
static int read_phase(struct silo_knot_running *r, const struct watch *w,
		      const struct silo_knot_task *t, double now)
{
	char *path = fs_join(w->phases, t->key), line[64];
	double start;
	FILE *f;
	int ok = 0;

	if (!path)
		return -1;
	if ((f = fopen(path, "re"))) {
		ok = fgets(line, sizeof(line), f) && sscanf(line, "%15s %lf", r->phase, &start) == 2;
		fclose(f);
	}
	free(path);
	if (!ok)
		return -1;
	r->task = t;
	r->elapsed = now > start ? now - start : 0;
	return 0;
}

/* Every 0.2 s: which tasks run (those with a phase file), in which
 * phase, in the set's order. */
static void watch_tick(void *payload)
{
	struct watch *w = payload;
	double mono = clock_now(CLOCK_MONOTONIC), now = clock_now(CLOCK_REALTIME);
	struct dirent *de;
	size_t i, n = 0;
	DIR *d;

	if (!w->o->on_progress || mono - w->last < 0.2)
		return;
	w->last = mono;
	if (!(d = opendir(w->phases)))
		return;
	memset(w->seen, 0, silo_knot_set_count(w->set));
	while ((de = readdir(d))) {
		long t = strlen(de->d_name) == 64 ? task_to_run(w, de->d_name) : -1;
		if (t >= 0)
			w->seen[t] = 1;
	}
	closedir(d);
	for (i = 0; i < silo_knot_set_count(w->set) && n < w->p->to_run; i++)
		if (w->seen[i] && read_phase(&w->v[n], w, silo_knot_set_task(w->set, i), now) == 0)
			n++;
	w->o->on_progress(w->o->payload, w->done, w->p->to_run, w->v, n);
}

/* The graph, a task file for each task to run, and ninja running it. */
static int run_graph(struct plan *p, struct silo_knot_build_result *r,
		     const struct silo_knot_build_all_options *o)
{
	struct silo_knot_task_spec task = { 0 };
	struct knot_graph g = { 0 };
	struct watch w = { 0 };
	int ret;

	/* The installed packages, asked once for all the tasks. */
	if (p->to_run && (ret = silo_knot_base_packages(&p->base)) < 0)
		return ret;
	task.domain = silo_knot_set_domain(r->set);
	task.layout = silo_knot_set_layout(r->set);
	task.unboxed = o->cfg && o->cfg->unboxed;
	task.limits = *silo_knot_set_limits(r->set);
	task.rebuild = o->rebuild;
	task.derived = p->derived;
	task.sign_key = p->sign_key;
	task.report = r->report;
	task.recipe_cache = p->recipes;
	task.base = silo_knot_set_base(r->set);
	task.base_packages = p->base;
	task.command = o->command;
	g.knot = o->program;
	g.build_dir = p->build_dir;
	g.task = &task;
	g.run = p->run;
	g.heavy_jobs = o->heavy_jobs;
	if ((ret = knot_graph_write(r->set, &g)) < 0 || !p->to_run)
		return ret;
	w.o = o;
	w.p = p;
	w.set = r->set;
	w.last = -1;
	if (!(w.phases = fs_join(p->build_dir, "phases")) ||
	    !(w.v = calloc(p->to_run, sizeof(*w.v))) ||
	    !(w.seen = calloc(silo_knot_set_count(r->set), 1)))
		ret = silo__error_oom();
	else
		ret = knot_graph_run(&r->ninja_status, p->build_dir, o->jobs, o->keep_going,
				     watch_line, watch_tick, &w);
	free(w.phases);
	free(w.v);
	free(w.seen);
	return ret;
}

/* The last row of the report with KEY, or NULL. */
static const struct silo_knot_row *find_row(const struct plan *p, const char *key)
{
	const struct silo_knot_row *found = NULL;
	size_t i;

	for (i = 0; i < p->n_rows; i++)
		if (!strcmp(p->rows[i].key, key))
			found = &p->rows[i];
	return found;
}

/* The tree of T's derived treeptr, or "-". */
static void published_tree(char out[SILO_OID_MAX_HEXSZ + 1], const struct silo_knot_task *t)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT;

	strcpy(out, "-");
	if (silo_treeptr_load(&tp, t->derived_treeptr) == 0)
		silo_oid_to_hex(out, &tp.tree);
	else
		silo_error_clear();
	silo_treeptr_release(&tp);
}

/* What became of each task, from its row in the report; installing. */
static int outcomes(struct plan *p, struct silo_knot_build_result *r,
		    const struct silo_knot_build_all_options *o)
{
	size_t i, n = silo_knot_set_count(r->set);
	int ret;

	if ((ret = silo_knot_report_read(&p->rows, &p->n_rows, r->report)) < 0)
		return ret;
	if (!(r->v = calloc(n ? n : 1, sizeof(*r->v))))
		return silo__error_oom();
	r->n = n;
	for (i = 0; i < n; i++) {
		struct silo_knot_outcome *c = &r->v[i];
		const struct silo_knot_row *row;

		c->task = silo_knot_set_task(r->set, i);
		row = find_row(p, c->task->key);
		strcpy(c->tree, "-");
		if (!row) {
			c->kind = SILO_KNOT_SKIPPED;
		} else if (!strcmp(row->cache, "failed")) {
			c->kind = SILO_KNOT_FAILED;
			c->status = row->status;
		} else if (!strcmp(row->cache, "hit")) {
			c->kind = SILO_KNOT_CACHED;
		} else if (o->rebuild && p->published[i] == SILO_KNOT_PUBLISHED && c->task->requested) {
			c->kind = row->status ? SILO_KNOT_DIFFERS : SILO_KNOT_SAME;
		} else {
			c->kind = SILO_KNOT_BUILT;
		}
		if (c->kind == SILO_KNOT_SKIPPED || c->kind == SILO_KNOT_FAILED)
			continue;
		published_tree(c->tree, c->task);
		if (o->install && c->task->requested &&
		    (c->installed = silo_knot_install(c->task, o->root)) < 0 &&
		    !(c->install_message = strdup(silo_error_message())))
			return silo__error_oom();
	}
	return 0;
}

int silo_knot_build_all(struct silo_knot_build_result **out,
			const struct silo_knot_build_all_options *o)
{
	struct silo_knot_build_result *r = calloc(1, sizeof(*r));
	struct plan p;
	int ret;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	if (!r)
		return silo__error_oom();
	if ((ret = plan_paths(&p, r, o)) < 0 || (ret = plan_set(&p, r, o)) < 0 ||
	    (ret = report_hits(&p, r)) < 0 || (ret = run_graph(&p, r, o)) < 0 ||
	    (ret = outcomes(&p, r, o)) < 0) {
		silo_knot_build_result_free(r);
		plan_release(&p);
		return ret;
	}
	plan_release(&p);
	*out = r;
	return silo_knot_report_html(r->report);
}
