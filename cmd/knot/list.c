/* knot list: recipes, versions, keys and what is published. */
#include "knot-cmd.h"
#include "fe-json.h"
#include "silo/error.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static const struct fe_usage *const usage = &fe_usage_knot_list;

static const char *state_name(int state)
{
	switch (state) {
	case SILO_KNOT_PUBLISHED: return "published";
	case SILO_KNOT_STALE: return "stale";
	default: return "missing";
	}
}

int cmd_knot_list(int argc, const char **argv)
{
	struct silo_knot_config cfg = { 0 };
	int json = 0, status = 0;
	struct fe_option opts[] = {
		OPT_FLAG(0, "unboxed", &cfg.unboxed),
		OPT_STRING(0, "derived", &cfg.derived),
		OPT_STRING(0, "base", &cfg.base),
		OPT_JSON(&json),
		OPT_END()
	};
	const char *def[] = { "deps/source.medo", NULL };
	json_t *arr = NULL;
	silo_knot_set *set;
	size_t i;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc > 1)
		return fe_usage_error(usage, opts, "name one source medo");
	/* A recipe that cannot be built does not hide the others. */
	cfg.keep_going = 1;
	if ((status = knot_cmd_load(&set, &cfg, argc ? argc : 1, argc ? argv : def)))
		return status;
	if (json && !(arr = json_array())) {
		silo_knot_set_free(set);
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	}
	for (i = 0; i < silo_knot_set_count(set); i++) {
		const struct silo_knot_task *t = silo_knot_set_task(set, i);
		int state = silo_knot_published(t);

		if (state < 0) {
			status = fe_lib_error(state);
			continue;
		}
		if (!json) {
			printf("%s %s %s %s\n", t->recipe->name, t->version, t->key, state_name(state));
			continue;
		}
		if (json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s++}",
				"name", t->recipe->name, "version", t->version, "key", t->key,
				"state", state_name(state), "treeptr", t->derived_treeptr,
				"platform", t->platform->id, "/", t->platform->codename)) < 0)
			status = fe_error(FE_EXIT_FAILURE, "out of memory");
	}
	for (i = 0; i < silo_knot_set_absent_count(set); i++) {
		const struct silo_knot_absent *a = silo_knot_set_absent(set, i);
		const char *state = a->kind == SILO_KNOT_NO_SOURCE ? "no-source" : "invalid";

		if (a->kind == SILO_KNOT_INVALID)
			status = fe_error(FE_EXIT_INVALID, "%s", a->reason);
		if (!json) {
			printf("%s %s - %s\n", a->name, a->version ? a->version : "-", state);
			continue;
		}
		if (json_array_append_new(arr, json_pack("{s:s, s:s?, s:n, s:s, s:s}",
				"name", a->name, "version", a->version, "key", "state", state,
				"reason", a->reason)) < 0)
			status = fe_error(FE_EXIT_FAILURE, "out of memory");
	}
	if (json) {
		int ret = fe_json_print(json_pack("{s:o}", "tasks", arr));
		status = status ? status : ret;
	}
	silo_knot_set_free(set);
	return status;
}
