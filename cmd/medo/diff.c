/* medo diff: what differs between the trees of two treeptrs, from their
 * tree objects: equal subtrees are skipped, no file is read. */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/medo-tree.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct fe_usage *const usage = &fe_usage_medo_diff;

struct diff {
	json_t *changes;
	int differs;
};

static int report(void *payload, const char *what, const char *path)
{
	struct diff *d = payload;

	d->differs = 1;
	if (d->changes)
		return fe_json_append(d->changes, json_pack("{s:s,s:s}", "change", what, "path", path));
	printf("%s %s\n", what, path);
	return 0;
}

int cmd_medo_diff(int argc, const char **argv)
{
	const char *silo_opt = NULL;
	int json = 0, ret, status;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_opt),
		OPT_JSON(&json),
		OPT_END()
	};
	silo_medo_tree *ta = NULL, *tb = NULL;
	struct diff d = { NULL, 0 };

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc != 2)
		return fe_usage_error(usage, opts, "expected two treeptrs");
	if ((ret = silo_medo_tree_open_objects(&ta, argv[0], silo_opt, medo_cmd_warn, NULL)) < 0 ||
	    (ret = silo_medo_tree_open_objects(&tb, argv[1], silo_opt, medo_cmd_warn, NULL)) < 0) {
		silo_medo_tree_free(ta);
		return fe_lib_error(ret);
	}
	if (json && !(d.changes = json_array()))
		ret = -1;
	else
		ret = silo_medo_tree_diff(ta, tb, report, &d);
	if (ret < 0)
		status = silo_error_message()[0] ? fe_lib_error(ret) :
			 fe_error(FE_EXIT_FAILURE, "out of memory");
	else if (json)
		status = fe_json_print(json_pack("{s:b,s:o}", "differs", d.differs,
						 "changes", d.changes));
	else
		status = 0;
	if (json && ret < 0)
		json_decref(d.changes);
	if (!status && d.differs)
		status = 1;
	silo_medo_tree_free(ta);
	silo_medo_tree_free(tb);
	return status;
}
