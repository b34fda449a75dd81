/*
 * The cache that silos read over HTTP(S) share: one local silo per id
 * format under the cache directory, and beside it the indexes (and
 * sizes) of remote packs, kept by their names (remote-pack.c).
 */
#include "remote-internal.h"
#include "source.h"
#include "error-internal.h"
#include "fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local const char *override;

void silo__cache_dir_override(const char *dir)
{
	override = dir;
}

int silo_cache_dir(char **out)
{
	const char *dir = getenv(SILO_ENV_CACHE_DIR), *xdg, *home;

	*out = NULL;
	if (override)
		*out = strdup(override);
	else if (dir && *dir)
		*out = strdup(dir);
	else if ((xdg = getenv("XDG_CACHE_HOME")) && *xdg)
		*out = fs_join(xdg, "silo");
	else if ((home = getenv("HOME")) && *home)
		*out = fs_join(home, ".cache/silo");
	else
		return silo__error_set(SILO_ENOTFOUND,
			"no cache directory: set SILO_CACHE_DIR, XDG_CACHE_HOME or HOME");
	return *out ? 0 : silo__error_oom();
}

int remote_index_dir(char **out, int format)
{
	char *base, name[32];
	int ret;

	if ((ret = silo_cache_dir(&base)) < 0)
		return ret;
	snprintf(name, sizeof(name), "idx-%s", silo_oid_format_name(format));
	*out = fs_join(base, name);
	free(base);
	return *out ? 0 : silo__error_oom();
}

int silo_cache_open(silo **out, int format)
{
	char *base, *dir;
	int ret;

	*out = NULL;
	if ((ret = silo_cache_dir(&base)) < 0)
		return ret;
	dir = fs_join(base, silo_oid_format_name(format));
	free(base);
	if (!dir)
		return silo__error_oom();
	/* Creating is idempotent and safe against concurrent creators. */
	if ((ret = silo_init(dir, format)) == 0)
		ret = silo_open(out, dir);
	if (ret < 0)
		silo__error_wrap("cannot open the cache '%s'", dir);
	free(dir);
	return ret;
}
