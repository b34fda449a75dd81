/* knot build: build and publish the wedges that are not published, as a
 * ninja graph of "knot run-task" edges, with a report of the tasks. */
#include "knot-cmd.h"
#include "silo/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const usage[] = {
	"knot build [-j <n>] [--unboxed] [--limits=<limits>] [--keep-going] [--allowed-failures=<n>] [--rebuild] [--derived=<dir>] [--build-dir=<dir>] [--report=<dir>] [--heavy-jobs=<n>] [--sign-key=<file>] [--install] [--root=<dir>] [-v] (<recipe-dir>... | <source-medo>)",
	NULL
};

struct ninja_state {
	int skip_next;		/* the command line after "FAILED:" */
	int progress;		/* show ninja's progress lines */
};

/* Ninja's output: progress on a terminal; the tasks' own messages. */
static void on_ninja_line(void *payload, const char *line)
{
	struct ninja_state *ns = payload;

	if (ns->skip_next) {
		ns->skip_next = 0;
		return;
	}
	if (!strncmp(line, "FAILED: ", 8)) {
		ns->skip_next = 1;
		return;
	}
	if (line[0] == '[') {
		if (ns->progress)
			fprintf(stderr, "%s\n", line);
		return;
	}
	if (!strncmp(line, "ninja: error: ", 14)) {
		fe_error(0, "ninja: %s", line + 14);
		return;
	}
	if (!strncmp(line, "ninja: ", 7))
		return;		/* "no work to do", "build stopped", "Entering directory" */
	fprintf(stderr, "%s\n", line);
}

/* PATH made absolute (owned by the caller). */
static char *absolute(const char *path)
{
	char cwd[4096], *s;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&s, "%s/%s", cwd, path) < 0)
		return NULL;
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

static const struct silo_knot_row *find_row(const struct silo_knot_row *rows, size_t n,
					    const char *key)
{
	const struct silo_knot_row *found = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(rows[i].key, key))
			found = &rows[i];
	return found;
}

