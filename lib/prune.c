/* Pruning unreferenced loose objects (silo/prune.h). */
#include "silo/prune.h"
#include "silo/closure.h"
#include "alloc.h"
#include "store-internal.h"
#include "repack-internal.h"
#include "error-internal.h"
#include "fsutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int silo_prune_parse_age(int64_t *seconds, const char *text)
{
	static const struct { const char *name; int64_t secs; } units[] = {
		{ "second", 1 }, { "minute", 60 }, { "hour", 3600 },
		{ "day", 86400 }, { "week", 7 * 86400 }, { "month", 30 * 86400 },
		{ "year", 365 * 86400 },
	};
	const char *p = text;
	char *end;
	unsigned long long n;
	size_t i, ulen;

	if (!strcmp(text, "now")) {
		*seconds = 0;
		return 0;
	}
	if (!strcmp(text, "never")) {
		*seconds = INT64_MAX;
		return 0;
	}
	if (*p < '0' || *p > '9')
		goto bad;
	errno = 0;
	n = strtoull(p, &end, 10);
	if (errno || n > (unsigned long long)INT64_MAX)
		goto bad;
	if (!*end) {
		*seconds = (int64_t)n;
		return 0;
	}
	if (*end != '.')
		goto bad;
	p = end + 1;
	for (i = 0; i < sizeof(units) / sizeof(*units); i++) {
		ulen = strlen(units[i].name);
		if (strncmp(p, units[i].name, ulen))
			continue;
		end = (char *)p + ulen;
		if (*end == 's')
			end++;
		if (*end && strcmp(end, ".ago"))
			continue;
		if (n > (unsigned long long)(INT64_MAX / units[i].secs))
			goto bad;
		*seconds = (int64_t)n * units[i].secs;
		return 0;
	}
bad:
	return silo__error_set(SILO_EINVALID,
		"'%s' is not an age: expected seconds, 'now', 'never' or <n>.<unit> "
		"such as '2.weeks' or '3.days'", text);
}

time_t silo_prune_expire(int64_t seconds)
{
	time_t now = time(NULL);

	if (seconds == 0)
		return now + 1;
	return seconds >= (int64_t)now ? 0 : now - (time_t)seconds;
}

/* The loose part of the plan: unreferenced objects and temporary files,
 * the old ones to remove, the young ones counted. */
static int plan_loose(struct prune_plan *pl, silo *s, const struct silo_oid_set *keep,
		      const struct silo_prune_options *opts,
		      struct silo_prune_result *result)
{
	struct loose_entry *v;
	size_t n, i;
	int ret;

	if ((ret = loose_scan(&v, &n, s)) < 0)
		return ret;
	for (i = 0; i < n && !ret; i++) {
		struct loose_entry *e = &v[i];
		struct prune_loose *l;
		struct stat st;
		char *path;
		int what;

		if (e->kind == LOOSE_STRAY)
			continue;	/* not ours to remove; verify names them */
		if (e->kind == LOOSE_OBJECT && silo_oid_set_contains(keep, &e->id)) {
			result->kept++;
			continue;
		}
		what = e->kind == LOOSE_OBJECT ? SILO_PRUNE_OBJECT : SILO_PRUNE_TEMP;
		if (!(path = fs_join(s->root, e->relpath))) {
			ret = silo__error_oom();
			break;
		}
		if (lstat(path, &st) < 0) {
			/* Removed by someone else meanwhile: fine. */
			if (errno != ENOENT)
				ret = silo__error_errno("cannot stat '%s'", path);
			free(path);
			continue;
		}
		free(path);
		if (st.st_mtime >= opts->expire) {
			if (what == SILO_PRUNE_OBJECT) {
				result->young++;
				result->young_bytes += (uint64_t)st.st_size;
			}
			continue;
		}
		if (ALLOC_GROW(pl->loose, pl->n_loose + 1, pl->loose_alloc) < 0) {
			ret = silo__error_oom();
			break;
		}
		l = &pl->loose[pl->n_loose++];
		l->relpath = e->relpath;
		e->relpath = NULL;	/* the plan's now */
		l->id = e->id;
		l->what = what;
		l->size = (uint64_t)st.st_size;
		if (what == SILO_PRUNE_OBJECT) {
			result->removed++;
		} else {
			result->temps++;
			result->temp_bytes += l->size;
		}
		result->bytes += l->size;
	}
	loose_entries_free(v, n);
	return ret;
}

/*
 * The last look before anything goes: no object of the removal list may
 * be in the closure of the keep list.  The plan was made from that very
 * closure, so a hit is a bug in the planning, and nothing is removed.
 */
static int recheck(const struct prune_plan *pl, const struct silo_oid_set *closure)
{
	struct silo_oid_set going = SILO_OID_SET_INIT;
	char hex[SILO_OID_MAX_HEXSZ + 1];
	size_t i;
	int ret = 0;

	for (i = 0; i < pl->n_loose && !ret; i++)
		if (pl->loose[i].what == SILO_PRUNE_OBJECT)
			ret = silo_oid_set_add(&going, &pl->loose[i].id);
	for (i = 0; i < pl->n_packed && !ret; i++)
		ret = silo_oid_set_add(&going, &pl->packed[i].id);
	silo_oid_set_sort(&going);
	for (i = 0; i < closure->n && !ret; i++)
		if (silo_oid_set_contains(&going, &closure->v[i]))
			ret = silo__error_set(SILO_ERROR, "BUG: the objects chosen for removal "
					      "include %s, which the keep list keeps; "
					      "nothing was removed",
					      silo_oid_to_hex(hex, &closure->v[i]));
	silo_oid_set_release(&going);
	return ret;
}

