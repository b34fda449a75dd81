/*
 * medo expand: turn treeptrs into trees on disk, never leaving a half
 * written tree at the destination.
 *
 * Everything is built in a staging directory beside DEST (same parent,
 * so the final rename stays on one file system) and renamed into place
 * only after the object's checksum and the tree id both matched: the
 * checks are together in write_checked().
 */
#include "silo/medo.h"
#include "silo/medo-status.h"
#include "silo/store.h"
#include "silo/tree.h"
#include "error-internal.h"
#include "medo-internal.h"
#include "tree-internal.h"
#include "source.h"
#include "fsutil.h"
#include "cleanup-internal.h"
#include "strbuf.h"
#include "strvec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* What DEST holds now. */
enum dest_state {
	DEST_NONE,	/* nothing */
	DEST_EMPTY,	/* an empty directory: nothing to lose */
	DEST_SAME,	/* exactly what the treeptr names */
	DEST_PARTIAL,	/* a partial expansion of the treeptr, unchanged:
			 * replaced without --force */
	DEST_SAME_PART,	/* a partial expansion of the same paths, unchanged */
	DEST_OTHER	/* anything else */
};

/* 1 if A and B hold the same paths, in the same order. */
static int same_paths(const struct medo_select *a, const struct medo_select *b)
{
	size_t i;

	if (!a || a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->pats[i], b->pats[i]))
			return 0;
	return 1;
}

/* DEST_PARTIAL or DEST_SAME_PART (against SEL, the paths asked for now,
 * NULL for all) if DEST, a directory, holds an unchanged partial
 * expansion of TP; else DEST_OTHER, or 0 when DEST has no record. */
static int partial_state(enum dest_state *state, const struct silo_treeptr *tp,
			 const char *dest, const char *treeptr_path,
			 const struct silo_medo_expand_options *opts, struct medo_select *sel)
{
	struct medo_select had;
	silo_oid tree;
	int ret;

	if ((ret = medo_partial_read_record(&had, &tree, dest)) <= 0)
		return ret;
	*state = DEST_OTHER;
	/* The same paths again need only be there; another expansion
	 * replaces the partial one only when it holds nothing else, that
	 * nothing put there by hand is lost. */
	if (silo_oid_equal(&tree, &tp->tree)) {
		int same = same_paths(sel, &had);
		ret = medo_partial_matches(tp, dest, treeptr_path, opts->silo, &had, !same, NULL,
					   NULL, opts->on_warning, opts->payload);
		if (ret > 0)
			*state = same ? DEST_SAME_PART : DEST_PARTIAL;
	}
	medo_select_release(&had);
	return ret < 0 ? ret : 1;
}

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return silo__error_errno("cannot read directory '%s'", path);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}


/*
 * With FORCE, a directory that cannot be read through (a mode-000
 * directory a user's expansion made) is DEST_OTHER: the caller asked to
 * replace whatever is there, and the remover can open it.
 */
static int dest_state(enum dest_state *state, const struct silo_treeptr *tp,
		      const char *dest, const char *treeptr_path,
		      const struct silo_medo_expand_options *opts, struct medo_select *sel)
{
	const char *silo_option = opts->silo;
	int force = opts->force;
	struct stat st;
	silo_oid id;
	int ret;

	if (lstat(dest, &st) < 0) {
		if (errno == ENOENT) {
			*state = DEST_NONE;
			return 0;
		}
		return silo__error_errno("cannot stat '%s'", dest);
	}
	if (silo_treeptr_is_tree(tp)) {
		if (!S_ISDIR(st.st_mode)) {
			*state = DEST_OTHER;
			return 0;
		}
		ret = dir_is_empty(dest);
		if (ret > 0) {
			*state = DEST_EMPTY;
			return 0;
		}
		if (!ret && (ret = partial_state(state, tp, dest, treeptr_path, opts, sel)) > 0)
			return 0;
		if (!ret)
			ret = medo_dir_matches(tp, dest, treeptr_path, silo_option, NULL, NULL);
		if (ret == SILO_EINVALID || (ret < 0 && force && ret != SILO_ENOMEM)) {
			/* A fifo or a device: certainly not our tree; with
			 * FORCE, what cannot be read is replaced. */
			silo_error_clear();
			*state = DEST_OTHER;
			return 0;
		}
		if (ret < 0)
			return ret;
		*state = ret ? DEST_SAME : DEST_OTHER;
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		*state = S_ISDIR(st.st_mode) && dir_is_empty(dest) == 1 ? DEST_EMPTY : DEST_OTHER;
		return 0;
	}
	if (tp->kind == SILO_TREEPTR_IMAGE) {
		if ((ret = medo_image_matches(tp, dest)) < 0)
			return ret;
		*state = ret ? DEST_SAME : DEST_OTHER;
		return 0;
	}
	if ((ret = medo_file_blob_id(&id, tp->object.format, dest)) < 0)
		return ret;
	*state = silo_oid_equal(&id, &tp->object) ? DEST_SAME : DEST_OTHER;
	return 0;
}

