/*
 * Workers: many machines building the wedges of one git repository into
 * one shared silo.  git is the coordination log: a claim is a ref that
 * only one push can create, a publication is a commit that either lands
 * or is rejected.  The silo's objects are pushed before the treeptr that
 * names them, so a published treeptr never lacks its objects.
 */
#include "knot-internal.h"
#include "error-internal.h"
#include "fsutil.h"
#include "strbuf.h"
#include "silo/push.h"
#include "silo/sshsig.h"
#include "silo/treeptr.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define CLAIMS "refs/knot/claims/"
#define FETCH_ATTEMPTS 5
#define MAX_PUBLISH_TRIES 20

struct worker {
	const struct silo_knot_worker_options *o;
	struct silo_knot_worker_stats *st;
	char *git, *rsync;
	char *clone, *cache;
	char *real_clone;	/* the clone's real path */
	char *branch;		/* the remote's default branch */
	struct strvec env;	/* environ, with a git identity when there is none */
	struct strvec failed;	/* keys whose builds failed here */
	silo_knot_set *set;	/* the recipes, as read at source tree ... */
	char *medo_tree;	/* ... the git tree id of the source medo */
	char *empty_tree;	/* the id of the empty tree, what claims commit */
	char *base_packages;	/* the installed packages, asked once */
	char *claims;		/* "KEY COMMIT TIME" lines, as of the last update */
	char *fetch_head;	/* FETCH_HEAD after the last full update */
	int closing;		/* interrupted: git runs anyway, to release a claim */
};

