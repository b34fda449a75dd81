/* medo verify: check trees on disk against their treeptrs. */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/sshsig.h"
#include "silo/medo.h"
#include "silo/tree.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct fe_usage *const usage = &fe_usage_medo_verify;

struct verify_state {
	json_t *diffs;		/* with --json: the current tree's differences */
	int missing;		/* the current tree is not there at all */
	int json_failed;
	int reported;		/* differences reported for the current tree */
};

static void on_diff(void *payload, int change, const char *path)
{
	struct verify_state *st = payload;

	st->reported++;
	if (change == SILO_MEDO_MISSING)
		st->missing = 1;
	if (!st->diffs)
		printf("%s %s\n", medo_cmd_change_word(change), path);
	else if (fe_json_append(st->diffs, json_pack("{s:s,s:o}", "change",
			medo_cmd_change_word(change), "path", fe_json_text(path))) < 0)
		st->json_failed = 1;
}

/* Verify one, adding its result to JSON if not NULL; returns an exit
 * status. */
static int verify_one(const char *treeptr, const char *dir,
		      const struct silo_medo_verify_options *o, int verbose,
		      json_t *json)
{
	struct verify_state *st = o->payload;
	const char *state = "same";
	int ret, status = FE_EXIT_OK;

	if (json && !(st->diffs = json_array()))
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	st->missing = 0;
	st->reported = 0;
	ret = silo_medo_verify(treeptr, dir, o);
	if (ret == SILO_EDIFFERS && !st->reported) {
		/* A negative answer about the treeptr itself (its signature,
		 * checked again as it was read): say it. */
		status = fe_error(FE_EXIT_NEGATIVE, "%s", silo_error_message());
		state = "error";
	} else if (ret == SILO_EDIFFERS) {
		status = FE_EXIT_NEGATIVE;
		state = st->missing ? "missing" : "differs";
	} else if (ret < 0) {
		status = fe_lib_error(ret);
		state = "error";
	} else if (verbose && !json) {
		printf("ok %s\n", dir);
	}
	if (json && fe_json_append(json, json_pack("{s:o,s:o,s:s,s:O,s:o*}",
			"treeptr", fe_json_text(treeptr), "dir", fe_json_text(dir), "state", state,
			"differences", st->diffs,
			"error", ret < 0 && (ret != SILO_EDIFFERS || !st->reported) ?
			fe_json_text(silo_error_message()) : NULL)) < 0)
		st->json_failed = 1;
	json_decref(st->diffs);
	st->diffs = NULL;
	return status;
}

static int verify_main(int argc, const char **argv, struct silo_sshsig_signers **signers)
{
	struct silo_medo_verify_options o = { 0 };
	const char *signed_by = NULL;
	int verbose = 0, json = 0, status = 0, ret;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &o.silo),
		OPT_STRING(0, "signed-by", &signed_by),
		OPT_FLAG('v', "verbose", &verbose),
		OPT_JSON(&json),
		OPT_END()
	};
	struct verify_state st = { NULL, 0, 0, 0 };
	json_t *list = NULL;
	char **names = NULL;
	size_t n = 0, i;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc != 2)
		return fe_usage_error(usage, opts, "expected a treeptr or medo directory and a directory");
	/* Every signature is checked before any tree: an unsigned treeptr
	 * says nothing worth comparing. */
	if (signed_by && (status = medo_cmd_check_signatures(signed_by, argv[0], signers)))
		return status;
	o.signers = *signers;
	o.on_diff = on_diff;
	o.on_warning = medo_cmd_warn;
	o.payload = &st;
	if (json && !(list = json_array()))
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	if (!medo_cmd_is_dir(argv[0])) {
		status = verify_one(argv[0], argv[1], &o, verbose, list);
		goto out;
	}
	if ((ret = silo_medo_find_treeptrs(&names, &n, argv[0])) < 0) {
		json_decref(list);
		return fe_lib_error(ret);
	}
	/* Every treeptr is checked; a mismatch (1) gives way to a failure to
	 * check at all, which says more. */
	for (i = 0; i < n; i++) {
		char *tp = medo_cmd_join(argv[0], names[i]);
		char *dir = silo_medo_dest_for(argv[1], names[i]);
		int one;

		if (!tp || !dir) {
			free(tp);
			free(dir);
			status = fe_error(FE_EXIT_FAILURE, "out of memory");
			break;
		}
		one = verify_one(tp, dir, &o, verbose, list);
		if (one && (status == 0 || status == FE_EXIT_NEGATIVE))
			status = one;
		free(tp);
		free(dir);
	}
	silo_medo_list_free(names, n);
out:
	if (json) {
		ret = fe_json_print(st.json_failed ? NULL : json_pack("{s:O}", "trees", list));
		json_decref(list);
		if (ret)
			status = ret;
	}
	return status;
}

int cmd_medo_verify(int argc, const char **argv)
{
	struct silo_sshsig_signers *signers = NULL;
	int ret = verify_main(argc, argv, &signers);

	silo_sshsig_signers_free(signers);
	return ret;
}
