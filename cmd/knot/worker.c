/* knot worker: build the unpublished wedges of a git repository, with
 * other workers, into a shared silo. */
#include "knot-cmd.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef SILO_VERSION
#define SILO_VERSION "unknown"
#endif

static const struct fe_usage *const usage = &fe_usage_knot_worker;

struct wstate {
	int verbose;
	const char *name;
};

static void on_event(void *payload, const char *message)
{
	struct wstate *ws = payload;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	if (!ws->verbose)
		return;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	printf("%s %s %s\n", stamp, ws->name, message);
	fflush(stdout);
}

int cmd_knot_worker(int argc, const char **argv)
{
	struct silo_knot_worker_options o = { 0 };
	struct silo_knot_worker_stats st;
	struct wstate ws = { 0, NULL };
	const char *limits_opt = NULL;
	struct fe_option opts[] = {
		OPT_STRING(0, "repo", &o.repo),
		OPT_STRING(0, "silo", &o.silo),
		OPT_FLAG(0, "once", &o.once),
		OPT_STRING(0, "platform", &o.platform),
		OPT_STRING(0, "work-dir", &o.work_dir),
		OPT_STRING(0, "medo", &o.medo),
		OPT_FLAG(0, "unboxed", &o.unboxed),
		OPT_STRING(0, "limits", &limits_opt),
		OPT_INT(0, "claim-timeout", &o.claim_timeout),
		OPT_INT(0, "poll", &o.poll_ms),
		OPT_INT(0, "max-tasks", &o.max_tasks),
		OPT_STRING(0, "sign-key", &o.sign_key),
		OPT_FLAG('v', "verbose", &ws.verbose),
		OPT_END()
	};
	char host[200], name[256], *work_dir = NULL, *key = NULL, cwd[4096];
	struct silo_knot_limits limits;
	int ret;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc != 0 || !o.repo || !o.silo)
		return fe_usage_error(usage, opts, "--repo and --silo are needed, and nothing else");
	if (o.claim_timeout < 0 || o.poll_ms < 0 || o.max_tasks < 0)
		return fe_usage_error(usage, opts, "numbers must not be negative");
	if ((ret = knot_cmd_limits(&limits, limits_opt)))
		return ret;
	o.limits = &limits;
	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(name, sizeof(name), "%s:%ld", host, (long)getpid());
	o.name = ws.name = name;
	if (!getcwd(cwd, sizeof(cwd)))
		return fe_error(FE_EXIT_IO, "cannot tell the current directory: %m");
	if (asprintf(&work_dir, "%s%s%s", o.work_dir && o.work_dir[0] == '/' ? "" : cwd,
		     o.work_dir && o.work_dir[0] == '/' ? "" : "/",
		     o.work_dir ? o.work_dir : ".knot/worker") < 0)
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	if (o.sign_key && o.sign_key[0] != '/' && asprintf(&key, "%s/%s", cwd, o.sign_key) < 0) {
		free(work_dir);
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	}
	if (key)
		o.sign_key = key;
	o.work_dir = work_dir;
	o.tool = "knot " SILO_VERSION;
	o.on_event = on_event;
	o.payload = &ws;
	/* Stopped, the worker stops its box (and git, rsync) first. */
	knot_cmd_catch_signals();
	ret = silo_knot_worker_run(&st, &o);
	free(work_dir);
	free(key);
	if (ret < 0)
		return knot_cmd_finish(fe_lib_error(ret));
	if (ws.verbose)
		printf("%s done: %zu built, %zu adopted, %zu failed, %zu claims lost, %zu taken over\n",
		       name, st.built, st.adopted, st.failed, st.claims_lost, st.taken_over);
	return st.failed ? FE_EXIT_FAILURE : 0;
}