static void event(struct worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void event(struct worker *w, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (!w->o->on_event)
		return;
	va_start(ap, fmt);
	s = knot_vformat(fmt, ap);
	va_end(ap);
	if (s)
		w->o->on_event(w->o->payload, s);
	free(s);
}

/* git and the settings of every run: no automatic gc or maintenance in
 * the middle of a race. */
static int push_git(struct strvec *argv, const struct worker *w)
{
	int ret;

	if ((ret = knot_strv_push(argv, w->git)) < 0 ||
	    (ret = knot_strv_push(argv, "-c")) < 0 ||
	    (ret = knot_strv_push(argv, "gc.auto=0")) < 0 ||
	    (ret = knot_strv_push(argv, "-c")) < 0 ||
	    (ret = knot_strv_push(argv, "maintenance.auto=false")) < 0)
		return ret;
	return 0;
}

/*
 * Run git with the NULL-terminated arguments in the clone (or CWD when
 * the clone does not exist yet).  *status is git's exit status; *out
 * (when not NULL) its standard output, trailing newlines removed.
 * Standard error goes to *err_out when not NULL.
 */
static int git_in(struct worker *w, const char *cwd, int *status, char **out, char **err_out, ...)
{
	struct strvec argv = STRVEC_INIT;
	int out_fd = -1, err_fd = -1, ret;
	size_t len;
	va_list ap;
	const char *a;

	if (out)
		*out = NULL;
	if (err_out)
		*err_out = NULL;
	if ((ret = push_git(&argv, w)) < 0)
		return ret;
	va_start(ap, err_out);
	while ((a = va_arg(ap, const char *)) && !ret)
		ret = knot_strv_push(&argv, a);
	va_end(ap);
	if (ret < 0 || (out && (ret = knot_memfd(&out_fd)) < 0) ||
	    (err_out && (ret = knot_memfd(&err_fd)) < 0))
		goto done;
	if ((ret = (w->closing ? knot_run_anyway : knot_run)(status, argv.v, w->env.v, cwd, out_fd,
							     err_fd)) < 0)
		goto done;
	if (out && (ret = knot_read_back(out, &len, out_fd)) == 0)
		while (len && ((*out)[len - 1] == '\n'))
			(*out)[--len] = '\0';
	if (!ret && err_out && (ret = knot_read_back(err_out, &len, err_fd)) == 0)
		while (len && ((*err_out)[len - 1] == '\n'))
			(*err_out)[--len] = '\0';
done:
	if (out_fd >= 0)
		close(out_fd);
	if (err_fd >= 0)
		close(err_fd);
	strvec_clear(&argv);
	return ret;
}

#define git(w, st, out, ...) git_in((w), (w)->clone, (st), (out), NULL, __VA_ARGS__, (const char *)NULL)

/* A git command that must succeed; its failure is an error naming it. */
static int git_ok(struct worker *w, const char *what, ...)
{
	struct strvec argv = STRVEC_INIT;
	char *err = NULL;
	int status, err_fd = -1, ret;
	size_t len;
	va_list ap;
	const char *a;

	if ((ret = push_git(&argv, w)) < 0)
		return ret;
	va_start(ap, what);
	while ((a = va_arg(ap, const char *)) && !ret)
		ret = knot_strv_push(&argv, a);
	va_end(ap);
	if (!ret && !(ret = knot_memfd(&err_fd)) &&
	    !(ret = knot_run(&status, argv.v, w->env.v, w->clone, -1, err_fd)) && status) {
		if (knot_read_back(&err, &len, err_fd) < 0)
			err = NULL;
		while (err && len && err[len - 1] == '\n')
			err[--len] = '\0';
		ret = silo__error_set(SILO_ERROR, "git %s failed in '%s'%s%s", what, w->clone,
				      err && *err ? ": " : "", err ? err : "");
	}
	if (err_fd >= 0)
		close(err_fd);
	free(err);
	strvec_clear(&argv);
	return ret;
}

/* Clone the repository, or keep the clone there is. */
static int clone_repo(struct worker *w)
{
	char *head = NULL, *check = NULL;
	int status, ret;

	if (!knot_is_dir(w->clone)) {
		char *err = NULL;
		if ((ret = git_in(w, NULL, &status, NULL, &err, "clone", "-q", w->o->repo, w->clone,
				  (const char *)NULL)) < 0)
			return ret;
		if (status) {
			ret = silo__error_set(SILO_ENET, "cannot clone '%s': %s", w->o->repo,
					      err && *err ? err : "git clone failed");
			free(err);
			return ret;
		}
		free(err);
	}
	/* The branch the remote's HEAD names. */
	if ((ret = git(w, &status, &head, "symbolic-ref", "-q", "--short",
		       "refs/remotes/origin/HEAD")) < 0)
		return ret;
	if (status || !head || strncmp(head, "origin/", 7)) {
		free(head);
		head = NULL;
		if ((ret = git(w, &status, &head, "rev-parse", "--abbrev-ref", "HEAD")) < 0)
			return ret;
		if (status || !head) {
			free(head);
			return silo__error_set(SILO_EINVALID, "'%s': cannot tell its default branch",
					       w->o->repo);
		}
		w->branch = head;
	} else {
		w->branch = strdup(head + 7);
		free(head);
		if (!w->branch)
			return silo__error_oom();
	}
	/* A git identity for the commits, when none is configured. */
	if ((ret = git(w, &status, &check, "config", "user.email")) < 0)
		return ret;
	free(check);
	if (status && !getenv("GIT_COMMITTER_EMAIL")) {
		char host[256];
		if (gethostname(host, sizeof(host)) < 0)
			strcpy(host, "localhost");
		host[sizeof(host) - 1] = '\0';
		if ((ret = knot_strv_push(&w->env, "GIT_AUTHOR_NAME=knot worker")) < 0 ||
		    (ret = knot_strv_push(&w->env, "GIT_COMMITTER_NAME=knot worker")) < 0 ||
		    (ret = knot_strv_pushf(&w->env, "GIT_AUTHOR_EMAIL=knot@%s", host)) < 0 ||
		    (ret = knot_strv_pushf(&w->env, "GIT_COMMITTER_EMAIL=knot@%s", host)) < 0)
			return ret;
	}
	return 0;
}

/*
 * Fetch the branch and the claims; the clone becomes the remote's branch.
 * Unless FORCE, a fetch that brought the same refs as the last full
 * update (FETCH_HEAD the same) stops there and returns 1: a waiting
 * worker polls with one git command instead of five.
 */
static int update(struct worker *w, int force)
{
	char *spec_branch = NULL, *remote = NULL, *path = NULL, *head = NULL;
	size_t len;
	int ret;

	if (asprintf(&spec_branch, "+refs/heads/%s:refs/remotes/origin/%s", w->branch, w->branch) < 0 ||
	    asprintf(&remote, "origin/%s", w->branch) < 0) {
		free(spec_branch);
		return silo__error_oom();
	}
	/*
	 * Other workers delete claims while this fetch lists and asks for
	 * them; upload-pack then refuses a want it no longer has ("not our
	 * ref").  That race is the normal state of a busy repository, so a
	 * failed fetch is tried again, a few times, before it counts.
	 */
	for (int attempt = 1;; attempt++) {
		ret = git_ok(w, "fetch", "fetch", "-q", "--prune", "origin", spec_branch,
			     "+" CLAIMS "*:" CLAIMS "*", (const char *)NULL);
		if (ret >= 0 || attempt == FETCH_ATTEMPTS)
			break;
		silo_error_clear();
		usleep((useconds_t)attempt * 50000);
	}
	if (ret < 0)
		goto out;
	if (!(path = fs_join(w->clone, ".git/FETCH_HEAD"))) {
		ret = silo__error_oom();
		goto out;
	}
	if (fs_read_file(&head, &len, path, (size_t)64 << 20) < 0) {
		silo_error_clear();
		head = NULL;
	}
	if (!force && head && w->fetch_head && !strcmp(head, w->fetch_head)) {
		ret = 1;
		goto out;
	}
	free(w->fetch_head);
	w->fetch_head = NULL;
	if (!(ret = git_ok(w, "reset", "reset", "-q", "--hard", remote, (const char *)NULL)) &&
	    !(ret = git_ok(w, "clean", "clean", "-q", "-f", "-d", (const char *)NULL))) {
		w->fetch_head = head;
		head = NULL;
	}
out:
	free(spec_branch);
	free(remote);
	free(path);
	free(head);
	return ret;
}

/* Copy the shared silo's files the cache lacks (all of it, the first time). */
static int pull_silo(struct worker *w)
{
	struct strvec argv = STRVEC_INIT;
	int status, ret;

	if ((ret = knot_strv_push(&argv, w->rsync)) < 0 ||
	    (ret = knot_strv_push(&argv, "-rlpt")) < 0 ||
	    (ret = knot_strv_push(&argv, "--ignore-existing")) < 0 ||
	    (ret = knot_strv_push(&argv, "--exclude=tmp_*")) < 0 ||
	    (ret = knot_strv_push(&argv, "--exclude=.*")) < 0 ||
	    (ret = knot_strv_pushf(&argv, "%s/", w->o->silo)) < 0 ||
	    (ret = knot_strv_pushf(&argv, "%s/", w->cache)) < 0)
		goto out;
	if ((ret = knot_run(&status, argv.v, w->env.v, NULL, -1, 2)) < 0)
		goto out;
	if (status)
		ret = silo__error_set(silo_push_is_remote(w->o->silo) ? SILO_ENET : SILO_EIO,
				      "cannot copy the shared silo '%s' (rsync exit status %d)",
				      w->o->silo, status);
out:
	strvec_clear(&argv);
	return ret;
}

static int has_key(const struct strvec *sv, const char *key)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], key))
			return 1;
	return 0;
}

