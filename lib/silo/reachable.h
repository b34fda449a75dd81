/*
 * Reachability over git history: the silo objects that the treeptrs of
 * commits of a git repository name.  Garbage collection keeps them, so
 * that `git checkout OLD && medo expand` still works after a prune.
 *
 *	struct silo_history_options o = SILO_HISTORY_OPTIONS_INIT;
 *	o.all = 1;
 *	silo_reachable_history(&set, &found, ".", &o, on_error, payload);
 *
 * git itself reads the repository (`git rev-list`, `git cat-file
 * --batch`), so every repository format git knows works, SHA-1 or
 * SHA-256, packed or loose.  A history known to be incomplete (a shallow
 * clone, a partial clone, grafts) is refused: what its missing commits
 * name would look unreferenced.  Replacement refs are ignored: the walk
 * sees the commits as they are.
 *
 * Each treeptr adds its roots (silo_treeptr_roots(), silo/closure.h):
 * for a treeptr of kind tree, its size table and its root tree.
 */
#ifndef SILO_REACHABLE_H
#define SILO_REACHABLE_H

#include "silo/common.h"

#include <stddef.h>
#include "silo/oid-set.h"
#include "silo/treeptr.h"

/* A treeptr of the history, as on_treeptr receives it; all borrowed for
 * the call. */
struct silo_history_treeptr {
	const struct silo_treeptr *tp;
	/* For messages: "deps/a.medo/x.treeptr (git blob 0123456789ab)". */
	const char *name;
	/* Its path in the work tree, usable from the current directory. */
	const char *path;
	/* The SILO.json that applies to it in the commit it was found in
	 * (the nearest in its directory or above, within its *.medo
	 * directory): its path in the work tree, usable from the current
	 * directory, and its content; NULL and 0 when there is none. */
	const char *silojson_path;
	const char *silojson_text;
	size_t silojson_len;
};

struct silo_history_options {
	/*
	 * Revisions: each names the snapshot of one commit ("HEAD~3", a tag,
	 * an id), or, when it holds "..", every commit of that range.
	 */
	const char *const *revs;
	size_t n_revs;
	int all;		/* every commit reachable from any ref or HEAD */
	const char *since;	/* with all: only commits of this period, but
				 * always the tip of every ref (a git date) */
	/*
	 * Paths inside the repository, relative to its top ("deps/a.medo"):
	 * only treeptrs at or below them count.  None: the whole tree.
	 */
	const char *const *paths;
	size_t n_paths;
	/*
	 * If not NULL, called for each treeptr read, once for each of its
	 * git blobs and SILO.json that applies to it (struct
	 * silo_history_treeptr); a non-zero return stops the walk and is
	 * returned.
	 */
	int (*on_treeptr)(void *payload, const struct silo_history_treeptr *t);
	void *treeptr_payload;
};

#define SILO_HISTORY_OPTIONS_INIT { NULL, 0, 0, NULL, NULL, 0, NULL, NULL }

/*
 * Called for each treeptr of the history that cannot be read; the message
 * (naming its path and git blob) is in silo_error_message().  The walk
 * goes on: a garbage collection that stopped at the first bad file would
 * print too little and make the rest look unreferenced.
 */
typedef void (*silo_history_error_cb)(void *payload, int code);

/* What a walk found, beyond the ids. */
struct silo_history_result {
	/*
	 * Set by the caller, or NULL: room for n_revs + 1 counts (each
	 * revision, then --all) and for n_paths counts (each path, over
	 * every commit walked).  Each gets how many treeptr files it holds,
	 * so that a caller can refuse a revision or path that names nothing
	 * (a typo).
	 */
	size_t *rev_treeptrs;
	size_t *path_treeptrs;
	size_t bad_treeptrs;	/* treeptrs that could not be read */
};

/*
 * Add to SET the roots of every treeptr in the commits that OPTS names,
 * in the git repository holding REPO_DIR, and fill RESULT.  Returns 0,
 * or a negative code when git cannot be run or a revision does not exist
 * (SILO_ENOTFOUND); a malformed treeptr is reported through ON_ERROR and
 * counted, and the walk goes on.  A shallow or partial clone, or grafts,
 * are SILO_EUNSAFE with a message saying how to complete the history.
 * SET is sorted on return.
 */
SILO_EXTERN int silo_reachable_history(struct silo_oid_set *set, struct silo_history_result *result,
			   const char *repo_dir, const struct silo_history_options *opts,
			   silo_history_error_cb on_error, void *payload);

/*
 * The path of DIR (which need not exist) relative to the top of the git
 * repository that holds REPO_DIR, e.g. "deps/a.medo"; "" for the top.
 * DIR is relative to the current directory or absolute.  Owned by the
 * caller.  SILO_EINVALID when DIR is outside the repository.
 */
SILO_EXTERN int silo_history_path(char **out, const char *repo_dir, const char *dir);

#endif
