/* silo prune: remove the objects no treeptr names, loose and packed. */
#include "silo-cmd.h"
#include "fe-json.h"
#include "fe-prune.h"
#include "silo/prune.h"
#include "silo/store.h"
#include "silo/error.h"

#include <stdio.h>

static const struct fe_usage *const usage = &fe_usage_silo_prune;

int cmd_silo_prune(int argc, const char **argv)
{
	const char *silo_dir = NULL, *expire = SILO_PRUNE_DEFAULT_AGE;
	struct strvec keep_files = STRVEC_INIT;
	int allow_empty = 0, force = 0, json = 0, dry_run = 0, verbose = 0;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_dir),
		OPT_STRINGS(0, "keep", &keep_files),
		OPT_FLAG(0, "allow-empty", &allow_empty),
		OPT_FLAG(0, "force", &force),
		OPT_FLAG('n', "dry-run", &dry_run),
		OPT_STRING(0, "expire", &expire),
		OPT_FLAG('v', "verbose", &verbose),
		OPT_JSON(&json),
		OPT_END()
	};
	struct silo_oid_set keep = SILO_OID_SET_INIT;
	struct silo_prune_options po = { 0 };
	struct silo_prune_result res;
	struct fe_prune_report rep;
	char what[1024];
	silo *s;
	int64_t age;
	int status, ret;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0) {
		strvec_clear(&keep_files);
		return fe_parse_exit(argc);
	}
	if (argc)
		status = fe_usage_error(usage, opts, "too many arguments");
	else if (!keep_files.n)
		status = fe_usage_error(usage, opts, "--keep is required: the objects to keep, from 'medo reachable'");
	else if (silo_prune_parse_age(&age, expire) < 0)
		status = fe_usage_error(usage, opts, "%s", silo_error_message());
	else
		status = fe_prune_report_init(&rep, json, dry_run, verbose);
	if (status) {
		strvec_clear(&keep_files);
		return status;
	}
	if ((status = silo_cmd_open(&s, silo_dir))) {
		fe_prune_report_release(&rep);
		strvec_clear(&keep_files);
		return status;
	}
	/* An empty list is what a failed 'medo reachable' earlier in a pipe
	 * gives: taken at its word, it would remove every old object.  With
	 * several lists (one per repository), each must name something. */
	if ((status = fe_keep_lists_read(&keep, silo_object_format(s), &keep_files,
					 allow_empty ? FE_KEEP_EMPTY_OK : FE_KEEP_EMPTY_ALLOW_OPTION)))
		goto out;
	po.expire = silo_prune_expire(age);
	fe_prune_report_options(&rep, &po);
	/* A dry run shows what would go, however much; --allow-empty with
	 * an empty list asked to remove everything. */
	if (!force && !dry_run && keep.n)
		po.max_percent = FE_PRUNE_GUARD_PERCENT;
	ret = silo_prune(&res, s, &keep, &po);
	fe_prune_report_done(&rep);
	if (ret == SILO_EUNSAFE) {
		fe_keep_lists_name(what, sizeof(what), &keep_files);
		status = fe_prune_refused(what, &res);
	} else if (ret < 0) {
		status = fe_lib_error(ret);
	} else if (json) {
		status = fe_json_print(fe_prune_report_json(&rep, &res));
	} else {
		fe_prune_report_summary(&rep, &res);
	}
out:
	fe_prune_report_release(&rep);
	silo_oid_set_release(&keep);
	strvec_clear(&keep_files);
	silo_free(s);
	return status;
}