/* Report what the plan removes (or would), loose files first. */
static void report_packed(const struct prune_plan *pl, const struct silo_prune_options *opts)
{
	char rel[64 + SILO_OID_MAX_HEXSZ];
	size_t i;

	if (!opts->on_remove_packed)
		return;
	for (i = 0; i < pl->n_packed; i++) {
		snprintf(rel, sizeof(rel), "%s.pack", pl->r.old[pl->packed[i].old]);
		opts->on_remove_packed(opts->payload, &pl->packed[i].id, rel);
	}
}

/* Remove the plan's loose files; one made young since the plan (a
 * writer stored its object again) stays. */
static int run_loose(struct prune_plan *pl, silo *s, const struct silo_prune_options *opts,
		     struct silo_prune_result *result)
{
	size_t i;

	for (i = 0; i < pl->n_loose; i++) {
		struct prune_loose *l = &pl->loose[i];
		char *path = fs_join(s->root, l->relpath);
		struct stat st;
		int ret = 0;

		if (opts->on_progress)
			opts->on_progress(opts->payload, "removing objects", i, pl->n_loose);
		if (!path)
			return silo__error_oom();
		if (lstat(path, &st) == 0 && st.st_mtime >= opts->expire) {
			free(path);
			if (l->what == SILO_PRUNE_OBJECT) {
				result->removed--;
				result->young++;
				result->young_bytes += l->size;
			} else {
				result->temps--;
				result->temp_bytes -= l->size;
			}
			result->bytes -= l->size;
			continue;
		}
		if (unlink(path) < 0 && errno != ENOENT)
			ret = silo__error_errno("cannot remove '%s'", path);
		free(path);
		if (ret)
			return ret;
		if (opts->on_remove)
			opts->on_remove(opts->payload, l->what, l->relpath);
	}
	return 0;
}

static void plan_release(struct prune_plan *pl)
{
	size_t i;

	for (i = 0; i < pl->n_loose; i++)
		free(pl->loose[i].relpath);
	free(pl->loose);
	free(pl->packed);
	repack_release(&pl->r);
}

/* For the test of recheck() alone: plan from the keep list as given, not
 * from its closure, as a planning bug would. */
#define TEST_PLAN_WITHOUT_CLOSURE "SILO_TEST_PRUNE_PLAN_WITHOUT_CLOSURE"

int silo_prune(struct silo_prune_result *result, silo *s,
	       const struct silo_oid_set *keep_list,
	       const struct silo_prune_options *opts)
{
	struct silo_closure *c = NULL;
	const struct silo_oid_set *keep, *plan_keep;
	struct prune_plan pl;
	size_t i;
	int ret;

	memset(result, 0, sizeof(*result));
	memset(&pl, 0, sizeof(pl));
	pl.ro = (struct silo_repack_options)SILO_REPACK_OPTIONS_INIT;
	pl.r.spool_fd = -1;
	pl.ro.on_progress = opts->on_progress;
	pl.ro.payload = opts->payload;
	/* A kept tree keeps every object below it. */
	if ((ret = silo_closure_new(&c, s)) < 0)
		goto out;
	for (i = 0; i < keep_list->n && !ret; i++) {
		ret = silo_closure_add(c, &keep_list->v[i]);
		if (opts->on_progress)
			opts->on_progress(opts->payload, "finding kept objects", i + 1,
					  keep_list->n);
	}
	if (ret < 0)
		goto out;
	keep = silo_closure_set(c);
	plan_keep = getenv(TEST_PLAN_WITHOUT_CLOSURE) ? keep_list : keep;
	if ((ret = plan_loose(&pl, s, plan_keep, opts, result)) < 0 ||
	    (ret = prune_packs_plan(&pl, s, plan_keep, opts, result)) < 0)
		goto out;
	result->objects_before += result->kept + result->young + result->removed;
	if ((ret = recheck(&pl, keep)) < 0)
		goto out;
	if (opts->max_percent && result->objects_before &&
	    (result->removed + result->packed_removed) * 100 >
	    result->objects_before * opts->max_percent) {
		ret = silo__error_set(SILO_EUNSAFE, "the keep list would remove %" PRIu64 " of %"
				      PRIu64 " objects, more than %u%%",
				      result->removed + result->packed_removed,
				      result->objects_before, opts->max_percent);
		goto out;
	}
	if (opts->dry_run) {
		for (i = 0; opts->on_remove && i < pl.n_loose; i++)
			opts->on_remove(opts->payload, pl.loose[i].what, pl.loose[i].relpath);
		report_packed(&pl, opts);
		goto out;
	}
	if ((ret = run_loose(&pl, s, opts, result)) < 0)
		goto out;
	report_packed(&pl, opts);
	ret = prune_packs_run(&pl, s, result);
out:
	plan_release(&pl);
	silo_closure_free(c);
	return ret;
}
