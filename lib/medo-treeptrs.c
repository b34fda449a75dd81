/*
 * The treeptrs of a medo directory: finding them, and where each one
 * expands to.  medo expand, status and check-signatures walk a
 * directory of treeptrs the same way.
 */
#include "silo/medo.h"
#include "silo/treeptr.h"
#include "error-internal.h"
#include "fsutil.h"
#include "strvec.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls > lx && !strcmp(s + ls - lx, suffix);
}

/* Walk ROOT/REL, adding treeptrs as paths relative to ROOT. */
static int walk(struct strvec *l, const char *root, const char *rel, int depth)
{
	char *path = rel[0] ? fs_join(root, rel) : strdup(root);
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (!path)
		return silo__error_oom();
	if (depth > 64) {
		ret = silo__error_set(SILO_EINVALID, "'%s' is nested too deeply", path);
		free(path);
		return ret;
	}
	if (!(d = opendir(path))) {
		ret = silo__error_errno("cannot read directory '%s'", path);
		free(path);
		return ret;
	}
	while (!ret && (errno = 0, de = readdir(d))) {
		const char *name = de->d_name;
		char *sub, *full;
		struct stat st;

		/* Hidden entries hold no treeptrs: .git, staging files. */
		if (name[0] == '.')
			continue;
		if (!(sub = rel[0] ? fs_join(rel, name) : strdup(name)) ||
		    !(full = fs_join(path, name))) {
			free(sub);
			ret = silo__error_oom();
			break;
		}
		if (lstat(full, &st) < 0) {
			ret = silo__error_errno("cannot stat '%s'", full);
		} else if (S_ISDIR(st.st_mode)) {
			ret = walk(l, root, sub, depth + 1);
		} else if (S_ISREG(st.st_mode) && has_suffix(name, SILO_TREEPTR_SUFFIX)) {
			if (strvec_push_nodup(l, sub) < 0)
				ret = silo__error_oom();
			else
				sub = NULL;
		}
		free(sub);
		free(full);
	}
	if (!ret && errno)
		ret = silo__error_errno("cannot read directory '%s'", path);
	closedir(d);
	free(path);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int silo_medo_find_treeptrs(char ***out, size_t *count, const char *medo_dir)
{
	struct strvec l = STRVEC_INIT;
	int ret;

	*out = NULL;
	*count = 0;
	if ((ret = walk(&l, medo_dir, "", 0)) < 0) {
		strvec_clear(&l);
		return ret;
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_str);
	*count = l.n;
	*out = strvec_detach(&l);
	return 0;
}

void silo_medo_list_free(char **list, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(list[i]);
	free(list);
}

char *silo_medo_dest_for(const char *dest, const char *rel)
{
	char *p = fs_join(dest, rel);

	if (p && has_suffix(p, SILO_TREEPTR_SUFFIX))
		p[strlen(p) - strlen(SILO_TREEPTR_SUFFIX)] = '\0';
	return p;
}
