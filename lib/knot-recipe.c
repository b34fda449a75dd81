/*
 * Reading wedge recipes: source the WEDGE file with bash in a clean
 * environment, in the box (or on the host when unboxed), refusing every
 * command at its top level but assignments, collect its variables and
 * functions, and list what is wrong with it (Documentation/wedge.5.scd).
 */
#include "knot-box.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"
#include "strbuf.h"
#include "silo/tree.h"
#include "silo/treeptr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Prints "var NAME VALUE" for each variable set and "fn NAME" for each
 * function defined in the recipe directory $1; what the recipe itself
 * prints goes to stderr.  Nothing of the recipe runs but assignments of
 * words without commands in them and "set -o": every other command of
 * the file, and any command of a function of it, is refused before it
 * runs (a DEBUG trap, with extdebug and functrace, using only shell
 * keywords), naming its line on stderr: "@@knot-refused@@ LINE FUNCTION
 * COMMAND".  The refusal ends the (sub)shell it happens in.  What bash
 * expands later on its own is knot's: PS4, which a trace (set -x, which
 * recipes may set) expands before each command, in the trap and after
 * the file, where no trap looks; and BASH_XTRACEFD, where it writes.
 * What the file starts in the background (&, coproc) is waited for, so
 * that its refusal is heard before the reading ends.
 */
#define REFUSED_MARK "@@knot-refused@@ "
#define LOAD_BODY \
	"set -o errexit -o nounset -o pipefail\n" \
	"cd \"$1\"\n" \
	"PS4='+ '\n" \
	"readonly knot_refuse PS4 BASH_XTRACEFD\n" \
	"knot_word='([^][ \t\n\"'\"'\"'\\\\$`;&|<>(){}]|'\"'\"'[^'\"'\"']*'\"'\"'|\"([^\"\\\\$`]|\\$[A-Za-z_][A-Za-z0-9_]*|\\$\\{[A-Za-z_][A-Za-z0-9_]*\\})*\"|\\$[A-Za-z_][A-Za-z0-9_]*|\\$\\{[A-Za-z_][A-Za-z0-9_]*\\})*'\n" \
	"knot_assign=\"[A-Za-z_][A-Za-z0-9_]*\\\\+?=($knot_word|\\\\([ \t\n]*($knot_word([ \t\n]+$knot_word)*)?[ \t\n]*\\\\))\"\n" \
	"knot_ok=\"^($knot_assign([ \t]+$knot_assign)*|set( +[-+]([euxC]+|o +(errexit|nounset|pipefail|xtrace|noclobber)))+)\\$\"\n" \
	"readonly knot_word knot_assign knot_ok\n" \
	"shopt -s extdebug\n" \
	"set -o functrace\n" \
	"trap '[[ ${BASH_SOURCE[0]-} != ./WEDGE || ( -z ${FUNCNAME[0]-} && $BASH_COMMAND =~ $knot_ok && " \
	"$BASH_COMMAND != *knot_* ) || ${knot_refuse:?\"" REFUSED_MARK "$LINENO ${FUNCNAME[0]:--} $BASH_COMMAND\"} ]]' DEBUG\n" \
	"source ./WEDGE >&2\n" \
	"wait\n" \
	"IFS=$' \\t\\n'\n" \
	"for knot_v in WEDGE_NAME WEDGE_VERSION WEDGE_VERSION_LIST WEDGE_IS_ABSOLUTE \\\n" \
	"    WEDGE_TARBALL_NAME WEDGE_LEAKY_BUILD WEDGE_DEPS WEDGE_ENV WEDGE_HEAVY WEDGE_BUILD_DEPS WEDGE_BASE; do\n" \
	"  if [[ -v $knot_v ]]; then\n" \
	"    declare -n knot_ref=$knot_v\n" \
	"    knot_val=\"${knot_ref[*]}\"\n" \
	"    unset -n knot_ref\n" \
	"    printf 'var %s %s\\n' \"$knot_v\" \"${knot_val//$'\\n'/ }\"\n" \
	"  fi\n" \
	"done\n" \
	"for knot_f in wedge-make wedge-make-from-source-dir wedge-install \\\n" \
	"    wedge-install-from-source-dir wedge-smoke-test; do\n" \
	"  if declare -F \"$knot_f\" >/dev/null; then printf 'fn %s\\n' \"$knot_f\"; fi\n" \
	"done\n"

static const char load_script[] = LOAD_BODY;

/* The same for many recipe directories in one bash: each in a subshell
 * of its own, as if it were a bash of its own, between "@recipe DIR"
 * and "@status STATUS", after its standard error as "@err LINE" lines. */
static const char batch_script[] =
	"exec 9>&1\n"
	"for knot_d in \"$@\"; do\n"
	"  printf '@recipe %s\\n' \"$knot_d\"\n"
	"  knot_err=$( (set -- \"$knot_d\"; unset knot_d knot_err knot_st\n"
	LOAD_BODY
	") 2>&1 1>&9 9>&-)\n"
	"  knot_st=$?\n"
	"  if [ -n \"$knot_err\" ]; then\n"
	"    while IFS= read -r knot_l; do printf '@err %s\\n' \"$knot_l\"; done <<<\"$knot_err\"\n"
	"  fi\n"
	"  printf '@status %d\\n' \"$knot_st\"\n"
	"done\n";

