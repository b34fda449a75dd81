/* silo prune: remove the loose objects no treeptr names. */
#include "silo-cmd.h"
#include "fe-json.h"
#include "silo/prune.h"
#include "silo/store.h"
#include "silo/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

static const char *const usage[] = {
	"silo prune --keep=<file> [--allow-empty] [--dry-run] [--expire=<age>] [-v] [--json] [--silo=<dir>]",
	NULL
};

struct prune_state {
	int dry_run, verbose;
	json_t *paths;		/* with --json */
	int json_failed;
};

static void on_remove(void *payload, int what, const char *relpath)
{
	struct prune_state *st = payload;

	(void)what;
	if (st->paths) {
		if (fe_json_append(st->paths, json_string(relpath)) < 0)
			st->json_failed = 1;
	} else if (st->dry_run)
		printf("would remove %s\n", relpath);
	else if (st->verbose)
		printf("removed %s\n", relpath);
}

int cmd_silo_prune(int argc, const char **argv)
{
	const char *silo_dir = NULL, *keep_file = NULL, *expire = SILO_PRUNE_DEFAULT_AGE;
	struct prune_state st = { 0, 0, NULL, 0 };
	int allow_empty = 0, json = 0;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_dir, "dir", "the silo (default: $SILO_DIR, then .)"),
		OPT_STRING(0, "keep", &keep_file, "file", "ids or object paths to keep, as medo reachable prints them (- for stdin)"),
		OPT_FLAG(0, "allow-empty", &allow_empty, "accept an empty keep list: remove every old object"),
		OPT_FLAG('n', "dry-run", &st.dry_run, "print what would be removed, remove nothing"),
		OPT_STRING(0, "expire", &expire, "age", "remove only what is older (default: 2.weeks)"),
		OPT_FLAG('v', "verbose", &st.verbose, "print each file removed and a summary"),
		OPT_FLAG(0, "json", &json, "print one JSON document (see OUTPUT in silo-prune(1))"),
		OPT_END()
	};
	struct silo_oid_set keep = SILO_OID_SET_INIT;
	struct silo_prune_options po = { 0 };
	struct silo_prune_result res;
	silo *s;
	int64_t age;
	int status, ret;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc)
		return fe_usage_error(usage, opts, "too many arguments");
	if (!keep_file)
		return fe_usage_error(usage, opts, "--keep is required: the objects to keep, from 'medo reachable'");
	if (silo_prune_parse_age(&age, expire) < 0)
		return fe_usage_error(usage, opts, "%s", silo_error_message());
	if ((status = silo_cmd_open(&s, silo_dir)))
		return status;
	if ((ret = silo_oid_set_read(&keep, silo_object_format(s), keep_file)) < 0) {
		status = fe_lib_error(ret);
		goto out;
	}
	/* An empty list is what a failed 'medo reachable' earlier in a pipe
	 * gives: taken at its word, it would remove every old object. */
	if (!keep.n && !allow_empty) {
		status = fe_error(FE_EXIT_REFUSED,
			"the keep list '%s' is empty: nothing would be kept; "
			"use --allow-empty if that is meant", keep_file);
		goto out;
	}
	{
		time_t now = time(NULL);
		po.expire = age >= (int64_t)now ? 0 : now - (time_t)age;
		/* "now" must also catch what was written this very second. */
		if (age == 0)
			po.expire = now + 1;
	}
	if (json && !(st.paths = json_array())) {
		status = fe_error(FE_EXIT_FAILURE, "out of memory");
		goto out;
	}
	po.dry_run = st.dry_run;
	po.on_remove = on_remove;
	po.payload = &st;
	if ((ret = silo_prune(&res, s, &keep, &po)) < 0) {
		status = fe_lib_error(ret);
		goto out;
	}
	if (json)
		status = fe_json_print(st.json_failed ? NULL :
			json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:O}", "dry_run", st.dry_run,
				  "kept", (json_int_t)res.kept, "too_young", (json_int_t)res.young,
				  "removed", (json_int_t)res.removed,
				  "temporary_files", (json_int_t)res.temps,
				  "bytes", (json_int_t)res.bytes, "paths", st.paths));
	else if (st.verbose)
		printf("%" PRIu64 " kept, %" PRIu64 " too young, %" PRIu64 " %s, %" PRIu64
		       " temporary files, %" PRIu64 " bytes\n",
		       res.kept, res.young, res.removed,
		       st.dry_run ? "to remove" : "removed", res.temps, res.bytes);
out:
	json_decref(st.paths);
	silo_oid_set_release(&keep);
	silo_free(s);
	return status;
}
