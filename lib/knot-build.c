/*
 * Building one wedge: expand its source and dependencies into a fresh
 * work directory, run the recipe's functions (boxed or not) with their
 * output in a log, and publish the install directory through medo add
 * with the key and provenance in its derived treeptr.
 */
#include "knot-box.h"
#include "error-internal.h"
#include "medo-internal.h"
#include "fsutil.h"
#include "json-text.h"
#include "strbuf.h"
#include "silo/medo.h"
#include "silo/store.h"
#include "silo/silojson.h"
#include "silo/sshsig.h"
#include "silo/tree.h"
#include "silo/treeptr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Runs the recipe's functions in the order and directories of the WEDGE
 * protocol, as deps/wedge.sh does: in one shell (a variable set by
 * wedge-make is seen by wedge-install), with errexit, the smoke test
 * traced (set -x).  Each step fails the build with its own exit status,
 * set by the EXIT trap.  In the box, a step that failed with the box's
 * /tmp full says so.  What the box's processes used, knot writes after
 * it ("knot: box cpu ..."), from bwrap's accounting: its pid 1 and the
 * shell wait for every process of the box.  The directories it passes
 * and its functions are read-only: a step that assigns one fails, rather
 * than sending the next step elsewhere. */
static const char driver_script[] =
	"# knot's driver: driver.sh SRC_DIR BUILD_DIR INSTALL_DIR WEDGE_DIR SMOKE_DIR VERSION BOXED\n"
	"set -o errexit -o nounset -o pipefail\n"
	"knot_src=$1 knot_build=$2 knot_install=$3 knot_wedge=$4 knot_smoke=$5 knot_boxed=$7\n"
	"echo 'knot: box ready'\n"
	"cd \"$knot_wedge\"\n"
	"WEDGE_VERSION=$6\n"
	"source \"$knot_wedge/WEDGE\"\n"
	"WEDGE_VERSION=$6\n"
	"knot_tmp_full() {\n"
	"  [ \"$knot_boxed\" = boxed ] || return 0\n"
	"  local d\n"
	"  for d in /tmp /dev/shm; do\n"
	"    set -- $(command -p stat -f -c '%a %b' $d 2>/dev/null)\n"
	"    if [ $# -eq 2 ] && [ \"$1\" -le $(($2 / 100)) ]; then echo \"knot: the box's $d is full\"; fi\n"
	"  done\n"
	"  return 0\n"
	"}\n"
	"knot_fn= knot_code=0\n"
	"knot_exit() {\n"
	"  if [ -z \"$knot_fn\" ]; then\n"
	"    :\n"
	"  elif [ \"$knot_st\" -eq 0 ]; then\n"
	"    echo \"knot: $knot_fn ended the shell (exit 0) before the steps after it\"\n"
	"  else\n"
	"    echo \"knot: $knot_fn failed with exit status $knot_st\"\n"
	"    knot_tmp_full\n"
	"  fi\n"
	"  [ -z \"$knot_fn\" ] || exit \"$knot_code\"\n"
	"}\n"
	"trap '{ knot_st=$?; set +o xtrace; } 2>/dev/null; knot_exit' EXIT\n"
	"knot_step() {\n"
	"  knot_code=$1 knot_fn=$3\n"
	"  echo \"knot: running $3\"\n"
	"  cd \"$2\"\n"
	"  shift 2\n"
	"  \"$@\"\n"
	"  knot_fn=\n"
	"}\n"
	"readonly knot_src knot_build knot_install knot_wedge knot_smoke knot_boxed\n"
	"readonly -f knot_step knot_exit knot_tmp_full\n"
	"if declare -F wedge-make >/dev/null; then\n"
	"  knot_step 10 \"$knot_build\" wedge-make \"$knot_src\" \"$knot_build\" \"$knot_install\" \"$knot_wedge\"\n"
	"else\n"
	"  knot_step 10 \"$knot_src\" wedge-make-from-source-dir \"$knot_src\" \"$knot_install\" \"$knot_wedge\"\n"
	"fi\n"
	"if declare -F wedge-install >/dev/null; then\n"
	"  knot_step 11 \"$knot_build\" wedge-install \"$knot_build\" \"$knot_install\"\n"
	"else\n"
	"  knot_step 11 \"$knot_src\" wedge-install-from-source-dir \"$knot_src\" \"$knot_install\"\n"
	"fi\n"
	"if declare -F wedge-smoke-test >/dev/null; then\n"
	"  knot_code=12 knot_fn=wedge-smoke-test\n"
	"  echo 'knot: running wedge-smoke-test'\n"
	"  cd \"$knot_smoke\"\n"
	"  set -o xtrace\n"
	"  wedge-smoke-test \"$knot_install\" \"$knot_wedge\"\n"
	"  { set +o xtrace; } 2>/dev/null\n"
	"  knot_fn=\n"
	"fi\n"
	"echo 'knot: done'\n";

#define WORK_PREFIX "knot-"

void silo_knot_result_release(struct silo_knot_result *r)
{
	free(r->message);
	free(r->log);
	memset(r, 0, sizeof(*r));
}

