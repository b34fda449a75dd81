/* medo reachable: list every silo object that treeptrs name. */
#include "medo-cmd.h"
#include "silo/medo.h"
#include "silo/prune.h"
#include "silo/store.h"
#include "silo/treeptr.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const usage[] = {
	"medo reachable [--paths] [-z] <medo-dir>...",
	NULL
};

/* Add the object of the treeptr at PATH; returns an exit status. */
static int add_one(struct silo_oid_set *set, const char *path)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	int ret;

	if ((ret = silo_treeptr_load(&tp, path)) < 0)
		return fe_lib_error(ret);
	ret = silo_oid_set_add(set, &tp.object);
	silo_treeptr_release(&tp);
	return ret < 0 ? fe_lib_error(ret) : 0;
}

int cmd_medo_reachable(int argc, const char **argv)
{
	int paths = 0, nul = 0, status = 0, ret, i;
	struct fe_option opts[] = {
		OPT_FLAG(0, "paths", &paths, "print loose object paths (objects/xx/....gz), not ids"),
		OPT_FLAG('z', NULL, &nul, "end each line with NUL, not newline"),
		OPT_END()
	};
	struct silo_oid_set set = SILO_OID_SET_INIT;
	size_t j;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc < 1)
		return fe_usage_error(usage, opts, "expected at least one medo directory");
	/* A treeptr that cannot be read is reported, and the others are
	 * still printed: in a garbage collection, printing nothing would
	 * make every object look unreferenced. */
	for (i = 0; i < argc; i++) {
		struct stat st;
		char **names;
		size_t n;

		if (stat(argv[i], &st) == 0 && !S_ISDIR(st.st_mode)) {
			if ((ret = add_one(&set, argv[i])))
				status = ret;
			continue;
		}
		if ((ret = silo_medo_find_treeptrs(&names, &n, argv[i])) < 0) {
			status = fe_lib_error(ret);
			continue;
		}
		for (j = 0; j < n; j++) {
			size_t len = strlen(argv[i]) + strlen(names[j]) + 2;
			char *p = malloc(len);
			if (!p) {
				status = fe_error(FE_EXIT_FAILURE, "out of memory");
				break;
			}
			snprintf(p, len, "%s/%s", argv[i], names[j]);
			if ((ret = add_one(&set, p)))
				status = ret;
			free(p);
		}
		silo_medo_list_free(names, n);
	}
	silo_oid_set_sort(&set);
	for (j = 0; j < set.n; j++) {
		char buf[SILO_LOOSE_PATH_MAX];
		if (paths)
			silo_loose_relpath(buf, &set.v[j]);
		else
			silo_oid_to_hex(buf, &set.v[j]);
		fputs(buf, stdout);
		putchar(nul ? '\0' : '\n');
	}
	silo_oid_set_release(&set);
	return status;
}
