/* silo verify: check every object against its id. */
#include "silo-cmd.h"
#include "fe-json.h"
#include "silo/store.h"
#include "silo/error.h"

#include <inttypes.h>

static const struct fe_usage *const usage = &fe_usage_silo_verify;

struct verify_state {
	struct fe_progress progress;
	json_t *problems;	/* with --json */
	int json_failed;
};

static void on_problem(void *payload, int severity, const char *relpath,
		       const char *message)
{
	struct verify_state *st = payload;

	/* A bad object is an error, also with --json. */
	if (severity == SILO_VERIFY_BAD)
		fe_error(0, "%s", message);
	if (st->problems) {
		if (fe_json_append(st->problems, json_pack("{s:s,s:o,s:o}",
				"severity", severity == SILO_VERIFY_BAD ? "bad" : "warning",
				"path", fe_json_text(relpath), "message", fe_json_text(message))) < 0)
			st->json_failed = 1;
	} else if (severity != SILO_VERIFY_BAD) {
		fe_warning("%s", message);
	}
}

static void on_progress(void *payload, uint64_t done, uint64_t total)
{
	struct verify_state *st = payload;

	fe_progress_update(&st->progress, done, total);
}

int cmd_silo_verify(int argc, const char **argv)
{
	const char *silo_dir = NULL;
	int jobs = 0, verbose = 0, json = 0;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_dir),
		OPT_INT('j', "jobs", &jobs),
		OPT_FLAG('v', "verbose", &verbose),
		OPT_JSON(&json),
		OPT_END()
	};
	struct silo_verify_options vopts = { 0 };
	struct silo_verify_result result;
	struct verify_state st = { { 0 }, NULL, 0 };
	silo *s;
	int status, ret;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc > 1)
		return fe_usage_error(usage, opts, "too many arguments");
	if (argc == 1) {
		if (silo_dir)
			return fe_usage_error(usage, opts, "give the silo as an argument or with --silo, not both");
		silo_dir = argv[0];
	}
	if (jobs < 0)
		return fe_usage_error(usage, opts, "-j must not be negative");
	if ((status = silo_cmd_open(&s, silo_dir)))
		return status;
	if (json && !(st.problems = json_array())) {
		silo_free(s);
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	}
	fe_progress_start(&st.progress, "verifying objects", 0);
	vopts.jobs = jobs;
	vopts.on_problem = on_problem;
	vopts.on_progress = on_progress;
	vopts.payload = &st;
	ret = silo_verify(&result, s, &vopts);
	fe_progress_stop(&st.progress, result.objects, result.objects);
	silo_free(s);
	if (ret < 0) {
		json_decref(st.problems);
		return fe_lib_error(ret);
	}
	if (json) {
		status = fe_json_print(st.json_failed ? NULL :
			json_pack("{s:I,s:I,s:I,s:o}", "objects", (json_int_t)result.objects,
				  "bad", (json_int_t)result.bad,
				  "warnings", (json_int_t)result.warnings,
				  "problems", st.problems));
		if (st.json_failed)
			json_decref(st.problems);
		if (status)
			return status;
	} else if (verbose) {
		printf("%" PRIu64 " objects, %" PRIu64 " bad, %" PRIu64 " warnings\n",
		       result.objects, result.bad, result.warnings);
	}
	return result.bad ? FE_EXIT_NEGATIVE : 0;
}
