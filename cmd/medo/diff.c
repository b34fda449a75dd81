/*
 * medo diff: what differs between two trees, each a treeptr or a
 * directory.  Two treeptrs are compared from their tree objects: equal
 * subtrees are skipped, no file is read.  With a directory, --stat or
 * -p, both sides are listed whole (with sizes) and compared as lists;
 * -p then reads the changed files' content.
 */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/medo-tree.h"
#include "silo/tree.h"
#include "silo/error.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct fe_usage *const usage = &fe_usage_medo_diff;

/* A file with a NUL in its first bytes is binary, as git decides. */
#define BINARY_PROBE 8000

/* One side: a treeptr's tree, or a directory on disk. */
struct side {
	const char *arg;
	silo_medo_tree *t;		/* a treeptr */
	struct silo_tree_list dir;	/* a directory's leaves */
	struct silo_tree_attrs dir_attrs;	/* and its record */
	const struct silo_tree_list *leaves;
	const struct silo_tree_attrs *attrs;	/* NULL: contents only */
	size_t cursor;			/* where the last lookup ended */
};

struct stat_count {
	uint64_t files, bytes_a, bytes_b;
};

struct diff {
	struct side a, b;
	json_t *changes;
	int differs;
	int stat, patch;
	struct stat_count added, removed, changed, mode;
	int failed;
};

static int report(void *payload, const char *what, const char *path)
{
	struct diff *d = payload;

	d->differs = 1;
	if (d->changes)
		return fe_json_append(d->changes, json_pack("{s:s,s:o}", "change", what, "path", fe_json_text(path)));
	printf("%s %s\n", what, path);
	return 0;
}

/* The leaf PATH of S, or NULL.  Lookups come in path order: each goes on
 * from where the last one ended. */
static const struct silo_tree_entry *leaf(struct side *s, const char *path)
{
	const struct silo_tree_list *l = s->leaves;
	size_t i;

	for (i = s->cursor; i < l->n; i++)
		if (!strcmp(l->v[i].path, path)) {
			s->cursor = i;
			return &l->v[i];
		}
	for (i = 0; i < s->cursor && i < l->n; i++)
		if (!strcmp(l->v[i].path, path))
			return &l->v[i];
	return NULL;
}

/* Write the content of leaf PATH of S into a new unlinked temporary
 * file; its descriptor, or -1 after an error. */
static int content_fd(struct side *s, const char *path)
{
	char tmpl[4096];
	const char *tmp = getenv("TMPDIR");
	struct silo_medo_tree_node node;
	int fd, ret;

	if (!s->t) {
		char *full = medo_cmd_join(s->arg, path);
		fd = full ? open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
		if (fd < 0)
			fe_error(FE_EXIT_FAILURE, "cannot open '%s': %s", full ? full : path,
				 strerror(errno));
		free(full);
		return fd;
	}
	snprintf(tmpl, sizeof(tmpl), "%s/medo-diff-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if ((fd = mkstemp(tmpl)) < 0) {
		fe_error(FE_EXIT_FAILURE, "cannot create '%s': %s", tmpl, strerror(errno));
		return -1;
	}
	unlink(tmpl);
	if ((ret = silo_medo_tree_lookup(s->t, path, &node)) < 0 ||
	    (ret = silo_medo_tree_cat(s->t, node.node, fd, path)) < 0) {
		fe_lib_error(ret);
		close(fd);
		return -1;
	}
	return fd;
}

/* 1 if FD's first bytes hold a NUL, 0 if not, -1 on error. */
static int is_binary(int fd)
{
	char buf[BINARY_PROBE];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);

	if (n < 0)
		return -1;
	return memchr(buf, '\0', (size_t)n) != NULL;
}

/* Run diff -u on FA and FB (-1: an empty file), labelled a/PATH and
 * b/PATH (/dev/null for a missing side), onto standard output. */