static const struct {
	const char *name;
	unsigned bit;
} fn_names[] = {
	{ "wedge-make", SILO_KNOT_FN_MAKE },
	{ "wedge-make-from-source-dir", SILO_KNOT_FN_MAKE_FROM_SOURCE },
	{ "wedge-install", SILO_KNOT_FN_INSTALL },
	{ "wedge-install-from-source-dir", SILO_KNOT_FN_INSTALL_FROM_SOURCE },
	{ "wedge-smoke-test", SILO_KNOT_FN_SMOKE_TEST },
};

void silo_knot_recipe_release(struct silo_knot_recipe *r)
{
	size_t i;

	free(r->dir);
	free(r->source_medo);
	free(r->name);
	free(r->tarball_name);
	for (i = 0; i < r->n_versions; i++)
		free(r->versions[i]);
	free(r->versions);
	free(r->has_source);
	for (i = 0; i < r->n_deps; i++)
		free(r->deps[i]);
	free(r->deps);
	for (i = 0; i < r->n_env; i++)
		free(r->env[i]);
	free(r->env);
	for (i = 0; i < r->n_build_deps; i++)
		free(r->build_deps[i]);
	free(r->build_deps);
	free(r->base);
	for (i = 0; i < r->n_problems; i++)
		free(r->problems[i]);
	free(r->problems);
	memset(r, 0, sizeof(*r));
}

int silo_knot_is_recipe(const char *dir)
{
	char *path;
	int ok;

	if (asprintf(&path, "%s/WEDGE", dir) < 0)
		return 0;
	ok = access(path, F_OK) == 0;
	free(path);
	return ok;
}

char *silo_knot_recipe_source(const struct silo_knot_recipe *r, const char *version)
{
	char *path;

	if (asprintf(&path, "%s/%s-%s" SILO_TREEPTR_SUFFIX, r->dir,
		     r->tarball_name ? r->tarball_name : r->name, version) < 0)
		return NULL;
	return path;
}

static int problem(struct silo_knot_recipe *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int problem(struct silo_knot_recipe *r, const char *fmt, ...)
{
	char *s;
	va_list ap;

	va_start(ap, fmt);
	s = knot_vformat(fmt, ap);
	va_end(ap);
	if (!s)
		return silo__error_oom();
	if (ALLOC_GROW(r->problems, r->n_problems + 1, r->alloc_problems) < 0) {
		free(s);
		return silo__error_oom();
	}
	r->problems[r->n_problems++] = s;
	return 0;
}

/* A Debian package name: a lower-case letter or digit, then at least one
 * of those or + - . (Debian Policy 5.6.1). */
static int package_name_ok(const char *s)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')) || !s[1])
		return 0;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      strchr("+-.", s[i])))
			return 0;
	return 1;
}

/* Names and versions: a letter or digit, then letters, digits and . _ + ~ - */
static int well_formed(const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+~-";

	return *s && strchr(ok, *s) && *s != '.' && *s != '-' && *s != '_' &&
	       *s != '+' && *s != '~' && strspn(s, ok) == strlen(s);
}

static int env_name_ok(const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";

	return *s && !(*s >= '0' && *s <= '9') && strspn(s, ok) == strlen(s);
}

/* Move the words of SV into *V, *N. */
static void take_words(char ***v, size_t *n, struct strvec *sv)
{
	*v = sv->v;
	*n = sv->n;
	sv->v = NULL;
	sv->n = sv->alloc = 0;
}

struct vars {
	char *name, *version, *version_list, *is_absolute, *tarball, *leaky, *deps, *env, *heavy;
	char *build_deps, *base;
	unsigned funcs;
	struct strvec refused;	/* "LINE FUNCTION COMMAND" of refused commands */
};

static void vars_release(struct vars *v)
{
	free(v->name);
	free(v->version);
	free(v->version_list);
	free(v->is_absolute);
	free(v->tarball);
	free(v->leaky);
	free(v->heavy);
	free(v->deps);
	free(v->env);
	free(v->build_deps);
	free(v->base);
	strvec_clear(&v->refused);
}

static int parse_output(struct vars *v, char *text)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "refused ", 8)) {
			int ret = knot_strv_push(&v->refused, line + 8);
			if (ret < 0)
				return ret;
		} else if (!strncmp(line, "fn ", 3)) {
			size_t i;
			for (i = 0; i < sizeof(fn_names) / sizeof(*fn_names); i++)
				if (!strcmp(line + 3, fn_names[i].name))
					v->funcs |= fn_names[i].bit;
		} else if (!strncmp(line, "var ", 4)) {
			char *name = line + 4, *sp = strchr(name, ' '), **slot = NULL, *val;
			if (!sp)
				continue;
			*sp = '\0';
			val = sp + 1;
			if (!strcmp(name, "WEDGE_NAME")) slot = &v->name;
			else if (!strcmp(name, "WEDGE_VERSION")) slot = &v->version;
			else if (!strcmp(name, "WEDGE_VERSION_LIST")) slot = &v->version_list;
			else if (!strcmp(name, "WEDGE_IS_ABSOLUTE")) slot = &v->is_absolute;
			else if (!strcmp(name, "WEDGE_TARBALL_NAME")) slot = &v->tarball;
			else if (!strcmp(name, "WEDGE_LEAKY_BUILD")) slot = &v->leaky;
			else if (!strcmp(name, "WEDGE_HEAVY")) slot = &v->heavy;
			else if (!strcmp(name, "WEDGE_DEPS")) slot = &v->deps;
			else if (!strcmp(name, "WEDGE_ENV")) slot = &v->env;
			else if (!strcmp(name, "WEDGE_BUILD_DEPS")) slot = &v->build_deps;
			else if (!strcmp(name, "WEDGE_BASE")) slot = &v->base;
			if (slot) {
				free(*slot);
				if (!(*slot = strdup(val)))
					return silo__error_oom();
			}
		}
	}
	return 0;
}

