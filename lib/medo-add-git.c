/*
 * medo add --git: the tree of a git repository at a commit, with its
 * submodules, checked out by git itself in a temporary clone and made
 * reproducible (no .git, the commit's time, 0644/0755) before it is
 * added as a directory is.
 */
#include "medo-internal.h"
#include "cleanup-internal.h"
#include "error-internal.h"
#include "fsutil.h"
#include "git-run.h"
#include "silo/tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Run git in DIR, its output discarded. */
static int git_run(const char *dir, const char *const *args)
{
	struct strbuf out = STRBUF_INIT;
	int ret = git_capture(&out, dir, args);

	strbuf_release(&out);
	return ret;
}

/*
 * What git could not get (a repository, a submodule's commit): SILO_ENOTFOUND,
 * the message FMT, ": " and git's.
 */
static int git_not_found(const char *fmt, ...) SILO_PRINTF(1, 2);
static int git_not_found(const char *fmt, ...)
{
	char git[1024], head[1024];
	va_list ap;

	snprintf(git, sizeof(git), "%s", silo_error_message());
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	return silo__error_set(SILO_ENOTFOUND, "%s: %s", head, git);
}

/* The commit REV names in the clone DIR, into HEX; < 0 if none. */
static int rev_parse(char *hex, const char *dir, const char *rev)
{
	const char *args[] = { "rev-parse", "--verify", "--quiet", "--end-of-options",
			       NULL, NULL };
	struct strbuf out = STRBUF_INIT, spec = STRBUF_INIT;
	int ret;

	if ((ret = strbuf_addf(&spec, "%s^{commit}", rev)) < 0)
		return ret;
	args[4] = spec.buf;
	ret = git_capture(&out, dir, args);
	if (!ret) {
		size_t len = strcspn(out.buf, "\n");
		if (len > SILO_OID_MAX_HEXSZ || strspn(out.buf, "0123456789abcdef") != len) {
			ret = silo__error_set(SILO_ERROR, "git rev-parse: unexpected answer '%.*s'",
					      (int)len, out.buf);
		} else {
			memcpy(hex, out.buf, len);
			hex[len] = '\0';
		}
	}
	strbuf_release(&out);
	strbuf_release(&spec);
	return ret;
}

static int is_full_hex(const char *s)
{
	size_t len = strlen(s);

	return (len == 40 || len == 64) && strspn(s, "0123456789abcdefABCDEF") == len;
}

/*
 * The commit REV names in the clone DIR of REPO: REV as the clone knows
 * it (a commit, a tag, the default branch, HEAD), a branch of the
 * repository (origin/REV in the clone), or a full commit id no branch
 * holds, fetched by its id.
 */
static int resolve(char *hex, const char *dir, const char *repo, const char *rev)
{
	const char *fetch[] = { "fetch", "--quiet", "origin", "--", rev, NULL };
	struct strbuf remote = STRBUF_INIT;
	int ret;

	if (rev_parse(hex, dir, rev) == 0)
		return 0;
	if ((ret = strbuf_addf(&remote, "refs/remotes/origin/%s", rev)) < 0)
		return ret;
	ret = rev_parse(hex, dir, remote.buf);
	strbuf_release(&remote);
	if (ret && is_full_hex(rev) && git_run(dir, fetch) == 0)
		ret = rev_parse(hex, dir, "FETCH_HEAD");
	if (ret)
		return silo__error_set(SILO_ENOTFOUND,
			"cannot add '%s' at '%s': the repository has no commit '%s'",
			repo, rev, rev);
	return 0;
}

/* "<commit> <path>" of every submodule, recursively, as the superproject
 * that holds it records it; NULL when there are none. */
static int list_submodules(char **out, const char *dir)
{
	static const char *const args[] = {
		"submodule", "--quiet", "foreach", "--recursive",
		"printf '%s %s\\n' \"$sha1\" \"$displaypath\"", NULL
	};
	struct strbuf sb = STRBUF_INIT;
	int ret;

	*out = NULL;
	if ((ret = git_capture(&sb, dir, args)) < 0) {
		strbuf_release(&sb);
		return ret;
	}
	while (sb.len && sb.buf[sb.len - 1] == '\n')
		strbuf_setlen(&sb, sb.len - 1);
	if (sb.len)
		*out = strbuf_detach(&sb);
	strbuf_release(&sb);
	return 0;
}