/* The claim on T: 0 none, 1 live (another worker's), 2 expired; *sha
 * the claim commit when there is one. */
static int claim_state(struct worker *w, const struct silo_knot_task *t, char **sha)
{
	size_t klen = strlen(t->key);
	const char *p = w->claims;
	long when, age, timeout;

	*sha = NULL;
	while (p && *p && (strncmp(p, t->key, klen) || p[klen] != ' ')) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (!p || !*p)
		return 0;
	p += klen + 1;
	if (!(*sha = strndup(p, strcspn(p, " \n"))))
		return silo__error_oom();
	p += strcspn(p, " \n");
	when = *p == ' ' ? strtol(p + 1, NULL, 10) : 0;
	timeout = w->o->claim_timeout > 0 ? w->o->claim_timeout : SILO_KNOT_CLAIM_TIMEOUT;
	/* Its time is what the pusher chose: one further in the future than
	 * any clock is wrong would hold the task forever. */
	age = (long)time(NULL) - when;
	return age >= timeout || age <= -timeout ? 2 : 1;
}

/* The claims of the last update, with their commits and commit times,
 * in one look (claim_state() reads them). */
static int list_claims(struct worker *w)
{
	int status, ret;

	free(w->claims);
	w->claims = NULL;
	if ((ret = git(w, &status, &w->claims, "for-each-ref",
		       "--format=%(refname:lstrip=3) %(objectname) %(committerdate:unix)",
		       CLAIMS)) < 0)
		return ret;
	if (status)
		return silo__error_set(SILO_ERROR, "git for-each-ref failed in '%s'", w->clone);
	return 0;
}