/* The error of a recipe whose WEDGE failed when sourced: bash's own
 * message ERR (changed), on one line. */
static int sourcing_failed(const char *dir, int status, char *err)
{
	size_t len = strlen(err);
	char *p;

	while (len && (err[len - 1] == '\n' || err[len - 1] == ' '))
		err[--len] = '\0';
	for (p = err; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return silo__error_set(SILO_EINVALID,
			       "'%s/WEDGE': sourcing it with bash failed (exit status %d)%s%s%s",
			       dir, status, *err ? ": " : "", err,
			       strstr(err, "Permission denied") && knot_box_as_root()
				      ? " (the box reads recipes as the host's uid 65534, not as root: "
					"they must be readable by others)" : "");
}

/* Append a line "refused LINE FUNCTION COMMAND" to TEXT for each
 * refusal bash reported in ERR (the command's first line, shortened);
 * the number of them, or a negative error. */
static int add_refusals(struct strbuf *text, const char *err)
{
	const char *p = err;
	int n = 0, ret;

	while ((p = strstr(p, REFUSED_MARK))) {
		const char *cmd, *end, *next;
		size_t len;

		p += strlen(REFUSED_MARK);
		/* LINE and FUNCTION are single words. */
		cmd = p + strcspn(p, " \n");
		if (*cmd == ' ')
			cmd += 1 + strcspn(cmd + 1, " \n");
		if (*cmd == ' ')
			cmd++;
		end = cmd + strcspn(cmd, "\n");
		next = strstr(cmd, REFUSED_MARK);
		if (next && next < end)
			end = next;
		len = (size_t)(end - p);
		while (len && p[len - 1] == ' ')
			len--;
		if ((ret = strbuf_addf(text, "refused %.*s%s\n", (int)(len > 200 ? 200 : len), p,
				       len > 200 ? "..." : "")) < 0)
			return ret;
		n++;
	}
	return n;
}

void knot_sourced_release(struct knot_sourced *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].dir);
		free(v[i].text);
		free(v[i].err);
	}
	memset(v, 0, n * sizeof(*v));
}

/* Split the output of batch_script into OUT[0..N-1]: 0, or 1 when it is
 * not what N sections naming DIRS in order would be. */
static int split_batch(struct knot_sourced *out, char *const *dirs, size_t n, char *text)
{
	struct strbuf sb = STRBUF_INIT, err = STRBUF_INIT;
	char *line, *save = NULL;
	size_t i = 0;
	int in = 0, ret = 0;

	for (line = strtok_r(text, "\n", &save); line && !ret; line = strtok_r(NULL, "\n", &save)) {
		if (!in) {
			if (i >= n || strncmp(line, "@recipe ", 8) || strcmp(line + 8, dirs[i]))
				return 1;
			in = 1;
			strbuf_setlen(&sb, 0);
			strbuf_setlen(&err, 0);
		} else if (!strncmp(line, "@status ", 8)) {
			char *end;
			long st = strtol(line + 8, &end, 10);
			int refused = 0;

			if (end == line + 8 || *end || st < 0 || st > 255) {
				ret = 1;
				break;
			}
			if ((ret = strbuf_grow(&err, 0)) < 0 || !(out[i].dir = strdup(dirs[i])) ||
			    !(out[i].err = strdup(err.buf ? err.buf : "")) ||
			    (refused = ret = add_refusals(&sb, out[i].err)) < 0 ||
			    (ret = strbuf_grow(&sb, 0)) < 0 || !(out[i].text = strdup(sb.buf ? sb.buf : ""))) {
				ret = ret < 0 ? ret : silo__error_oom();
				break;
			}
			/* A refused command ends the shell, not the reading. */
			out[i++].status = refused ? 0 : (int)st;
			in = 0;
		} else if (!strncmp(line, "@err ", 5)) {
			ret = strbuf_addf(&err, "%s\n", line + 5);
		} else if (!strncmp(line, "var ", 4) || !strncmp(line, "fn ", 3)) {
			ret = strbuf_addf(&sb, "%s\n", line);
		} else {
			ret = 1;
		}
	}
	strbuf_release(&sb);
	strbuf_release(&err);
	if (!ret && (in || i != n))
		ret = 1;
	return ret;
}

/*
 * Run SCRIPT with bash over DIRS: in a box (read-only, no network,
 * nothing of the host but the base system and DIRS, at their paths) or,
 * UNBOXED, on the host, within KNOT_READ_SECONDS and the limits of HOW.
 * *out (of *out_len bytes) and *err (owned by the caller) are what it
 * printed.  WHAT names the recipes in messages.  *refused: the box
 * could not be made because this system refuses user namespaces.
 */
