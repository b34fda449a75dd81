/* medo show: what treeptrs name and what directories hold. */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/treeptr.h"
#include "silo/tree.h"
#include "silo/medo.h"
#include "silo/medo-tree.h"
#include "silo/silojson.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
		ret = fe_json_append(out, json_pack("{s:o,s:s,s:o,s:I,s:I}", "path", fe_json_text(dir),
			"kind", "directory", "tree", fe_json_oid(&id),
			"files", (json_int_t)l.n, "size", (json_int_t)bytes)) < 0 ? FE_EXIT_FAILURE : 0;
	else
		printf("%sdirectory %s\ntree: %s\nfiles: %zu\nsize: %llu\n", first ? "" : "\n",
		       dir, silo_oid_to_hex(hex, &id), l.n, (unsigned long long)bytes);
	silo_tree_list_release(&l);
	return ret;
}

/*
 * The files of TP's tree (at PATH) and their bytes: for kind tree, from
 * its tree objects and size table; for tar and archive, from a listing of
 * the object; from a silo of SILO.json.  1 if known, 0 (after a warning)
 * if no silo at hand can say.
 */
struct counts {
	uint64_t files, bytes;
	int exact;		/* the tree has an attribute record: */
	uint64_t empty_dirs;	/* directories holding no file */
	uint64_t modes;		/* files and directories of other modes */
};

static int count_files(const char *path, const struct silo_treeptr *tp, struct counts *c)
{
	const struct silo_tree_list *l;
	const struct silo_tree_attrs *a;
	silo_medo_tree *t;
	size_t i;
	int ret;
	uint64_t *files = &c->files, *bytes = &c->bytes;

	memset(c, 0, sizeof(*c));
	*files = 1;
	*bytes = tp->size;
	if (!silo_treeptr_is_tree(tp))
		return 1;
	if ((ret = silo_medo_tree_open(&t, path, NULL, medo_cmd_warn, NULL)) < 0) {
		fe_warning("cannot count the files of '%s': %s", path, silo_error_message());
		silo_error_clear();
		return 0;
	}
	l = silo_medo_tree_leaves(t);
	*files = l->n;
	*bytes = 0;
	for (i = 0; i < l->n; i++)
		*bytes += l->v[i].size;
	if ((a = silo_medo_tree_attrs(t))) {
		c->exact = 1;
		silo_tree_attrs_counts(a, l, &c->empty_dirs, &c->modes);
	}
	silo_medo_tree_free(t);
	return 1;
}

