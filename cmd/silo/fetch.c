/* silo fetch: copy objects from a silo served over HTTP(S). */
#include "silo-cmd.h"
#include "alloc.h"
#include "silo/store.h"
#include "silo/remote.h"
#include "silo/error.h"

#include <stdlib.h>
#include <string.h>

static const struct fe_usage *const usage = &fe_usage_silo_fetch;

struct fetch_progress {
	struct fe_progress p;
	size_t total;
};

static void on_progress(void *payload, uint64_t bytes, size_t done)
{
	struct fetch_progress *fp = payload;

	fe_progress_update_bytes(&fp->p, done, fp->total, bytes);
}

/* Read whitespace-separated ids from standard input. */
static int read_ids(struct silo_fetch_item **items, size_t *n, int format)
{
	char word[SILO_OID_MAX_HEXSZ + 2];
	size_t alloc = 0;
	int status;

	while (scanf("%65s", word) == 1) {
		if (ALLOC_GROW(*items, *n + 1, alloc) < 0)
			return fe_error(FE_EXIT_FAILURE, "out of memory");
		memset(&(*items)[*n], 0, sizeof(**items));
		if ((status = fe_parse_oid(&(*items)[*n].id, format, word)))
			return status;
		(*n)++;
	}
	return 0;
}

/* Trim the cache to MAX (SILO_CACHE_MAX_SIZE) after a fetch that ended
 * with STATUS, unless another process trims it now; the status after. */
static int trim_cache(uint64_t max, int status)
{
	struct silo_cache_trim_options to = { 0 };
	struct silo_cache_trim_result res;
	char *dir = NULL;
	int ret;

	to.max_bytes = max;
	if ((ret = silo_cache_dir(&dir)) == 0)
		ret = silo_cache_trim(&res, dir, &to);
	free(dir);
	if (ret < 0) {
		int st = fe_lib_error(ret);
		return status ? status : st;
	}
	return status;
}

int cmd_silo_fetch(int argc, const char **argv)
{
	const char *silo_dir = NULL, *from = NULL;
	int jobs = 8, use_cache = 0, from_stdin = 0;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_dir),
		OPT_FLAG(0, "cache", &use_cache),
		OPT_STRING(0, "from", &from),
		OPT_INT('j', "jobs", &jobs),
		OPT_FLAG(0, "stdin", &from_stdin),
		OPT_END()
	};
	struct silo_fetch_item *items = NULL;
	struct fetch_progress fp;
	silo_remote *r = NULL;
	silo *s = NULL;
	size_t n = 0, i;
	int status = 0, have_max = 0, ret;
	uint64_t max;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (!from)
		return fe_usage_error(usage, opts, "--from is required");
	if (use_cache && silo_dir)
		return fe_usage_error(usage, opts, "--silo and --cache cannot be used together");
	if (from_stdin == (argc > 0))
		return fe_usage_error(usage, opts, "give ids as arguments or with --stdin");
	if (jobs < 1)
		return fe_usage_error(usage, opts, "-j must be at least 1");
	/* A bound set wrong is said before anything is fetched. */
	if (use_cache && (have_max = silo_cache_max_size(&max)) < 0)
		return fe_lib_error(have_max);
	if ((ret = silo_remote_open(&r, from)) < 0)
		return fe_lib_error(ret);
	if (use_cache)
		ret = silo_cache_open(&s, silo_remote_format(r));
	else
		ret = silo_open_default(&s, silo_dir);
	if (ret < 0) {
		status = fe_lib_error(ret);
		goto out;
	}
	if (from_stdin) {
		if ((status = read_ids(&items, &n, silo_object_format(s))))
			goto out;
	} else {
		items = calloc((size_t)argc, sizeof(*items));
		if (!items) {
			status = fe_error(FE_EXIT_FAILURE, "out of memory");
			goto out;
		}
		for (n = 0; n < (size_t)argc; n++)
			if ((status = fe_parse_oid(&items[n].id, silo_object_format(s), argv[n])))
				goto out;
	}
	fp.total = n;
	fe_progress_start(&fp.p, "fetching objects", 0);
	ret = silo_remote_fetch(r, s, items, n, jobs, on_progress, &fp);
	fe_progress_stop(&fp.p, n, n);
	if (ret < 0) {
		status = fe_lib_error(ret);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (items[i].status < 0)
			status = fe_error(fe_exit_for(items[i].status), "%s", items[i].message);
	/* As every command that brought objects into the cache. */
	if (use_cache && have_max > 0)
		status = trim_cache(max, status);
out:
	free(items);
	silo_free(s);
	silo_remote_free(r);
	return status;
}