static int run_bash_in(int *status, char **out, size_t *out_len, char **err, const char *script,
		       char *const *dirs, size_t n, const struct knot_reading *how,
		       const char *what, int unboxed, int *refused)
{
	struct strvec bash_args = STRVEC_INIT;
	struct knot_box_run run = KNOT_BOX_RUN_INIT;
	struct silo_knot_limits defaults, read_limits;
	const struct silo_knot_limits *lim = how ? how->limits : NULL;
	struct stat st;
	struct knot_bind *binds = NULL;
	struct knot_exec x;
	struct knot_watch w;
	char *bash = NULL, *bwrap = NULL, **argv;
	int out_fd = -1, err_fd = -1, ret;
	size_t i, len;

	*out = *err = NULL;
	*refused = 0;
	if (!lim) {
		silo_knot_limits_default(&defaults);
		lim = &defaults;
	}
	memset(&x, 0, sizeof(x));
	memset(&w, 0, sizeof(w));
	w.info_fd = -1;
	if ((ret = knot_which(&bash, "bash")) < 0 || (ret = knot_memfd(&out_fd)) < 0 ||
	    (ret = knot_memfd(&err_fd)) < 0)
		goto out;
	if (!unboxed) {
		struct knot_box b;
		if ((ret = knot_which(&bwrap, "bwrap")) < 0) {
			silo__error_wrap("knot reads recipes in a bubblewrap box (or use --unboxed)");
			goto out;
		}
		if (n && !(binds = calloc(n, sizeof(*binds)))) {
			ret = silo__error_oom();
			goto out;
		}
		for (i = 0; i < n; i++) {
			binds[i].host = dirs[i];
			binds[i].box = dirs[i];
		}
		memset(&b, 0, sizeof(b));
		b.bwrap = bwrap;
		b.binds = binds;
		b.n_binds = n;
		b.chdir = "/";
		b.tmp_size = lim->tmp;
		if ((ret = knot_box_prepare(&run, &b)) < 0)
			goto out;
		knot_box_exec(&x, &run);
		w.info_fd = run.info_fd;
	}
	if ((ret = knot_strv_push(&bash_args, bash)) < 0 ||
	    (ret = knot_strv_push(&bash_args, "--noprofile")) < 0 ||
	    (ret = knot_strv_push(&bash_args, "--norc")) < 0 ||
	    (ret = knot_strv_push(&bash_args, "-c")) < 0 ||
	    (ret = knot_strv_push(&bash_args, script)) < 0 ||
	    (ret = knot_strv_push(&bash_args, "knot")) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((ret = knot_strv_push(&bash_args, dirs[i])) < 0)
			goto out;
	for (i = 0; !unboxed && i < bash_args.n; i++)
		if ((ret = knot_strv_push(&run.argv, bash_args.v[i])) < 0)
			goto out;
	argv = unboxed ? bash_args.v : run.argv.v;
	x.argv = argv;
	x.envp = (char *const *)knot_base_env;
	if (unboxed)
		x.cwd = "/";
	x.out_fd = out_fd;
	x.err_fd = err_fd;
	/* What bash writes goes to memory files: no more than that. */
	read_limits = *lim;
	if (!read_limits.disk || read_limits.disk > KNOT_READ_OUTPUT_MAX)
		read_limits.disk = KNOT_READ_OUTPUT_MAX;
	x.limits = &read_limits;
	x.limit_pids = !unboxed;
	w.seconds = lim->seconds && lim->seconds < KNOT_READ_SECONDS ? (double)lim->seconds
								     : KNOT_READ_SECONDS;
	if ((ret = knot_run_watched(status, &x, -1, NULL, &w)) < 0)
		goto out;
	if (w.stopped == KNOT_STOP_TIME) {
		ret = silo__error_set(SILO_EINVALID,
				      "reading %s took longer than %.0f s: does a WEDGE file loop at its top level?",
				      what, w.seconds);
		goto out;
	}
	if ((fstat(out_fd, &st) == 0 && (unsigned long long)st.st_size >= KNOT_READ_OUTPUT_MAX) ||
	    (fstat(err_fd, &st) == 0 && (unsigned long long)st.st_size >= KNOT_READ_OUTPUT_MAX)) {
		ret = silo__error_set(SILO_EINVALID,
				      "reading %s wrote more than %d MiB: does a WEDGE file loop at its top level?",
				      what, KNOT_READ_OUTPUT_MAX >> 20);
		goto out;
	}
	if ((ret = knot_read_back(out, out_len, out_fd)) < 0 || (ret = knot_read_back(err, &len, err_fd)) < 0)
		goto out;
	if (!unboxed && *status && !**out) {
		char line[512], *msg, *head;
		if (knot_box_complaint(line, sizeof(line), *err, len) && knot_box_refused(line)) {
			*refused = 1;
		} else if (knot_box_complaint(line, sizeof(line), *err, len) &&
			   asprintf(&head, "cannot read %s in the box", what) >= 0) {
			msg = knot_box_failure(head, line);
			ret = silo__error_set(SILO_ERROR, "%s", msg ? msg : head);
			free(msg);
			free(head);
		}
	}
out:
	if (ret < 0) {
		free(*out);
		free(*err);
		*out = *err = NULL;
	}
	knot_box_run_release(&run);
	strvec_clear(&bash_args);
	if (out_fd >= 0)
		close(out_fd);
	if (err_fd >= 0)
		close(err_fd);
	free(binds);
	free(bash);
	free(bwrap);
	return ret;
}

/*
 * run_bash_in(), in the box unless HOW says unboxed.  Where no box can
 * be made (user namespaces refused: a container, a hardened kernel),
 * the recipes are read on the host: the DEBUG trap of the load script
 * runs none of their commands either way, and knot key, list, install
 * and validate keep working there (builds say what is missing).
 */
static int run_bash(int *status, char **out, size_t *out_len, char **err, const char *script,
		    char *const *dirs, size_t n, const struct knot_reading *how, const char *what)
{
	int unboxed = how && how->unboxed, refused, ret;

	ret = run_bash_in(status, out, out_len, err, script, dirs, n, how, what, unboxed, &refused);
	if (ret >= 0 && refused) {
		free(*out);
		free(*err);
		ret = run_bash_in(status, out, out_len, err, script, dirs, n, how, what, 1, &refused);
	}
	return ret;
}

int knot_recipes_source(struct knot_sourced *out, char *const *dirs, size_t n,
			const struct knot_reading *how)
{
	char *text = NULL, *err = NULL, *what = NULL;
	size_t i, len = 0;
	int status, ret;

	memset(out, 0, n * sizeof(*out));
	if (!n)
		return 1;
	for (i = 0; i < n; i++)
		if (strchr(dirs[i], '\n'))
			return 1;
	{
		char *parent = fs_dirname(dirs[0]);
		if (!parent || asprintf(&what, "the recipes of '%s'", parent) < 0)
			what = NULL;
		free(parent);
		if (!what)
			return silo__error_oom();
	}
	/* A bash per KNOT_BOX_MAX_BINDS recipes: each is a directory of the box. */
	for (i = 0, ret = 0; !ret && i < n; i += KNOT_BOX_MAX_BINDS) {
		size_t k = n - i < KNOT_BOX_MAX_BINDS ? n - i : KNOT_BOX_MAX_BINDS;

		if ((ret = run_bash(&status, &text, &len, &err, batch_script, dirs + i, k, how,
				    what)) < 0)
			break;
		ret = status || strlen(text) != len ? 1 : split_batch(out + i, dirs + i, k, text);
		free(text);
		free(err);
		text = err = NULL;
	}
	if (ret)
		knot_sourced_release(out, n);
	free(what);
	return ret;
}

/* Run the load script over DIR/WEDGE; *text_out (when not NULL) is its
 * output, with the refused commands, owned by the caller. */
static int source_wedge(struct vars *v, const char *dir, char **text_out,
			const struct knot_reading *how)
{
	struct strbuf text = STRBUF_INIT;
	char *out = NULL, *err = NULL, *what = NULL, *dirs[1];
	size_t len;
	int status, ret, refused;

	dirs[0] = (char *)dir;
	if (asprintf(&what, "'%s/WEDGE'", dir) < 0)
		return silo__error_oom();
	if ((ret = run_bash(&status, &out, &len, &err, load_script, dirs, 1, how, what)) < 0)
		goto done;
	if ((ret = strbuf_adds(&text, out)) < 0 || (refused = ret = add_refusals(&text, err)) < 0 ||
	    (ret = strbuf_grow(&text, 0)) < 0)
		goto done;
	/* A refused command ends the shell: that is not a failure to read. */
	if (status && !refused) {
		ret = sourcing_failed(dir, status, err);
		goto done;
	}
	if (text_out && !(*text_out = strdup(text.buf))) {
		ret = silo__error_oom();
		goto done;
	}
	ret = parse_output(v, text.buf);
done:
	strbuf_release(&text);
	free(what);
	free(out);
	free(err);
	return ret;
}

int knot_recipe_own_file(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0 || S_ISREG(st.st_mode))
		return 0;	/* a missing file: its reader says so */
	return silo__error_set(SILO_EINVALID,
			       "'%s' is %s: knot reads a recipe's own files only, on the host too",
			       path, S_ISLNK(st.st_mode) ? "a symbolic link" : "not a regular file");
}

