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
	char **down;		/* silos whose .moved files cannot be read */
	size_t n_down;
};

/* Has LOCATION been found unreachable in this run? */
static int is_down(const struct url_for_state *st, const char *location)
{
	size_t i;

	for (i = 0; i < st->n_down; i++)
		if (!strcmp(st->down[i], location))
			return 1;
	return 0;
}

/*
 * The places of TP's object in the silo E, relative to its root, into
 * *RELS (*N of them, the caller's: silo_medo_list_free()): the loose
 * object, or for kind tree the packs that hold its objects now, after
 * any repack (followed through .moved files).  Returns an exit status.
 */
static int places(char ***rels, size_t *n, const struct silo_treeptr *tp,
		  const struct silo_silojson_entry *e, struct url_for_state *st)
{
	char loose[SILO_LOOSE_PATH_MAX], **names = NULL;
	size_t i, n_names = silo_treeptr_n_packs(tp);
	int ret;

	*rels = NULL;
	*n = 0;
	if (tp->kind != SILO_TREEPTR_TREE) {
		silo_loose_relpath(loose, &tp->object);
		if (!(*rels = calloc(1, sizeof(**rels))) || !((*rels)[0] = strdup(loose))) {
			free(*rels);
			*rels = NULL;
			return fe_error(FE_EXIT_FAILURE, "out of memory");
		}
		*n = 1;
		return 0;
	}
	if (!(names = calloc(n_names + 1, sizeof(*names))))
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	for (i = 0; i < n_names; i++)
		names[i] = (char *)silo_treeptr_pack(tp, i);
	ret = is_down(st, e->location) ? SILO_ENET :
		silo_medo_packs_now(rels, n, e->location, e->kind == SILO_SILOJSON_HTTP,
				    tp->object.format, names, n_names);
	/* A server that does not answer: the packs the treeptr names, which
	 * are right unless a repack removed them; said once a run. */
	if (ret == SILO_ENET) {
		if (!is_down(st, e->location)) {
			char **down = realloc(st->down, (st->n_down + 1) * sizeof(*down));
			fe_warning("cannot read the .moved files of silo '%s' (%s): printing "
				   "the packs the treeptrs name", e->spec, silo_error_message());
			if (down)
				st->down = down;
			if (!down || !(down[st->n_down] = strdup(e->location))) {
				free(names);
				return fe_error(FE_EXIT_FAILURE, "out of memory");
			}
			st->n_down++;
		}
		if (!(*rels = calloc(n_names + 1, sizeof(**rels)))) {
			free(names);
			return fe_error(FE_EXIT_FAILURE, "out of memory");
		}
		for (i = 0; i < n_names; i++)
			if (!((*rels)[i] = strdup(names[i]))) {
				silo_medo_list_free(*rels, i);
				*rels = NULL;
				free(names);
				return fe_error(FE_EXIT_FAILURE, "out of memory");
			}
		*n = n_names;
		ret = 0;
	}
	free(names);
	if (ret < 0)
		return fe_lib_error(ret);
	for (i = 0; i < *n; i++) {
		char *rel = NULL;
		if (asprintf(&rel, "pack/%s.pack", (*rels)[i]) < 0) {
			silo_medo_list_free(*rels, *n);
			*rels = NULL;
			*n = 0;
			return fe_error(FE_EXIT_FAILURE, "out of memory");
		}
		free((*rels)[i]);
		(*rels)[i] = rel;
	}
	return 0;
}

/* The URLs of the treeptr at PATH, printed or appended to the JSON of
 * STATE; returns an exit status. */
static int url_for(const char *path, void *state)
{
	struct url_for_state *ufs = state;
	const char *silo_opt = ufs->silo_opt;
	json_t *json = ufs->json;
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	struct silo_silojson sj = SILO_SILOJSON_INIT;
	json_t *urls = NULL;
	size_t i, j;
	int ret, status = 0;

	if ((ret = silo_treeptr_load(&tp, path)) < 0)
		return fe_lib_error(ret);
	ret = silo_opt ? silo_silojson_from_option(&sj, silo_opt)
		       : silo_silojson_for(&sj, path);
	if (ret < 0) {
		silo_treeptr_release(&tp);
		return fe_lib_error(ret);
	}
	if (json && !(urls = json_array()))
		status = fe_error(FE_EXIT_FAILURE, "out of memory");
	for (i = 0; !status && i < sj.n; i++) {
		const struct silo_silojson_entry *e = &sj.v[i];
		/* URLs are printed as written, paths as they work from here. */
		const char *base = strstr(e->spec, "://") ? e->spec : e->location;
		size_t len = strlen(base), n_rels = 0;
		char **rels = NULL;

		status = places(&rels, &n_rels, &tp, e, ufs);
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
			else if (fe_json_append(urls, fe_json_text(url)) < 0)
				status = fe_error(FE_EXIT_FAILURE, "out of memory");
			free(url);
		}
		silo_medo_list_free(rels, n_rels);
	}
	if (!status && json &&
	    fe_json_append(json, json_pack("{s:o,s:o,s:O}", "treeptr", fe_json_text(path),
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
	st.down = NULL;
	st.n_down = 0;
	status = medo_cmd_each_treeptr(argc, argv, url_for, &st);
	silo_medo_list_free(st.down, st.n_down);
	if (json) {
		one = fe_json_print(json_pack("{s:o}", "treeptrs", list));
		if (one)
			status = one;
	}
	return status;
}
