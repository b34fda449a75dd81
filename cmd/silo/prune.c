/* silo prune: remove the objects no treeptr names, loose and packed. */
#include "silo-cmd.h"
#include "fe-json.h"
#include "silo/prune.h"
#include "silo/store.h"
#include "silo/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

static const char *const usage[] = {
	"silo prune --keep=<file> [--allow-empty] [--force] [--dry-run] [--expire=<age>] [-v] [--json] [--silo=<dir>]",
	NULL
};

struct prune_state {
	int dry_run, verbose;
	int counting;		/* the first, silent pass of the guard */
	json_t *paths;		/* with --json */
	json_t *packed;
	int json_failed;
};

/* A keep list that would remove more than this share of the silo's
 * objects wants --force: a list that names too little is likelier a
 * mistake (a path, a revision, a pipe that failed) than a real GC. */
#define GUARD_PERCENT 50

static void on_remove(void *payload, int what, const char *relpath)
{
	struct prune_state *st = payload;

	(void)what;
	if (st->counting)
		return;
	if (st->paths) {
		if (fe_json_append(st->paths, json_string(relpath)) < 0)
			st->json_failed = 1;
	} else if (st->dry_run)
		printf("would remove %s\n", relpath);
	else if (st->verbose)
		printf("removed %s\n", relpath);
}

static void on_remove_packed(void *payload, const silo_oid *id, const char *relpack)
{
	struct prune_state *st = payload;
	char hex[SILO_OID_MAX_HEXSZ + 1];

	if (st->counting)
		return;
	silo_oid_to_hex(hex, id);
	if (st->packed) {
		if (fe_json_append(st->packed, json_pack("{s:s,s:s}", "id", hex,
							 "pack", relpack)) < 0)
			st->json_failed = 1;
	} else if (st->dry_run)
		printf("would remove %s from %s\n", hex, relpack);
	else if (st->verbose)
		printf("removed %s from %s\n", hex, relpack);
}

/*
 * Refuse a keep list that would remove more than GUARD_PERCENT of the
 * objects, unless FORCE: a dry run counts first.  Returns an exit status.
 */
static int guard(silo *s, const struct silo_oid_set *keep, struct silo_prune_options po,
		 struct prune_state *st, const char *keep_file, int force)
{
	struct silo_prune_result res;
	uint64_t going;
	int ret;

	if (force || st->dry_run)
		return 0;
	po.dry_run = 1;
	st->counting = 1;
	ret = silo_prune(&res, s, keep, &po);
	st->counting = 0;
	if (ret < 0)
		return fe_lib_error(ret);
	going = res.removed + res.packed_removed;
	if (res.objects_before && going * 100 > res.objects_before * GUARD_PERCENT)
		return fe_error(FE_EXIT_REFUSED,
			"the keep list '%s' would remove %" PRIu64 " of %" PRIu64
			" objects, more than %d%%: check it, or use --force",
			keep_file, going, res.objects_before, GUARD_PERCENT);
	return 0;
}

int cmd_silo_prune(int argc, const char **argv)
{
	const char *silo_dir = NULL, *keep_file = NULL, *expire = SILO_PRUNE_DEFAULT_AGE;
	struct prune_state st = { 0, 0, 0, NULL, NULL, 0 };
	int allow_empty = 0, force = 0, json = 0;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_dir, "dir", "the silo (default: $SILO_DIR, then .)"),
		OPT_STRING(0, "keep", &keep_file, "file", "ids or object paths to keep, as medo reachable prints them (- for stdin)"),
		OPT_FLAG(0, "allow-empty", &allow_empty, "accept an empty keep list: remove every old object"),
		OPT_FLAG(0, "force", &force, "remove even when that is more than half of the objects"),
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
	if (json && (!(st.paths = json_array()) || !(st.packed = json_array()))) {
		status = fe_error(FE_EXIT_FAILURE, "out of memory");
		goto out;
	}
	po.dry_run = st.dry_run;
	po.on_remove = on_remove;
	po.on_remove_packed = on_remove_packed;
	po.payload = &st;
	/* --allow-empty with an empty list asked to remove everything. */
	if ((status = guard(s, &keep, po, &st, keep_file, force || !keep.n)))
		goto out;
	if ((ret = silo_prune(&res, s, &keep, &po)) < 0) {
		status = fe_lib_error(ret);
		goto out;
	}
	if (json)
		status = fe_json_print(st.json_failed ? NULL :
			json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:O,s:I,s:I,s:I,s:I,s:O}",
				  "dry_run", st.dry_run,
				  "kept", (json_int_t)res.kept, "too_young", (json_int_t)res.young,
				  "removed", (json_int_t)res.removed,
				  "temporary_files", (json_int_t)res.temps,
				  "bytes", (json_int_t)res.bytes, "paths", st.paths,
				  "packed_kept", (json_int_t)res.packed_kept,
				  "packed_removed", (json_int_t)res.packed_removed,
				  "packs_rewritten", (json_int_t)res.packs_rewritten,
				  "packs_too_young", (json_int_t)res.packs_young,
				  "packed", st.packed));
	else if (st.verbose || st.dry_run)
		printf("%" PRIu64 " kept, %" PRIu64 " too young, %" PRIu64 " %s, %" PRIu64
		       " temporary files; packed: %" PRIu64 " kept, %" PRIu64 " %s from %"
		       PRIu64 " packs, %" PRIu64 " packs too young; %" PRIu64 " bytes\n",
		       res.kept, res.young, res.removed,
		       st.dry_run ? "to remove" : "removed", res.temps,
		       res.packed_kept, res.packed_removed,
		       st.dry_run ? "to remove" : "removed", res.packs_rewritten,
		       res.packs_young, res.bytes);
out:
	json_decref(st.paths);
	json_decref(st.packed);
	silo_oid_set_release(&keep);
	silo_free(s);
	return status;
}
