/*
 * The treeptrs that medo reachable, medo fsck and medo gc read: below
 * medo directories on disk, and in the commits of git history; and what
 * fsck and gc print of their check.
 */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/closure.h"
#include "silo/medo.h"
#include "silo/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct collect {
	struct silo_oid_set *set;
	medo_treeptr_fn fn;
	void *payload;
	size_t found;		/* treeptrs read on disk */
	int status;		/* of the history's treeptrs */
	int stopped;		/* FN's exit status that stopped the walk */
};

/* Add the roots of the treeptr at PATH; returns an exit status. */
static int add_one(const char *path, void *payload)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	struct collect *c = payload;
	int ret;

	c->found++;
	if ((ret = silo_treeptr_load(&tp, path)) < 0)
		return fe_lib_error(ret);
	if ((ret = silo_treeptr_roots(c->set, &tp)) < 0)
		ret = fe_lib_error(ret);
	else if (c->fn) {
		struct silo_history_treeptr t;
		memset(&t, 0, sizeof(t));
		t.tp = &tp;
		t.name = path;
		t.path = path;
		ret = c->fn(c->payload, &t, 1);
	}
	silo_treeptr_release(&tp);
	return ret;
}

static int tell_history(void *payload, const struct silo_history_treeptr *t)
{
	struct collect *c = payload;

	/* An exit status stops the walk: the library is told of an error. */
	if ((c->stopped = c->fn(c->payload, t, 0)))
		return SILO_ERROR;
	return 0;
}

static void report_history_error(void *payload, int code)
{
	struct collect *c = payload;

	c->status = fe_lib_error(code);
}

/*
 * The treeptrs of git history (OPTS: revisions, --all) below DIRS, each
 * of which must hold a treeptr on disk (ON_DISK) or in some commit.
 */
static int add_history(struct collect *c, struct silo_history_options *opts,
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
	if (c->fn) {
		opts->on_treeptr = tell_history;
		opts->treeptr_payload = c;
	}
	c->status = 0;
	ret = silo_reachable_history(c->set, &res, ".", opts, report_history_error, c);
	status = c->status;
	if (c->stopped) {
		status = c->stopped;
		goto out;
	}
	if (ret < 0) {
		/* History that could not be walked (refused as incomplete,
		 * git failing) leaves nothing to trust: none of it counts,
		 * and neither does the rest, so that nothing is printed. */
		status = fe_lib_error(ret);
		c->set->n = 0;
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

int medo_cmd_collect_treeptrs(struct silo_oid_set *set, int argc, const char **argv,
			      struct silo_history_options *hist, medo_treeptr_fn fn,
			      void *payload)
{
	struct collect c = { set, fn, payload, 0, 0, 0 };
	int history = hist->all || hist->n_revs, status = 0, ret, i;
	size_t *on_disk;

	if (!(on_disk = calloc((size_t)argc + 1, sizeof(*on_disk))))
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	/*
	 * A treeptr that cannot be read is reported, and the others are
	 * still read: in a garbage collection, printing nothing would make
	 * every object look unreferenced.  A directory that holds no
	 * treeptr at all is an error too: a typo must not make a whole silo
	 * look unreferenced.  With history, a directory missing from disk
	 * may still hold treeptrs in the commits walked.
	 */
	for (i = 0; i < argc; i++) {
		struct stat st;
		if (history && stat(argv[i], &st) < 0)
			continue;
		c.found = 0;
		if ((ret = medo_cmd_each_treeptr(1, &argv[i], add_one, &c)))
			status = ret;
		else if (!c.found && !history)
			status = fe_error(FE_EXIT_NOTFOUND, "'%s' holds no treeptr", argv[i]);
		on_disk[i] = c.found;
	}
	if (history && (ret = add_history(&c, hist, argv, argc, on_disk)))
		status = ret;
	silo_oid_set_sort(set);
	free(on_disk);
	return status;
}

int medo_fsck_report_init(struct medo_fsck_report *rep, int json)
{
	memset(rep, 0, sizeof(*rep));
	if (json && !(rep->problems = json_array()))
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	return 0;
}

void medo_fsck_report_problem(void *payload, const char *name, const char *where_silo, int severity,
			      const silo_oid *id, const char *path, const char *message)
{
	struct medo_fsck_report *rep = payload;
	char where[1024];

	if (rep->problems) {
		json_t *p = json_pack("{s:o,s:s,s:o,s:o?,s:o}", "treeptr", fe_json_text(name),
				      "severity", severity == SILO_CLOSURE_BAD ? "error" : "warning",
				      "id", id ? fe_json_oid(id) : json_null(), "path", fe_json_text(path),
				      "message", fe_json_text(message));
		if (p && fe_json_set(p, "silo", where_silo ? fe_json_text(where_silo) : json_null()) < 0)
			p = NULL;
		if (fe_json_append(rep->problems, p) < 0)
			rep->failed = 1;
		return;
	}
	if (where_silo)
		snprintf(where, sizeof(where), "'%s' in silo '%s'", name, where_silo);
	else
		snprintf(where, sizeof(where), "'%s'", name);
	if (severity == SILO_CLOSURE_BAD)
		fe_error(FE_EXIT_NEGATIVE, "%s: %s", where, message);
	else
		fe_warning("%s: %s", where, message);
}

void medo_fsck_report_count(struct medo_fsck_report *rep, const struct silo_medo_fsck_result *r)
{
	rep->treeptrs++;
	rep->objects += r->objects;
	if (r->bad) {
		rep->incomplete++;
	} else if (r->unchecked && !r->complete) {
		rep->unchecked++;
		rep->error = r->error;
	}
}

int medo_fsck_report_status(const struct medo_fsck_report *rep)
{
	if (rep->incomplete)
		return FE_EXIT_NEGATIVE;
	return rep->unchecked ? fe_exit_for(rep->error) : 0;
}

json_t *medo_fsck_report_json(struct medo_fsck_report *rep)
{
	json_t *doc;

	if (rep->failed)
		return NULL;
	doc = json_pack("{s:I,s:I,s:I,s:I,s:O}", "treeptrs", (json_int_t)rep->treeptrs,
			"objects", (json_int_t)rep->objects,
			"incomplete", (json_int_t)rep->incomplete,
			"unchecked", (json_int_t)rep->unchecked, "problems", rep->problems);
	return doc;
}

void medo_fsck_report_summary(const struct medo_fsck_report *rep)
{
	printf("%" PRIu64 " treeptrs checked, %" PRIu64 " objects; %" PRIu64 " incomplete",
	       rep->treeptrs, rep->objects, rep->incomplete);
	if (rep->unchecked)
		printf(", %" PRIu64 " not checked", rep->unchecked);
	putchar('\n');
}

void medo_fsck_report_release(struct medo_fsck_report *rep)
{
	json_decref(rep->problems);
	rep->problems = NULL;
}
