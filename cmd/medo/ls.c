/* medo ls: list a treeptr's tree, as git ls-tree does. */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/medo-tree.h"
#include "silo/error.h"

#include <stdio.h>
#include <string.h>

static const struct fe_usage *const usage = &fe_usage_medo_ls;

struct ls {
	const silo_medo_tree *t;
	int recursive, longfmt;
	json_t *entries;	/* with --json */
};

static int count_entry(void *payload, const struct silo_medo_tree_node *e)
{
	(void)e;
	(*(size_t *)payload)++;
	return 0;
}

static int is_empty_dir(const silo_medo_tree *t, const struct silo_medo_tree_node *e)
{
	size_t n = 0;

	return silo_medo_tree_list(t, e->node, count_entry, &n) == 0 && !n;
}

static int print_node(void *payload, const struct silo_medo_tree_node *e)
{
	struct ls *ls = payload;
	char hex[SILO_OID_MAX_HEXSZ + 1], size[32];
	const char *type = e->mode == 040000 ? "tree" : "blob";

	/* A directory holding no file is listed as itself: nothing below
	 * it would say that it is there. */
	if (ls->recursive && e->mode == 040000 &&
	    !(silo_medo_tree_attrs(ls->t) && is_empty_dir(ls->t, e)))
		return silo_medo_tree_list(ls->t, e->node, print_node, ls);

	if (ls->entries) {
		char perm[8];
		snprintf(perm, sizeof(perm), "%04o", silo_medo_tree_perm(ls->t, e->node));
		return fe_json_append(ls->entries, json_pack("{s:s,s:s,s:s,s:o,s:o,s:o}",
			"mode", e->mode == 040000 ? "040000" : e->mode == SILO_MODE_EXEC ? "100755" :
				e->mode == SILO_MODE_SYMLINK ? "120000" : "100644",
			"perm", perm, "type", type, "id", fe_json_oid(&e->id),
			"size", e->mode == 040000 ? json_null() : json_integer((json_int_t)e->size),
			"path", fe_json_text(e->path)));
	}
	silo_oid_to_hex(hex, &e->id);
	if (e->mode == 040000)
		snprintf(size, sizeof(size), "-");
	else
		snprintf(size, sizeof(size), "%llu", (unsigned long long)e->size);
	if (ls->longfmt)
		printf("%06o %s %s %7s\t%s\n", e->mode, type, hex, size, e->path);
	else
		printf("%06o %s %s\t%s\n", e->mode, type, hex, e->path);
	return 0;
}

int cmd_medo_ls(int argc, const char **argv)
{
	const char *silo_opt = NULL;
	struct ls ls = { NULL, 0, 0, NULL };
	int json = 0, ret, status = 0;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_opt),
		OPT_FLAG('r', NULL, &ls.recursive),
		OPT_FLAG('l', NULL, &ls.longfmt),
		OPT_JSON(&json),
		OPT_END()
	};
	struct silo_medo_tree_node node;
	silo_medo_tree *t;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc < 1 || argc > 2)
		return fe_usage_error(usage, opts, "expected a treeptr and at most one path");
	if ((ret = silo_medo_tree_open(&t, argv[0], silo_opt, medo_cmd_warn, NULL)) < 0)
		return fe_lib_error(ret);
	ls.t = t;
	if (json && !(ls.entries = json_array())) {
		silo_medo_tree_free(t);
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	}
	if ((ret = silo_medo_tree_lookup(t, argc > 1 ? argv[1] : "", &node)) < 0)
		status = fe_lib_error(ret);
	else if (node.mode == 040000)
		ret = silo_medo_tree_list(t, node.node, print_node, &ls);
	else
		ret = print_node(&ls, &node);
	if (!status && ret < 0)
		status = fe_lib_error(ret);
	if (json && !status)
		status = fe_json_print(json_pack("{s:o}", "entries", ls.entries));
	else
		json_decref(ls.entries);
	silo_medo_tree_free(t);
	return status;
}
