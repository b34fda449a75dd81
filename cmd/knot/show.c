/* knot show: the provenance of a built wedge. */
#include "knot-cmd.h"
#include "fe-json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct fe_usage *const usage = &fe_usage_knot_show;

int cmd_knot_show(int argc, const char **argv)
{
	int json = 0, ret;
	struct fe_option opts[] = {
		OPT_JSON(&json),
		OPT_END()
	};
	char *out = NULL;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc != 1)
		return fe_usage_error(usage, opts, "name one treeptr");
	ret = json ? silo_knot_provenance(&out, NULL, argv[0])
		   : silo_knot_provenance(NULL, &out, argv[0]);
	if (ret < 0)
		return fe_lib_error(ret);
	if (json) {
		json_error_t jerr;
		json_t *doc = json_loads(out, 0, &jerr);
		free(out);
		if (!doc)
			return fe_error(FE_EXIT_FAILURE, "cannot read the provenance: %s", jerr.text);
		return fe_json_print(doc);
	} else {
		/* "field<TAB>value" as "field: value", aligned */
		char *line, *save = NULL;
		for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *tab = strchr(line, '\t');
			if (tab)
				*tab = '\0';
			if (tab && tab[1])
				printf("%-16s %s\n", line, tab + 1);
			else
				printf("%s\n", line);
		}
	}
	free(out);
	return FE_EXIT_OK;
}