/*
 * Staging directories are named ".tmp-<base of DEST>-XXXXXX" and locked
 * (flock) by the expansion that made them for as long as it runs.  One
 * whose lock can be taken was left by an expansion that was killed: it is
 * removed by the next expansion to the same DEST, whatever its age.
 */
/* 1 if the directory open as FD is still the one at PATH. */
static int same_dir(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_nlink > 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void remove_stale_staging(const char *dir, const char *base)
{
	size_t plen = strlen(base) + 6;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *path;
		int fd;

		if (strncmp(de->d_name, ".tmp-", 5) || strncmp(de->d_name + 5, base, plen - 6) ||
		    de->d_name[plen - 1] != '-' || strlen(de->d_name) != plen + 6)
			continue;
		if (!(path = fs_join(dir, de->d_name)))
			break;
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		/* One holding "old" holds a destination's previous tree that
		 * a failed --force could not put back: never litter. */
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && same_dir(fd, path) &&
		    faccessat(fd, "old", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			silo_tree_remove(path);	/* best effort: it is only litter */
		if (fd >= 0)
			close(fd);
		free(path);
	}
	closedir(d);
}

/* Make a staging directory beside DEST, locked through *lock_fd; *out is
 * owned by the caller. */
static int make_staging(char **out, int *lock_fd, const char *dest)
{
	char *dir = fs_dirname(dest), *base = fs_basename(dest), *path = NULL;
	size_t len;
	int ret = 0;

	*out = NULL;
	*lock_fd = -1;
	if (!dir || !base) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = fs_mkdir_p(dir, 0777)) < 0)
		goto out;
	remove_stale_staging(dir, base);
	len = strlen(dir) + strlen(base) + 32;
	if (!(path = malloc(len))) {
		ret = silo__error_oom();
		goto out;
	}
	/* Between mkdtemp() and flock() another expansion may take the new
	 * directory for litter and remove it: then make another. */
	for (int tries = 0; ; tries++) {
		snprintf(path, len, "%s/.tmp-%s-XXXXXX", dir, base);
		/* Registered: an interruption removes it (silo/cleanup.h). */
		if ((ret = cleanup_mkdtemp(path)) < 0) {
			silo__error_wrap("cannot make a staging directory beside '%s'", dest);
			free(path);
			goto out;
		}
		*lock_fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (*lock_fd >= 0 && flock(*lock_fd, LOCK_EX) == 0 && same_dir(*lock_fd, path))
			break;
		if (*lock_fd >= 0)
			close(*lock_fd);
		*lock_fd = -1;
		if (tries >= 10) {
			ret = silo__error_errno("cannot lock the staging directory '%s'", path);
			rmdir(path);
			cleanup_release(path);
			free(path);
			goto out;
		}
		cleanup_release(path);
	}
	*out = path;
out:
	free(dir);
	free(base);
	return ret;
}

/* Write the opaque object of ST to the new file PATH, its zero blocks as
 * holes. */
static int write_opaque(silo_stream *st, const char *path)
{
	const void *d;
	size_t n;
	uint64_t at = 0;
	int fd, ret;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		  0666 & ~fs_umask());
	if (fd < 0)
		return silo__error_errno("cannot create '%s'", path);
	while ((ret = silo_stream_read(st, &d, &n)) > 0) {
		if ((ret = cleanup_check()) < 0 || (ret = fs_pwrite_sparse(fd, d, n, at, path)) < 0)
			break;
		at += n;
	}
	if (!ret)
		ret = fs_sparse_finish(fd, at, path);
	if (close(fd) < 0 && !ret)
		ret = silo__error_errno("cannot write '%s'", path);
	return ret;
}

/*
 * Put NEW (inside STAGING) at DEST.  When DEST exists it is swapped out
 * in one step where the file system allows (RENAME_EXCHANGE), else moved
 * aside first and moved back if the second rename fails; the old content
 * ends inside STAGING, removed with it.
 */
