/*
 * The box a recipe runs in: bubblewrap with the base system read-only,
 * only the source, build, install and smoke-test directories, the recipe
 * and the dependencies visible, a fresh /tmp, no network unless the
 * recipe is leaky, and a clean environment.
 */
#include "knot-box.h"
#include "error-internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const knot_base_env[] = {
	"LC_ALL=C.UTF-8",
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"SOURCE_DATE_EPOCH=315532800",
	"TZ=UTC",
	NULL
};

/* The version of the box below: bumped when what a recipe sees changes. */
#define KNOT_BOX_VERSION 1

char *knot_box_settings(const struct silo_knot_recipe *r, int unboxed)
{
	char *s;

	if (unboxed)
		return strdup("none");
	if (asprintf(&s, "bwrap %d net=%s base=ro tmp=fresh paths=fixed", KNOT_BOX_VERSION,
		     r->leaky ? "host" : "none") < 0)
		return NULL;
	return s;
}

/* The base system, read-only; symlinks (merged /usr) stay symlinks. */
static const char *const base_dirs[] = {
	"/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", NULL
};

int knot_box_argv(struct knot_strv *argv, const struct knot_box *b)
{
	size_t i;
	int ret = 0;

#define PUSH(s) do { if ((ret = knot_strv_push(argv, (s))) < 0) return ret; } while (0)
	PUSH(b->bwrap);
	PUSH("--unshare-all");
	if (b->net)
		PUSH("--share-net");
	PUSH("--die-with-parent");
	PUSH("--new-session");
	/* bwrap keeps every capability when run by root: drop them. */
	PUSH("--cap-drop");
	PUSH("ALL");
	for (i = 0; base_dirs[i]; i++) {
		char target[PATH_MAX];
		struct stat st;
		ssize_t n;

		if (lstat(base_dirs[i], &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			n = readlink(base_dirs[i], target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			PUSH("--symlink");
			PUSH(target);
		} else if (S_ISDIR(st.st_mode)) {
			PUSH("--ro-bind");
			PUSH(base_dirs[i]);
		} else {
			continue;
		}
		PUSH(base_dirs[i]);
	}
	PUSH("--proc");
	PUSH("/proc");
	PUSH("--dev");
	PUSH("/dev");
	PUSH("--tmpfs");
	PUSH("/tmp");
	PUSH("--ro-bind");
	PUSH(b->recipe_dir);
	PUSH(KNOT_BOX_RECIPE);
	PUSH("--ro-bind");
	PUSH(b->driver);
	PUSH(KNOT_BOX_DRIVER);
	PUSH("--bind");
	PUSH(b->src);
	PUSH(KNOT_BOX_SRC);
	PUSH("--bind");
	PUSH(b->build);
	PUSH(KNOT_BOX_BUILD);
	PUSH("--bind");
	PUSH(b->smoke);
	PUSH(KNOT_BOX_SMOKE);
	PUSH("--bind");
	PUSH(b->install);
	PUSH(b->wedge_path);
	for (i = 0; i < b->n_deps; i++) {
		PUSH("--ro-bind");
		PUSH(b->dep_dirs[i]);
		PUSH(b->dep_paths[i]);
	}
	/* Nothing else may be written: the box's own root is read-only. */
	PUSH("--remount-ro");
	PUSH("/");
	PUSH("--chdir");
	PUSH(KNOT_BOX_BUILD);
	PUSH("--");
#undef PUSH
	return 0;
}
