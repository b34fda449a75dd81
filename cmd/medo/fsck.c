/* medo fsck: is every treeptr named complete in its silos? */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/medo-fsck.h"
#include "silo/silojson.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct fe_usage *const usage = &fe_usage_medo_fsck;

struct fsck_state {
	silo_medo_fsck *f;
	const char *silo;		/* --silo */
	struct medo_fsck_report rep;
	int status;			/* of the treeptrs that could not be checked */
};

/* Check the treeptr T (on disk, or of a commit with its SILO.json). */
static int check(void *payload, const struct silo_history_treeptr *t, int on_disk)
{
	struct fsck_state *st = payload;
	struct silo_silojson sj = SILO_SILOJSON_INIT;
	struct silo_medo_fsck_result r;
	int ret;

	if (!on_disk && !st->silo) {
		if (!t->silojson_path) {
			medo_fsck_report_problem(&st->rep, t->name, NULL, SILO_CLOSURE_BAD, NULL, "",
						 "no " SILO_SILOJSON_NAME " applies to it in its commit");
			st->rep.treeptrs++;
			st->rep.incomplete++;
			return 0;
		}
		if ((ret = silo_silojson_parse(&sj, t->silojson_text, t->silojson_len,
					       t->silojson_path)) < 0) {
			if (ret == SILO_ENOMEM)
				return fe_lib_error(ret);
			st->status = fe_error(fe_exit_for(ret), "'%s': %s", t->name,
					      silo_error_message());
			return 0;
		}
	}
	ret = silo_medo_fsck_treeptr(&r, st->f, t->tp, t->path, t->name,
				     on_disk || st->silo ? NULL : &sj);
	silo_silojson_release(&sj);
	if (ret == SILO_ENOMEM)
		return fe_lib_error(ret);
	if (ret < 0) {
		st->status = fe_error(fe_exit_for(ret), "'%s': %s", t->name, silo_error_message());
		return 0;
	}
	medo_fsck_report_count(&st->rep, &r);
	return 0;
}

int cmd_medo_fsck(int argc, const char **argv)
{
	int verbose = 0, json = 0, all = 0, status;
	const char *since = NULL;
	struct strvec revs = STRVEC_INIT;
	struct fsck_state st;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &st.silo),
		OPT_FLAG('v', "verbose", &verbose),
		OPT_JSON(&json),
		OPT_FLAG(0, "all", &all),
		OPT_STRING(0, "since", &since),
		OPT_STRINGS(0, "rev", &revs),
		OPT_END()
	};
	struct silo_history_options hist = SILO_HISTORY_OPTIONS_INIT;
	struct silo_medo_fsck_options fo;
	struct silo_oid_set set = SILO_OID_SET_INIT;
	int ret;

	memset(&st, 0, sizeof(st));
	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc < 1 && !all && !revs.n) {
		strvec_clear(&revs);
		return fe_usage_error(usage, opts, "expected a medo directory, --all or --rev");
	}
	if (since && !all) {
		strvec_clear(&revs);
		return fe_usage_error(usage, opts, "--since needs --all");
	}
	if ((status = medo_fsck_report_init(&st.rep, json))) {
		strvec_clear(&revs);
		return status;
	}
	memset(&fo, 0, sizeof(fo));
	fo.silo = st.silo;
	fo.on_problem = medo_fsck_report_problem;
	fo.on_warning = medo_cmd_warn;
	fo.payload = &st.rep;
	if ((ret = silo_medo_fsck_new(&st.f, &fo)) < 0) {
		status = fe_lib_error(ret);
		goto out;
	}
	/* C turns char ** into const char *const * only by a cast */
	hist.revs = (const char *const *)revs.v;
	hist.n_revs = revs.n;
	hist.all = all;
	hist.since = since;
	status = medo_cmd_collect_treeptrs(&set, argc, argv, &hist, check, &st);
	if (!status)
		status = st.status;
	if (json) {
		ret = fe_json_print(medo_fsck_report_json(&st.rep));
		if (ret && !status)
			status = ret;
	} else if (verbose) {
		medo_fsck_report_summary(&st.rep);
	}
	if (!status)
		status = medo_fsck_report_status(&st.rep);
out:
	medo_fsck_report_release(&st.rep);
	silo_medo_fsck_free(st.f);
	silo_oid_set_release(&set);
	strvec_clear(&revs);
	return status;
}