/* Whether VERSION's source treeptr is there (1), not there (0), or
 * there but unusable (a problem, and 1). */
static int check_source(struct silo_knot_recipe *r, const char *version)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	char *path = silo_knot_recipe_source(r, version);
	int ret;

	if (!path)
		return silo__error_oom();
	if ((ret = knot_recipe_own_file(path)) < 0) {
		ret = problem(r, "%s", silo_error_message());
		silo_error_clear();
		free(path);
		return ret < 0 ? ret : 1;
	}
	ret = silo_treeptr_load(&tp, path);
	if (ret == SILO_ENOTFOUND) {
		silo_error_clear();
		ret = 0;
	} else if (ret < 0) {
		ret = problem(r, "%s", silo_error_message());
		ret = ret < 0 ? ret : 1;
	} else if (!silo_treeptr_is_tree(&tp)) {
		ret = problem(r, "its source treeptr '%s' names an opaque file, not a tree", path);
		ret = ret < 0 ? ret : 1;
	} else {
		ret = 1;
	}
	silo_treeptr_release(&tp);
	free(path);
	return ret;
}

/* The top-level treeptrs of DIR, sorted, into NAMES. */
static int list_treeptrs(struct strvec *names, const char *dir)
{
	size_t sfx = strlen(SILO_TREEPTR_SUFFIX);
	struct dirent *de;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d)
		return silo__error_errno("cannot read the recipe '%s'", dir);
	while (!ret && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] != '.' && len > sfx &&
		    !strcmp(de->d_name + len - sfx, SILO_TREEPTR_SUFFIX))
			ret = knot_strv_push(names, de->d_name);
	}
	closedir(d);
	if (!ret && names->n)
		qsort(names->v, names->n, sizeof(*names->v), knot_cmp_strings);
	return ret;
}

/* What the directory holds instead of the source treeptrs of the
 * versions asked for: "versions 0.5.12, 0.5.13", "treeptrs a.treeptr". */
