/* medo reachable: list every silo object that treeptrs name. */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/medo.h"
#include "silo/prune.h"
#include "silo/store.h"
#include "silo/treeptr.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"medo reachable [--paths] [-z | --json] <medo-dir>...",
	NULL
};

/* Add the object of the treeptr at PATH to the set SETP; returns an exit
 * status. */
static int add_one(const char *path, void *setp)
{
	struct silo_oid_set *set = setp;
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	int ret;

	if ((ret = silo_treeptr_load(&tp, path)) < 0)
		return fe_lib_error(ret);
	ret = silo_oid_set_add(set, &tp.object);
	/* A tree kept as git objects: its root tree too.  The trees and
	 * blobs below it are packed (silo-layout(5)), and packed objects
	 * are never pruned. */
	if (!ret && tp.kind == SILO_TREEPTR_TREE)
		ret = silo_oid_set_add(set, &tp.tree);
	silo_treeptr_release(&tp);
	return ret < 0 ? fe_lib_error(ret) : 0;
}

int cmd_medo_reachable(int argc, const char **argv)
{
	int paths = 0, nul = 0, json = 0, status, ret;
	struct fe_option opts[] = {
		OPT_FLAG(0, "paths", &paths, "print loose object paths (objects/xx/....gz), not ids"),
		OPT_FLAG('z', NULL, &nul, "end each line with NUL, not newline"),
		OPT_FLAG(0, "json", &json, "print one JSON document (see OUTPUT in medo-reachable(1))"),
		OPT_END()
	};
	struct silo_oid_set set = SILO_OID_SET_INIT;
	size_t j;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc < 1)
		return fe_usage_error(usage, opts, "expected at least one medo directory");
	if (json && nul)
		return fe_usage_error(usage, opts, "-z and --json cannot be used together");
	/* A treeptr that cannot be read is reported, and the others are
	 * still printed: in a garbage collection, printing nothing would
	 * make every object look unreferenced. */
	status = medo_cmd_each_treeptr(argc, argv, add_one, &set);
	silo_oid_set_sort(&set);
	if (json) {
		json_t *objs = json_array();
		for (j = 0; objs && j < set.n; j++) {
			char rel[SILO_LOOSE_PATH_MAX];
			silo_loose_relpath(rel, &set.v[j]);
			if (fe_json_append(objs, json_pack("{s:o,s:s}", "id",
					fe_json_oid(&set.v[j]), "path", rel)) < 0) {
				json_decref(objs);
				objs = NULL;
			}
		}
		ret = fe_json_print(objs ? json_pack("{s:o}", "objects", objs) : NULL);
		silo_oid_set_release(&set);
		return ret ? ret : status;
	}
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