static int show_treeptr(json_t *out, const char *path, int first)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	char hex[SILO_OID_MAX_HEXSZ + 1];
	json_t *doc, *prov, *v, *e;
	const char *key;
	size_t i;
	int ret;

	struct counts c;
	int counted;
	silo_oid attrs;
	uint64_t attrs_size;

	if ((ret = silo_treeptr_load(&tp, path)) < 0)
		return fe_lib_error(ret);
	counted = count_files(path, &tp, &c);
	doc = json_load_file(path, 0, NULL);
	prov = doc ? json_object_get(doc, "provenance") : NULL;
	if (out) {
		json_t *o = json_pack("{s:o,s:s,s:o,s:I,s:o,s:O}", "path", fe_json_text(path),
			"kind", silo_treeptr_kind_name(tp.kind), "object", fe_json_oid(&tp.object),
			"size", (json_int_t)tp.size,
			"tree", silo_treeptr_is_tree(&tp) ? fe_json_oid(&tp.tree) : json_null(),
			"provenance", prov ? prov : json_object());
		if (o && tp.kind == SILO_TREEPTR_TREE)
			json_object_set(o, "packs", json_object_get(doc, "packs"));
		if (o && silo_treeptr_attrs(&tp, &attrs, &attrs_size)) {
			json_object_set_new(o, "attrs", fe_json_oid(&attrs));
			json_object_set_new(o, "attrs-size", json_integer((json_int_t)attrs_size));
		}
		if (o && counted) {
			json_object_set_new(o, "files", json_integer((json_int_t)c.files));
			json_object_set_new(o, "unpacked", json_integer((json_int_t)c.bytes));
		}
		if (o && counted && c.exact) {
			json_object_set_new(o, "empty-dirs", json_integer((json_int_t)c.empty_dirs));
			json_object_set_new(o, "modes", json_integer((json_int_t)c.modes));
		}
		ret = fe_json_append(out, o) < 0 ? FE_EXIT_FAILURE : 0;
	} else {
		printf("%streeptr %s\nkind: %s\n", first ? "" : "\n", path,
		       silo_treeptr_kind_name(tp.kind));
		if (silo_treeptr_is_tree(&tp))
			printf("tree: %s\n", silo_oid_to_hex(hex, &tp.tree));
		/* The object of kind tree is its size table: its size is not
		 * the tree's. */
		if (tp.kind == SILO_TREEPTR_TREE)
			printf("size table: %s (%llu bytes)\n", silo_oid_to_hex(hex, &tp.object),
			       (unsigned long long)tp.size);
		else
			printf("object: %s\nsize: %llu\n", silo_oid_to_hex(hex, &tp.object),
			       (unsigned long long)tp.size);
		if (silo_treeptr_attrs(&tp, &attrs, &attrs_size))
			printf("attributes: %s (%llu bytes)\n", silo_oid_to_hex(hex, &attrs),
			       (unsigned long long)attrs_size);
		for (i = 0; i < silo_treeptr_n_packs(&tp); i++)
			printf("pack: %s\n", silo_treeptr_pack(&tp, i));
		if (counted)
			printf("files: %llu\nunpacked: %llu\n", (unsigned long long)c.files,
			       (unsigned long long)c.bytes);
		if (counted && c.exact)
			printf("empty directories: %llu\nother modes: %llu\n",
			       (unsigned long long)c.empty_dirs, (unsigned long long)c.modes);
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

/* A directory of treeptrs: one with a SILO.json, or named *.medo. */
static int is_medo_dir(const char *dir)
{
	size_t len = strlen(dir);
	char *sj = medo_cmd_join(dir, SILO_SILOJSON_NAME);
	struct stat st;
	int ret;

	while (len > 1 && dir[len - 1] == '/')
		len--;
	ret = (sj && stat(sj, &st) == 0) || (len > 5 && !strncmp(dir + len - 5, ".medo", 5));
	free(sj);
	return ret;
}

/* Its treeptrs, one a line (kind, tree id or object id, path), no silo
 * read. */
static int show_medo_dir(json_t *out, const char *dir, int first)
{
	char hex[SILO_OID_MAX_HEXSZ + 1], **names = NULL;
	json_t *list = out ? json_array() : NULL;
	size_t n = 0, i;
	int ret, status = 0;

	if ((ret = silo_medo_find_treeptrs(&names, &n, dir)) < 0) {
		json_decref(list);
		return fe_lib_error(ret);
	}
	if (out && !list)
		status = fe_error(FE_EXIT_FAILURE, "out of memory");
	if (!out)
		printf("%smedo directory %s\ntreeptrs: %zu\n", first ? "" : "\n", dir, n);
	for (i = 0; i < n && !status; i++) {
		struct silo_treeptr tp = SILO_TREEPTR_INIT;
		char *path = medo_cmd_join(dir, names[i]);
		const silo_oid *id;

		if (!path) {
			status = fe_error(FE_EXIT_FAILURE, "out of memory");
			break;
		}
		if ((ret = silo_treeptr_load(&tp, path)) < 0) {
			status = fe_lib_error(ret);
			free(path);
			continue;
		}
		id = silo_treeptr_is_tree(&tp) ? &tp.tree : &tp.object;
		if (!out)
			printf("%-7s %s %s\n", silo_treeptr_kind_name(tp.kind),
			       silo_oid_to_hex(hex, id), names[i]);
		else if (fe_json_append(list, json_pack("{s:o,s:s,s:o}", "path", fe_json_text(path),
				"kind", silo_treeptr_kind_name(tp.kind),
				silo_treeptr_is_tree(&tp) ? "tree" : "object",
				fe_json_oid(id))) < 0)
			status = FE_EXIT_FAILURE;
		silo_treeptr_release(&tp);
		free(path);
	}
	silo_medo_list_free(names, n);
	if (out && list && fe_json_append(out, json_pack("{s:o,s:s,s:o}", "path", fe_json_text(dir),
			"kind", "medo directory", "treeptrs", list)) < 0)
		status = FE_EXIT_FAILURE;
	return status;
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
		if (!medo_cmd_is_dir(argv[i]))
			ret = show_treeptr(out, argv[i], i == 0);
		else if (is_medo_dir(argv[i]))
			ret = show_medo_dir(out, argv[i], i == 0);
		else
			ret = show_dir(out, argv[i], i == 0);
		if (ret)
			status = ret;
	}
	if (json)
		ret = fe_json_print(json_pack("{s:o}", "items", out));
	else
		ret = 0;
	return status ? status : ret;
}