static void format_time(char out[32], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- work directories ---- */

static const char *tmp_dir(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t == '/' ? t : "/tmp";
}

/* Whether process PID still runs: it exists and is not a zombie (an
 * init that reaps late keeps the zombie of a killed build a while). */
static int process_runs(long pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno != ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	/* "PID (COMM) STATE ...": COMM may hold spaces and parentheses. */
	p = strrchr(buf, ')');
	return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

/* Remove work directories "knot-<pid>-..." of processes that are gone
 * (a build killed with SIGKILL leaves its directory behind). */
static void remove_stale_work(void)
{
	const char *base = tmp_dir();
	struct dirent *de;
	DIR *d = opendir(base);

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end, *path;
		long pid;

		if (strncmp(de->d_name, WORK_PREFIX, strlen(WORK_PREFIX)))
			continue;
		pid = strtol(de->d_name + strlen(WORK_PREFIX), &end, 10);
		if (end == de->d_name + strlen(WORK_PREFIX) || *end != '-' || pid <= 0)
			continue;
		if (process_runs(pid))
			continue;
		if (strlen(end) > 4 && !strcmp(end + strlen(end) - 4, ".log"))
			continue;	/* logs of failed builds are kept */
		if (asprintf(&path, "%s/%s", base, de->d_name) >= 0) {
			silo_tree_remove(path);
			free(path);
		}
	}
	closedir(d);
	silo_error_clear();
}

static int make_dir(const char *work, const char *name, char **out)
{
	if (asprintf(out, "%s/%s", work, name) < 0) {
		*out = NULL;
		return silo__error_oom();
	}
	if (mkdir(*out, 0755) < 0)
		return silo__error_errno("cannot create '%s'", *out);
	return 0;
}

/* The directory the recipe sees as SRC_DIR: the top directory of the
 * expanded source when it is the only entry, as tar
 * --strip-components=1 would make it.  *top is that name or NULL. */
static int source_top(char **top, const char *src)
{
	struct dirent *de;
	DIR *d = opendir(src);
	char *only = NULL;
	int n = 0, ret = 0;

	*top = NULL;
	if (!d)
		return silo__error_errno("cannot read '%s'", src);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (++n == 1 && !(only = strdup(de->d_name)))
			ret = silo__error_oom();
	}
	closedir(d);
	if (!ret && n == 1) {
		char *p = fs_join(src, only);
		if (!p)
			ret = silo__error_oom();
		else if (knot_is_dir(p)) {
			*top = only;
			only = NULL;
		}
		free(p);
	}
	free(only);
	return ret;
}

/* ---- the derived medo ---- */

static int same_parent(const char *a, const char *b)
{
	char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
	int same = 0;

	if (ra && rb) {
		char *sa = strrchr(ra, '/'), *sb = strrchr(rb, '/');
		same = (sa - ra) == (sb - rb) && !strncmp(ra, rb, (size_t)(sa - ra));
	}
	free(ra);
	free(rb);
	return same;
}

/* Create the derived medo with a SILO.json naming the source medo's
 * silos, unless it has one. */
static int ensure_derived(const struct silo_knot_task *t)
{
	struct silo_silojson sj = SILO_SILOJSON_INIT;
	json_t *doc = NULL, *list;
	char *path = NULL, *text = NULL, *sj_dir = NULL;
	size_t i;
	int ret;

	if (!(path = fs_join(t->derived_medo, SILO_SILOJSON_NAME)))
		return silo__error_oom();
	if ((ret = fs_exists(path)) != 0) {
		free(path);
		return ret < 0 ? ret : 0;
	}
	if ((ret = silo_silojson_for(&sj, t->recipe->dir)) < 0) {
		silo__error_wrap("cannot create the derived medo '%s'", t->derived_medo);
		goto out;
	}
	if ((ret = fs_mkdir_p(t->derived_medo, 0777)) < 0)
		goto out;
	if (!(sj_dir = fs_dirname(sj.path)) || !(doc = json_object()) || !(list = json_array()) ||
	    json_object_set_new(doc, "silos", list) < 0) {
		ret = silo__error_oom();
		goto out;
	}
	for (i = 0; i < sj.n; i++) {
		const struct silo_silojson_entry *e = &sj.v[i];
		char *real = NULL;
		const char *spec = e->spec;

		/* A relative path works as it is from a sibling directory. */
		if (e->kind == SILO_SILOJSON_LOCAL && spec[0] != '/' && strncmp(spec, "file:", 5) &&
		    !same_parent(sj_dir, t->derived_medo)) {
			if (!(real = realpath(e->location, NULL))) {
				ret = silo__error_errno("silo '%s' of '%s'", e->spec, sj.path);
				goto out;
			}
			spec = real;
		}
		ret = json_array_append_new(list, json_string(spec)) < 0 ? silo__error_oom() : 0;
		free(real);
		if (ret < 0)
			goto out;
	}
	if ((ret = json_text(&text, doc, JSON_INDENT(2))) == 0)
		ret = fs_write_file_atomic(path, text, strlen(text));
out:
	json_decref(doc);
	silo_silojson_release(&sj);
	free(sj_dir);
	free(text);
	free(path);
	return ret;
}

/* ---- running the recipe ---- */

struct work {
	char *dir, *src, *build, *install, *smoke, *home, *tmp, *deps, *driver, *log;
	char *top;		/* the source's top directory, or NULL */
	char **dep_dirs, **dep_paths;
	size_t n_deps;
	int log_fd;
	int install_is_real;	/* an unboxed absolute build installs at the real path */
};

static void work_release(struct work *w)
{
	size_t i;

	free(w->dir);
	free(w->src);
	free(w->build);
	free(w->install);
	free(w->smoke);
	free(w->home);
	free(w->tmp);
	free(w->deps);
	free(w->driver);
	free(w->log);
	free(w->top);
	for (i = 0; i < w->n_deps; i++) {
		free(w->dep_dirs[i]);
		free(w->dep_paths[i]);
	}
	free(w->dep_dirs);
	free(w->dep_paths);
	if (w->log_fd >= 0)
		close(w->log_fd);
}