static int put_in_place(const char *staging, const char *new_path, const char *dest,
			int dest_exists, int *keep_staging)
{
	char *aside;
	int ret = 0;

	if (!dest_exists) {
		if (renameat2(AT_FDCWD, new_path, AT_FDCWD, dest, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno == EEXIST || errno == ENOTEMPTY)
			return silo__error_set(SILO_EEXISTS,
				"'%s' appeared while it was being expanded", dest);
		if (errno != EINVAL && errno != ENOSYS)
			return silo__error_errno("cannot rename '%s' to '%s'", new_path, dest);
		if (access(dest, F_OK) == 0)
			return silo__error_set(SILO_EEXISTS,
				"'%s' appeared while it was being expanded", dest);
		if (rename(new_path, dest) < 0)
			return silo__error_errno("cannot rename '%s' to '%s'", new_path, dest);
		return 0;
	}
	if (renameat2(AT_FDCWD, new_path, AT_FDCWD, dest, RENAME_EXCHANGE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return silo__error_errno("cannot exchange '%s' and '%s'", new_path, dest);
	if (!(aside = fs_join(staging, "old")))
		return silo__error_oom();
	if (rename(dest, aside) < 0) {
		ret = silo__error_errno("cannot move '%s' aside", dest);
	} else if (rename(new_path, dest) < 0) {
		ret = silo__error_errno("cannot rename '%s' to '%s'", new_path, dest);
		if (rename(aside, dest) < 0) {
			/* The old tree lives on only in the staging directory:
			 * it must not be cleaned up with it. */
			silo__error_wrap("'%s' is now at '%s'", dest, aside);
			*keep_staging = 1;
		}
	}
	free(aside);
	return ret;
}

/*
 * Write the object of TP, read from ST, at NEW_PATH and check it against
 * the treeptr: every check of one expansion is here, in the order they
 * happen.
 *
 *  1. The object's size is the treeptr's, before anything is written.
 *  2. Its bytes hash to its id: the stream checks them as they go by
 *     (loose-read.c, pack-read.c) and fails its last read otherwise.  An
 *     archive reader may stop before the end, so medo_reader_finish()
 *     drains the stream: the check always runs, exactly once.
 *  3. For a tree, the git tree id of what was written, computed by the
 *     extraction on the way (extract.c), is the treeptr's.
 *
 * TREEPTR_PATH names the treeptr in messages.  On failure NEW_PATH may
 * hold a partial tree; the caller's staging directory goes with it.
 */
static int want_selected(void *payload, const char *path, int is_dir)
{
	return medo_select_match(payload, path, is_dir);
}

/* The targets of LINKS (path, target, path, target...), and the
 * directories on their way. */
static int want_target(void *payload, const char *path, int is_dir)
{
	const struct strvec *links = payload;
	size_t i, len = strlen(path);

	for (i = 1; i < links->n; i += 2) {
		const char *t = links->v[i];
		if (is_dir ? !strncmp(t, path, len) && t[len] == '/' : !strcmp(t, path))
			return is_dir ? 1 : 2;
	}
	return 0;
}

/*
 * A partial expansion asked for hard links whose targets it did not
 * write (LINKS: their paths below NEW_PATH and their targets'): the
 * targets are read in a second pass over the object of TP in S, into
 * "links" beside NEW_PATH, which the staging directory removes, and
 * linked from there.
 */
static int write_links(silo *s, const struct silo_treeptr *tp, const char *new_path,
		       const char *treeptr_path, struct strvec *links)
{
	char *dir = fs_dirname(new_path), *tmp = dir ? fs_join(dir, "links") : NULL;
	struct medo_reader src = { 0 };
	silo_stream *st = NULL;
	size_t i;
	int ret;

	if (!tmp) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = silo_stream_open(&st, s, &tp->object)) < 0)
		goto out;
	src.st = st;
	if ((ret = tree_extract_some(NULL, tmp, medo_reader_read, &src, treeptr_path,
				     tp->object.format, want_target, links, NULL)) < 0 ||
	    (ret = medo_reader_finish(&src)) < 0)
		goto out;
	for (i = 0; i + 1 < links->n && !ret; i += 2) {
		char *from = fs_join(tmp, links->v[i + 1]), *to = fs_join(new_path, links->v[i]);
		if (!from || !to)
			ret = silo__error_oom();
		else if (linkat(AT_FDCWD, from, AT_FDCWD, to, 0) < 0)
			ret = silo__error_errno("cannot link '%s' to '%s'", to, from);
		free(from);
		free(to);
	}
out:
	silo_stream_free(st);
	free(tmp);
	free(dir);
	return ret;
}

static int write_checked(silo *s, silo_stream *st, const struct silo_treeptr *tp,
			 const char *new_path, const char *treeptr_path,
			 const struct silo_medo_expand_options *opts, struct medo_select *sel)
{
	struct strvec links = STRVEC_INIT;
	char hex[SILO_OID_MAX_HEXSZ + 1], got_hex[SILO_OID_MAX_HEXSZ + 1];
	char want_hex[SILO_OID_MAX_HEXSZ + 1];
	struct medo_reader src = { 0 };
	src.st = st;
	silo_oid got;
	int ret;

	if (opts && opts->on_bytes) {
		src.on_bytes = opts->on_bytes;
		src.payload = opts->payload;
		src.total = tp->size;
	}

	if (silo_stream_size(st) != tp->size)
		return silo__error_set(SILO_ECORRUPT,
			"'%s': object %s has %llu bytes, not the %llu the treeptr says",
			treeptr_path, silo_oid_to_hex(hex, &tp->object),
			(unsigned long long)silo_stream_size(st),
			(unsigned long long)tp->size);
	if (!silo_treeptr_is_tree(tp))
		return write_opaque(st, new_path);	/* read to its checked end */
	if ((ret = tree_extract_some(&got, new_path, medo_reader_read, &src, treeptr_path,
				     tp->object.format, sel ? want_selected : NULL, sel,
				     &links)) < 0 ||
	    (ret = medo_reader_finish(&src)) < 0)
		goto out;
	if (!silo_oid_equal(&got, &tp->tree)) {
		ret = silo__error_set(SILO_ECORRUPT,
			"'%s': object %s unpacks to tree %s, not tree %s",
			treeptr_path, silo_oid_to_hex(hex, &tp->object),
			silo_oid_to_hex(got_hex, &got), silo_oid_to_hex(want_hex, &tp->tree));
		goto out;
	}
	if (sel && (ret = medo_select_check_used(sel, treeptr_path)) == 0 && links.n)
		ret = write_links(s, tp, new_path, treeptr_path, &links);
out:
	strvec_clear(&links);
	return ret;
}

int silo_medo_expand(const char *treeptr_path, const char *dest,
		     const struct silo_medo_expand_options *opts)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	enum dest_state state = DEST_NONE;
	char *staging = NULL, *new_path = NULL, *cache_dir = NULL;
	int staging_lock = -1, keep_staging = 0;
	silo *s = NULL;
	silo_stream *st = NULL;
	struct medo_select selection, *sel = NULL;
	struct silo_medo_expand_options once = *opts;
	int ret, result;

	once.force = 0;
	if (opts->no_cache) {
		/* Staging first: what is fetched goes into it, also while
		 * DEST is looked at. */
		if ((ret = make_staging(&staging, &staging_lock, dest)) < 0)
			return ret;
		if (!(cache_dir = fs_join(staging, "cache"))) {
			ret = silo__error_oom();
			goto out;
		}
		silo__cache_dir_override(cache_dir);
	}
	if (opts->n_paths) {
		if ((ret = medo_select_init(&selection, opts->paths, opts->n_paths)) < 0)
			goto out;
		sel = &selection;
	}
	if ((ret = silo_medo_treeptr_load_signed(&tp, opts->signers, treeptr_path)) < 0)
		goto out;
	if (sel && tp.kind == SILO_TREEPTR_IMAGE) {
		ret = silo__error_set(SILO_EINVALID, "'%s' names an image, expanded as its whole "
				      "archive: read some of its files with medo cat or medo mount",
				      treeptr_path);
		goto out;
	}
	if (sel && !silo_treeptr_is_tree(&tp)) {
		ret = silo__error_set(SILO_EINVALID, "'%s' names a file, not a tree: it has no "
				      "paths to choose from", treeptr_path);
		goto out;
	}
	if ((ret = dest_state(&state, &tp, dest, treeptr_path, opts, sel)) < 0)
		goto out;
	/* A whole tree holds every path a partial expansion asks for. */
	if (state == DEST_SAME || state == DEST_SAME_PART) {
		ret = SILO_MEDO_PRESENT;
		goto out;
	}
	if (state == DEST_OTHER && !opts->force) {
		ret = silo__error_set(SILO_EEXISTS,
			"'%s' holds something other than what '%s' names; use --force to replace it",
			dest, treeptr_path);
		goto out;
	}
	result = state == DEST_OTHER ? SILO_MEDO_REPLACED : SILO_MEDO_EXPANDED;

	/* Some paths of a tree: the trees on their way are read one by
	 * one (medo_tree_write_some()), not the whole tree section. */
	if ((ret = (sel ? silo_medo_open_tree_objects : silo_medo_open_treeptr)(
			&s, treeptr_path, opts->silo, &tp, opts->on_warning, opts->payload)) < 0)
		goto out;
	if (tp.kind != SILO_TREEPTR_TREE && tp.kind != SILO_TREEPTR_IMAGE) {
		if ((ret = silo_stream_open(&st, s, &tp.object)) < 0)
			goto out;
		/* Inflating and checking the object on a second core while
		 * this one creates files: the overlap tar gets from gzip. */
		if ((ret = silo_stream_prefetch(&st, st)) < 0) {
			st = NULL;
			goto out;
		}
	}
	if (!staging && (ret = make_staging(&staging, &staging_lock, dest)) < 0)
		goto out;
	if (!(new_path = fs_join(staging, "new"))) {
		ret = silo__error_oom();
		goto out;
	}
	if (tp.kind == SILO_TREEPTR_TREE)
		ret = medo_tree_write_some(s, &tp, new_path, treeptr_path, sel, opts->on_bytes,
					   opts->payload);
	else if (tp.kind == SILO_TREEPTR_IMAGE)
		ret = medo_image_write(s, &tp, new_path, treeptr_path);
	else
		ret = write_checked(s, st, &tp, new_path, treeptr_path, opts, sel);
	/* What was asked for, for medo verify and medo status. */
	if (!ret && sel)
		ret = medo_partial_write_record(new_path, &tp.tree, sel);
	if (ret < 0)
		goto out;
	if (state == DEST_EMPTY) {
		/* Nothing to keep: the empty directory makes way. */
		if (rmdir(dest) < 0 && errno != ENOENT) {
			ret = silo__error_errno("cannot remove the empty directory '%s'", dest);
			goto out;
		}
		state = DEST_NONE;
	}
	ret = put_in_place(staging, new_path, dest, state != DEST_NONE, &keep_staging);
	if (ret == SILO_EEXISTS && state == DEST_NONE) {
		/* Another expansion of the same treeptr won the race: if what
		 * it put there is right, the work is done. */
		enum dest_state now;
		if (dest_state(&now, &tp, dest, treeptr_path, &once, sel) == 0 &&
		    (now == DEST_SAME || now == DEST_SAME_PART))
			ret = result = SILO_MEDO_PRESENT;
		else
			silo__error_set(SILO_EEXISTS, "'%s' appeared while it was being expanded",
				        dest);
	}
	if (ret < 0)
		goto out;
	ret = result;
out:
	/* The handles first: they read from the staging directory's cache
	 * with --no-cache. */
	silo_stream_free(st);
	st = NULL;
	silo_free(s);
	s = NULL;
	if (cache_dir)
		silo__cache_dir_override(NULL);
	free(cache_dir);
	if (staging) {
		int saved = silo_error_last();
		char msg[4096];
		snprintf(msg, sizeof(msg), "%s", silo_error_message());
		if (!keep_staging)
			silo_tree_remove(staging);
		close(staging_lock);
		cleanup_release(staging);
		/* Cleaning up must not hide why the expansion failed. */
		if (ret < 0)
			silo__error_set(saved, "%s", msg);
	}
	free(staging);
	free(new_path);
	silo_stream_free(st);
	silo_free(s);
	silo_treeptr_release(&tp);
	if (sel)
		medo_select_release(sel);
	return ret;
}