/* Create the claim ref of T, replacing OLD (NULL: none): 1 if it landed,
 * 0 if another worker's push came first.  *commit is the claim. */
static int claim(struct worker *w, const struct silo_knot_task *t, const char *old, char **commit)
{
	char *empty = NULL, *msg = NULL, *lease = NULL, *spec = NULL, *err = NULL;
	int status, ret;

	*commit = NULL;
	if (!w->empty_tree &&
	    (ret = git(w, &status, &w->empty_tree, "hash-object", "-t", "tree", "/dev/null")) < 0)
		goto out;
	if (!(empty = strdup(w->empty_tree ? w->empty_tree : ""))) {
		ret = silo__error_oom();
		goto out;
	}
	if (asprintf(&msg, "claim %s/%s %s by %s", t->recipe->name, t->version, t->key,
		     w->o->name) < 0 ||
	    asprintf(&lease, "--force-with-lease=" CLAIMS "%s:%s", t->key, old ? old : "") < 0 ||
	    asprintf(&spec, "%%s:" CLAIMS "%s", t->key) < 0) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = git(w, &status, commit, "commit-tree", empty, "-m", msg)) < 0)
		goto out;
	if (status || !*commit) {
		ret = silo__error_set(SILO_ERROR, "git commit-tree failed in '%s'", w->clone);
		goto out;
	}
	free(spec);
	if (asprintf(&spec, "%s:" CLAIMS "%s", *commit, t->key) < 0) {
		spec = NULL;
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = git_in(w, w->clone, &status, NULL, &err, "push", "-q", "origin", lease, spec,
			  (const char *)NULL)) < 0)
		goto out;
	ret = status == 0;
out:
	free(empty);
	free(msg);
	free(lease);
	free(spec);
	free(err);
	return ret;
}

static void drop_claim(struct worker *w, const struct silo_knot_task *t, const char *commit)
{
	char *lease = NULL, *spec = NULL;
	int status;

	if (asprintf(&lease, "--force-with-lease=" CLAIMS "%s:%s", t->key, commit) >= 0 &&
	    asprintf(&spec, ":" CLAIMS "%s", t->key) >= 0)
		git_in(w, w->clone, &status, NULL, NULL, "push", "-q", "origin", lease, spec,
		       (const char *)NULL);
	free(lease);
	free(spec);
	silo_error_clear();
}

/*
 * Whether PATH (absolute, or below the clone's path as given) lies in
 * the clone with no symbolic link on its way from it: the clone holds
 * what anyone who pushes put there, and a link committed there (a
 * derived medo leading to /etc) would take the worker's reads and
 * writes out of it.  What does not exist yet is fine.  0, or an error
 * naming the link.
 */
static int inside_clone(const struct worker *w, const char *path)
{
	size_t n = strlen(w->real_clone), i;
	const char *rel = path;
	char *full;
	int ret = 0;

	if (!strncmp(path, w->real_clone, n) && path[n] == '/')
		rel = path + n + 1;
	else if (!strncmp(path, w->clone, strlen(w->clone)) && path[strlen(w->clone)] == '/')
		rel = path + strlen(w->clone) + 1;
	else
		return silo__error_set(SILO_EINVALID,
				       "'%s' is not in the clone '%s' of the repository (a symbolic link "
				       "there leads out of it): a worker reads and writes only in its clone",
				       path, w->clone);
	if (!(full = fs_join(w->real_clone, rel)))
		return silo__error_oom();
	for (i = n + 1; !ret; i++) {
		struct stat st;
		char c = full[i];

		if (c != '/' && c != '\0')
			continue;
		full[i] = '\0';
		if (lstat(full, &st) < 0) {
			full[i] = c;
			break;
		}
		if (S_ISLNK(st.st_mode))
			ret = silo__error_set(SILO_EINVALID,
					      "'%s' in the repository is a symbolic link: a worker reads "
					      "and writes only in its clone", full + n + 1);
		full[i] = c;
		if (!c)
			break;
	}
	free(full);
	return ret;
}