static int work_setup(struct work *w, const struct silo_knot_task *t, const silo_knot_set *set,
		      int unboxed)
{
	struct silo_medo_expand_options eo = { 0 };
	size_t i;
	int fd, ret;

	eo.silo = silo_knot_set_silo(set);
	if (asprintf(&w->dir, "%s/" WORK_PREFIX "%ld-%s-%s-XXXXXX", tmp_dir(), (long)getpid(),
		     t->recipe->name, t->version) < 0) {
		w->dir = NULL;
		return silo__error_oom();
	}
	if (!mkdtemp(w->dir))
		return silo__error_errno("cannot create a work directory in '%s'", tmp_dir());
	if ((ret = make_dir(w->dir, "build", &w->build)) < 0 ||
	    (ret = make_dir(w->dir, "smoke", &w->smoke)) < 0 ||
	    (ret = make_dir(w->dir, "home", &w->home)) < 0 ||
	    (ret = make_dir(w->dir, "tmp", &w->tmp)) < 0 ||
	    (ret = make_dir(w->dir, "deps", &w->deps)) < 0)
		return ret;
	if (!(w->src = fs_join(w->dir, "src")) || !(w->driver = fs_join(w->dir, "driver.sh")) ||
	    !(w->log = fs_join(w->dir, "log")))
		return silo__error_oom();
	/* The work directory does not outlive a crash: no fsync. */
	if ((fd = open(w->driver, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		return silo__error_errno("cannot create '%s'", w->driver);
	ret = fs_write_all(fd, driver_script, strlen(driver_script), w->driver);
	if (close(fd) < 0 && !ret)
		ret = silo__error_errno("cannot write '%s'", w->driver);
	if (ret < 0)
		return ret;
	w->log_fd = open(w->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (w->log_fd < 0)
		return silo__error_errno("cannot create '%s'", w->log);

	/* The source, its top directory, and the dependencies. */
	if (!t->source_treeptr) {	/* a sourceless recipe */
		if (mkdir(w->src, 0755) < 0)
			return silo__error_errno("cannot create '%s'", w->src);
	} else if ((ret = silo_medo_expand(t->source_treeptr, w->src, &eo)) < 0)
		return silo__error_wrap("cannot expand the source of %s/%s",
				       t->recipe->name, t->version);
	if ((ret = source_top(&w->top, w->src)) < 0)
		return ret;
	if (t->n_deps && (!(w->dep_dirs = calloc(t->n_deps, sizeof(char *))) ||
			  !(w->dep_paths = calloc(t->n_deps, sizeof(char *)))))
		return silo__error_oom();
	for (i = 0; i < t->n_deps; i++) {
		char name[32];
		snprintf(name, sizeof(name), "%zu", i);
		if (!(w->dep_dirs[i] = fs_join(w->deps, name)) ||
		    !(w->dep_paths[i] = strdup(t->deps[i]->wedge_path)))
			return silo__error_oom();
		w->n_deps++;
		if ((ret = silo_medo_expand(t->deps[i]->derived_treeptr, w->dep_dirs[i], &eo)) < 0)
			return silo__error_wrap("cannot expand the dependency %s/%s",
					        t->deps[i]->recipe->name, t->deps[i]->version);
	}

	/* The install directory. */
	/* Unboxed, an absolute wedge, and one the layout puts elsewhere, is
	 * built where it is installed, as in the box. */
	if (unboxed && (t->recipe->is_absolute || t->wedge_path_moved)) {
		DIR *d = opendir(t->wedge_path);
		if (d) {
			struct dirent *de;
			int n = 0;
			while ((de = readdir(d)))
				n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
			closedir(d);
			if (n)
				return silo__error_set(SILO_EEXISTS,
					"'%s' is not empty: an unboxed build of %s %s/%s installs there",
					t->wedge_path, t->recipe->is_absolute ? "the absolute wedge" : "the wedge",
					t->recipe->name, t->version);
		} else if ((ret = fs_mkdir_p(t->wedge_path, 0755)) < 0) {
			char why[512];
			snprintf(why, sizeof(why), "%s", silo_error_message());
			return silo__error_set(ret, "%s/%s is %s: unboxed, it is built at its "
					       "own path '%s', which cannot be made here (%s); build it as "
					       "root, or in the box (which needs user namespaces)",
					       t->recipe->name, t->version,
					       t->recipe->is_absolute ? "an absolute wedge" : "placed by the layout",
					       t->wedge_path, why);
		}
		w->install_is_real = 1;
		if (!(w->install = strdup(t->wedge_path)))
			return silo__error_oom();
	} else if ((ret = make_dir(w->dir, "install", &w->install)) < 0) {
		return ret;
	}
	return 0;
}

/* The environment of the recipe: the base one, the declared variables,
 * HOME and TMPDIR. */
static int run_env(struct strvec *env, const struct silo_knot_task *t,
		   const struct work *w, int unboxed)
{
	size_t i;
	int ret;

	for (i = 0; knot_base_env[i]; i++)
		if ((ret = knot_strv_push(env, knot_base_env[i])) < 0)
			return ret;
	for (i = 0; i < t->recipe->n_env; i++) {
		const char *v = knot_env_value(t->recipe->env[i]);
		if (v && (ret = knot_strv_pushf(env, "%s=%s", t->recipe->env[i], v)) < 0)
			return ret;
	}
	if ((ret = knot_strv_pushf(env, "HOME=%s", unboxed ? w->home : "/tmp")) < 0 ||
	    (ret = knot_strv_pushf(env, "TMPDIR=%s", unboxed ? w->tmp : "/tmp")) < 0)
		return ret;
	return 0;
}

/* The program that runs the recipe: bash with the driver, in the box
 * unless UNBOXED (RUN then holds the box). */
static int run_argv(struct strvec *argv, struct knot_box_run *run, const struct silo_knot_task *t,
		    const struct work *w, const silo_knot_set *set, int unboxed, const char *bash,
		    const char *bwrap, const char *root)
{
	const char *src_base = unboxed ? w->src : KNOT_BOX_SRC;
	struct knot_bind *binds = NULL;
	size_t i, n = 0;
	int ret;

	if (!unboxed) {
		struct knot_box b;
		if (!(binds = calloc(5 + w->n_deps, sizeof(*binds))))
			return silo__error_oom();
		binds[n++] = (struct knot_bind){ t->recipe->dir, KNOT_BOX_RECIPE, 0 };
		binds[n++] = (struct knot_bind){ w->src, KNOT_BOX_SRC, 1 };
		binds[n++] = (struct knot_bind){ w->build, KNOT_BOX_BUILD, 1 };
		binds[n++] = (struct knot_bind){ w->smoke, KNOT_BOX_SMOKE, 1 };
		binds[n++] = (struct knot_bind){ w->install, t->wedge_path, 1 };
		for (i = 0; i < w->n_deps; i++)
			binds[n++] = (struct knot_bind){ w->dep_dirs[i], w->dep_paths[i], 0 };
		memset(&b, 0, sizeof(b));
		b.bwrap = bwrap;
		b.root = root;
		b.net = t->recipe->leaky;
		b.binds = binds;
		b.n_binds = n;
		b.driver = driver_script;
		b.chdir = KNOT_BOX_BUILD;
		b.tmp_size = silo_knot_set_limits(set)->tmp;
		ret = knot_box_prepare(run, &b);
		free(binds);
		if (ret < 0)
			return ret;
		argv = &run->argv;
	}
	if ((ret = knot_strv_push(argv, bash)) < 0 ||
	    (ret = knot_strv_push(argv, "--noprofile")) < 0 ||
	    (ret = knot_strv_push(argv, "--norc")) < 0 ||
	    (ret = knot_strv_push(argv, unboxed ? w->driver : KNOT_BOX_DRIVER)) < 0)
		return ret;
	if (w->top)
		ret = knot_strv_pushf(argv, "%s/%s", src_base, w->top);
	else
		ret = knot_strv_push(argv, src_base);
	if (ret < 0 ||
	    (ret = knot_strv_push(argv, unboxed ? w->build : KNOT_BOX_BUILD)) < 0 ||
	    (ret = knot_strv_push(argv, unboxed ? w->install : t->wedge_path)) < 0 ||
	    (ret = knot_strv_push(argv, unboxed ? t->recipe->dir : KNOT_BOX_RECIPE)) < 0 ||
	    (ret = knot_strv_push(argv, unboxed ? w->smoke : KNOT_BOX_SMOKE)) < 0 ||
	    (ret = knot_strv_push(argv, t->version)) < 0 ||
	    (ret = knot_strv_push(argv, unboxed ? "unboxed" : "boxed")) < 0)
		return ret;
	return 0;
}

/* Give the tree DIR to the box's user (knot runs as root: the box's
 * user is not), so that the recipe may write there. */
static int chown_tree(const char *dir, uid_t uid, gid_t gid, int dfd, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd, ret = 0;

	fd = dfd < 0 ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
		     : openat(dfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return silo__error_errno("cannot read '%s'", dir);
	if (fchown(fd, uid, gid) < 0) {
		close(fd);
		return silo__error_errno("cannot give '%s' to the box's user", dir);
	}
	if (!(d = fdopendir(fd))) {
		close(fd);
		return silo__error_errno("cannot read '%s'", dir);
	}
	while (!ret && (de = readdir(d))) {
		struct stat st;
		int is_dir = de->d_type == DT_DIR;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type == DT_UNKNOWN)
			is_dir = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				 S_ISDIR(st.st_mode);
		if (is_dir && depth < 4096)
			ret = chown_tree(de->d_name, uid, gid, dirfd(d), depth + 1);
		else if (fchownat(dirfd(d), de->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			ret = silo__error_errno("cannot give '%s' to the box's user", de->d_name);
	}
	closedir(d);
	return ret;
}

/* The last "knot: running FUNCTION" of the log TEXT, copied into BUF. */
static const char *running(char *buf, size_t size, const char *text)
{
	const char *p = text, *found = NULL;

	while (text && (p = strstr(p, "knot: running "))) {
		found = p + strlen("knot: running ");
		p = found;
	}
	if (!found)
		return NULL;
	snprintf(buf, size, "%.*s", (int)strcspn(found, " \n"), found);
	return buf;
}

static void mib(char buf[32], unsigned long long bytes)
{
	snprintf(buf, 32, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
}

/* What the recipe's processes used, as the last line of the log at
 * PATH (open as FD): "knot: box cpu user 0.048 s, sys 0.009 s, max rss
 * 12345 KiB" (unboxed: "knot: build cpu ..."). */
static int log_usage(struct silo_knot_result *res, const struct knot_watch *w, int boxed,
		     int fd, const char *path)
{
	char line[160];
	int len;

	res->box_user = w->user;
	res->box_sys = w->sys;
	res->box_max_rss_kib = w->max_rss_kib;
	len = snprintf(line, sizeof(line), "knot: %s cpu user %.3f s, sys %.3f s, max rss %ld KiB\n",
		       boxed ? "box" : "build", w->user, w->sys, w->max_rss_kib);
	return fd < 0 ? 0 : fs_write_all(fd, line, (size_t)len, path);
}

/* Whether the driver ran to its end: its "knot: done" line is in the
 * last bytes of the log at PATH (after it come only the EXIT trap's
 * lines).  A recipe that removed knot's EXIT trap and ended the shell
 * with status 0 before the last step has no such line. */
static int driver_done(const char *path)
{
	static const char done[] = "knot: done\n";
	char buf[16384];
	size_t len = 0, i, n = sizeof(done) - 1;
	ssize_t got;
	off_t end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	end = lseek(fd, 0, SEEK_END);
	if (end > (off_t)sizeof(buf) && lseek(fd, end - (off_t)sizeof(buf), SEEK_SET) < 0)
		end = -1;
	else if (end >= 0 && end <= (off_t)sizeof(buf) && lseek(fd, 0, SEEK_SET) < 0)
		end = -1;
	while (end >= 0 && len < sizeof(buf) &&
	       (got = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	for (i = 0; i + n <= len; i++)
		if (!memcmp(buf + i, done, n))
			return 1;
	return 0;
}

/* What failed, from the driver's exit status, the watch and the log. */
static char *failure_message(const struct silo_knot_task *t, int status, const char *log,
			     const struct knot_watch *w, const struct silo_knot_limits *lim)
{
	static const char raise[] = "raise it with --limits or KNOT_LIMITS (knot-build(1))";
	char *text = NULL, *msg = NULL, fn[64], lim_text[64], size[32];
	const char *what, *limit;
	size_t len = 0;
	int odd_step = 0;

	if (fs_read_file(&text, &len, log, 64 << 20) < 0) {
		silo_error_clear();
		text = NULL;
		len = 0;
	}
	if (status == 10)
		what = (t->recipe->funcs & SILO_KNOT_FN_MAKE) ? "wedge-make" : "wedge-make-from-source-dir";
	else if (status == 11)
		what = (t->recipe->funcs & SILO_KNOT_FN_INSTALL) ? "wedge-install"
								 : "wedge-install-from-source-dir";
	else if (status == 12)
		what = "wedge-smoke-test";
	else if (!text || !strstr(text, "knot: box ready"))
		what = "the box";
	/* a step that left the driver unable to end it (a fork that failed
	 * in its EXIT trap: bash exits 254) is still that step */
	else if ((what = running(fn, sizeof(fn), text)))
		odd_step = 1;
	else
		what = "sourcing WEDGE";
	if (w->stopped == KNOT_STOP_TIME) {
		if (asprintf(&msg, "%s/%s: %s went over the time limit (%s) and was stopped; %s",
			     t->recipe->name, t->version,
			     running(fn, sizeof(fn), text) ? fn : "the build",
			     knot_box_limit_text(lim_text, lim, "time"), raise) < 0)
			msg = NULL;
	} else if (w->stopped == KNOT_STOP_DISK) {
		mib(size, w->disk_used);
		/* A build that ended within its time is measured at its end. */
		if (asprintf(&msg, "%s/%s: %s went over the disk limit (%s): its work directory grew by %s; %s",
			     t->recipe->name, t->version,
			     !status ? "the build" : running(fn, sizeof(fn), text) ? fn : "the build",
			     knot_box_limit_text(lim_text, lim, "disk"), size, raise) < 0)
			msg = NULL;
	} else if ((status >= 10 && status <= 12) || odd_step) {
		limit = text ? knot_box_limit_in_log(text, len) : NULL;
		if (limit && asprintf(&msg, "%s/%s: %s failed: %s (%s); %s", t->recipe->name, t->version,
				      what,
				      !strcmp(limit, "tmp") ? "the box's /tmp is full" :
				      !strcmp(limit, "shm") ? "the box's /dev/shm is full" :
				      !strcmp(limit, "disk") ? "a file went over the disk limit" :
				      !strcmp(limit, "pids") ? "its log shows the process limit was reached" :
				      "its log shows the memory limit (per process) was reached",
				      knot_box_limit_text(lim_text, lim, strcmp(limit, "shm") ? limit : "tmp"),
				      raise) < 0)
			msg = NULL;
		else if (!limit) {
			char how[32] = "";
			if (odd_step)
				snprintf(how, sizeof(how), " (exit status %d)", status);
			if (asprintf(&msg, "%s/%s: %s failed%s", t->recipe->name, t->version,
				     what, how) < 0)
				msg = NULL;
		}
	} else if (!strcmp(what, "the box")) {
		char line[512], *head;
		const char *c = text ? knot_box_complaint(line, sizeof(line), text, len) : NULL;

		if (!c && text) {
			/* else the last line of the log */
			char *last;
			while (len && text[len - 1] == '\n')
				text[--len] = '\0';
			last = strrchr(text, '\n');
			c = last ? last + 1 : text;
			if (!*c)
				c = NULL;
		}
		if (asprintf(&head, "%s/%s: the build could not start (exit status %d)", t->recipe->name,
			     t->version, status) < 0)
			head = NULL;
		msg = head ? knot_box_failure(head, c) : NULL;
		free(head);
	} else if (asprintf(&msg, "%s/%s: %s failed (exit status %d)", t->recipe->name,
			    t->version, what, status) < 0) {
		msg = NULL;
	}
	free(text);
	return msg;
}

/* ---- publishing ---- */

static int set_prov(struct silo_treeptr *tp, const char *key, const char *value)
{
	return silo_treeptr_set_provenance(tp, key, value);
}

static int set_provf(struct silo_treeptr *tp, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_provf(struct silo_treeptr *tp, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int ret;

	va_start(ap, fmt);
	s = knot_vformat(fmt, ap);
	va_end(ap);
	if (!s)
		return silo__error_oom();
	ret = silo_treeptr_set_provenance(tp, key, s);
	free(s);
	return ret;
}

struct build_facts {
	time_t start, end;
	double seconds;
	char log_id[SILO_OID_MAX_HEXSZ + 1];
	char layer[SILO_OID_MAX_HEXSZ + 1];	/* the layer's tree id, or "" */
};

static char *builder_name(void)
{
	struct passwd pw, *pwp = NULL;
	char pwbuf[1024], host[256], *s;
	const char *user = NULL;

	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "unknown");
	host[sizeof(host) - 1] = '\0';
	if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof(pwbuf), &pwp) == 0 && pwp)
		user = pw.pw_name;
	if (asprintf(&s, "%s@%s", user ? user : "unknown", host) < 0)
		return NULL;
	return s;
}

static int record_provenance(struct silo_treeptr *tp, const struct silo_knot_task *t,
			     const silo_knot_set *set, const struct silo_knot_build_options *o,
			     const struct build_facts *f)
{
	const struct silo_knot_platform *p = t->platform ? t->platform : silo_knot_set_platform(set);
	struct strbuf deps = STRBUF_INIT, env = STRBUF_INIT;
	char start[32], end[32], *base = NULL, *builder = builder_name();
	const char *recipe_base = strrchr(t->recipe->dir, '/');
	const char *medo_base = strrchr(t->recipe->source_medo, '/');
	size_t i;
	int ret = 0;

	format_time(start, f->start);
	format_time(end, f->end);
	if (!t->base && !o->base_packages && (ret = silo_knot_base_packages(&base)) < 0)
		goto out;
	for (i = 0; i < t->n_deps && !ret; i++) {
		struct silo_treeptr dtp = SILO_TREEPTR_INIT;
		char tree[SILO_OID_MAX_HEXSZ + 1] = "";
		if (silo_treeptr_load(&dtp, t->deps[i]->derived_treeptr) == 0)
			silo_oid_to_hex(tree, &dtp.tree);
		silo_treeptr_release(&dtp);
		ret = strbuf_addf(&deps, "%s%s/%s %s %s", i ? ", " : "", t->deps[i]->recipe->name,
				  t->deps[i]->version, t->deps[i]->key, tree);
	}
	if (ret < 0 || (ret = knot_env_text(&env, t->recipe)) < 0 ||
	    (ret = strbuf_grow(&deps, 0)) < 0)
		goto out;
	if ((ret = silo_treeptr_clear_provenance(tp)) < 0 ||
	    (ret = set_prov(tp, "key", t->key)) < 0 ||
	    (ret = set_provf(tp, "key-format", "%d", SILO_KNOT_KEY_FORMAT)) < 0 ||
	    (ret = set_prov(tp, "name", t->recipe->name)) < 0 ||
	    (ret = set_prov(tp, "version", t->version)) < 0 ||
	    (ret = set_prov(tp, "wedge-path", t->wedge_path)) < 0 ||
	    (ret = set_prov(tp, "absolute", t->recipe->is_absolute ? "1" : "0")) < 0 ||
	    (ret = set_provf(tp, "recipe", "%s/%s", medo_base ? medo_base + 1 : "",
			     recipe_base ? recipe_base + 1 : t->recipe->dir)) < 0 ||
	    (ret = set_prov(tp, "recipe-tree", t->recipe_tree)) < 0 ||
	    (ret = set_prov(tp, "source-treeptr",
			      t->source_treeptr ? strrchr(t->source_treeptr, '/') + 1 : "none")) < 0 ||
	    (ret = set_prov(tp, "source-object", t->source_object)) < 0 ||
	    (ret = set_prov(tp, "source-tree", t->source_tree)) < 0 ||
	    (ret = set_prov(tp, "deps", deps.buf)) < 0 ||
	    (ret = set_provf(tp, "platform", "%s %s %s", p->id, p->version_id, p->arch)) < 0 ||
	    (ret = set_prov(tp, "codename", p->codename)) < 0 ||
	    (ret = set_prov(tp, "root", t->base ? "base" : "host")) < 0 ||
	    (t->base && (ret = set_prov(tp, "base", t->base_tree)) < 0) ||
	    (t->base && (ret = set_prov(tp, "base-treeptr", strrchr(t->base, '/') + 1)) < 0) ||
	    (f->layer[0] && (ret = set_prov(tp, "layer", f->layer)) < 0) ||
	    /* the host's packages, when it is the host's system */
	    (!t->base && (ret = set_prov(tp, "base-packages", base ? base : o->base_packages)) < 0) ||
	    (ret = set_prov(tp, "command", o->command ? o->command : "knot build")) < 0 ||
	    (ret = set_prov(tp, "env", env.buf)) < 0 ||
	    (ret = set_prov(tp, "box", t->box)) < 0 ||
	    (t->build_deps && (ret = set_prov(tp, "build-deps", t->build_deps)) < 0) ||
	    (ret = set_prov(tp, "builder", builder ? builder : "unknown")) < 0 ||
	    (ret = set_prov(tp, "tool", o->tool ? o->tool : "knot")) < 0 ||
	    (ret = set_prov(tp, "start", start)) < 0 ||
	    (ret = set_prov(tp, "end", end)) < 0 ||
	    (ret = set_provf(tp, "seconds", "%.1f", f->seconds)) < 0 ||
	    (ret = set_prov(tp, "exit-status", "0")) < 0 ||
	    (ret = set_prov(tp, "log", f->log_id)) < 0) {
		/* ret says why */
	}
out:
	strbuf_release(&deps);
	strbuf_release(&env);
	free(base);
	free(builder);
	return ret;
}

/* Store the log and the install directory in the derived medo's silo;
 * write the derived treeptr, or compare with the published one. */
static int publish(struct silo_knot_result *res, const struct silo_knot_task *t,
		   const silo_knot_set *set, const struct silo_knot_build_options *o,
		   const struct work *w, struct build_facts *f, int published)
{
	struct silo_medo_add_options ao = { 0 };
	struct silo_treeptr tp = SILO_TREEPTR_INIT, old = SILO_TREEPTR_INIT;
	silo *s = NULL;
	silo_writer *wr = NULL;
	silo_oid log_id;
	char *tmp = NULL, *dir = NULL;
	int ret;

	if ((ret = ensure_derived(t)) < 0)
		return ret;
	if (!(dir = fs_dirname(t->derived_treeptr)))
		return silo__error_oom();
	if ((ret = fs_mkdir_p(dir, 0777)) < 0 ||
	    (ret = silo_medo_open_writing(&s, t->derived_treeptr, silo_knot_set_silo(set))) < 0)
		goto out;
	if ((ret = silo_writer_new(&wr, s)) < 0 ||
	    (ret = silo_writer_put_file(&log_id, wr, w->log)) < 0 ||
	    (ret = silo_writer_commit(wr, NULL)) < 0)
		goto out;
	silo_oid_to_hex(f->log_id, &log_id);
	if (!(tmp = fs_join(w->dir, "wedge.treeptr"))) {
		ret = silo__error_oom();
		goto out;
	}
	ao.silo = silo_root(s);
	ao.force = 1;
	ao.tool = o->tool;
	if ((ret = silo_medo_add(&tp, w->install, tmp, &ao)) < 0) {
		/* What the recipe installed is no tree (a fifo, a .git): its
		 * build failed, the build machinery did not. */
		if (ret == SILO_EUNSAFE || ret == SILO_EINVALID) {
			res->kind = SILO_KNOT_FAILED;
			res->error = SILO_ERROR;
			if (asprintf(&res->message, "%s/%s: its install directory cannot be published: %s",
				     t->recipe->name, t->version, silo_error_message()) < 0)
				res->message = NULL;
			silo_error_clear();
			ret = 0;
		}
		goto out;
	}
	silo_oid_to_hex(res->tree, &tp.tree);
	if ((ret = record_provenance(&tp, t, set, o, f)) < 0)
		goto out;
	if (published == SILO_KNOT_PUBLISHED) {
		char was[SILO_OID_MAX_HEXSZ + 1];
		if ((ret = silo_treeptr_load(&old, t->derived_treeptr)) < 0)
			goto out;
		silo_oid_to_hex(was, &old.tree);
		if (silo_oid_equal(&old.tree, &tp.tree)) {
			res->kind = SILO_KNOT_SAME;
		} else {
			res->kind = SILO_KNOT_DIFFERS;
			if (asprintf(&res->message,
				     "%s/%s: the rebuild gives tree %s, the published build tree %s (kept)",
				     t->recipe->name, t->version, res->tree, was) < 0)
				res->message = NULL;
		}
		goto out;
	}
	if ((ret = silo_treeptr_save(&tp, t->derived_treeptr)) < 0)
		goto out;
	if (o->sign_key && (ret = silo_medo_sign(t->derived_treeptr, o->sign_key)) < 0) {
		/* An unsigned treeptr is not published when a signature was asked for. */
		unlink(t->derived_treeptr);
		goto out;
	}
	res->kind = SILO_KNOT_BUILT;
out:
	silo_treeptr_release(&tp);
	silo_treeptr_release(&old);
	silo_writer_free(wr);
	silo_free(s);
	free(tmp);
	free(dir);
	return ret;
}

/* Copy the log at FROM to TO (through a temporary name beside it). */
static int copy_log(const char *from, const char *to)
{
	char *text = NULL;
	size_t len;
	int ret;

	if ((ret = fs_read_file(&text, &len, from, (size_t)1 << 30)) < 0)
		return ret;
	ret = fs_write_file_atomic(to, text, len);
	free(text);
	return ret;
}

/* Write PHASE to O's phase file: for progress only, so a failure to
 * write it does not fail the build. */
static void set_phase(const struct silo_knot_build_options *o, const char *phase)
{
	char text[64];
	int len;

	if (!o->phase_file)
		return;
	len = snprintf(text, sizeof(text), "%s %.3f\n", phase, o->phase_start);
	if (len > 0 && (size_t)len < sizeof(text) &&
	    knot_write_file(o->phase_file, text, (size_t)len) < 0)
		silo_error_clear();
}

/* The driver's "knot: running <function>" lines: the next phase. */
static void on_driver_line(void *arg, const char *line)
{
	static const struct { const char *line, *phase; } steps[] = {
		{ "knot: running wedge-make", "make" },
		{ "knot: running wedge-make-from-source-dir", "make" },
		{ "knot: running wedge-install", "install" },
		{ "knot: running wedge-install-from-source-dir", "install" },
		{ "knot: running wedge-smoke-test", "smoke" },
	};
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(*steps); i++)
		if (!strcmp(line, steps[i].line))
			set_phase(arg, steps[i].phase);
}

/* Keep the log of a failed build beside the work directory. */
static char *keep_log(const struct work *w)
{
	char *kept;

	if (asprintf(&kept, "%s.log", w->dir) < 0)
		return NULL;
	if (rename(w->log, kept) < 0) {
		free(kept);
		return NULL;
	}
	return kept;
}

int silo_knot_build(struct silo_knot_result *res, struct silo_knot_task *t,
		    const silo_knot_set *set, const struct silo_knot_build_options *o)
{
	const struct silo_knot_limits *lim = silo_knot_set_limits(set);
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
	struct knot_box_run run = KNOT_BOX_RUN_INIT;
	struct knot_base base = { 0 };
	struct knot_exec x;
	struct knot_watch watch;
	struct work w;
	struct build_facts f;
	char *bash = NULL, *bwrap = NULL, *dirs[6];
	int unboxed = !strcmp(t->box, "none");
	int published, status = 0, ret;
	size_t i, n_dirs = 0;
	double t0;

	memset(res, 0, sizeof(*res));
	memset(&w, 0, sizeof(w));
	memset(&f, 0, sizeof(f));
	memset(&x, 0, sizeof(x));
	memset(&watch, 0, sizeof(watch));
	w.log_fd = -1;
	watch.info_fd = -1;
	if ((published = silo_knot_published(t)) < 0)
		return published;
	if (published == SILO_KNOT_PUBLISHED && !o->rebuild) {
		struct silo_treeptr tp = SILO_TREEPTR_INIT;
		if ((ret = silo_treeptr_load(&tp, t->derived_treeptr)) < 0)
			return ret;
		silo_oid_to_hex(res->tree, &tp.tree);
		silo_treeptr_release(&tp);
		res->kind = SILO_KNOT_CACHED;
		return 0;
	}
	if (t->missing_build_deps) {
		res->kind = SILO_KNOT_FAILED;
		res->error = SILO_ENOTFOUND;
		if (asprintf(&res->message, "%s/%s: WEDGE_BUILD_DEPS names Debian packages that are "
			     "not installed: %s (apt-get install %s)", t->recipe->name, t->version,
			     t->missing_build_deps, t->missing_build_deps) < 0)
			res->message = NULL;
		return res->message ? 0 : silo__error_oom();
	}
	for (i = 0; i < t->n_deps; i++)
		if ((ret = silo_knot_published(t->deps[i])) != SILO_KNOT_PUBLISHED)
			return ret < 0 ? ret : silo__error_set(SILO_ENOTFOUND,
				"%s/%s: its dependency %s/%s is not built (key %s)",
				t->recipe->name, t->version, t->deps[i]->recipe->name,
				t->deps[i]->version, t->deps[i]->key);
	/* In a base, its own bash (merged /usr or not, /bin/bash is it). */
	if (t->base ? !(bash = strdup("/bin/bash")) && (ret = silo__error_oom()) < 0
		    : (ret = knot_which(&bash, "bash")) < 0)
		return ret;
	if (!unboxed && (ret = knot_which(&bwrap, "bwrap")) < 0) {
		silo__error_wrap("boxed builds need bubblewrap (or use --unboxed)");
		goto out;
	}
	set_phase(o, "fetch");
	if (t->base && (ret = knot_base_open(&base, t->base)) < 0)
		goto out;
	/* WEDGE_BUILD_DEPS in a base: its layer with them, made once. */
	if (t->base && t->build_deps) {
		char *layer = NULL;
		if ((ret = ensure_derived(t)) < 0 ||
		    (ret = knot_layer_ensure(&layer, &base, t->build_deps, t->derived_medo,
					     silo_knot_set_silo(set), o->tool)) < 0)
			goto out;
		knot_base_release(&base);
		ret = knot_base_open(&base, layer);
		free(layer);
		if (ret < 0)
			goto out;
		memcpy(f.layer, base.tree, sizeof(f.layer));
	}
	if (t->base && (ret = knot_base_expand(&base, silo_knot_set_silo(set))) < 0)
		goto out;
	if ((ret = work_setup(&w, t, set, unboxed)) < 0 ||
	    (ret = run_env(&env, t, &w, unboxed)) < 0 ||
	    (ret = run_argv(&argv, &run, t, &w, set, unboxed, bash, bwrap,
			    t->base ? base.dir : NULL)) < 0)
		goto out;
	/* The box's user writes the source, build, smoke-test and install
	 * directories; when knot runs as root, that user is not root. */
	if (!unboxed && run.as_root &&
	    ((ret = chown_tree(w.src, KNOT_BOX_HOST_UID, KNOT_BOX_HOST_UID, -1, 0)) < 0 ||
	     (ret = chown_tree(w.build, KNOT_BOX_HOST_UID, KNOT_BOX_HOST_UID, -1, 0)) < 0 ||
	     (ret = chown_tree(w.smoke, KNOT_BOX_HOST_UID, KNOT_BOX_HOST_UID, -1, 0)) < 0 ||
	     (ret = chown_tree(w.install, KNOT_BOX_HOST_UID, KNOT_BOX_HOST_UID, -1, 0)) < 0))
		goto out;
	/* What the build writes counts against the disk limit. */
	dirs[n_dirs++] = w.src;
	dirs[n_dirs++] = w.build;
	dirs[n_dirs++] = w.smoke;
	dirs[n_dirs++] = w.install;
	if (unboxed) {
		dirs[n_dirs++] = w.home;
		dirs[n_dirs++] = w.tmp;
	}
	watch.seconds = (double)lim->seconds;
	watch.disk = lim->disk;
	watch.dirs = dirs;
	watch.n_dirs = n_dirs;
	if (o->phase_file) {
		watch.on_line = on_driver_line;
		watch.line_arg = (void *)o;
	}
	if (!unboxed) {
		knot_box_exec(&x, &run);
		watch.info_fd = run.info_fd;
		x.argv = run.argv.v;
	} else {
		x.argv = argv.v;
		x.cwd = w.build;
	}
	x.envp = env.v;
	x.limits = lim;
	/* Unboxed, the processes of the user are not the build's alone. */
	x.limit_pids = !unboxed;
	f.start = time(NULL);
	t0 = now_seconds();
	if ((ret = knot_run_watched(&status, &x, w.log_fd, w.log, &watch)) < 0)
		goto out;
	f.seconds = res->seconds = now_seconds() - t0;
	f.end = time(NULL);
	if ((ret = log_usage(res, &watch, !unboxed, w.log_fd, w.log)) < 0)
		goto out;
	if (o->log_copy && (ret = copy_log(w.log, o->log_copy)) < 0)
		goto out;
	if (!status && !watch.stopped && !driver_done(w.log)) {
		char fn[64], *text = NULL;
		size_t len;
		if (fs_read_file(&text, &len, w.log, 64 << 20) < 0)
			silo_error_clear();
		res->kind = SILO_KNOT_FAILED;
		res->error = SILO_ERROR;
		if (asprintf(&res->message, "%s/%s: %s ended the build's shell (exit status 0) "
			     "before the steps after it; knot's EXIT trap was replaced",
			     t->recipe->name, t->version,
			     running(fn, sizeof(fn), text) ? fn : "sourcing WEDGE") < 0)
			res->message = NULL;
		free(text);
		res->log = keep_log(&w);
		goto out;
	}
	if (status || watch.stopped) {
		res->kind = SILO_KNOT_FAILED;
		res->error = SILO_ERROR;
		res->message = failure_message(t, status, w.log, &watch, lim);
		res->log = keep_log(&w);
		goto out;
	}
	if (silo_knot_interrupted()) {
		ret = silo__error_set(SILO_ERROR, "%s/%s: interrupted before it was published",
				      t->recipe->name, t->version);
		goto out;
	}
	set_phase(o, "publish");
	if ((ret = publish(res, t, set, o, &w, &f, published)) < 0)
		goto out;
	if (res->kind == SILO_KNOT_FAILED) {
		/* The log says why, as for a step that failed. */
		if (res->message && w.log_fd >= 0 &&
		    fs_write_all(w.log_fd, "knot: ", 6, w.log) == 0 &&
		    fs_write_all(w.log_fd, res->message, strlen(res->message), w.log) == 0)
			fs_write_all(w.log_fd, "\n", 1, w.log);
		silo_error_clear();
		if (o->log_copy && (ret = copy_log(w.log, o->log_copy)) < 0)
			goto out;
		res->log = keep_log(&w);
	}
out:
	if (w.install_is_real && (ret < 0 || res->kind == SILO_KNOT_FAILED))
		silo_tree_remove(w.install);
	if (w.dir) {
		int e = silo_error_last();
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", silo_error_message());
		silo_tree_remove(w.dir);
		if (e)
			silo__error_set(e, "%s", msg);
	}
	knot_box_run_release(&run);
	knot_base_release(&base);
	work_release(&w);
	strvec_clear(&argv);
	strvec_clear(&env);
	free(bash);
	free(bwrap);
	return ret;
}

int silo_knot_install(const struct silo_knot_task *t, const char *root)
{
	struct silo_medo_expand_options eo = { 0 };
	char *dest, *parent;
	int ret;

	if ((ret = silo_knot_published(t)) < 0)
		return ret;
	if (ret != SILO_KNOT_PUBLISHED)
		return silo__error_set(SILO_ENOTFOUND,
			"%s/%s has no published build with its current key %s; run 'knot build %s' first",
			t->recipe->name, t->version, t->key, t->recipe->dir);
	if (asprintf(&dest, "%s%s", root && strcmp(root, "/") ? root : "", t->wedge_path) < 0)
		return silo__error_oom();
	if (!(parent = fs_dirname(dest))) {
		free(dest);
		return silo__error_oom();
	}
	ret = fs_mkdir_p(parent, 0755);
	free(parent);
	eo.force = 1;
	if (ret >= 0)
		ret = silo_medo_expand(t->derived_treeptr, dest, &eo);
	free(dest);
	return ret;
}

/* For knot_graph_write(). */
void knot_remove_stale_work(void)
{
	remove_stale_work();
}