/* ---- many treeptrs ---- */

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A layout where one treeptr's destination holds another's (a.treeptr
 * and a/b.treeptr) cannot be expanded: the second tree would land inside
 * the first, which then no longer verifies, and in parallel the two would
 * race for the same directory.  Refused before anything is written.
 */
static int check_nesting(char *const *names, size_t n, const char *medo_dir)
{
	char **dests = calloc(n ? n : 1, sizeof(*dests));
	size_t i;
	int ret = 0;

	if (!dests)
		return silo__error_oom();
	for (i = 0; i < n && !ret; i++)
		if (!(dests[i] = silo_medo_dest_for("", names[i])))
			ret = silo__error_oom();
	if (!ret)
		qsort(dests, n, sizeof(*dests), by_string);
	for (i = 0; i < n && !ret; i++) {
		/* Everything under DEST/ sorts after DEST and before DEST0
		 * ('0' follows '/'): look at the entries right after it. */
		size_t len = strlen(dests[i]), j;
		for (j = i + 1; j < n && !strncmp(dests[j], dests[i], len); j++)
			if (dests[j][len] == '/') {
				ret = silo__error_set(SILO_EINVALID,
					"'%s': the tree of '%s%s' would hold the tree of '%s%s'",
					medo_dir, dests[i], SILO_TREEPTR_SUFFIX,
					dests[j], SILO_TREEPTR_SUFFIX);
				break;
			}
	}
	for (i = 0; i < n; i++)
		free(dests[i]);
	free(dests);
	return ret;
}

