/*
 * medo gc: the garbage collection of a local silo in one process, what
 * `medo reachable --all`, `silo prune` and `medo fsck` do in turn.
 */
#include "medo-cmd.h"
#include "fe-json.h"
#include "fe-prune.h"
#include "alloc.h"
#include "silo/closure.h"
#include "silo/medo-fsck.h"
#include "silo/prune.h"
#include "silo/store.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct fe_usage *const usage = &fe_usage_medo_gc;

/* A treeptr the silo held a part of before the prune: checked after. */
struct held {
	silo_oid object;
	char *name;
	char *text;	/* the treeptr, formatted */
};

struct gc_state {
	silo *s;
	struct held *v;
	size_t n, alloc;
};

static int by_object_then_text(const void *a, const void *b)
{
	const struct held *x = a, *y = b;
	int c = silo_oid_cmp(&x->object, &y->object);

	return c ? c : strcmp(x->text, y->text);
}

/* Remember treeptr T if the silo holds one of its roots. */
static int note(void *payload, const struct silo_history_treeptr *t, int on_disk)
{
	struct gc_state *st = payload;
	struct silo_oid_set roots = SILO_OID_SET_INIT;
	struct held *h;
	size_t i;
	int ret = 0, held = 0;

	(void)on_disk;
	if ((ret = silo_treeptr_roots(&roots, t->tp)) < 0)
		return fe_lib_error(ret);
	for (i = 0; i < roots.n && !held && ret >= 0; i++)
		held = ret = silo_has_object(st->s, &roots.v[i]);
	silo_oid_set_release(&roots);
	if (ret < 0)
		return fe_lib_error(ret);
	if (!held)
		return 0;
	if (ALLOC_GROW(st->v, st->n + 1, st->alloc) < 0)
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	h = &st->v[st->n];
	h->object = t->tp->object;
	h->text = NULL;
	if (!(h->name = strdup(t->name)))
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	if ((ret = silo_treeptr_format(&h->text, t->tp)) < 0) {
		free(h->name);
		return fe_lib_error(ret);
	}
	st->n++;
	return 0;
}

/* medo fsck of the treeptrs the silo held before the prune, in it. */
static int check(struct gc_state *st, const char *silo_dir, struct medo_fsck_report *rep)
{
	struct silo_medo_fsck_options fo;
	silo_medo_fsck *f;
	size_t i;
	int ret;

	memset(&fo, 0, sizeof(fo));
	fo.silo = silo_dir;
	fo.on_problem = medo_fsck_report_problem;
	fo.on_warning = medo_cmd_warn;
	fo.payload = rep;
	if ((ret = silo_medo_fsck_new(&f, &fo)) < 0)
		return fe_lib_error(ret);
	if (st->n > 1)
		qsort(st->v, st->n, sizeof(*st->v), by_object_then_text);
	for (i = 0; i < st->n; i++) {
		struct silo_treeptr tp = SILO_TREEPTR_INIT;
		struct silo_medo_fsck_result r;
		if (i && !by_object_then_text(&st->v[i - 1], &st->v[i]))
			continue;	/* the same treeptr, in another commit */
		if ((ret = silo_treeptr_parse(&tp, st->v[i].text, strlen(st->v[i].text),
					      st->v[i].name)) < 0 ||
		    (ret = silo_medo_fsck_treeptr(&r, f, &tp, st->v[i].name, st->v[i].name,
						  NULL)) < 0) {
			silo_treeptr_release(&tp);
			silo_medo_fsck_free(f);
			return fe_lib_error(ret);
		}
		silo_treeptr_release(&tp);
		medo_fsck_report_count(rep, &r);
	}
	silo_medo_fsck_free(f);
	return 0;
}

static int is_url(const char *spec)
{
	return !strncmp(spec, "http://", 7) || !strncmp(spec, "https://", 8) ||
	       !strncmp(spec, "s3://", 5);
}

