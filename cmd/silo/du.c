/* silo du: how much a silo holds, and what a garbage collection could free. */
#include "silo-cmd.h"
#include "fe-json.h"
#include "fe-prune.h"
#include "silo/du.h"
#include "silo/prune.h"
#include "silo/store.h"
#include "silo/error.h"

#include <inttypes.h>
#include <stdio.h>

static const struct fe_usage *const usage = &fe_usage_silo_du;

/* BYTES in the units du --si uses: "1.2 MB". */
static const char *si(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "kB", "MB", "GB", "TB", "PB", "EB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1000) {
		snprintf(buf, size, "%" PRIu64 " B", bytes);
		return buf;
	}
	while (v >= 999.95 && u < 5) {
		v /= 1000;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}

static int print_json(const struct silo_du *d, int with_keep, const char *expire)
{
	json_t *doc = json_pack("{s:{s:I,s:I},s:{s:I,s:I,s:I},s:{s:I,s:I},s:I}",
		"loose", "objects", (json_int_t)d->loose_objects,
			 "bytes", (json_int_t)d->loose_bytes,
		"packed", "packs", (json_int_t)d->packs,
			  "objects", (json_int_t)d->packed_objects,
			  "bytes", (json_int_t)d->pack_bytes,
		"temporary", "files", (json_int_t)d->temp_files,
			     "bytes", (json_int_t)d->temp_bytes,
		"total_bytes", (json_int_t)d->total_bytes);

	if (doc && with_keep &&
	    (json_object_set_new(doc, "unreferenced",
		json_pack("{s:I,s:I}", "objects", (json_int_t)d->unreferenced_objects,
			  "bytes", (json_int_t)d->unreferenced_bytes)) < 0 ||
	     json_object_set_new(doc, "prunable",
		json_pack("{s:I,s:I,s:I,s:s}", "objects", (json_int_t)d->prunable_objects,
			  "temporary_files", (json_int_t)d->prunable_temp_files,
			  "bytes", (json_int_t)d->prunable_bytes, "expire", expire)) < 0)) {
		json_decref(doc);
		doc = NULL;
	}
	return fe_json_print(doc);
}

int cmd_silo_du(int argc, const char **argv)
{
	const char *silo_dir = NULL, *expire = NULL;
	struct strvec keep_files = STRVEC_INIT;
	int json = 0, with_keep, status, ret;
	int64_t age;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_dir),
		OPT_STRINGS(0, "keep", &keep_files),
		OPT_STRING(0, "expire", &expire),
		OPT_JSON(&json),
		OPT_END()
	};
	struct silo_oid_set keep = SILO_OID_SET_INIT;
	struct silo_du d;
	char a[32], b[32], c[32], t[32];
	silo *s;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0) {
		strvec_clear(&keep_files);
		return fe_parse_exit(argc);
	}
	with_keep = keep_files.n > 0;
	if (argc)
		status = fe_usage_error(usage, opts, "too many arguments");
	else if (expire && !with_keep)
		status = fe_usage_error(usage, opts, "--expire needs --keep");
	else if (silo_prune_parse_age(&age, expire ? expire : SILO_PRUNE_DEFAULT_AGE) < 0)
		status = fe_usage_error(usage, opts, "%s", silo_error_message());
	else
		status = silo_cmd_open(&s, silo_dir);
	if (!expire)
		expire = SILO_PRUNE_DEFAULT_AGE;
	if (status) {
		strvec_clear(&keep_files);
		return status;
	}
	/* The union of the lists, as silo prune reads them (an empty one is
	 * counted, not refused: du removes nothing). */
	if ((status = fe_keep_lists_read(&keep, silo_object_format(s), &keep_files, FE_KEEP_EMPTY_OK)))
		goto out;
	if ((ret = silo_du(&d, s, with_keep ? &keep : NULL, silo_prune_expire(age))) < 0) {
		status = fe_lib_error(ret);
		goto out;
	}
	if (json) {
		status = print_json(&d, with_keep, expire);
		goto out;
	}
	printf("loose objects   %" PRIu64 ", %s\n", d.loose_objects,
	       si(a, sizeof(a), d.loose_bytes));
	printf("packed objects  %" PRIu64 " in %" PRIu64 " pack%s, %s\n", d.packed_objects,
	       d.packs, d.packs == 1 ? "" : "s", si(b, sizeof(b), d.pack_bytes));
	printf("temporary files %" PRIu64 ", %s\n", d.temp_files, si(c, sizeof(c), d.temp_bytes));
	printf("total           %s (%" PRIu64 " bytes)\n", si(t, sizeof(t), d.total_bytes),
	       d.total_bytes);
	if (with_keep) {
		printf("unreferenced    %" PRIu64 " objects, %s (%" PRIu64 " bytes)\n",
		       d.unreferenced_objects, si(a, sizeof(a), d.unreferenced_bytes),
		       d.unreferenced_bytes);
		printf("prunable        %" PRIu64 " objects, %" PRIu64 " temporary files, %s (%"
		       PRIu64 " bytes) older than %s\n", d.prunable_objects,
		       d.prunable_temp_files, si(b, sizeof(b), d.prunable_bytes),
		       d.prunable_bytes, expire);
	}
out:
	silo_oid_set_release(&keep);
	strvec_clear(&keep_files);
	silo_free(s);
	return status;
}
