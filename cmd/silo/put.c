/* silo put: store files, print their ids. */
#include "silo-cmd.h"
#include "fe-json.h"
#include "silo/store.h"
#include "silo/error.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct fe_usage *const usage = &fe_usage_silo_put;

int cmd_silo_put(int argc, const char **argv)
{
	const char *silo_dir = NULL;
	int level = SILO_DEFAULT_LEVEL, json = 0;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_dir),
		OPT_INT(0, "level", &level),
		OPT_JSON(&json),
		OPT_END()
	};
	silo *s = NULL;
	silo_writer *w = NULL;
	silo_oid *ids = NULL;
	char *ok = NULL;
	int status = 0, ret, i;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc == 0)
		return fe_usage_error(usage, opts, "nothing to put: name files, or - for standard input");
	if (level < 1 || level > 9)
		return fe_usage_error(usage, opts, "--level must be 1 to 9, not %d", level);
	if ((status = silo_cmd_open(&s, silo_dir)))
		return status;
	ids = calloc((size_t)argc, sizeof(*ids));
	ok = calloc((size_t)argc, 1);
	if (!ids || !ok) {
		status = fe_error(FE_EXIT_FAILURE, "out of memory");
		goto out;
	}
	if ((ret = silo_writer_new(&w, s)) < 0) {
		status = fe_lib_error(ret);
		goto out;
	}
	silo_writer_set_level(w, level);
	/* A failing input is reported and the others are still stored. */
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-"))
			ret = silo_writer_put_fd(&ids[i], w, STDIN_FILENO, "standard input");
		else
			ret = silo_writer_put_file(&ids[i], w, argv[i]);
		if (ret < 0)
			status = fe_lib_error(ret);
		else
			ok[i] = 1;
	}
	/* Ids are printed only once their objects are durable. */
	if ((ret = silo_writer_commit(w, NULL)) < 0) {
		status = fe_lib_error(ret);
		goto out;
	}
	if (json) {
		json_t *objs = json_array();
		for (i = 0; objs && i < argc; i++)
			if (ok[i] && fe_json_append(objs, json_pack("{s:o,s:o}", "file",
					fe_json_text(argv[i]), "id", fe_json_oid(&ids[i]))) < 0) {
				json_decref(objs);
				objs = NULL;
			}
		ret = fe_json_print(objs ? json_pack("{s:o}", "objects", objs) : NULL);
		if (ret)
			status = ret;
		goto out;
	}
	for (i = 0; i < argc; i++) {
		char hex[SILO_OID_MAX_HEXSZ + 1];
		if (ok[i])
			printf("%s\n", silo_oid_to_hex(hex, &ids[i]));
	}
out:
	silo_writer_free(w);
	silo_free(s);
	free(ids);
	free(ok);
	return status;
}