int cmd_medo_gc(int argc, const char **argv)
{
	const char *silo_dir = NULL, *expire = SILO_PRUNE_DEFAULT_AGE, *since = NULL;
	int force = 0, dry_run = 0, verbose = 0, json = 0, status, ret;
	struct strvec keep_files = STRVEC_INIT;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_dir),
		OPT_STRINGS(0, "keep", &keep_files),
		OPT_STRING(0, "expire", &expire),
		OPT_STRING(0, "since", &since),
		OPT_FLAG(0, "force", &force),
		OPT_FLAG('n', "dry-run", &dry_run),
		OPT_FLAG('v', "verbose", &verbose),
		OPT_JSON(&json),
		OPT_END()
	};
	struct silo_history_options hist = SILO_HISTORY_OPTIONS_INIT;
	struct silo_oid_set keep = SILO_OID_SET_INIT;
	struct silo_prune_options po = { 0 };
	struct silo_prune_result res;
	struct fe_prune_report rep;
	struct medo_fsck_report frep;
	struct gc_state st;
	char what[1024];
	int64_t age;
	size_t i;

	memset(&st, 0, sizeof(st));
	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0) {
		strvec_clear(&keep_files);
		return fe_parse_exit(argc);
	}
	if (!silo_dir)
		silo_dir = getenv(SILO_ENV_DIR);
	if (!silo_dir || !*silo_dir)
		status = fe_usage_error(usage, opts, "no silo: give --silo or set " SILO_ENV_DIR);
	else if (is_url(silo_dir))
		status = fe_usage_error(usage, opts, "'%s' is not a local silo: there, prune with "
				      "'silo prune --keep' what 'medo reachable --all' prints here",
				      silo_dir);
	else if (silo_prune_parse_age(&age, expire) < 0)
		status = fe_usage_error(usage, opts, "%s", silo_error_message());
	else
		status = fe_prune_report_init(&rep, json, dry_run, verbose);
	if (status) {
		strvec_clear(&keep_files);
		return status;
	}
	if ((status = medo_fsck_report_init(&frep, json))) {
		fe_prune_report_release(&rep);
		strvec_clear(&keep_files);
		return status;
	}
	if ((ret = silo_open(&st.s, silo_dir)) < 0) {
		status = fe_lib_error(ret);
		goto out;
	}
	/* 1. What every commit of every ref names (medo reachable --all),
	 * and what the silo holds of it.  Any error stops here: a list
	 * missing a bad treeptr's objects would remove them. */
	hist.all = 1;
	hist.since = since;
	if ((status = medo_cmd_collect_treeptrs(&keep, argc, argv, &hist, note, &st)))
		goto out;
	/* With what the other repositories that use the silo name. */
	if ((status = fe_keep_lists_read(&keep, silo_object_format(st.s), &keep_files,
					 FE_KEEP_EMPTY_REFUSED)))
		goto out;
	/* 2. silo prune. */
	po.expire = silo_prune_expire(age);
	fe_prune_report_options(&rep, &po);
	if (!force && !dry_run)
		po.max_percent = FE_PRUNE_GUARD_PERCENT;
	ret = silo_prune(&res, st.s, &keep, &po);
	fe_prune_report_done(&rep);
	if (ret == SILO_EUNSAFE) {
		if (keep_files.n) {
			char lists[900];
			fe_keep_lists_name(lists, sizeof(lists), &keep_files);
			snprintf(what, sizeof(what), "the history's keep list with %s", lists);
		} else {
			snprintf(what, sizeof(what), "the history's keep list");
		}
		status = fe_prune_refused(what, &res);
		goto out;
	}
	if (ret < 0) {
		status = fe_lib_error(ret);
		goto out;
	}
	if (!json)
		fe_prune_report_summary(&rep, &res);
	/* 3. medo fsck of what the silo held: still whole. */
	silo_free(st.s);
	st.s = NULL;
	if ((status = check(&st, silo_dir, &frep)))
		goto out;
	if (json) {
		json_t *doc = json_object(), *p = fe_prune_report_json(&rep, &res);
		if (doc && (fe_json_set(doc, "prune", p) < 0 ||
			    fe_json_set(doc, "fsck", medo_fsck_report_json(&frep)) < 0)) {
			json_decref(doc);
			doc = NULL;
		}
		status = fe_json_print(doc);
	} else if (verbose) {
		medo_fsck_report_summary(&frep);
	}
	if (!status)
		status = medo_fsck_report_status(&frep);
out:
	for (i = 0; i < st.n; i++) {
		free(st.v[i].name);
		free(st.v[i].text);
	}
	free(st.v);
	silo_free(st.s);
	silo_oid_set_release(&keep);
	strvec_clear(&keep_files);
	medo_fsck_report_release(&frep);
	fe_prune_report_release(&rep);
	return status;
}