struct batch {
	const char *medo_dir, *dest;
	const struct silo_medo_expand_options *opts;
	char **names;
	int *results;
	char **messages;
	size_t n, next, done;
	pthread_mutex_t lock;
};

static void *batch_worker(void *arg)
{
	struct batch *b = arg;
	/* Byte counts are for one tree on the calling thread; here the
	 * count of treeptrs done tells the progress. */
	struct silo_medo_expand_options one = *b->opts;

	one.on_bytes = NULL;
	for (;;) {
		size_t i;
		char *tp, *dest;
		int ret;

		pthread_mutex_lock(&b->lock);
		i = b->next++;
		pthread_mutex_unlock(&b->lock);
		if (i >= b->n)
			break;
		tp = fs_join(b->medo_dir, b->names[i]);
		dest = silo_medo_dest_for(b->dest, b->names[i]);
		if (!tp || !dest)
			ret = silo__error_oom();
		else
			ret = silo_medo_expand(tp, dest, &one);
		b->results[i] = ret;
		if (ret < 0)
			b->messages[i] = strdup(silo_error_message());
		pthread_mutex_lock(&b->lock);
		b->done++;
		if (b->opts->on_progress)
			b->opts->on_progress(b->opts->payload, b->done, b->n);
		pthread_mutex_unlock(&b->lock);
		free(tp);
		free(dest);
	}
	return NULL;
}

