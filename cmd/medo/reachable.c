/* medo reachable: list every silo object that treeptrs name. */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/medo.h"
#include "silo/prune.h"
#include "silo/reachable.h"
#include "silo/store.h"
#include "silo/treeptr.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const usage[] = {
	"medo reachable [--paths] [-z | --json] [--all] [--since=<date>] [--rev=<rev>]... [<medo-dir>...]",
	NULL
};

/* What add_one() fills: the ids, and how many treeptrs were read. */
struct reach_state {
	struct silo_oid_set *set;
	size_t found;
};

/* Add the object of the treeptr at PATH; returns an exit status. */
static int add_one(const char *path, void *payload)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	struct reach_state *st = payload;
	int ret;

	st->found++;
	if ((ret = silo_treeptr_load(&tp, path)) < 0)
		return fe_lib_error(ret);
	ret = silo_oid_set_add(st->set, &tp.object);
	/* A tree kept as git objects: its root tree too.  silo prune keeps
	 * what is below a tree it keeps (silo-prune(1)). */
	if (!ret && tp.kind == SILO_TREEPTR_TREE)
		ret = silo_oid_set_add(st->set, &tp.tree);
	silo_treeptr_release(&tp);
	return ret < 0 ? fe_lib_error(ret) : 0;
}

/*
 * Add the treeptrs below DIR (or the treeptr DIR) as they are on disk;
 * *FOUND counts them.  Returns an exit status.
 */
static int add_dir(struct silo_oid_set *set, const char *dir, size_t *found)
{
	struct reach_state st = { set, 0 };
	int status = medo_cmd_each_treeptr(1, &dir, add_one, &st);

	*found = st.found;
	return status;
}

static void report_history_error(void *payload, int code)
{
	int *status = payload;
	*status = fe_lib_error(code);
}

/*
 * The treeptrs of git history (OPTS: revisions, --all) below DIRS, each
 * of which must hold a treeptr on disk (ON_DISK) or in some commit.
 */
static int add_history(struct silo_oid_set *set, struct silo_history_options *opts,
		       const char **dirs, int n_dirs, const size_t *on_disk)
{
	struct silo_history_result res = { NULL, NULL, 0 };
	char **paths;
	int status = 0, ret, i;
	size_t r;

	paths = calloc((size_t)n_dirs + 1, sizeof(*paths));
	res.rev_treeptrs = calloc(opts->n_revs + 1, sizeof(size_t));
	res.path_treeptrs = calloc((size_t)n_dirs + 1, sizeof(size_t));
	if (!paths || !res.rev_treeptrs || !res.path_treeptrs) {
		status = fe_error(FE_EXIT_FAILURE, "out of memory");
		goto out;
	}
	for (i = 0; i < n_dirs; i++) {
		if ((ret = silo_history_path(&paths[i], ".", dirs[i])) < 0) {
			status = fe_lib_error(ret);
			goto out;
		}
	}
	opts->paths = (const char *const *)paths;
	opts->n_paths = (size_t)n_dirs;
	ret = silo_reachable_history(set, &res, ".", opts, report_history_error, &status);
	if (ret < 0) {
		status = fe_lib_error(ret);
		goto out;
	}
	for (r = 0; r < opts->n_revs; r++)
		if (!res.rev_treeptrs[r])
			status = fe_error(FE_EXIT_NOTFOUND, "revision '%s' holds no treeptr%s",
					  opts->revs[r], n_dirs ? " in the given directories" : "");
	if (opts->all && !res.rev_treeptrs[opts->n_revs])
		status = fe_error(FE_EXIT_NOTFOUND, "no commit of any ref holds a treeptr%s",
				  n_dirs ? " in the given directories" : "");
	for (i = 0; i < n_dirs; i++)
		if (!on_disk[i] && !res.path_treeptrs[i])
			status = fe_error(FE_EXIT_NOTFOUND,
					  "'%s' holds no treeptr, on disk or in any commit given",
					  dirs[i]);
out:
	for (i = 0; paths && i < n_dirs; i++)
		free(paths[i]);
	free(paths);
	free(res.rev_treeptrs);
	free(res.path_treeptrs);
	return status;
}