static int sources_present(struct strbuf *sb, const struct silo_knot_recipe *r,
			   const struct strvec *names)
{
	const char *base = r->tarball_name ? r->tarball_name : r->name;
	size_t i, blen = strlen(base), sfx = strlen(SILO_TREEPTR_SUFFIX), nv = 0, pass;
	int ret = 0;

	for (pass = 0; pass < 2 && !ret; pass++) {
		size_t n = 0;
		for (i = 0; i < names->n && !ret; i++) {
			const char *f = names->v[i];
			size_t len = strlen(f);
			int ours = len > blen + 1 + sfx && !strncmp(f, base, blen) && f[blen] == '-';
			if (ours != !pass)
				continue;
			if (!n++)
				ret = strbuf_adds(sb, pass ? (nv ? "; other treeptrs: " : "treeptrs ")
							   : "versions ");
			if (!ret)
				ret = pass ? strbuf_addf(sb, "%s%s", n > 1 ? ", " : "", f)
					   : strbuf_addf(sb, "%s%.*s", n > 1 ? ", " : "",
							 (int)(len - blen - 1 - sfx), f + blen + 1);
		}
		if (!pass)
			nv = n;
	}
	return ret;
}

/* Which versions have their source.  A directory without any treeptr is
 * a sourceless recipe, all of whose versions build from an empty
 * directory; one holding treeptrs, none of the versions asked for, is
 * a problem naming what is there. */
static int check_sources(struct silo_knot_recipe *r)
{
	struct strvec names = STRVEC_INIT;
	struct strbuf sb = STRBUF_INIT;
	size_t i, n = 0;
	int ret;

	if (!(r->has_source = calloc(r->n_versions ? r->n_versions : 1, 1)))
		return silo__error_oom();
	if ((ret = list_treeptrs(&names, r->dir)) < 0)
		return ret;
	if (!names.n) {
		r->sourceless = 1;
		memset(r->has_source, 1, r->n_versions);
		return 0;
	}
	for (i = 0; i < r->n_versions && ret >= 0; i++)
		if (well_formed(r->versions[i]) && (ret = check_source(r, r->versions[i])) > 0)
			r->has_source[i] = 1, n++;
	if (ret >= 0 && !n && r->n_versions && !(ret = sources_present(&sb, r, &names))) {
		char *path = silo_knot_recipe_source(r, r->versions[0]);
		if (!path)
			ret = silo__error_oom();
		else if (r->n_versions == 1)
			ret = problem(r, "its source treeptr '%s' is missing; the recipe holds %s",
				      path, sb.buf);
		else
			ret = problem(r, "no version of WEDGE_VERSION_LIST has its source treeptr "
				      "(such as '%s'); the recipe holds %s", path, sb.buf);
		free(path);
	}
	strbuf_release(&sb);
	strvec_clear(&names);
	return ret < 0 ? ret : 0;
}

/* The problem of a command refused when the recipe was read: REFUSED
 * is "LINE FUNCTION COMMAND". */
static int refused_problem(struct silo_knot_recipe *r, const char *refused)
{
	const char *line = refused, *func = line + strcspn(line, " ") + (line[strcspn(line, " ")] != 0);
	const char *cmd = func + strcspn(func, " ") + (func[strcspn(func, " ")] != 0);
	int lline = (int)strcspn(line, " "), lfunc = (int)strcspn(func, " ");

	if (lfunc == 1 && *func == '-')
		return problem(r, "WEDGE:%.*s: '%s' is a command at the top level, where only "
			       "assignments, function definitions and 'set -o' may be (knot runs no "
			       "command when it reads a recipe)", lline, line, cmd);
	return problem(r, "WEDGE:%.*s: the function '%.*s' ran while knot read the recipe (it "
		       "has the name of a shell builtin): '%s' was refused", lline, line, lfunc, func,
		       cmd);
}