/* The path of FILE relative to the clone. */
static const char *in_clone(const struct worker *w, const char *file)
{
	size_t n = strlen(w->clone);

	return !strncmp(file, w->clone, n) && file[n] == '/' ? file + n + 1 : file;
}

struct saved {
	char *path;
	char *data;
	size_t len;
	int keep;	/* keep the file another worker committed first */
};

/* 1 if FILE (in the clone) is in the commit HEAD, else 0. */
static int in_head(struct worker *w, const char *file)
{
	char *spec = NULL;
	int status, ret;

	if (asprintf(&spec, "HEAD:%s", in_clone(w, file)) < 0)
		return silo__error_oom();
	ret = git(w, &status, NULL, "cat-file", "-e", spec);
	free(spec);
	return ret < 0 ? ret : status == 0;
}

/* Commit the SAVED files and push, removing our claim CLAIM (its commit)
 * in the same atomic push at the first try (*dropped: it was); after a
 * rejection, fetch: adopt the key when another worker published it, else
 * commit again on top and push. */
static int publish(struct worker *w, const struct silo_knot_task *t, struct saved *files,
		   size_t n_files, const char *claim, int *dropped)
{
	struct strvec add = STRVEC_INIT;
	char *msg = NULL, *spec = NULL, *lease = NULL, *unclaim = NULL;
	char ref[128];
	size_t i, base;
	int tries, status, ours = claim != NULL, ret = 0;

	*dropped = 0;
	snprintf(ref, sizeof(ref), CLAIMS "%s", t->key);
	if (asprintf(&msg, "knot: publish %s/%s %s", t->recipe->name, t->version, t->key) < 0 ||
	    asprintf(&spec, "HEAD:refs/heads/%s", w->branch) < 0 ||
	    asprintf(&lease, "--force-with-lease=%s:%s", ref, claim ? claim : "") < 0 ||
	    asprintf(&unclaim, ":%s", ref) < 0) {
		ret = silo__error_oom();
		goto out;
	}
	for (tries = 0; tries < MAX_PUBLISH_TRIES; tries++) {
		strvec_clear(&add);
		/* -f: a .gitignore of the repository does not choose what
		 * the worker publishes. */
		if ((ret = push_git(&add, w)) < 0 || (ret = knot_strv_push(&add, "add")) < 0 ||
		    (ret = knot_strv_push(&add, "-f")) < 0 || (ret = knot_strv_push(&add, "--")) < 0)
			break;
		base = add.n;
		for (i = 0; i < n_files && !ret; i++) {
			/* A derived SILO.json another worker committed first is
			 * kept; one that only this build made goes into the same
			 * commit as the treeptr, which is unusable without it. */
			if (files[i].keep && (ret = in_head(w, files[i].path)) != 0) {
				ret = ret < 0 ? ret : 0;
				continue;
			}
			ret = fs_write_file_atomic(files[i].path, files[i].data, files[i].len);
			if (!ret)
				ret = knot_strv_push(&add, in_clone(w, files[i].path));
		}
		if (ret < 0)
			break;
		if (add.n > base && (ret = knot_run(&status, add.v, w->env.v, w->clone, -1, -1)) == 0 &&
		    status)
			ret = silo__error_set(SILO_ERROR, "git add failed in '%s'", w->clone);
		if (ret < 0 || (ret = git_ok(w, "commit", "commit", "-q", "-m", msg,
					     (const char *)NULL)) < 0)
			break;
		if (ours)
			ret = git_in(w, w->clone, &status, NULL, NULL, "push", "-q", "--atomic", "origin",
				     lease, spec, unclaim, (const char *)NULL);
		else
			ret = git_in(w, w->clone, &status, NULL, NULL, "push", "-q", "origin", spec,
				     (const char *)NULL);
		if (ret < 0)
			break;
		if (status == 0) {
			w->st->built++;
			*dropped = ours;
			event(w, "published %s/%s %s", t->recipe->name, t->version, t->key);
			break;
		}
		/* After a rejection the claim is removed on its own, later
		 * (drop_claim()): it may no longer be ours, and a remote that
		 * cannot push atomically then still takes the publication. */
		ours = 0;
		if ((ret = update(w, 1)) < 0)
			break;
		ret = silo_knot_published(t);
		if (ret == SILO_KNOT_PUBLISHED) {
			w->st->adopted++;
			event(w, "adopted %s/%s %s: another worker published it first",
			      t->recipe->name, t->version, t->key);
			ret = 0;
			break;
		}
		if (ret == SILO_KNOT_STALE) {
			event(w, "dropped %s/%s %s: the repository now has another build of it",
			      t->recipe->name, t->version, t->key);
			ret = 0;
			break;
		}
		if (ret < 0)
			break;
	}
	if (tries == MAX_PUBLISH_TRIES)
		ret = silo__error_set(SILO_ERROR, "%s/%s: the push was rejected %d times",
				      t->recipe->name, t->version, MAX_PUBLISH_TRIES);
out:
	strvec_clear(&add);
	free(msg);
	free(spec);
	free(lease);
	free(unclaim);
	return ret;
}