int silo_medo_expand_dir(const char *medo_dir, const char *dest, int jobs,
			 const struct silo_medo_expand_options *opts,
			 void (*on_result)(void *payload, const char *rel, int result,
					   const char *message),
			 void *payload)
{
	struct batch b;
	pthread_t *threads = NULL;
	size_t i, started = 0;
	int ret, failures = 0;

	memset(&b, 0, sizeof(b));
	b.medo_dir = medo_dir;
	b.dest = dest;
	b.opts = opts;
	if ((ret = silo_medo_find_treeptrs(&b.names, &b.n, medo_dir)) < 0)
		return ret;
	if ((ret = check_nesting(b.names, b.n, medo_dir)) < 0) {
		silo_medo_list_free(b.names, b.n);
		return ret;
	}
	if (jobs <= 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = cpus > 0 ? (int)cpus : 1;
	}
	if ((size_t)jobs > b.n)
		jobs = b.n ? (int)b.n : 1;
	b.results = calloc(b.n ? b.n : 1, sizeof(*b.results));
	b.messages = calloc(b.n ? b.n : 1, sizeof(*b.messages));
	threads = calloc((size_t)jobs, sizeof(*threads));
	if (!b.results || !b.messages || !threads) {
		ret = silo__error_oom();
		goto out;
	}
	/* Read the umask before any thread creates a file. */
	fs_umask();
	pthread_mutex_init(&b.lock, NULL);
	for (i = 1; i < (size_t)jobs; i++) {
		if (pthread_create(&threads[i], NULL, batch_worker, &b))
			break;
		started++;
	}
	batch_worker(&b);
	for (i = 1; i <= started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&b.lock);
	for (i = 0; i < b.n; i++) {
		if (b.results[i] < 0)
			failures++;
		if (on_result)
			on_result(payload, b.names[i], b.results[i],
				  b.results[i] < 0 ? (b.messages[i] ? b.messages[i] : "out of memory")
						   : NULL);
	}
	ret = failures;
	/* What is there now, for 'medo status' and 'expand --delete'. */
	if (silo_medo_record_expanded(dest, medo_dir, b.names, b.results, b.n) < 0)
		ret = silo_error_last();
out:
	if (b.messages)
		for (i = 0; i < b.n; i++)
			free(b.messages[i]);
	free(b.messages);
	free(b.results);
	free(threads);
	silo_medo_list_free(b.names, b.n);
	return ret;
}
