/*
 * The graph of a set as a build.ninja: one edge per task, named by its
 * key, and ninja to run it.  Each edge runs "knot run-task", which builds
 * and publishes one wedge and writes its stamp.
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
		return silo__error_set(SILO_EINVALID, "'%s': a newline in a path cannot be built", s);
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

int silo_knot_graph_write(silo_knot_set *set, const struct silo_knot_graph *g, size_t *to_build)
{
	struct strbuf sb = STRBUF_INIT, defaults = STRBUF_INIT;
	size_t i, j, n = silo_knot_set_count(set);
	char *stamps = NULL, *path = NULL;
	int ret;

	*to_build = 0;
	knot_remove_stale_work();
	if (!(stamps = fs_join(g->build_dir, "stamps")) || !(path = fs_join(g->build_dir, "build.ninja"))) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = fs_mkdir_p(stamps, 0777)) < 0)
		goto out;
	ret = strbuf_adds(&sb, "# Written by knot build: one edge per build key (knot-build(1)).\n"
			  "ninja_required_version = 1.7\n\nknot = ");
	if (!ret)
		ret = add_arg(&sb, g->knot);
	if (!ret)
		ret = strbuf_addf(&sb, "\nflags = %s\n\n"
				  "rule run-task\n"
				  /* exec: the task is ninja's child, and dies with it. */
				  "  command = exec $knot knot run-task $flags --key=$key --stamp=$out $recipe\n"
				  "  description = $wedge $key\n"
				  "  restat = 1\n\n"
				  "pool heavy\n  depth = %d\n",
				  g->flags ? g->flags : "", g->heavy_jobs > 0 ? g->heavy_jobs : 1);
	for (i = 0; !ret && i < n; i++) {
		struct silo_knot_task *t = silo_knot_set_task(set, i);
		int published = silo_knot_published(t);

		if (published < 0) {
			ret = published;
			break;
		}
		published = published == SILO_KNOT_PUBLISHED && !(g->rebuild && t->requested);
		if ((ret = set_stamp(stamps, t, published)) < 0)
			break;
		*to_build += !published;
		ret = strbuf_addf(&sb, "\nbuild stamps/%s: run-task", t->key);
		for (j = 0; !ret && j < t->n_deps; j++)
			ret = strbuf_addf(&sb, "%s stamps/%s", j ? "" : " ||", t->deps[j]->key);
		if (!ret)
			ret = strbuf_addf(&sb, "\n  key = %s\n  wedge = %s/%s\n  recipe = ", t->key,
					  t->recipe->name, t->version);
		if (!ret)
			ret = add_arg(&sb, t->recipe->dir);
		if (!ret)
			ret = strbuf_addf(&sb, "\n%s", t->recipe->heavy ? "  pool = heavy\n" : "");
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
	free(path);
	return ret;
}

int silo_knot_graph_run(int *status, const char *build_dir, int jobs, int keep_going,
			void (*on_line)(void *payload, const char *line), void *payload)
{
	struct strvec argv = STRVEC_INIT;
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
	ret = knot_run_lines(status, argv.v, environ, NULL, on_line, payload);
out:
	strvec_clear(&argv);
	free(ninja);
	return ret;
}
