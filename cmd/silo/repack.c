/* silo repack: pack loose objects (and old packs) into one git pack. */
#include "silo-cmd.h"
#include "alloc.h"
#include "fe-json.h"
#include "silo/store.h"
#include "silo/pack.h"
#include "silo/oid-prefix.h"
#include "silo/error.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const struct fe_usage *const usage = &fe_usage_silo_repack;

struct hint_list {
	struct silo_repack_hint *v;
	size_t n, alloc;
};

static int add_hint(struct hint_list *l, silo *s, const char *old_hex,
		    const char *new_hex, const char *where)
{
	struct silo_repack_hint h;
	int ret;

	if ((ret = silo_resolve_id(&h.old_id, s, old_hex)) < 0 ||
	    (ret = silo_resolve_id(&h.new_id, s, new_hex)) < 0)
		return fe_error(ret == SILO_ENOTFOUND ? FE_EXIT_NOTFOUND : FE_EXIT_USAGE,
				"%s: %s", where, silo_error_message());
	if (ALLOC_GROW(l->v, l->n + 1, l->alloc) < 0)
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	l->v[l->n++] = h;
	return 0;
}

/* A --hint value: OLD:NEW. */
static int parse_hint(struct hint_list *l, silo *s, const char *arg)
{
	char buf[2 * 64 + 8];
	char *colon;

	if (strlen(arg) >= sizeof(buf) || !(colon = strchr(strcpy(buf, arg), ':')))
		return fe_error(FE_EXIT_USAGE, "--hint expects <old-id>:<new-id>, not '%s'", arg);
	*colon = '\0';
	return add_hint(l, s, buf, colon + 1, "--hint");
}

/* A --hints file: lines "OLD NEW"; blank lines and # comments are skipped. */
static int read_hints(struct hint_list *l, silo *s, const char *path)
{
	char line[512], where[600];
	FILE *f = fopen(path, "r");
	int lineno = 0, status = 0;

	if (!f)
		return fe_error(FE_EXIT_NOTFOUND, "cannot open '%s'", path);
	while (!status && fgets(line, sizeof(line), f)) {
		char a[130], b[130], extra[2];
		int n;
		lineno++;
		if (line[0] == '#')
			continue;
		n = sscanf(line, "%129s %129s %1s", a, b, extra);
		if (n <= 0)
			continue;
		snprintf(where, sizeof(where), "'%s': line %d", path, lineno);
		if (n != 2)
			status = fe_error(FE_EXIT_USAGE, "%s: expected \"<old-id> <new-id>\"", where);
		else
			status = add_hint(l, s, a, b, where);
	}
	if (!status && ferror(f))
		status = fe_error(FE_EXIT_IO, "cannot read '%s'", path);
	fclose(f);
	return status;
}

int cmd_silo_repack(int argc, const char **argv)
{
	const char *silo_dir = NULL, *hints_file = NULL, *hint = NULL;
	int all = 0, del = 0, window = 10, depth = 50, json = 0;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_dir),
		OPT_FLAG('a', "all", &all),
		OPT_FLAG('d', "delete", &del),
		OPT_INT(0, "window", &window),
		OPT_INT(0, "depth", &depth),
		OPT_STRING(0, "hint", &hint),
		OPT_STRING(0, "hints", &hints_file),
		OPT_JSON(&json),
		OPT_END()
	};
	struct silo_repack_options ro = SILO_REPACK_OPTIONS_INIT;
	struct silo_repack_result res;
	struct hint_list hints = { NULL, 0, 0 };
	const char **hint_args;
	struct fe_phase_progress st;
	silo *s = NULL;
	int status, ret, i, n_hint_args = 0, out = 0;

	/* --hint repeats, which the option table cannot say: take every
	 * occurrence out first, and leave the last for the table. */
	if (!(hint_args = calloc((size_t)argc + 1, sizeof(*hint_args))))
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strncmp(argv[i], "--hint=", 7)) {
			hint_args[n_hint_args++] = argv[i] + 7;
			continue;
		}
		if (!strcmp(argv[i], "--hint") && i + 1 < argc) {
			hint_args[n_hint_args++] = argv[++i];
			continue;
		}
		argv[out++] = argv[i];
	}
	for (; i < argc; i++)
		argv[out++] = argv[i];
	argc = out;
	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0) {
		free(hint_args);
		return fe_parse_exit(argc);
	}
	status = 0;
	if (argc)
		status = fe_usage_error(usage, opts, "too many arguments");
	else if (window < 0 || depth < 0 || depth > 4095)
		status = fe_usage_error(usage, opts, "--window must not be negative, --depth must be 0 to 4095");
	if (status || (status = silo_cmd_open(&s, silo_dir)))
		goto out;
	for (i = 0; i < n_hint_args && !status; i++)
		status = parse_hint(&hints, s, hint_args[i]);
	if (!status && hints_file)
		status = read_hints(&hints, s, hints_file);
	if (status)
		goto out;
	memset(&st, 0, sizeof(st));
	ro.all = all;
	ro.delete_old = del;
	ro.window = window;
	ro.depth = depth;
	ro.hints = hints.v;
	ro.n_hints = hints.n;
	ro.on_progress = fe_phase_progress;
	ro.payload = &st;
	ret = silo_repack(&res, s, &ro);
	fe_phase_progress_stop(&st);
	if (ret < 0) {
		status = fe_lib_error(ret);
		goto out;
	}
	if (json) {
		json_t *packs = json_array();
		size_t k;
		for (k = 0; packs && k < res.n_packs; k++)
			if (fe_json_append(packs, json_string(res.packs[k])) < 0)
				break;
		status = fe_json_print(json_pack("{s:s?,s:o*,s:I,s:I,s:I,s:I}",
			"pack", res.objects ? res.pack : NULL, "packs", packs,
			"objects", (json_int_t)res.objects,
			"deltas", (json_int_t)res.deltas, "removed_loose", (json_int_t)res.removed_loose,
			"removed_packs", (json_int_t)res.removed_packs));
	} else if (res.objects) {
		size_t k;
		/* Every pack written, the first as before. */
		for (k = 0; k < res.n_packs; k++)
			printf("%s%s", k ? ", " : "", res.packs[k]);
		if (!res.n_packs)
			printf("%s", res.pack);
		printf(": %" PRIu64 " objects, %" PRIu64 " deltas; removed %" PRIu64
		       " loose objects, %" PRIu64 " packs\n", res.objects,
		       res.deltas, res.removed_loose, res.removed_packs);
	}
	silo_repack_result_release(&res);
out:
	free(hint_args);
	free(hints.v);
	silo_free(s);
	return status;
}
