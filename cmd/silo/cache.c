/* silo cache: how much the HTTP(S) cache holds; trimming it to a size. */
#include "silo-cmd.h"
#include "fe-json.h"
#include "silo/remote.h"
#include "silo/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static const struct fe_usage *const usage = &fe_usage_silo_cache;

struct removed {
	int verbose;
	json_t *paths;		/* with --json */
	int failed;
};

static void on_remove(void *payload, const char *relpath)
{
	struct removed *rm = payload;

	if (rm->paths) {
		if (fe_json_append(rm->paths, fe_json_text(relpath)) < 0)
			rm->failed = 1;
	} else if (rm->verbose) {
		printf("removed %s\n", relpath);
	}
}

static json_t *pair(const char *count_name, uint64_t count, uint64_t bytes)
{
	return json_pack("{s:I,s:I}", count_name, (json_int_t)count, "bytes", (json_int_t)bytes);
}

static int print_json(const char *dir, const struct silo_cache_usage *u, int have_max,
		      uint64_t max, const struct silo_cache_trim_result *res, json_t *paths)
{
	json_t *doc = json_object();

	if (!doc || fe_json_set(doc, "dir", fe_json_text(dir)) < 0 ||
	    fe_json_set(doc, "bytes", json_integer((json_int_t)u->bytes)) < 0 ||
	    fe_json_set(doc, "loose", pair("objects", u->objects, u->object_bytes)) < 0 ||
	    fe_json_set(doc, "packs", pair("packs", u->packs, u->pack_bytes)) < 0 ||
	    fe_json_set(doc, "indexes", pair("files", u->indexes, u->index_bytes)) < 0 ||
	    fe_json_set(doc, "temporary", pair("files", u->temps, u->temp_bytes)) < 0 ||
	    fe_json_set(doc, "max_size", have_max ? json_integer((json_int_t)max) : json_null()) < 0 ||
	    (res && fe_json_set(doc, "removed", pair("files", res->removed, res->removed_bytes)) < 0) ||
	    (res && fe_json_set(doc, "paths", json_incref(paths)) < 0)) {
		json_decref(doc);
		doc = NULL;
	}
	return fe_json_print(doc);
}

int cmd_silo_cache(int argc, const char **argv)
{
	const char *dir_opt = NULL, *max_text = NULL;
	int json = 0, verbose = 0, status = 0, have_max, ret;
	struct fe_option opts[] = {
		OPT_STRING(0, "dir", &dir_opt),
		OPT_STRING(0, "max-size", &max_text),
		OPT_FLAG('v', "verbose", &verbose),
		OPT_JSON(&json),
		OPT_END()
	};
	struct silo_cache_trim_options to = { 0 };
	struct silo_cache_trim_result res;
	struct silo_cache_usage u;
	struct removed rm = { 0 };
	uint64_t max = UINT64_MAX;
	char *dir = NULL;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc)
		return fe_usage_error(usage, opts, "too many arguments");
	if (max_text && silo_parse_size(&max, max_text) < 0)
		return fe_usage_error(usage, opts, "--max-size: %s", silo_error_message());
	if (max_text)
		have_max = 1;
	else if ((have_max = silo_cache_max_size(&max)) < 0)
		return fe_lib_error(have_max);
	if (!dir_opt && (ret = silo_cache_dir(&dir)) < 0)
		return fe_lib_error(ret);
	if (dir_opt && !(dir = strdup(dir_opt)))
		return fe_lib_error(SILO_ENOMEM);

	if (max_text) {
		rm.verbose = verbose;
		if (json && !(rm.paths = json_array())) {
			status = fe_lib_error(SILO_ENOMEM);
			goto out;
		}
		to.max_bytes = max;
		to.wait = 1;
		to.on_remove = on_remove;
		to.payload = &rm;
		if ((ret = silo_cache_trim(&res, dir, &to)) < 0) {
			status = fe_lib_error(ret);
			goto out;
		}
		if (rm.failed)
			status = fe_lib_error(SILO_ENOMEM);
		else if (json)
			status = print_json(dir, &res.after, have_max, max, &res, rm.paths);
		else if (verbose)
			printf("removed %" PRIu64 " files, %" PRIu64 " bytes; %" PRIu64 " bytes left\n",
			       res.removed, res.removed_bytes, res.after.bytes);
		goto out;
	}
	if ((ret = silo_cache_usage(&u, dir)) < 0) {
		status = fe_lib_error(ret);
		goto out;
	}
	if (json) {
		status = print_json(dir, &u, have_max, max, NULL, NULL);
		goto out;
	}
	printf("%s\n", dir);
	printf("loose objects   %" PRIu64 ", %" PRIu64 " bytes\n", u.objects, u.object_bytes);
	printf("packs           %" PRIu64 ", %" PRIu64 " bytes\n", u.packs, u.pack_bytes);
	printf("pack indexes    %" PRIu64 ", %" PRIu64 " bytes\n", u.indexes, u.index_bytes);
	printf("temporary files %" PRIu64 ", %" PRIu64 " bytes\n", u.temps, u.temp_bytes);
	printf("total           %" PRIu64 " bytes\n", u.bytes);
	if (have_max)
		printf("max size        %" PRIu64 " bytes (%s)\n", max, SILO_ENV_CACHE_MAX_SIZE);
	else
		printf("max size        none\n");
out:
	json_decref(rm.paths);
	free(dir);
	return status;
}
