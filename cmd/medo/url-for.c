/* medo url-for: print where treeptrs' objects are in each silo: the
 * loose object, or for kind tree the packs the treeptr lists. */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/medo.h"
#include "silo/silojson.h"
#include "silo/store.h"
#include "silo/treeptr.h"
#include "silo/error.h"

#include <stdlib.h>
#include <string.h>

static const struct fe_usage *const usage = &fe_usage_medo_url_for;

struct url_for_state {
	const char *silo_opt;
	json_t *json;		/* the "treeptrs" array, with --json */
};

/* The URLs of the treeptr at PATH, printed or appended to the JSON of
 * STATE; returns an exit status. */
static int url_for(const char *path, void *state)
{
	const struct url_for_state *ufs = state;
	const char *silo_opt = ufs->silo_opt;
	json_t *json = ufs->json;
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	struct silo_silojson sj = SILO_SILOJSON_INIT;
	char loose[SILO_LOOSE_PATH_MAX];
	char **rels = NULL;
	json_t *urls = NULL;
	size_t i, j, n_rels = 1;
	int ret, status = 0;

	if ((ret = silo_treeptr_load(&tp, path)) < 0)
		return fe_lib_error(ret);
	ret = silo_opt ? silo_silojson_from_option(&sj, silo_opt)
		       : silo_silojson_for(&sj, path);
	if (ret < 0) {
		silo_treeptr_release(&tp);
		return fe_lib_error(ret);
	}
	/* Kind tree: its objects are in the packs it lists, not loose. */
	if (tp.kind == SILO_TREEPTR_TREE)
		n_rels = silo_treeptr_n_packs(&tp);
	if (!(rels = calloc(n_rels ? n_rels : 1, sizeof(*rels))))
		status = fe_error(FE_EXIT_FAILURE, "out of memory");
	for (j = 0; !status && j < n_rels; j++) {
		if (tp.kind != SILO_TREEPTR_TREE) {
			silo_loose_relpath(loose, &tp.object);
			rels[j] = strdup(loose);
		} else if (asprintf(&rels[j], "pack/%s.pack", silo_treeptr_pack(&tp, j)) < 0) {
			rels[j] = NULL;
		}
		if (!rels[j])
			status = fe_error(FE_EXIT_FAILURE, "out of memory");
	}
	if (!status && json && !(urls = json_array()))
		status = fe_error(FE_EXIT_FAILURE, "out of memory");
	for (i = 0; !status && i < sj.n; i++) {
		const struct silo_silojson_entry *e = &sj.v[i];
		/* URLs are printed as written, paths as they work from here. */
		const char *base = strstr(e->spec, "://") ? e->spec : e->location;
		size_t len = strlen(base);

		for (j = 0; !status && j < n_rels; j++) {
			char *url = NULL;
			if (!strcmp(base, "."))
				url = strdup(rels[j]);
			else if (asprintf(&url, "%s%s%s", base,
					  len && base[len - 1] == '/' ? "" : "/", rels[j]) < 0)
				url = NULL;
			if (!url)
				status = fe_error(FE_EXIT_FAILURE, "out of memory");
			else if (!urls)
				printf("%s\n", url);
			else if (fe_json_append(urls, json_string(url)) < 0)
				status = fe_error(FE_EXIT_FAILURE, "out of memory");
			free(url);
		}
	}
	for (j = 0; rels && j < n_rels; j++)
		free(rels[j]);
	free(rels);
	if (!status && json &&
	    fe_json_append(json, json_pack("{s:s,s:o,s:O}", "treeptr", path,
					   "object", fe_json_oid(&tp.object), "urls", urls)) < 0)
		status = fe_error(FE_EXIT_FAILURE, "out of memory");
	json_decref(urls);
	silo_silojson_release(&sj);
	silo_treeptr_release(&tp);
	return status;
}

int cmd_medo_url_for(int argc, const char **argv)
{
	const char *silo_opt = NULL;
	int json = 0, status, one;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_opt),
		OPT_JSON(&json),
		OPT_END()
	};
	struct url_for_state st;
	json_t *list = NULL;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc < 1)
		return fe_usage_error(usage, opts, "expected treeptrs or medo directories");
	if (json && !(list = json_array()))
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	st.silo_opt = silo_opt;
	st.json = list;
	status = medo_cmd_each_treeptr(argc, argv, url_for, &st);
	if (json) {
		one = fe_json_print(json_pack("{s:o}", "treeptrs", list));
		if (one)
			status = one;
	}
	return status;
}
