/* medo reachable: list every silo object that treeptrs name. */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/prune.h"
#include "silo/reachable.h"
#include "silo/store.h"

#include <stdio.h>
#include <stdlib.h>

static const struct fe_usage *const usage = &fe_usage_medo_reachable;

int cmd_medo_reachable(int argc, const char **argv)
{
	int paths = 0, nul = 0, json = 0, all = 0, status, ret;
	const char *since = NULL;
	struct strvec revs = STRVEC_INIT;
	struct fe_option opts[] = {
		OPT_FLAG(0, "paths", &paths),
		OPT_FLAG('z', NULL, &nul),
		OPT_JSON(&json),
		OPT_FLAG(0, "all", &all),
		OPT_STRING(0, "since", &since),
		OPT_STRINGS(0, "rev", &revs),
		OPT_END()
	};
	struct silo_history_options hist = SILO_HISTORY_OPTIONS_INIT;
	struct silo_oid_set set = SILO_OID_SET_INIT;
	size_t j;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc < 1 && !all && !revs.n)
		return fe_usage_error(usage, opts, "expected a medo directory, --all or --rev");
	if (json && nul) {
		strvec_clear(&revs);
		return fe_usage_error(usage, opts, "-z and --json cannot be used together");
	}
	if (since && !all) {
		strvec_clear(&revs);
		return fe_usage_error(usage, opts, "--since needs --all");
	}
	/* C turns char ** into const char *const * only by a cast */
	hist.revs = (const char *const *)revs.v;
	hist.n_revs = revs.n;
	hist.all = all;
	hist.since = since;
	status = medo_cmd_collect_treeptrs(&set, argc, argv, &hist, NULL, NULL);
	strvec_clear(&revs);
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