static void saved_release(struct saved *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(files[i].path);
		free(files[i].data);
	}
}

/* Keep FILE's content (when it exists) for publish(). */
static int save(struct saved *files, size_t *n, const char *path)
{
	int ret = fs_read_file(&files[*n].data, &files[*n].len, path, (size_t)16 << 20);

	if (ret == SILO_ENOTFOUND) {
		silo_error_clear();
		return 0;
	}
	if (ret < 0)
		return ret;
	if (!(files[*n].path = strdup(path))) {
		free(files[*n].data);
		return silo__error_oom();
	}
	(*n)++;
	return 0;
}

/* Build T (claimed with the commit CLAIM) and publish it; *dropped: the
 * claim went with the publication. */
static int build_and_publish(struct worker *w, struct silo_knot_task *t, silo_knot_set *set,
			     int silojson_existed, const char *claim, int *dropped)
{
	struct silo_knot_build_options bo = { 0 };
	struct silo_knot_result res;
	struct silo_push_result pr;
	struct saved files[3];
	size_t n_files = 0;
	char *sig = NULL, *silojson = NULL;
	int ret;

	memset(files, 0, sizeof(files));
	*dropped = 0;
	bo.tool = w->o->tool;
	bo.command = "knot worker";
	bo.sign_key = w->o->sign_key;
	if (!w->base_packages && (ret = silo_knot_base_packages(&w->base_packages)) < 0)
		return ret;
	bo.base_packages = w->base_packages;
	if ((ret = pull_silo(w)) < 0)
		return ret;
	event(w, "building %s/%s %s", t->recipe->name, t->version, t->key);
	if ((ret = silo_knot_build(&res, t, set, &bo)) < 0) {
		if (silo_knot_interrupted())
			return ret;
		/* The task's own trouble (a source that cannot be expanded):
		 * a failure of this task, not of the worker. */
		memset(&res, 0, sizeof(res));
		res.kind = SILO_KNOT_FAILED;
		if (!(res.message = strdup(silo_error_message())))
			return silo__error_oom();
		silo_error_clear();
	}
	if (res.kind == SILO_KNOT_FAILED) {
		w->st->failed++;
		event(w, "failed %s/%s %s: %s%s%s", t->recipe->name, t->version, t->key,
		      res.message ? res.message : "the build failed", res.log ? "; log: " : "",
		      res.log ? res.log : "");
		ret = knot_strv_push(&w->failed, t->key);
		silo_knot_result_release(&res);
		return ret;
	}
	silo_knot_result_release(&res);
	/* The objects first: durable and visible before anything names them. */
	if ((ret = silo_push(&pr, w->cache, w->o->silo)) < 0)
		return ret;
	if (asprintf(&sig, "%s" SILO_SSHSIG_SUFFIX, t->derived_treeptr) < 0 ||
	    !(silojson = fs_join(t->derived_medo, "SILO.json"))) {
		free(sig);
		return silo__error_oom();
	}
	if (!(ret = save(files, &n_files, t->derived_treeptr)) &&
	    (!w->o->sign_key || !(ret = save(files, &n_files, sig))) &&
	    !silojson_existed && !(ret = save(files, &n_files, silojson)) && n_files)
		files[n_files - 1].keep = 1;
	if (!ret)
		ret = publish(w, t, files, n_files, claim, dropped);
	saved_release(files, n_files);
	free(sig);
	free(silojson);
	return ret;
}

/* What the worker reads and writes of task T is in its clone: the
 * recipe, the derived treeptr, its signature, the derived SILO.json. */
