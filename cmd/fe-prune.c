/* What silo prune and medo gc print of a prune (fe-prune.h). */
#include "fe-prune.h"
#include "fe.h"
#include "fe-json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int fe_keep_lists_read(struct silo_oid_set *keep, int format, const struct strvec *files,
		       enum fe_keep_empty empty)
{
	struct silo_oid_set one = SILO_OID_SET_INIT;
	int stdin_read = 0, status = 0, ret;

	for (size_t i = 0; i < files->n && !status; i++) {
		const char *file = files->v[i];

		if (!strcmp(file, "-") && stdin_read++) {
			status = fe_error(FE_EXIT_USAGE,
				"--keep=- given twice: standard input is one list");
			break;
		}
		one.n = 0;
		if ((ret = silo_oid_set_read(&one, format, file)) < 0) {
			status = fe_lib_error(ret);
			break;
		}
		if (!one.n && empty != FE_KEEP_EMPTY_OK) {
			status = fe_error(FE_EXIT_REFUSED,
				"the keep list '%s' is empty: nothing would be kept%s", file,
				empty == FE_KEEP_EMPTY_ALLOW_OPTION ?
				"; use --allow-empty if that is meant" : "");
			break;
		}
		for (size_t j = 0; j < one.n && !status; j++)
			if ((ret = silo_oid_set_add(keep, &one.v[j])) < 0)
				status = fe_lib_error(ret);
	}
	silo_oid_set_release(&one);
	silo_oid_set_sort(keep);
	return status;
}

void fe_keep_lists_name(char *buf, size_t size, const struct strvec *files)
{
	size_t len = (size_t)snprintf(buf, size, "the keep list%s", files->n > 1 ? "s" : "");

	for (size_t i = 0; i < files->n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s'%s'", i ? ", " : " ",
					files->v[i]);
}

static void on_remove(void *payload, int what, const char *relpath)
{
	struct fe_prune_report *rep = payload;

	(void)what;
	if (rep->paths) {
		if (fe_json_append(rep->paths, fe_json_text(relpath)) < 0)
			rep->json_failed = 1;
	} else if (rep->dry_run)
		printf("would remove %s\n", relpath);
	else if (rep->verbose)
		printf("removed %s\n", relpath);
}

static void on_remove_packed(void *payload, const silo_oid *id, const char *relpack)
{
	struct fe_prune_report *rep = payload;
	char hex[SILO_OID_MAX_HEXSZ + 1];

	silo_oid_to_hex(hex, id);
	if (rep->packed) {
		if (fe_json_append(rep->packed, json_pack("{s:s,s:s}", "id", hex,
							  "pack", relpack)) < 0)
			rep->json_failed = 1;
	} else if (rep->dry_run)
		printf("would remove %s from %s\n", hex, relpack);
	else if (rep->verbose)
		printf("removed %s from %s\n", hex, relpack);
}

static void on_progress(void *payload, const char *phase, uint64_t done, uint64_t total)
{
	struct fe_prune_report *rep = payload;

	fe_phase_progress(&rep->progress, phase, done, total);
}

int fe_prune_report_init(struct fe_prune_report *rep, int json, int dry_run, int verbose)
{
	memset(rep, 0, sizeof(*rep));
	rep->dry_run = dry_run;
	rep->verbose = verbose;
	if (json && (!(rep->paths = json_array()) || !(rep->packed = json_array())))
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	return 0;
}

void fe_prune_report_options(struct fe_prune_report *rep, struct silo_prune_options *po)
{
	po->dry_run = rep->dry_run;
	po->on_remove = on_remove;
	po->on_remove_packed = on_remove_packed;
	po->on_progress = on_progress;
	po->payload = rep;
}

void fe_prune_report_done(struct fe_prune_report *rep)
{
	fe_phase_progress_stop(&rep->progress);
}

void fe_prune_report_summary(const struct fe_prune_report *rep,
			     const struct silo_prune_result *res)
{
	const char *gone = rep->dry_run ? "to remove" : "removed";

	if (rep->paths || (!rep->verbose && !rep->dry_run))
		return;
	printf("%" PRIu64 " kept, %" PRIu64 " too young, %" PRIu64 " %s, %" PRIu64
	       " temporary files; packed: %" PRIu64 " kept, %" PRIu64 " %s from %"
	       PRIu64 " packs, %" PRIu64 " packs too young; %" PRIu64 " bytes\n",
	       res->kept, res->young, res->removed, gone, res->temps, res->packed_kept,
	       res->packed_removed, gone, res->packs_rewritten, res->packs_young, res->bytes);
}

json_t *fe_prune_report_json(struct fe_prune_report *rep, const struct silo_prune_result *res)
{
	if (rep->json_failed)
		return NULL;
	return json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:O,s:I,s:I,s:I,s:I,s:O}",
			 "dry_run", rep->dry_run,
			 "kept", (json_int_t)res->kept, "too_young", (json_int_t)res->young,
			 "removed", (json_int_t)res->removed,
			 "temporary_files", (json_int_t)res->temps,
			 "bytes", (json_int_t)res->bytes, "paths", rep->paths,
			 "packed_kept", (json_int_t)res->packed_kept,
			 "packed_removed", (json_int_t)res->packed_removed,
			 "packs_rewritten", (json_int_t)res->packs_rewritten,
			 "packs_too_young", (json_int_t)res->packs_young,
			 "packed", rep->packed);
}

int fe_prune_refused(const char *what, const struct silo_prune_result *res)
{
	return fe_error(FE_EXIT_REFUSED,
			"%s would remove %" PRIu64 " of %" PRIu64 " objects, more than %d%%: "
			"check it, or use --force", what, res->removed + res->packed_removed,
			res->objects_before, FE_PRUNE_GUARD_PERCENT);
}

void fe_prune_report_release(struct fe_prune_report *rep)
{
	json_decref(rep->paths);
	json_decref(rep->packed);
	rep->paths = rep->packed = NULL;
}