/* The committer time of COMMIT in DIR. */
static int commit_time(time_t *t, const char *dir, const char *commit)
{
	const char *args[] = { "show", "--no-patch", "--format=%ct", commit, NULL };
	struct strbuf out = STRBUF_INIT;
	char *end;
	long long v;
	int ret;

	if ((ret = git_capture(&out, dir, args)) < 0)
		goto out;
	v = strtoll(out.buf, &end, 10);
	if (end == out.buf || (*end && *end != '\n') || v < 0)
		ret = silo__error_set(SILO_ERROR, "git show: unexpected commit time '%.*s'",
				      (int)strcspn(out.buf, "\n"), out.buf);
	else
		*t = (time_t)v;
out:
	strbuf_release(&out);
	return ret;
}

/*
 * Make the checkout below PATH reproducible: remove the .git files and
 * directories git left (they hold clone-specific paths and objects),
 * give files 0644 or 0755 and directories 0755 whatever the umask was,
 * and every entry the time WHEN, a directory once its entries are done.
 */
static int normalize(struct strbuf *path, time_t when)
{
	struct timespec ts[2] = { { when, 0 }, { when, 0 } };
	size_t len = path->len;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int ret = 0;

	if (!(d = opendir(path->buf)))
		return silo__error_errno("cannot open '%s'", path->buf);
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		strbuf_setlen(path, len);
		if ((ret = strbuf_addf(path, "/%s", de->d_name)) < 0)
			break;
		if (lstat(path->buf, &st) < 0) {
			ret = silo__error_errno("cannot stat '%s'", path->buf);
			break;
		}
		if (!strcmp(de->d_name, ".git")) {
			if (S_ISDIR(st.st_mode))
				ret = silo_tree_remove(path->buf);
			else if (unlink(path->buf) < 0)
				ret = silo__error_errno("cannot remove '%s'", path->buf);
			if (ret < 0)
				break;
			continue;
		}
		if (S_ISDIR(st.st_mode) && (ret = normalize(path, when)) < 0)
			break;
		if (S_ISREG(st.st_mode) &&
		    chmod(path->buf, st.st_mode & 0100 ? 0755 : 0644) < 0) {
			ret = silo__error_errno("cannot change the mode of '%s'", path->buf);
			break;
		}
		if (!S_ISDIR(st.st_mode) &&
		    utimensat(AT_FDCWD, path->buf, ts, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = silo__error_errno("cannot set the time of '%s'", path->buf);
			break;
		}
	}
	if (!ret && errno && !de)
		ret = silo__error_errno("cannot read '%s'", path->buf);
	closedir(d);
	strbuf_setlen(path, len);
	if (!ret && chmod(path->buf, 0755) < 0)
		ret = silo__error_errno("cannot change the mode of '%s'", path->buf);
	if (!ret && utimensat(AT_FDCWD, path->buf, ts, AT_SYMLINK_NOFOLLOW) < 0)
		ret = silo__error_errno("cannot set the time of '%s'", path->buf);
	return ret;
}

/* The directory for temporary clones: $TMPDIR or /tmp. */
static const char *tmp_base(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t == '/' ? t : "/tmp";
}

/* PATH has no empty, "." or ".." component and does not start with '/'. */
static int clean_path(const char *path)
{
	const char *c = path;

	while (*c) {
		size_t n = strcspn(c, "/");
		if (!n || (n == 1 && c[0] == '.') || (n == 2 && !strncmp(c, "..", 2)))
			return 0;
		c += n;
		if (*c == '/' && *++c == '\0')
			return 0;
	}
	return c != path;
}

/*
 * G->dir made its directory PATH, refusing a path that could leave the
 * tree ("..", a symlink on the way) or is no directory there.
 */
static int select_path(struct medo_git_tree *g, const char *repo, const char *path)
{
	struct strbuf want = STRBUF_INIT;
	char *real = NULL, *top = NULL;
	struct stat st;
	int ret = 0;

	if (!(top = realpath(g->dir, NULL))) {
		ret = silo__error_errno("cannot resolve '%s'", g->dir);
		goto out;
	}
	if ((ret = strbuf_addf(&want, "%s/%s", top, path)) < 0)
		goto out;
	if (!clean_path(path) || !(real = realpath(want.buf, NULL)) || strcmp(real, want.buf) ||
	    lstat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
		ret = silo__error_set(SILO_ENOTFOUND,
			"cannot add '%s' at '%s': its tree has no directory '%s'",
			repo, g->rev, path);
		goto out;
	}
	free(g->dir);
	g->dir = real;
	real = NULL;
out:
	free(real);
	free(top);
	strbuf_release(&want);
	return ret;
}