int cmd_medo_reachable(int argc, const char **argv)
{
	int paths = 0, nul = 0, json = 0, all = 0, status = 0, ret, i;
	const char *since = NULL;
	struct fe_strings revs = FE_STRINGS_INIT;
	struct fe_option opts[] = {
		OPT_FLAG(0, "paths", &paths, "print loose object paths (objects/xx/....gz), not ids"),
		OPT_FLAG('z', NULL, &nul, "end each line with NUL, not newline"),
		OPT_FLAG(0, "json", &json, "print one JSON document (see OUTPUT in medo-reachable(1))"),
		OPT_FLAG(0, "all", &all, "also every commit of every ref of the git repository"),
		OPT_STRING(0, "since", &since, "date", "with --all, only commits since <date> and every ref's tip"),
		OPT_STRINGS(0, "rev", &revs, "rev", "also the commit <rev>, or every commit of a range (repeatable)"),
		OPT_END()
	};
	struct silo_history_options hist = SILO_HISTORY_OPTIONS_INIT;
	struct silo_oid_set set = SILO_OID_SET_INIT;
	size_t *on_disk = NULL, j;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc < 1 && !all && !revs.n)
		return fe_usage_error(usage, opts, "expected a medo directory, --all or --rev");
	if (json && nul) {
		free(revs.v);
		return fe_usage_error(usage, opts, "-z and --json cannot be used together");
	}
	if (since && !all) {
		free(revs.v);
		return fe_usage_error(usage, opts, "--since needs --all");
	}
	if (!(on_disk = calloc((size_t)argc + 1, sizeof(*on_disk)))) {
		free(revs.v);
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	}
	/*
	 * A treeptr that cannot be read is reported, and the others are
	 * still printed: in a garbage collection, printing nothing would
	 * make every object look unreferenced.  A directory that holds no
	 * treeptr at all is an error too: a typo must not make a whole silo
	 * look unreferenced.  With history, a directory missing from disk
	 * may still hold treeptrs in the commits walked.
	 */
	for (i = 0; i < argc; i++) {
		struct stat st;
		if ((all || revs.n) && stat(argv[i], &st) < 0)
			continue;
		if ((ret = add_dir(&set, argv[i], &on_disk[i])))
			status = ret;
		else if (!on_disk[i] && !all && !revs.n)
			status = fe_error(FE_EXIT_NOTFOUND, "'%s' holds no treeptr", argv[i]);
	}
	if (all || revs.n) {
		hist.revs = revs.v;
		hist.n_revs = revs.n;
		hist.all = all;
		hist.since = since;
		if ((ret = add_history(&set, &hist, argv, argc, on_disk)))
			status = ret;
	}
	silo_oid_set_sort(&set);
	free(on_disk);
	free(revs.v);
	if (json) {
		json_t *objs = json_array();
		for (j = 0; objs && j < set.n; j++) {
			char rel[SILO_LOOSE_PATH_MAX];
			silo_loose_relpath(rel, &set.v[j]);
			if (fe_json_append(objs, json_pack("{s:o,s:s}", "id",
					fe_json_oid(&set.v[j]), "path", rel)) < 0) {
				json_decref(objs);
				objs = NULL;
			}
		}
		ret = fe_json_print(objs ? json_pack("{s:o}", "objects", objs) : NULL);
		silo_oid_set_release(&set);
		return ret ? ret : status;
	}
	for (j = 0; j < set.n; j++) {
		char buf[SILO_LOOSE_PATH_MAX];
		if (paths)
			silo_loose_relpath(buf, &set.v[j]);
		else
			silo_oid_to_hex(buf, &set.v[j]);
		fputs(buf, stdout);
		putchar(nul ? '\0' : '\n');
	}
	silo_oid_set_release(&set);
	return status;
}