static int check_task_paths(struct worker *w, const struct silo_knot_task *t)
{
	char *sig = NULL, *silojson = NULL;
	int ret;

	if (asprintf(&sig, "%s" SILO_SSHSIG_SUFFIX, t->derived_treeptr) < 0) {
		sig = NULL;
		ret = silo__error_oom();
	} else if (!(silojson = fs_join(t->derived_medo, "SILO.json"))) {
		ret = silo__error_oom();
	} else if ((ret = inside_clone(w, t->recipe->dir)) == 0 &&
		   (ret = inside_clone(w, t->derived_treeptr)) == 0 &&
		   (ret = inside_clone(w, sig)) == 0) {
		ret = inside_clone(w, silojson);
	}
	free(sig);
	free(silojson);
	return ret;
}

/* One look at the repository: claim, build and publish one task.
 * Returns 1 when a task was worked on, 0 when none could be claimed
 * (*waiting: some task may become claimable later). */
static int one_round(struct worker *w, int *waiting)
{
	struct silo_knot_config cfg = { 0 };
	silo_knot_set *set = NULL;
	char *medo = NULL, *commit = NULL, *silojson = NULL, *spec = NULL, *tree = NULL;
	size_t i, n, start;
	int ret, status, dropped = 0, same;

	*waiting = 0;
	if ((same = update(w, 0)) < 0)
		return same;
	if (!same && (ret = list_claims(w)) < 0)
		return ret;
	cfg.unboxed = w->o->unboxed;
	cfg.limits = w->o->limits;
	cfg.silo = w->cache;
	if (!(medo = fs_join(w->clone, w->o->medo ? w->o->medo : "deps/source.medo")) ||
	    asprintf(&spec, "HEAD:%s", w->o->medo ? w->o->medo : "deps/source.medo") < 0) {
		free(medo);
		return silo__error_oom();
	}
	if ((ret = inside_clone(w, medo)) < 0)
		goto out;
	/* Read the recipes again only when the source medo changed: the
	 * commits of other workers change the derived medo only. */
	if (same && w->set)
		status = 0;
	else if ((ret = git(w, &status, &tree, "rev-parse", "-q", "--verify", spec)) < 0)
		goto out;
	if (!(same && w->set) && (status || !tree || !w->medo_tree || strcmp(tree, w->medo_tree))) {
		silo_knot_set_free(w->set);
		w->set = NULL;
		free(w->medo_tree);
		w->medo_tree = NULL;
		if ((ret = silo_knot_set_open(&set, &cfg, (const char *const *)&medo, 1)) < 0)
			goto out;
		if (!status && tree) {
			w->set = set;
			w->medo_tree = tree;
			tree = NULL;
			set = NULL;
		}
	}
	if (w->set)
		set = w->set;
	if (w->o->platform) {
		const struct silo_knot_platform *p = silo_knot_set_platform(set);
		char here[256];
		snprintf(here, sizeof(here), "%s/%s", p->id, p->codename);
		if (strcmp(here, w->o->platform)) {
			ret = silo__error_set(SILO_EINVALID,
					      "this machine is %s, not %s: a worker builds for its own platform",
					      here, w->o->platform);
			goto out;
		}
	}
	n = silo_knot_set_count(set);
	for (i = 0; i < n; i++)
		if ((ret = check_task_paths(w, silo_knot_set_task(set, i))) < 0)
			goto out;
	start = n ? (size_t)rand() % n : 0;
	for (i = 0; i < n; i++) {
		struct silo_knot_task *t = silo_knot_set_task(set, (start + i) % n);
		size_t j;
		int blocked = 0, dead = 0, state;

		if ((ret = silo_knot_published(t)) < 0)
			goto out;
		if (ret == SILO_KNOT_PUBLISHED) {
			/* A claim left on a published key (its worker was
			 * killed after another one took it over) goes. */
			free(commit);
			commit = NULL;
			if ((state = claim_state(w, t, &commit)) < 0) {
				ret = state;
				goto out;
			}
			if (state) {
				drop_claim(w, t, commit);
				event(w, "removed the stale claim on %s/%s %s", t->recipe->name,
				      t->version, t->key);
				/* Look at the claims again next time. */
				free(w->fetch_head);
				w->fetch_head = NULL;
			}
			continue;
		}
		if (has_key(&w->failed, t->key))
			continue;
		for (j = 0; j < t->n_deps; j++) {
			if (has_key(&w->failed, t->deps[j]->key))
				dead = 1;
			if ((ret = silo_knot_published(t->deps[j])) < 0)
				goto out;
			if (ret != SILO_KNOT_PUBLISHED)
				blocked = 1;
		}
		if (dead)
			continue;
		if (blocked) {
			*waiting = 1;
			continue;
		}
		free(commit);
		commit = NULL;
		if ((state = claim_state(w, t, &commit)) < 0) {
			ret = state;
			goto out;
		}
		if (state == 1)
			continue;	/* another worker's, alive */
		{
			char *old = commit, *mine = NULL;
			int landed = claim(w, t, old, &mine);
			free(old);
			commit = mine;
			if (landed < 0) {
				ret = landed;
				goto out;
			}
			if (!landed) {
				w->st->claims_lost++;
				*waiting = 1;	/* look again later: the claim may expire */
				continue;
			}
			if (state == 2) {
				w->st->taken_over++;
				event(w, "took over the expired claim on %s/%s %s", t->recipe->name,
				      t->version, t->key);
			}
		}
		if (!(silojson = fs_join(t->derived_medo, "SILO.json"))) {
			ret = silo__error_oom();
			goto out;
		}
		ret = fs_exists(silojson);
		if (ret >= 0)
			ret = build_and_publish(w, t, set, ret, commit, &dropped);
		if (ret < 0 && silo_knot_interrupted() && !dropped) {
			/* Stopped: others need not wait for the claim to expire. */
			char msg[1024];
			snprintf(msg, sizeof(msg), "%s", silo_error_message());
			w->closing = 1;
			drop_claim(w, t, commit);
			w->closing = 0;
			silo__error_set(ret, "%s", msg);
		}
		if (ret >= 0) {
			if (!dropped && !has_key(&w->failed, t->key))
				drop_claim(w, t, commit);
			ret = 1;
		}
		goto out;
	}
	ret = 0;
out:
	if (set != w->set)
		silo_knot_set_free(set);
	free(medo);
	free(commit);
	free(silojson);
	free(spec);
	free(tree);
	return ret;
}