int medo_git_checkout(struct medo_git_tree *g, const char *repo, const char *spec)
{
	const char *clone[] = { "clone", "--quiet", "--no-checkout", "--", NULL, "tree", NULL };
	const char *checkout[] = { "-c", "advice.detachedHead=false", "checkout", "--quiet",
				   "--detach", NULL, NULL };
	static const char *const update[] = { "submodule", "--quiet", "update", "--init",
					      "--recursive", NULL };
	struct strbuf path = STRBUF_INIT;
	char *real = NULL, *colon;
	const char *rev;
	struct stat st;
	time_t when = 0;
	int ret;

	memset(g, 0, sizeof(*g));
	/* REV:PATH, a directory of the tree: no ref or commit has a ':'. */
	if (!(g->rev = strdup(spec)))
		return silo__error_oom();
	if ((colon = strchr(g->rev, ':'))) {
		size_t len = strlen(colon + 1);
		*colon = '\0';
		g->path = colon + 1;
		while (len > 1 && colon[len] == '/')	/* "dir/" is "dir" */
			colon[len--] = '\0';
	}
	rev = g->rev;
	if (!*repo || *repo == '-') {
		ret = silo__error_set(SILO_EINVALID, "'%s' is not a git repository", repo);
		goto out;
	}
	if (!*rev || *rev == '-') {
		ret = silo__error_set(SILO_EINVALID, "'%s' is not a revision of '%s'", rev, repo);
		goto out;
	}
	/* git runs in the temporary directory: a local path is made
	 * absolute; a URL is given to git as it is. */
	if (stat(repo, &st) == 0 && !(real = realpath(repo, NULL))) {
		ret = silo__error_errno("cannot resolve '%s'", repo);
		goto out;
	}
	if ((ret = strbuf_addf(&path, "%s/medo-git-XXXXXX", tmp_base())) < 0)
		goto out;
	/* Registered: an interruption removes it (silo/cleanup.h). */
	if ((ret = cleanup_mkdtemp(path.buf)) < 0)
		goto out;
	g->tmp = strbuf_detach(&path);
	if ((ret = strbuf_addf(&path, "%s/tree", g->tmp)) < 0)
		goto out;
	g->dir = strbuf_detach(&path);

	clone[4] = real ? real : repo;
	if ((ret = git_run(g->tmp, clone)) < 0) {
		ret = git_not_found("cannot add '%s' at '%s'", repo, rev);
		goto out;
	}
	if ((ret = resolve(g->commit, g->dir, repo, rev)) < 0)
		goto out;
	checkout[5] = g->commit;
	if ((ret = git_run(g->dir, checkout)) < 0) {
		silo__error_wrap("cannot check out '%s' at '%s'", repo, rev);
		goto out;
	}
	if ((ret = git_run(g->dir, update)) < 0) {
		ret = git_not_found("cannot add '%s' at '%s' (commit %s): "
				    "cannot check out its submodules", repo, rev, g->commit);
		goto out;
	}
	if ((ret = list_submodules(&g->submodules, g->dir)) < 0 ||
	    (ret = commit_time(&when, g->dir, g->commit)) < 0 ||
	    (ret = strbuf_adds(&path, g->dir)) < 0 ||
	    (ret = normalize(&path, when)) < 0)
		goto out;
	if (g->path && (ret = select_path(g, repo, g->path)) < 0)
		goto out;
out:
	if (ret < 0)
		medo_git_tree_release(g);
	strbuf_release(&path);
	free(real);
	return ret;
}

void medo_git_tree_release(struct medo_git_tree *g)
{
	if (g->tmp) {
		silo_tree_remove(g->tmp);
		cleanup_release(g->tmp);
	}
	free(g->tmp);
	free(g->dir);
	free(g->rev);
	free(g->submodules);
	memset(g, 0, sizeof(*g));
}