static int check(struct silo_knot_recipe *r, struct vars *v)
{
	struct strvec words = STRVEC_INIT;
	size_t i, j;
	int ret = 0;

	/* Reading stopped at a refused command: what follows is moot. */
	if (v->refused.n) {
		for (i = 0; i < v->refused.n && ret >= 0; i++)
			ret = refused_problem(r, v->refused.v[i]);
		return ret;
	}
	if (!v->name || !*v->name)
		ret = problem(r, "WEDGE_NAME is not set");
	else if (!well_formed(v->name))
		ret = problem(r, "WEDGE_NAME '%s' is not a name (letters, digits, '.', '_', '+', '~', '-')",
			      v->name);
	if (ret < 0)
		return ret;
	if (v->tarball && *v->tarball && !well_formed(v->tarball) &&
	    (ret = problem(r, "WEDGE_TARBALL_NAME '%s' is not a name", v->tarball)) < 0)
		return ret;

	if (v->version_list && *v->version_list)
		ret = knot_strv_split(&words, v->version_list);
	else if (v->version && *v->version)
		ret = knot_strv_push(&words, v->version);
	else
		ret = problem(r, "neither WEDGE_VERSION nor WEDGE_VERSION_LIST is set");
	if (ret >= 0 && !words.n && v->version_list && *v->version_list)
		ret = problem(r, "WEDGE_VERSION_LIST '%s' lists no version", v->version_list);
	if (ret < 0)
		goto out;
	for (i = 0; i < words.n; i++) {
		if (!well_formed(words.v[i]) &&
		    (ret = problem(r, "version '%s' is not well formed (a letter or digit, then letters, digits, '.', '_', '+', '~', '-')",
				   words.v[i])) < 0)
			goto out;
		for (j = 0; j < i; j++)
			if (!strcmp(words.v[i], words.v[j]) &&
			    (ret = problem(r, "version '%s' is listed twice", words.v[i])) < 0)
				goto out;
	}
	take_words(&r->versions, &r->n_versions, &words);

	if (v->is_absolute && *v->is_absolute && strcmp(v->is_absolute, "0") &&
	    strcmp(v->is_absolute, "1") &&
	    (ret = problem(r, "WEDGE_IS_ABSOLUTE must be 1 (or empty), not '%s'", v->is_absolute)) < 0)
		goto out;
	if (v->leaky && *v->leaky && strcmp(v->leaky, "0") && strcmp(v->leaky, "1") &&
	    (ret = problem(r, "WEDGE_LEAKY_BUILD must be 1 (or empty), not '%s'", v->leaky)) < 0)
		goto out;
	r->is_absolute = v->is_absolute && !strcmp(v->is_absolute, "1");
	if (v->heavy && *v->heavy && strcmp(v->heavy, "0") && strcmp(v->heavy, "1") &&
	    (ret = problem(r, "WEDGE_HEAVY must be 1 (or empty), not '%s'", v->heavy)) < 0)
		goto out;
	r->leaky = v->leaky && !strcmp(v->leaky, "1");
	r->heavy = v->heavy && !strcmp(v->heavy, "1");

	if (v->deps && (ret = knot_strv_split(&words, v->deps)) < 0)
		goto out;
	for (i = 0; i < words.n; i++) {
		char *slash = strchr(words.v[i], '/');
		int ok = slash ? slash != words.v[i] : well_formed(words.v[i]);
		if (ok && slash) {
			*slash = '\0';
			ok = well_formed(words.v[i]) && well_formed(slash + 1);
			*slash = '/';
		}
		if (!ok && (ret = problem(r, "WEDGE_DEPS entry '%s' is not NAME/VERSION or NAME",
					  words.v[i])) < 0)
			goto out;
	}
	take_words(&r->deps, &r->n_deps, &words);
	if (v->env && (ret = knot_strv_split(&words, v->env)) < 0)
		goto out;
	for (i = 0; i < words.n; i++)
		if (!env_name_ok(words.v[i]) &&
		    (ret = problem(r, "WEDGE_ENV entry '%s' is not a variable name", words.v[i])) < 0)
			goto out;
	take_words(&r->env, &r->n_env, &words);
	if (v->build_deps && (ret = knot_strv_split(&words, v->build_deps)) < 0)
		goto out;
	for (i = 0; i < words.n; i++)
		if (!package_name_ok(words.v[i]) &&
		    (ret = problem(r, "WEDGE_BUILD_DEPS entry '%s' is not a Debian package name",
				   words.v[i])) < 0)
			goto out;
	take_words(&r->build_deps, &r->n_build_deps, &words);
	if (v->base && *v->base) {
		if (strstr(v->base, SILO_TREEPTR_SUFFIX) == NULL ||
		    strcmp(v->base + strlen(v->base) - strlen(SILO_TREEPTR_SUFFIX), SILO_TREEPTR_SUFFIX)) {
			if ((ret = problem(r, "WEDGE_BASE must name a treeptr (a path ending in "
					   SILO_TREEPTR_SUFFIX "), not '%s'", v->base)) < 0)
				goto out;
		} else if (!(r->base = strdup(v->base))) {
			ret = silo__error_oom();
			goto out;
		}
	}

	r->funcs = v->funcs;
	if (!(r->funcs & (SILO_KNOT_FN_MAKE | SILO_KNOT_FN_MAKE_FROM_SOURCE)) &&
	    (ret = problem(r, "it defines neither wedge-make nor wedge-make-from-source-dir")) < 0)
		goto out;
	if (!(r->funcs & (SILO_KNOT_FN_INSTALL | SILO_KNOT_FN_INSTALL_FROM_SOURCE)) &&
	    (ret = problem(r, "it defines neither wedge-install nor wedge-install-from-source-dir")) < 0)
		goto out;
	if ((r->funcs & SILO_KNOT_FN_INSTALL) && !(r->funcs & SILO_KNOT_FN_MAKE) &&
	    (ret = problem(r, "wedge-install needs a BUILD_DIR, which only wedge-make has")) < 0)
		goto out;
	ret = check_sources(r);
out:
	strvec_clear(&words);
	return ret;
}


/* ---- the recipe cache ---- */

/*
 * What sourcing a recipe gave, kept by knot build for its tasks:
 * CACHE/<tree id>, holding a header naming the directory, the load
 * script's output, and a last line "end" (a file without it is not
 * used).  The file is written without fsync: a cache that a crash
 * spoils is only read again with bash.
 */
#define CACHE_MAGIC "knot-recipe-cache 3\n"

static char *cache_path(const char *cache, const char *tree)
{
	return fs_join(cache, tree);
}

/* 1 and *vars filled when CACHE holds DIR at TREE, else 0. */
static int cache_read(struct vars *v, const char *cache, const char *dir, const char *tree)
{
	char *path = cache_path(cache, tree), *text = NULL, *body;
	size_t len, hlen;
	int ret = 0;

	if (!path)
		return silo__error_oom();
	if (fs_read_file(&text, &len, path, (size_t)1 << 20) < 0) {
		silo_error_clear();
		goto out;
	}
	hlen = strlen(CACHE_MAGIC "dir ") + strlen(dir) + 1;
	if (len < hlen + 4 || strncmp(text, CACHE_MAGIC "dir ", strlen(CACHE_MAGIC "dir ")) ||
	    strncmp(text + strlen(CACHE_MAGIC "dir "), dir, strlen(dir)) || text[hlen - 1] != '\n' ||
	    strcmp(text + len - 4, "end\n") || (len > hlen + 4 && text[len - 5] != '\n'))
		goto out;
	body = text + hlen;
	text[len - 4] = '\0';
	if ((ret = parse_output(v, body)) == 0)
		ret = 1;
out:
	free(path);
	free(text);
	return ret;
}