int silo_knot_worker_run(struct silo_knot_worker_stats *st,
			 const struct silo_knot_worker_options *o)
{
	struct worker w;
	size_t i, tasks = 0;
	int ret, waiting;

	memset(st, 0, sizeof(*st));
	memset(&w, 0, sizeof(w));
	w.o = o;
	w.st = st;
	srand((unsigned)getpid() ^ (unsigned)time(NULL));
	for (i = 0; environ[i]; i++)
		if ((ret = knot_strv_push(&w.env, environ[i])) < 0)
			goto out;
	if ((ret = knot_which(&w.git, "git")) < 0 || (ret = knot_which(&w.rsync, "rsync")) < 0)
		goto out;
	if ((ret = fs_mkdir_p(o->work_dir, 0777)) < 0)
		goto out;
	if (!(w.clone = fs_join(o->work_dir, "repo")) || !(w.cache = fs_join(o->work_dir, "cache.silo"))) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = clone_repo(&w)) < 0)
		goto out;
	if (!(w.real_clone = realpath(w.clone, NULL))) {
		ret = silo__error_errno("cannot resolve '%s'", w.clone);
		goto out;
	}
	for (;;) {
		if ((ret = one_round(&w, &waiting)) < 0)
			goto out;
		if (ret == 1) {
			if (o->max_tasks && ++tasks >= (size_t)o->max_tasks)
				break;
			continue;
		}
		if (o->once && !waiting)
			break;
		usleep((useconds_t)(o->poll_ms > 0 ? o->poll_ms : 10000) * 1000);
	}
	ret = 0;
out:
	strvec_clear(&w.env);
	strvec_clear(&w.failed);
	silo_knot_set_free(w.set);
	free(w.medo_tree);
	free(w.empty_tree);
	free(w.base_packages);
	free(w.claims);
	free(w.fetch_head);
	free(w.git);
	free(w.rsync);
	free(w.clone);
	free(w.real_clone);
	free(w.cache);
	free(w.branch);
	return ret;
}
