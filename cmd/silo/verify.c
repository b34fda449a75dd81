/* silo verify: check every object against its id. */
#include "silo-cmd.h"
#include "silo/store.h"
#include "silo/error.h"

#include <inttypes.h>

static const char *const usage[] = {
	"silo verify [-j <n>] [-q] [-v] [--silo=<dir> | <silo>]",
	NULL
};

struct verify_state {
	struct fe_progress progress;
	int quiet;
};

static void on_problem(void *payload, int severity, const char *relpath,
		       const char *message)
{
	struct verify_state *st = payload;

	(void)relpath;
	if (severity == SILO_VERIFY_BAD)
		fe_error(0, "%s", message);
	else if (!st->quiet)
		fe_warning("%s", message);
}

static void on_progress(void *payload, uint64_t done, uint64_t total)
{
	struct verify_state *st = payload;

	fe_progress_update(&st->progress, done, total);
}

int cmd_silo_verify(int argc, const char **argv)
{
	const char *silo_dir = NULL;
	int jobs = 0, quiet = 0, verbose = 0;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_dir, "dir", "the silo (default: $SILO_DIR, then .)"),
		OPT_INT('j', "jobs", &jobs, "n", "check with N threads (default: one per CPU)"),
		OPT_FLAG('q', "quiet", &quiet, "no progress, no warnings; problems still go to stderr"),
		OPT_FLAG('v', "verbose", &verbose, "print a summary line on stdout"),
		OPT_END()
	};
	struct silo_verify_options vopts = { 0 };
	struct silo_verify_result result;
	struct verify_state st;
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
	st.quiet = quiet;
	fe_progress_start(&st.progress, "verifying objects", quiet);
	vopts.jobs = jobs;
	vopts.on_problem = on_problem;
	vopts.on_progress = on_progress;
	vopts.payload = &st;
	ret = silo_verify(&result, s, &vopts);
	fe_progress_stop(&st.progress, result.objects, result.objects);
	silo_free(s);
	if (ret < 0)
		return fe_lib_error(ret);
	if (verbose)
		printf("%" PRIu64 " objects, %" PRIu64 " bad, %" PRIu64 " warnings\n",
		       result.objects, result.bad, result.warnings);
	return result.bad ? FE_EXIT_NEGATIVE : 0;
}
