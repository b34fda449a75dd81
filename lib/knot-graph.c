/*
 * The graph of a set as a build.ninja: one edge per task, named by its
 * key, and ninja to run it (knot-build-all.c decides what runs).  Each
 * edge runs "knot run-task" with the task's file, which builds and
 * publishes one wedge and writes its stamp.  The program's path is the
 * only text of the build.ninja that comes from outside (keys, names and
 * versions are checked words): add_arg() quotes it, the one place that
 * does.
 */
#include "knot-internal.h"
#include "error-internal.h"
#include "fsutil.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

/* S quoted for the shell (when it needs it) and escaped for ninja. */
static int add_arg(struct strbuf *sb, const char *s)
{
	const char *p;
	int plain = *s != '\0';
	int ret = 0;

	if (strchr(s, '\n'))
		return silo__error_set(SILO_EINVALID, "'%s': a path with a newline cannot be built", s);
	for (p = s; *p && plain; p++)
		plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			       "0123456789_./+-@%,=", *p) != NULL;
	if (plain)
		return strbuf_adds(sb, s);
	ret = strbuf_addch(sb, '\'');
	for (p = s; *p && !ret; p++) {
		if (*p == '\'')
			ret = strbuf_adds(sb, "'\\''");
		else if (*p == '$')
			ret = strbuf_adds(sb, "$$");
		else
			ret = strbuf_addch(sb, *p);
	}
	return ret ? ret : strbuf_addch(sb, '\'');
}

/* G->build_dir/DIR/<T's key>SUFFIX (owned by the caller), or NULL. */
static char *task_path(const struct knot_graph *g, const char *dir,
		       const struct silo_knot_task *t, const char *suffix)
{
	char *s;

	return asprintf(&s, "%s/%s/%s%s", g->build_dir, dir, t->key, suffix) < 0 ? NULL : s;
}

/* The task file of T, for its edge to run; no phase left from an
 * earlier run. */
static int write_task(const struct knot_graph *g, const struct silo_knot_task *t)
{
	struct silo_knot_task_spec spec = *g->task;
	char *path = NULL, *stamp = NULL, *phase = NULL;
	int ret;

	if (!(path = task_path(g, "tasks", t, ".json")) || !(stamp = task_path(g, "stamps", t, "")) ||
	    !(phase = task_path(g, "phases", t, ""))) {
		ret = silo__error_oom();
		goto out;
	}
	if (unlink(phase) < 0 && errno != ENOENT) {
		ret = silo__error_errno("cannot remove '%s'", phase);
		goto out;
	}
	spec.key = t->key;
	spec.recipe = t->recipe->dir;
	spec.stamp = stamp;
	spec.phase = phase;
	spec.rebuild = g->task->rebuild && t->requested;
	ret = knot_task_file_write(path, &spec);
out:
	free(path);
	free(stamp);
	free(phase);
	return ret;
}

/* A stamp exists for published tasks and not for the others. */
static int set_stamp(const char *stamps, const struct silo_knot_task *t, int want)
{
	char *path = fs_join(stamps, t->key);
	int ret = 0;

	if (!path)
		return silo__error_oom();
	if (want) {
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			ret = silo__error_errno("cannot create '%s'", path);
		else
			close(fd);
	} else if (unlink(path) < 0 && errno != ENOENT) {
		ret = silo__error_errno("cannot remove '%s'", path);
	}
	free(path);
	return ret;
}