int cmd_knot_build(int argc, const char **argv)
{
	struct silo_knot_config cfg = { 0 };
	struct silo_knot_graph g = { 0 };
	struct silo_knot_task_spec task = { 0 };
	struct silo_knot_limits limits;
	struct ninja_state ns = { 0, 0 };
	const char *build_dir = ".knot", *report_opt = NULL, *root = NULL, *sign_key = NULL;
	const char *limits_opt = NULL;
	int jobs = 1, keep_going = 0, allowed = 0, rebuild = 0, install = 0, verbose = 0;
	int heavy_jobs = 1;
	struct fe_option opts[] = {
		OPT_INT('j', "jobs", &jobs, "n", "build N wedges at once (default 1)"),
		OPT_FLAG(0, "unboxed", &cfg.unboxed, "read and run recipes without the bubblewrap box"),
		OPT_STRING(0, "limits", &limits_opt, "limits", "limits of the box: tmp=, disk=, memory=, pids=, time="),
		OPT_FLAG(0, "keep-going", &keep_going, "after a failure, build what does not depend on it"),
		OPT_INT(0, "allowed-failures", &allowed, "n", "keep going; exit 0 unless more than N fail"),
		OPT_FLAG(0, "rebuild", &rebuild, "build published wedges again and compare the trees"),
		OPT_STRING(0, "derived", &cfg.derived, "dir", "the derived medo (default: beside the source medo)"),
		OPT_STRING(0, "build-dir", &build_dir, "dir", "build.ninja, stamps and reports (default: .knot)"),
		OPT_STRING(0, "report", &report_opt, "dir", "the task report (default: a new one in the build dir)"),
		OPT_INT(0, "heavy-jobs", &heavy_jobs, "n", "at most N recipes with WEDGE_HEAVY=1 at once (default 1)"),
		OPT_STRING(0, "sign-key", &sign_key, "file", "sign each derived treeptr with this SSH key"),
		OPT_FLAG(0, "install", &install, "then put each wedge at its /wedge path, as knot install"),
		OPT_STRING(0, "root", &root, "dir", "with --install: below DIR instead of /"),
		OPT_FLAG('v', "verbose", &verbose, "print what was done with each wedge"),
		OPT_END()
	};
	char exe[4096], cmdline[4096] = "", *bdir = NULL, *report = NULL, *derived = NULL, *key = NULL;
	char *recipes = NULL, *base = NULL;
	unsigned char *before = NULL;
	struct silo_knot_row *rows = NULL;
	size_t n_rows = 0, i, n, to_build;
	silo_knot_set *set = NULL;
	int ret, status = 0, ninja_status = 0, failures = 0, skipped = 0, first_failure = 0, negative = 0;
	ssize_t len;

	/* The command line, for the provenance the tasks record. */
	for (i = 0; i < (size_t)argc; i++) {
		size_t l = strlen(cmdline);
		snprintf(cmdline + l, sizeof(cmdline) - l, "%s%s", i ? " " : "knot ", argv[i]);
	}
	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc < 1)
		return fe_usage_error(usage, opts, "name recipe directories or a source medo");
	if (jobs < 0 || allowed < 0 || heavy_jobs < 1)
		return fe_usage_error(usage, opts, "-j and --allowed-failures must not be negative, --heavy-jobs at least 1");
	if (root && !install)
		return fe_usage_error(usage, opts, "--root needs --install");
	if (allowed)
		keep_going = 1;
	if ((status = knot_cmd_limits(&limits, limits_opt)))
		return status;
	cfg.limits = &limits;
	/* Interrupted, knot stops ninja, which stops the tasks, each of
	 * which stops its box; then it dies of the signal. */
	knot_cmd_catch_signals();
	if ((len = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) < 0)
		return fe_error(FE_EXIT_FAILURE, "cannot find my own program: %m");
	exe[len] = '\0';
	if (!(bdir = absolute(build_dir)) ||
	    !(report = report_opt ? absolute(report_opt) : new_report_dir(bdir)) ||
	    (cfg.derived && !(derived = absolute(cfg.derived))) ||
	    (sign_key && !(key = absolute(sign_key)))) {
		status = fe_error(FE_EXIT_FAILURE, "out of memory");
		goto out;
	}
	cfg.derived = derived;
	/* What each recipe gave when sourced, for the tasks to read back. */
	if (asprintf(&recipes, "%s/recipes", bdir) < 0) {
		recipes = NULL;
		status = fe_error(FE_EXIT_FAILURE, "out of memory");
		goto out;
	}
	cfg.recipe_cache = recipes;
	if ((status = knot_cmd_load(&set, &cfg, argc, argv)))
		goto out;
	n = silo_knot_set_count(set);
	if (!(before = calloc(n ? n : 1, 1))) {
		status = fe_error(FE_EXIT_FAILURE, "out of memory");
		goto out;
	}
	if ((ret = silo_knot_report_init(report)) < 0 || (ret = silo_knot_report_graph(set, report)) < 0) {
		status = fe_lib_error(ret);
		goto out;
	}
	/* Cache hits are rows of the report too, though nothing runs. */
	for (i = 0; i < n; i++) {
		struct silo_knot_task *t = silo_knot_set_task(set, i);
		struct silo_knot_row row;

		if ((ret = silo_knot_published(t)) < 0) {
			status = fe_lib_error(ret);
			goto out;
		}
		before[i] = ret == SILO_KNOT_PUBLISHED;
		if (!before[i] || (rebuild && t->requested))
			continue;
		memset(&row, 0, sizeof(row));
		row.wedge = t->recipe->name;
		row.version = (char *)t->version;
		row.key = t->key;
		row.cache = "hit";
		row.log = "-";
		row.start = row.end = (double)time(NULL);
		if ((ret = silo_knot_report_append(report, &row)) < 0) {
			status = fe_lib_error(ret);
			goto out;
		}
	}
	/* The installed packages, asked once for all the tasks. */
	for (i = 0; i < n && !base; i++)
		if (!before[i] || (rebuild && silo_knot_set_task(set, i)->requested))
			if ((ret = silo_knot_base_packages(&base)) < 0) {
				status = fe_lib_error(ret);
				goto out;
			}
	task.domain = silo_knot_set_domain(set);
	task.unboxed = cfg.unboxed;
	task.limits = limits;
	task.derived = derived;
	task.sign_key = key;
	task.report = report;
	task.recipe_cache = recipes;
	task.base_packages = base;
	task.command = cmdline;
	g.knot = exe;
	g.build_dir = bdir;
	g.task = &task;
	g.heavy_jobs = heavy_jobs;
	g.rebuild = rebuild;
	if ((ret = silo_knot_graph_write(set, &g, &to_build)) < 0) {
		status = fe_lib_error(ret);
		goto out;
	}
	if (to_build) {
		ns.progress = !fe_quiet && isatty(2);
		if ((ret = silo_knot_graph_run(&ninja_status, bdir, jobs, keep_going,
					       on_ninja_line, &ns)) < 0) {
			status = fe_lib_error(ret);
			goto out;
		}
	}
	if ((ret = silo_knot_report_read(&rows, &n_rows, report)) < 0) {
		status = fe_lib_error(ret);
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct silo_knot_task *t = silo_knot_set_task(set, i);
		const struct silo_knot_row *r = find_row(rows, n_rows, t->key);
		const char *kind;
		char tree[SILO_OID_MAX_HEXSZ + 1] = "-";

		if (!r) {
			fe_error(0, "%s/%s: not built, after an earlier failure", t->recipe->name, t->version);
			kind = "skipped";
			skipped++;
		} else if (!strcmp(r->cache, "failed")) {
			kind = "failed";
			failures++;
			if (!first_failure)
				first_failure = r->status ? r->status : FE_EXIT_FAILURE;
		} else if (!strcmp(r->cache, "hit")) {
			kind = "cached";
		} else if (rebuild && before[i] && t->requested) {
			kind = r->status ? "differs" : "same";
			negative |= r->status != 0;
		} else {
			kind = "built";
		}
		if (verbose) {
			if (r && strcmp(kind, "failed"))
				knot_cmd_tree(tree, t);
			printf("%s %s/%s %s %s\n", kind, t->recipe->name, t->version, t->key, tree);
		}
		if (install && t->requested && r && strcmp(kind, "failed") &&
		    (ret = silo_knot_install(t, root)) < 0)
			status = fe_lib_error(ret);
	}
	if ((ret = silo_knot_report_html(report)) < 0 && !status)
		status = fe_lib_error(ret);
	/* Tasks skipped after a failure count with it, not on their own. */
	if (!status && (failures > allowed || (skipped && !failures)))
		status = first_failure ? first_failure : FE_EXIT_FAILURE;
	if (!status && negative)
		status = FE_EXIT_NEGATIVE;
	if (!status && ninja_status && !failures && !skipped)
		status = fe_error(FE_EXIT_FAILURE, "ninja failed (exit status %d)", ninja_status);
	if (!fe_quiet)
		fprintf(stderr, "knot: report: %s/index.html\n", report);
out:
	silo_knot_rows_free(rows, n_rows);
	silo_knot_set_free(set);
	free(before);
	free(bdir);
	free(report);
	free(derived);
	free(key);
	free(recipes);
	free(base);
	return knot_cmd_finish(status);
}