static int run_diff(int fa, int fb, const char *path)
{
	char la[4200], lb[4200], pa[64], pb[64];
	int status, null_fd = -1;
	pid_t pid;

	snprintf(la, sizeof(la), fa >= 0 ? "a/%s" : "/dev/null", path);
	snprintf(lb, sizeof(lb), fb >= 0 ? "b/%s" : "/dev/null", path);
	if ((fa < 0 || fb < 0) && (null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		return fe_error(FE_EXIT_FAILURE, "cannot open /dev/null: %s", strerror(errno));
	snprintf(pa, sizeof(pa), "/dev/fd/%d", fa >= 0 ? fa : null_fd);
	snprintf(pb, sizeof(pb), "/dev/fd/%d", fb >= 0 ? fb : null_fd);
	fflush(stdout);
	if ((pid = fork()) < 0) {
		status = errno;
		if (null_fd >= 0)
			close(null_fd);
		return fe_error(FE_EXIT_FAILURE, "cannot run diff: %s", strerror(status));
	}
	if (pid == 0) {
		/* The descriptors must outlive exec: they are named by path. */
		if (fa >= 0)
			fcntl(fa, F_SETFD, 0);
		if (fb >= 0)
			fcntl(fb, F_SETFD, 0);
		if (null_fd >= 0)
			fcntl(null_fd, F_SETFD, 0);
		execlp("diff", "diff", "-u", "--label", la, "--label", lb, pa, pb, (char *)NULL);
		fprintf(stderr, "medo: error: cannot run diff: %s\n", strerror(errno));
		_exit(127);
	}
	if (null_fd >= 0)
		close(null_fd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return fe_error(FE_EXIT_FAILURE, "cannot wait for diff: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
		return fe_error(FE_EXIT_FAILURE, "diff failed on '%s'", path);
	return 0;
}

/* -p: the content diff of PATH, a text file on either side. */
static int patch(struct diff *d, const struct silo_tree_entry *x,
		 const struct silo_tree_entry *y, const char *path)
{
	int fa = -1, fb = -1, ret = 0, ba = 0, bb = 0;

	/* Symlinks and mode changes have no content to show. */
	if ((x && x->mode == SILO_MODE_SYMLINK) || (y && y->mode == SILO_MODE_SYMLINK) ||
	    (x && y && silo_oid_equal(&x->id, &y->id)))
		return 0;
	if ((x && (fa = content_fd(&d->a, path)) < 0) ||
	    (y && (fb = content_fd(&d->b, path)) < 0)) {
		ret = FE_EXIT_FAILURE;
		goto out;
	}
	if ((fa >= 0 && (ba = is_binary(fa)) < 0) || (fb >= 0 && (bb = is_binary(fb)) < 0)) {
		ret = fe_error(FE_EXIT_FAILURE, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if (ba || bb)
		printf("Binary files %s%s and %s%s differ\n", x ? "a/" : "/dev/null",
		       x ? path : "", y ? "b/" : "/dev/null", y ? path : "");
	else
		ret = run_diff(fa, fb, path);
out:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return ret;
}

static int on_change(void *payload, int change, const char *path)
{
	struct diff *d = payload;
	const struct silo_tree_entry *x = change == SILO_TREE_ADDED ? NULL : leaf(&d->a, path);
	const struct silo_tree_entry *y = change == SILO_TREE_REMOVED ? NULL : leaf(&d->b, path);
	struct stat_count *c = change == SILO_TREE_ADDED ? &d->added :
			       change == SILO_TREE_REMOVED ? &d->removed :
			       change == SILO_TREE_CHANGED ? &d->changed : &d->mode;
	const char *what = medo_cmd_change_word(change);

	d->differs = 1;
	c->files++;
	c->bytes_a += x ? x->size : 0;
	c->bytes_b += y ? y->size : 0;
	/* A failure to build the document stops the walk (a positive
	 * return: out of memory). */
	if (d->changes)
		return fe_json_append(d->changes, json_pack("{s:s,s:o,s:o*,s:o*}", "change", what,
			"path", fe_json_text(path), "size_a", x ? json_integer((json_int_t)x->size) : NULL,
			"size_b", y ? json_integer((json_int_t)y->size) : NULL)) < 0;
	if (d->stat)
		return 0;
	printf("%s %s\n", what, path);
	/* A directory (holding no file, or of another mode) has no patch. */
	if (d->patch && (x || y) && patch(d, x, y, path))
		d->failed = 1;
	return 0;
}

static int open_side(struct side *s, const char *arg, const char *silo_opt, int format)
{
	int ret;

	s->arg = arg;
	if (medo_cmd_is_dir(arg)) {
		if ((ret = silo_tree_list_dir_attrs(&s->dir, &s->dir_attrs, format, arg)) < 0)
			return ret;
		s->leaves = &s->dir;
		s->attrs = &s->dir_attrs;
		return 0;
	}
	if ((ret = silo_medo_tree_open(&s->t, arg, silo_opt, medo_cmd_warn, NULL)) < 0)
		return ret;
	s->leaves = silo_medo_tree_leaves(s->t);
	s->attrs = silo_medo_tree_attrs(s->t);
	return 0;
}

static json_t *stat_json(const struct stat_count *c)
{
	return json_pack("{s:I,s:I,s:I}", "files", (json_int_t)c->files,
			 "bytes_a", (json_int_t)c->bytes_a, "bytes_b", (json_int_t)c->bytes_b);
}

static void stat_print(const char *what, const struct stat_count *c)
{
	printf("%s: %" PRIu64 " file%s, %" PRIu64 " -> %" PRIu64 " bytes\n", what, c->files,
	       c->files == 1 ? "" : "s", c->bytes_a, c->bytes_b);
}

/* A directory on either side, --stat or -p: both sides as lists. */
static int diff_lists(struct diff *d, const char **argv, const char *silo_opt)
{
	int ret, status = 0, format = SILO_OID_SHA1, exact;

	d->a.dir = (struct silo_tree_list)SILO_TREE_LIST_INIT;
	d->b.dir = (struct silo_tree_list)SILO_TREE_LIST_INIT;
	d->a.dir_attrs = (struct silo_tree_attrs)SILO_TREE_ATTRS_INIT;
	d->b.dir_attrs = (struct silo_tree_attrs)SILO_TREE_ATTRS_INIT;
	/* A directory is hashed with the ids of the treeptr beside it. */
	if (medo_cmd_is_dir(argv[0]) && !medo_cmd_is_dir(argv[1])) {
		if ((ret = open_side(&d->b, argv[1], silo_opt, format)) == 0)
			ret = open_side(&d->a, argv[0], silo_opt, d->b.leaves->format);
	} else if ((ret = open_side(&d->a, argv[0], silo_opt, format)) == 0) {
		ret = open_side(&d->b, argv[1], silo_opt, d->a.leaves->format);
	}
	/* Modes and empty directories count when a treeptr records them
	 * (one without a record, or two directories: contents only). */
	exact = !ret && (d->a.t || d->b.t) && (!d->a.t || d->a.attrs) && (!d->b.t || d->b.attrs);
	if (!ret && d->a.leaves->format != d->b.leaves->format)
		status = fe_error(fe_exit_for(SILO_EINVALID),
				  "'%s' and '%s' use different object formats", argv[0], argv[1]);
	else if (!ret && (ret = exact ? silo_tree_exact_diff(d->a.leaves, d->a.attrs, d->b.leaves,
							     d->b.attrs, on_change, d) :
			  silo_tree_list_diff(d->a.leaves, d->b.leaves, on_change, d)) > 0)
		status = fe_error(FE_EXIT_FAILURE, "out of memory");
	else if (ret < 0)
		status = fe_lib_error(ret);
	else if (d->failed)
		status = FE_EXIT_FAILURE;
	else if (d->changes) {
		status = fe_json_print(json_pack("{s:b,s:o,s:{s:o,s:o,s:o,s:o}}",
			"differs", d->differs, "changes", d->changes, "stat",
			"added", stat_json(&d->added), "removed", stat_json(&d->removed),
			"changed", stat_json(&d->changed), "mode", stat_json(&d->mode)));
		d->changes = NULL;	/* taken over */
	} else if (d->stat) {
		stat_print("added", &d->added);
		stat_print("removed", &d->removed);
		stat_print("changed", &d->changed);
		stat_print("mode", &d->mode);
	}
	json_decref(d->changes);
	silo_medo_tree_free(d->a.t);
	silo_medo_tree_free(d->b.t);
	silo_tree_list_release(&d->a.dir);
	silo_tree_list_release(&d->b.dir);
	silo_tree_attrs_release(&d->a.dir_attrs);
	silo_tree_attrs_release(&d->b.dir_attrs);
	if (!status && d->differs)
		status = FE_EXIT_NEGATIVE;
	return status;
}

int cmd_medo_diff(int argc, const char **argv)
{
	const char *silo_opt = NULL;
	int json = 0, stat = 0, patch_opt = 0, ret, status;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_opt),
		OPT_FLAG(0, "stat", &stat),
		OPT_FLAG('p', "patch", &patch_opt),
		OPT_JSON(&json),
		OPT_END()
	};
	silo_medo_tree *ta = NULL, *tb = NULL;
	struct diff d;

	memset(&d, 0, sizeof(d));
	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc != 2)
		return fe_usage_error(usage, opts, "expected two treeptrs or directories");
	if (patch_opt && (json || stat))
		return fe_usage_error(usage, opts, "-p goes with neither --stat nor --json");
	if (json && !(d.changes = json_array()))
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	d.stat = stat;
	d.patch = patch_opt;
	if (stat || patch_opt || medo_cmd_is_dir(argv[0]) || medo_cmd_is_dir(argv[1]))
		return diff_lists(&d, argv, silo_opt);
	if ((ret = silo_medo_tree_open_objects(&ta, argv[0], silo_opt, medo_cmd_warn, NULL)) < 0 ||
	    (ret = silo_medo_tree_open_objects(&tb, argv[1], silo_opt, medo_cmd_warn, NULL)) < 0) {
		silo_medo_tree_free(ta);
		json_decref(d.changes);
		return fe_lib_error(ret);
	}
	ret = silo_medo_tree_diff(ta, tb, report, &d);
	if (ret < 0)
		status = silo_error_message()[0] ? fe_lib_error(ret) :
			 fe_error(FE_EXIT_FAILURE, "out of memory");
	else if (json)
		status = fe_json_print(json_pack("{s:b,s:o}", "differs", d.differs,
						 "changes", d.changes));
	else
		status = 0;
	if (json && ret < 0)
		json_decref(d.changes);
	if (!status && d.differs)
		status = FE_EXIT_NEGATIVE;
	silo_medo_tree_free(ta);
	silo_medo_tree_free(tb);
	return status;
}
