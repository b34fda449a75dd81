/* The bubblewrap box of a build (lib/knot-box.c). */
#ifndef SILO_KNOT_BOX_H
#define SILO_KNOT_BOX_H

#include "knot-internal.h"

/* Where things are inside the box: fixed, so that builds do not depend
 * on where the host keeps them. */
#define KNOT_BOX_RECIPE "/knot/recipe"
#define KNOT_BOX_DRIVER "/knot/driver.sh"
#define KNOT_BOX_SRC "/knot/src"
#define KNOT_BOX_BUILD "/knot/build"
#define KNOT_BOX_SMOKE "/knot/smoke"

struct knot_box {
	const char *bwrap;	/* full path */
	int net;		/* share the host's network */
	const char *recipe_dir, *driver;	/* host paths, read-only */
	const char *src, *build, *smoke;	/* host paths, writable */
	const char *install;	/* host path, writable at WEDGE_PATH */
	const char *wedge_path;
	const char *const *dep_dirs;	/* host paths of expanded dependencies */
	const char *const *dep_paths;	/* their absolute paths in the box */
	size_t n_deps;
};

/* Append the bwrap command line up to and including "--"; the program
 * to run in the box follows. */
int knot_box_argv(struct knot_strv *argv, const struct knot_box *b);

#endif
