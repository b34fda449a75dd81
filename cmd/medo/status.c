/* medo status: which trees a destination holds, which differ, what is extra. */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/medo-status.h"
#include "silo/medo.h"
#include "silo/tree.h"
#include "silo/error.h"

#include <stdlib.h>

static const struct fe_usage *const usage = &fe_usage_medo_status;

struct diffs {
	json_t *list;		/* with --json: the differences, else NULL */
	int failed;
};

static void on_diff(void *payload, int change, const char *path)
{
	struct diffs *d = payload;

	if (change != SILO_TREE_ADDED && change != SILO_TREE_REMOVED &&
	    change != SILO_TREE_CHANGED && change != SILO_TREE_MODE)
		return;		/* the tree as a whole: said already */
	if (!d->list)
		printf("\t%s %s\n", medo_cmd_change_word(change), path);
	else if (fe_json_append(d->list, json_pack("{s:s,s:o}", "change",
			medo_cmd_change_word(change), "path", fe_json_text(path))) < 0)
		d->failed = 1;
}

/*
 * What differs inside DEST, a tree that is not TREEPTR's: its paths, as
 * medo verify names them, when a silo at hand can list the treeptr's
 * tree (none is needed to say that it differs); else nothing.  With
 * --json, LIST (new) receives them.
 */
static int name_differences(const char *treeptr, const char *dest, json_t **list)
{
	struct silo_medo_verify_options o = { 0 };
	struct diffs d = { NULL, 0 };

	if (list && !(d.list = *list = json_array()))
		return -1;
	o.on_diff = on_diff;
	o.payload = &d;
	if (silo_medo_verify(treeptr, dest, &o) < 0)
		silo_error_clear();
	return d.failed ? -1 : 0;
}

int cmd_medo_status(int argc, const char **argv)
{
	int verbose = 0, json = 0, status = 0, ret;
	struct fe_option opts[] = {
		OPT_FLAG('v', "verbose", &verbose),
		OPT_JSON(&json),
		OPT_END()
	};
	struct silo_medo_status st = SILO_MEDO_STATUS_INIT;
	json_t *list = NULL;
	int json_failed = 0;
	size_t i;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc != 2)
		return fe_usage_error(usage, opts, "expected a medo directory and a destination");
	if (!medo_cmd_is_dir(argv[0]))
		return fe_error(FE_EXIT_NOTFOUND, "'%s' is not a medo directory", argv[0]);
	if ((ret = silo_medo_status(&st, argv[0], argv[1])) < 0)
		return fe_lib_error(ret);
	if (json && !(list = json_array())) {
		silo_medo_status_release(&st);
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	}
	for (i = 0; i < st.n; i++) {
		const struct silo_medo_status_entry *e = &st.v[i];
		char *dest = medo_cmd_join(argv[1], e->path);
		char *tp = e->treeptr ? medo_cmd_join(argv[0], e->treeptr) : NULL;

		if (!dest || (e->treeptr && !tp)) {
			status = fe_error(FE_EXIT_FAILURE, "out of memory");
		} else if (e->state == SILO_MEDO_STATE_ERROR) {
			ret = fe_error(fe_exit_for(e->error), "%s", e->message);
			if (!status || status == FE_EXIT_NEGATIVE)
				status = ret;
		} else if (e->state != SILO_MEDO_STATE_SAME && !status) {
			status = FE_EXIT_NEGATIVE;
		}
		if (list) {
			json_t *diffs = NULL;
			if (dest && tp && e->state == SILO_MEDO_STATE_DIFFERS &&
			    name_differences(tp, dest, &diffs) < 0) {
				json_decref(diffs);
				diffs = NULL;
				json_failed = 1;
			}
			if (fe_json_append(list, json_pack("{s:o,s:o?,s:s,s:o*,s:o*}",
					"path", fe_json_text(dest), "treeptr", fe_json_text(tp),
					"state", silo_medo_state_name(e->state),
					"differences", diffs, "error", fe_json_text(e->message))) < 0)
				json_failed = 1;
		} else if (dest && e->state != SILO_MEDO_STATE_ERROR &&
			   (verbose || e->state != SILO_MEDO_STATE_SAME)) {
			printf("%s %s\n", silo_medo_state_name(e->state), dest);
			if (tp && e->state == SILO_MEDO_STATE_DIFFERS)
				name_differences(tp, dest, NULL);
		}
		free(dest);
		free(tp);
	}
	silo_medo_status_release(&st);
	if (json) {
		ret = fe_json_print(json_failed ? NULL : json_pack("{s:O}", "entries", list));
		json_decref(list);
		if (ret)
			status = ret;
	}
	return status;
}
