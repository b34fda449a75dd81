/* silo ls: list every object. */
#include "silo-cmd.h"
#include "fe-json.h"
#include "silo/store.h"
#include "silo/error.h"

static const struct fe_usage *const usage = &fe_usage_silo_ls;

struct ls_state {
	int paths;
	char term;
	json_t *json;	/* the "objects" array, with --json */
};

static int print_one(const struct silo_object_info *info, void *payload)
{
	struct ls_state *st = payload;
	char hex[SILO_OID_MAX_HEXSZ + 1];

	/* Only loose files may be removed one by one: a pack holds many
	 * objects, so it never appears in the list of removable paths. */
	if (st->json)
		return fe_json_append(st->json, json_pack("{s:o,s:s,s:b}",
				"id", fe_json_oid(&info->id), "path", info->relpath,
				"packed", info->packed)) < 0 ? SILO_ENOMEM : 0;
	if (st->paths && info->packed)
		return 0;
	if (st->paths)
		fputs(info->relpath, stdout);
	else
		fputs(silo_oid_to_hex(hex, &info->id), stdout);
	putchar(st->term);
	/* A positive value stops the walk, apart from library errors;
	 * the dispatcher reports the failed write. */
	return ferror(stdout) ? 1 : 0;
}

int cmd_silo_ls(int argc, const char **argv)
{
	const char *silo_dir = NULL;
	int paths = 0, nul = 0, json = 0;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_dir),
		OPT_FLAG(0, "paths", &paths),
		OPT_FLAG('z', NULL, &nul),
		OPT_JSON(&json),
		OPT_END()
	};
	struct ls_state st;
	silo *s;
	int status, ret;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc)
		return fe_usage_error(usage, opts, "too many arguments");
	if (json && nul)
		return fe_usage_error(usage, opts, "-z and --json cannot be used together");
	if ((status = silo_cmd_open(&s, silo_dir)))
		return status;
	st.paths = paths;
	st.term = nul ? '\0' : '\n';
	st.json = NULL;
	if (json && !(st.json = json_array())) {
		silo_free(s);
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	}
	ret = silo_foreach_object(s, print_one, &st);
	if (ret == SILO_ENOMEM && st.json)
		status = fe_error(FE_EXIT_FAILURE, "out of memory");
	else if (ret < 0)
		status = fe_lib_error(ret);
	else if (st.json)
		status = fe_json_print(json_pack("{s:O}", "objects", st.json));
	json_decref(st.json);
	silo_free(s);
	return status;	/* a failed write to stdout is caught by the dispatcher */
}
