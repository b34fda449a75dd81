/* medo show: what treeptrs name and what directories hold. */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/treeptr.h"
#include "silo/tree.h"
#include "silo/error.h"

#include <stdio.h>
#include <string.h>

static const struct fe_usage *const usage = &fe_usage_medo_show;

static int show_dir(json_t *out, const char *dir, int first)
{
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	char hex[SILO_OID_MAX_HEXSZ + 1];
	uint64_t bytes = 0;
	silo_oid id;
	size_t i;
	int ret;

	if ((ret = silo_tree_list_dir(&l, SILO_OID_SHA1, dir)) < 0 ||
	    (ret = silo_tree_list_id(&id, &l)) < 0) {
		silo_tree_list_release(&l);
		return fe_lib_error(ret);
	}
	for (i = 0; i < l.n; i++)
		bytes += l.v[i].size;
	if (out)
		ret = fe_json_append(out, json_pack("{s:s,s:s,s:o,s:I,s:I}", "path", dir,
			"kind", "directory", "tree", fe_json_oid(&id),
			"files", (json_int_t)l.n, "size", (json_int_t)bytes)) < 0 ? FE_EXIT_FAILURE : 0;
	else
		printf("%sdirectory %s\ntree: %s\nfiles: %zu\nsize: %llu\n", first ? "" : "\n",
		       dir, silo_oid_to_hex(hex, &id), l.n, (unsigned long long)bytes);
	silo_tree_list_release(&l);
	return ret;
}

static int show_treeptr(json_t *out, const char *path, int first)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	char hex[SILO_OID_MAX_HEXSZ + 1];
	json_t *doc, *prov, *v, *e;
	const char *key;
	size_t i;
	int ret;

	if ((ret = silo_treeptr_load(&tp, path)) < 0)
		return fe_lib_error(ret);
	doc = json_load_file(path, 0, NULL);
	prov = doc ? json_object_get(doc, "provenance") : NULL;
	if (out) {
		json_t *o = json_pack("{s:s,s:s,s:o,s:I,s:o,s:O}", "path", path,
			"kind", silo_treeptr_kind_name(tp.kind), "object", fe_json_oid(&tp.object),
			"size", (json_int_t)tp.size,
			"tree", silo_treeptr_is_tree(&tp) ? fe_json_oid(&tp.tree) : json_null(),
			"provenance", prov ? prov : json_object());
		if (o && tp.kind == SILO_TREEPTR_TREE)
			json_object_set(o, "packs", json_object_get(doc, "packs"));
		ret = fe_json_append(out, o) < 0 ? FE_EXIT_FAILURE : 0;
	} else {
		printf("%streeptr %s\nkind: %s\n", first ? "" : "\n", path,
		       silo_treeptr_kind_name(tp.kind));
		if (silo_treeptr_is_tree(&tp))
			printf("tree: %s\n", silo_oid_to_hex(hex, &tp.tree));
		printf("object: %s\nsize: %llu\n", silo_oid_to_hex(hex, &tp.object),
		       (unsigned long long)tp.size);
		for (i = 0; i < silo_treeptr_n_packs(&tp); i++)
			printf("pack: %s\n", silo_treeptr_pack(&tp, i));
		json_object_foreach(prov, key, v) {
			if (json_is_string(v))
				printf("%s: %s\n", key, json_string_value(v));
			else if (json_is_array(v))
				json_array_foreach(v, i, e)
					printf("%s: %s\n", key, json_is_string(e) ? json_string_value(e) : "");
		}
	}
	json_decref(doc);
	silo_treeptr_release(&tp);
	return ret;
}

int cmd_medo_show(int argc, const char **argv)
{
	int json = 0, status = 0, ret, i;
	struct fe_option opts[] = {
		OPT_JSON(&json),
		OPT_END()
	};
	json_t *out = NULL;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc < 1)
		return fe_usage_error(usage, opts, "expected treeptrs or directories");
	if (json && !(out = json_array()))
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	for (i = 0; i < argc; i++) {
		ret = medo_cmd_is_dir(argv[i]) ? show_dir(out, argv[i], i == 0) :
						 show_treeptr(out, argv[i], i == 0);
		if (ret)
			status = ret;
	}
	if (json)
		ret = fe_json_print(json_pack("{s:o}", "items", out));
	else
		ret = 0;
	return status ? status : ret;
}
