/* medo web: write a static web site of medo directories. */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/medo-web.h"
#include "silo/sshsig.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>

static const struct fe_usage *const usage = &fe_usage_medo_web;

struct web_run {
	int status;			/* of the last treeptr that failed */
	struct fe_progress progress;
};

static void on_error(void *payload, const char *treeptr, int code, const char *message)
{
	struct web_run *run = payload;

	(void)treeptr;
	run->status = fe_error(fe_exit_for(code), "%s", message);
}

static void on_progress(void *payload, uint64_t done, uint64_t total)
{
	fe_progress_update(&((struct web_run *)payload)->progress, done, total);
}

int cmd_medo_web(int argc, const char **argv)
{
	const char *out = NULL, *silo_opt = NULL, *allowed = NULL;
	struct strvec urls = STRVEC_INIT;
	int json = 0, history = 5, ret;
	struct fe_option opts[] = {
		OPT_STRING('o', NULL, &out),
		OPT_STRING(0, "silo", &silo_opt),
		OPT_STRINGS(0, "silo-url", &urls),
		OPT_STRING(0, "allowed-signers", &allowed),
		OPT_INT(0, "history", &history),
		OPT_JSON(&json),
		OPT_END()
	};
	struct silo_medo_web_options o = SILO_MEDO_WEB_OPTIONS_INIT;
	struct silo_medo_web_result r;
	struct silo_sshsig_signers *signers = NULL;
	struct web_run run = { 0 };

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (!out)
		ret = fe_usage_error(usage, opts, "expected -o <out>");
	else if (argc < 1)
		ret = fe_usage_error(usage, opts, "expected medo directories");
	else if (history < 0)
		ret = fe_usage_error(usage, opts, "--history: expected 0 or more, not %d", history);
	else if (allowed && (ret = silo_sshsig_signers_load(&signers, allowed)) < 0)
		ret = fe_lib_error(ret);
	else
		ret = 0;
	if (ret) {
		strvec_clear(&urls);
		return ret;
	}
	o.silo = silo_opt;
	o.silo_urls = (const char *const *)urls.v;
	o.n_silo_urls = urls.n;
	o.signers = signers;
	o.history = (unsigned)history;
	o.on_warning = medo_cmd_warn;
	o.on_error = on_error;
	o.on_progress = on_progress;
	o.payload = &run;
	fe_progress_start(&run.progress, "medo web: trees", 0);
	ret = silo_medo_web(out, argv, (size_t)argc, &o, &r);
	fe_progress_stop(&run.progress, r.trees_written, r.trees_written);
	silo_sshsig_signers_free(signers);
	strvec_clear(&urls);
	if (ret < 0)
		return fe_lib_error(ret);
	if (json) {
		ret = fe_json_print(json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
			"site", out, "treeptrs", (json_int_t)r.treeptrs,
			"failed", (json_int_t)r.failed, "bad_signatures", (json_int_t)r.bad_signatures,
			"trees_written", (json_int_t)r.trees_written,
			"trees_kept", (json_int_t)r.trees_kept,
			"diffs_written", (json_int_t)r.diffs_written,
			"diffs_kept", (json_int_t)r.diffs_kept,
			"pages", (json_int_t)r.pages, "bytes", (json_int_t)r.bytes));
		if (ret)
			return ret;
	}
	return run.status;
}
