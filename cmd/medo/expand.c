/* medo expand: turn treeptrs into directory trees on disk. */
#include "medo-cmd.h"
#include "silo/medo.h"
#include "silo/error.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const usage[] = {
	"medo expand [--silo=<dir>] [--force] [--require-signature=<allowed-signers>] [-j <n>] [-q] [-v] <treeptr> <dest>",
	"medo expand [--silo=<dir>] [--force] [--require-signature=<allowed-signers>] [-j <n>] [-q] [-v] <medo-dir> <dest>",
	NULL
};

static const char *result_word(int result)
{
	switch (result) {
	case SILO_MEDO_PRESENT: return "present";
	case SILO_MEDO_REPLACED: return "replaced";
	default: return "expanded";
	}
}

struct batch_state {
	const char *dest;
	int verbose;
	int status;
	struct fe_progress progress;
	uint64_t done, total;
};

static void on_progress(void *payload, uint64_t done, uint64_t total)
{
	struct batch_state *b = payload;

	b->done = done;
	b->total = total;
	fe_progress_update(&b->progress, done, total);
}

static void on_result(void *payload, const char *rel, int result, const char *message)
{
	struct batch_state *b = payload;

	if (result < 0) {
		fe_error(0, "%s: %s", rel, message);
		b->status = fe_exit_for(result);
	} else if (b->verbose) {
		char *dest = silo_medo_dest_for(b->dest, rel);
		printf("%s %s\n", result_word(result), dest ? dest : rel);
		free(dest);
	}
}

int cmd_medo_expand(int argc, const char **argv)
{
	struct silo_medo_expand_options o = { 0 };
	const char *allowed = NULL;
	int jobs = 0, quiet = 0, verbose = 0, ret;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &o.silo, "dir", "the silo to read from (default: from SILO.json)"),
		OPT_FLAG(0, "force", &o.force, "replace a destination that holds something else"),
		OPT_STRING(0, "require-signature", &allowed, "allowed-signers",
			   "expand nothing unless every treeptr is signed by a key in this file"),
		OPT_INT('j', "jobs", &jobs, "n", "expand N treeptrs at once (default: one per CPU)"),
		OPT_FLAG('q', "quiet", &quiet, "no progress, no warnings; errors still go to stderr"),
		OPT_FLAG('v', "verbose", &verbose, "print what was done to each destination"),
		OPT_END()
	};
	struct stat st;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc != 2)
		return fe_usage_error(usage, opts, "expected a treeptr or medo directory and a destination");
	if (jobs < 0)
		return fe_usage_error(usage, opts, "-j must not be negative");
	/* All signatures first: one bad signature expands nothing. */
	if (allowed && (ret = medo_cmd_check_signatures(allowed, argv[0])))
		return ret;
	o.on_warning = quiet ? NULL : medo_cmd_warn;
	if (stat(argv[0], &st) == 0 && S_ISDIR(st.st_mode)) {
		struct batch_state b = { argv[1], verbose, 0, { 0 }, 0, 0 };
		fe_progress_start(&b.progress, "expanding treeptrs", quiet);
		o.on_progress = on_progress;
		o.payload = &b;
		ret = silo_medo_expand_dir(argv[0], argv[1], jobs, &o, on_result, &b);
		if (ret < 0)
			return fe_lib_error(ret);
		fe_progress_stop(&b.progress, b.done, b.total);
		return b.status;
	}
	ret = silo_medo_expand(argv[0], argv[1], &o);
	if (ret < 0)
		return fe_lib_error(ret);
	if (verbose)
		printf("%s %s\n", result_word(ret), argv[1]);
	return FE_EXIT_OK;
}