int knot_graph_write(silo_knot_set *set, const struct knot_graph *g)
{
	struct strbuf sb = STRBUF_INIT, defaults = STRBUF_INIT;
	size_t i, j, n = silo_knot_set_count(set);
	char *stamps = NULL, *tasks = NULL, *phases = NULL, *path = NULL;
	int ret;

	knot_remove_stale_work();
	if (!(stamps = fs_join(g->build_dir, "stamps")) || !(tasks = fs_join(g->build_dir, "tasks")) ||
	    !(phases = fs_join(g->build_dir, "phases")) ||
	    !(path = fs_join(g->build_dir, "build.ninja"))) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = fs_mkdir_p(stamps, 0777)) < 0 || (ret = fs_mkdir_p(tasks, 0777)) < 0 ||
	    (ret = fs_mkdir_p(phases, 0777)) < 0)
		goto out;
	ret = strbuf_adds(&sb, "# Written by knot build: one edge per build key (knot-build(1)).\n"
			  "ninja_required_version = 1.7\n\nknot = ");
	if (!ret)
		ret = add_arg(&sb, g->knot);
	if (!ret)
		ret = strbuf_addf(&sb, "\n\n"
				  "rule run-task\n"
				  /* exec: the task is ninja's child, and dies with it. */
				  "  command = exec $knot knot run-task --task=tasks/$key.json\n"
				  "  description = $wedge $key\n"
				  "  restat = 1\n\n"
				  "pool heavy\n  depth = %d\n",
				  g->heavy_jobs > 0 ? g->heavy_jobs : 1);
	for (i = 0; !ret && i < n; i++) {
		struct silo_knot_task *t = silo_knot_set_task(set, i);

		if ((ret = set_stamp(stamps, t, !g->run[i])) < 0)
			break;
		if (g->run[i] && (ret = write_task(g, t)) < 0)
			break;
		ret = strbuf_addf(&sb, "\nbuild stamps/%s: run-task", t->key);
		for (j = 0; !ret && j < t->n_deps; j++)
			ret = strbuf_addf(&sb, "%s stamps/%s", j ? "" : " ||", t->deps[j]->key);
		if (!ret)
			ret = strbuf_addf(&sb, "\n  key = %s\n  wedge = %s/%s\n%s", t->key,
					  t->recipe->name, t->version,
					  t->recipe->heavy ? "  pool = heavy\n" : "");
		if (!ret && t->requested)
			ret = strbuf_addf(&defaults, " stamps/%s", t->key);
	}
	if (!ret && defaults.len)
		ret = strbuf_addf(&sb, "\ndefault%s\n", defaults.buf);
	if (!ret)
		ret = fs_write_file_atomic(path, sb.buf, sb.len);
out:
	strbuf_release(&sb);
	strbuf_release(&defaults);
	free(stamps);
	free(tasks);
	free(phases);
	free(path);
	return ret;
}

/* ninja's output, told apart for knot_graph_run()'s caller. */
struct ninja_lines {
	void (*on_line)(void *payload, int kind, const char *line);
	void (*on_tick)(void *payload);
	void *payload;
	int skip_next;		/* the command line after "FAILED:" */
};

static void on_ninja_tick(void *payload)
{
	struct ninja_lines *nl = payload;

	if (nl->on_tick)
		nl->on_tick(nl->payload);
}

static void on_ninja_line(void *payload, const char *line)
{
	struct ninja_lines *nl = payload;

	if (nl->skip_next) {
		nl->skip_next = 0;
	} else if (!strncmp(line, "FAILED: ", 8)) {
		/* The task says why: its command line says nothing more. */
		nl->skip_next = 1;
	} else if (line[0] == '[') {
		nl->on_line(nl->payload, SILO_KNOT_LINE_PROGRESS, line);
	} else if (!strncmp(line, "ninja: error: ", 14)) {
		nl->on_line(nl->payload, SILO_KNOT_LINE_ERROR, line + 14);
	} else if (strncmp(line, "ninja: ", 7)) {
		/* not "no work to do", "build stopped", "Entering directory" */
		nl->on_line(nl->payload, SILO_KNOT_LINE_TASK, line);
	}
}

int knot_graph_run(int *status, const char *build_dir, int jobs, int keep_going,
		   void (*on_line)(void *payload, int kind, const char *line),
		   void (*on_tick)(void *payload), void *payload)
{
	struct strvec argv = STRVEC_INIT;
	struct ninja_lines nl = { on_line, on_tick, payload, 0 };
	char *ninja = NULL;
	int ret;

	if ((ret = knot_which(&ninja, "ninja")) < 0)
		return silo__error_wrap("knot build runs its graph with ninja (Debian: ninja-build)");
	if ((ret = knot_strv_push(&argv, ninja)) < 0 ||
	    (ret = knot_strv_push(&argv, "-C")) < 0 ||
	    (ret = knot_strv_push(&argv, build_dir)) < 0 ||
	    (ret = knot_strv_pushf(&argv, "-j%d", jobs > 0 ? jobs : 1)) < 0 ||
	    (ret = knot_strv_pushf(&argv, "-k%d", keep_going ? 0 : 1)) < 0)
		goto out;
	ret = knot_run_lines(status, argv.v, environ, NULL, on_ninja_line, on_ninja_tick, &nl);
out:
	strvec_clear(&argv);
	free(ninja);
	return ret;
}