/* Keep OUTPUT, what sourcing DIR at TREE printed, in CACHE; failures
 * only mean the next reader sources the recipe itself. */
static void cache_write(const char *cache, const char *dir, const char *tree, const char *output)
{
	char *path = NULL, *text = NULL;
	int n;

	if (fs_mkdir_p(cache, 0777) < 0 || !(path = cache_path(cache, tree)))
		goto out;
	n = asprintf(&text, CACHE_MAGIC "dir %s\n%s%send\n", dir, output,
		     *output && output[strlen(output) - 1] != '\n' ? "\n" : "");
	if (n < 0) {
		text = NULL;
		goto out;
	}
	{	/* the same as the file there: nothing to write */
		char *old = NULL;
		size_t len;
		int same = fs_read_file(&old, &len, path, (size_t)1 << 20) == 0 &&
			   len == (size_t)n && !memcmp(old, text, len);
		free(old);
		silo_error_clear();
		if (same)
			goto out;
	}
	(void)knot_write_file(path, text, (size_t)n);
out:
	silo_error_clear();
	free(path);
	free(text);
}

int knot_recipe_tree_id(char out[SILO_OID_MAX_HEXSZ + 1], const char *dir)
{
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	size_t i, j = 0, sfx = strlen(SILO_TREEPTR_SUFFIX);
	silo_oid id;
	int ret;

	if ((ret = silo_tree_list_dir(&l, SILO_OID_SHA1, dir)) < 0)
		return ret;
	for (i = 0; i < l.n; i++) {
		const char *p = l.v[i].path;
		size_t len = strlen(p);
		if (!strchr(p, '/') && len > sfx && !strcmp(p + len - sfx, SILO_TREEPTR_SUFFIX)) {
			free(l.v[i].path);
			continue;
		}
		l.v[j++] = l.v[i];
	}
	l.n = j;
	ret = silo_tree_list_id(&id, &l);
	silo_tree_list_release(&l);
	if (ret < 0)
		return ret;
	silo_oid_to_hex(out, &id);
	return 0;
}

int silo_knot_recipe_load(struct silo_knot_recipe *out, const char *dir,
			  const struct silo_knot_config *cfg)
{
	struct silo_knot_limits limits;
	struct knot_reading how;
	int ret;

	memset(out, 0, sizeof(*out));
	how.unboxed = cfg && cfg->unboxed;
	if (cfg && cfg->limits) {
		limits = *cfg->limits;
	} else {
		silo_knot_limits_default(&limits);
		if ((ret = silo_knot_limits_parse(&limits, getenv(SILO_KNOT_LIMITS_ENV),
						  SILO_KNOT_LIMITS_ENV)) < 0)
			return ret;
	}
	how.limits = &limits;
	return knot_recipe_load(out, dir, NULL, 0, NULL, &how);
}

int knot_recipe_load(struct silo_knot_recipe *out, const char *dir, const char *cache,
		     int cache_read_too, const struct knot_sourced *pre,
		     const struct knot_reading *how)
{
	struct vars v;
	char *real, *text = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(&v, 0, sizeof(v));
	if (!(real = realpath(dir, NULL)))
		return silo__error_errno("cannot read the recipe '%s'", dir);
	out->dir = real;
	if (!silo_knot_is_recipe(real)) {
		ret = silo__error_set(SILO_ENOTFOUND, "'%s' is not a recipe: it holds no WEDGE file", dir);
		goto fail;
	}
	{	/* a WEDGE that leads elsewhere (/etc/shadow) is not sourced */
		char *wedge = fs_join(real, "WEDGE");
		ret = wedge ? knot_recipe_own_file(wedge) : silo__error_oom();
		free(wedge);
		if (ret < 0)
			goto fail;
	}
	if (!(out->source_medo = strdup(real))) {
		ret = silo__error_oom();
		goto fail;
	}
	*strrchr(out->source_medo, '/') = '\0';
	if (!*out->source_medo)
		strcpy(out->source_medo, "/");
	if (pre && strcmp(pre->dir, real))
		pre = NULL;
	if (cache) {
		if ((ret = knot_recipe_tree_id(out->tree, real)) < 0) {
			silo__error_wrap("recipe '%s'", real);
			goto fail;
		}
		ret = cache_read_too ? cache_read(&v, cache, real, out->tree) : 0;
		if (ret < 0)
			goto fail;
	} else {
		ret = 0;
	}
	if (ret == 0) {
		char *output = NULL;
		if (pre && pre->status) {
			char *err = strdup(pre->err);
			ret = err ? sourcing_failed(real, pre->status, err) : silo__error_oom();
			free(err);
		} else if (pre) {
			if (!(output = strdup(pre->text)) || !(text = strdup(pre->text)))
				ret = silo__error_oom();
			else
				ret = parse_output(&v, text);
		} else {
			ret = source_wedge(&v, real, cache ? &output : NULL, how);
		}
		if (ret == 0 && cache)
			cache_write(cache, real, out->tree, output);
		free(output);
		if (ret < 0)
			goto fail;
	}
	if ((v.name && *v.name && !(out->name = strdup(v.name))) ||
	    (v.tarball && *v.tarball && !(out->tarball_name = strdup(v.tarball)))) {
		ret = silo__error_oom();
		goto fail;
	}
	if ((ret = check(out, &v)) < 0)
		goto fail;
	vars_release(&v);
	free(text);
	return 0;
fail:
	vars_release(&v);
	free(text);
	silo_knot_recipe_release(out);
	return ret;
}
