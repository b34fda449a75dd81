/* medo url-for: print where a treeptr's object is in each silo. */
#include "medo-cmd.h"
#include "silo/silojson.h"
#include "silo/store.h"
#include "silo/treeptr.h"
#include "silo/error.h"

#include <string.h>

static const char *const usage[] = {
	"medo url-for [--silo=<dir>] <treeptr>",
	NULL
};

int cmd_medo_url_for(int argc, const char **argv)
{
	const char *silo_opt = NULL;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_opt, "dir", "a silo to use instead of SILO.json's"),
		OPT_END()
	};
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	struct silo_silojson sj = SILO_SILOJSON_INIT;
	char rel[SILO_LOOSE_PATH_MAX];
	size_t i;
	int ret;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc != 1)
		return fe_usage_error(usage, opts, "expected one treeptr");
	if ((ret = silo_treeptr_load(&tp, argv[0])) < 0)
		return fe_lib_error(ret);
	ret = silo_opt ? silo_silojson_from_option(&sj, silo_opt)
		       : silo_silojson_for(&sj, argv[0]);
	if (ret < 0) {
		silo_treeptr_release(&tp);
		return fe_lib_error(ret);
	}
	silo_loose_relpath(rel, &tp.object);
	for (i = 0; i < sj.n; i++) {
		const struct silo_silojson_entry *e = &sj.v[i];
		/* URLs are printed as written, paths as they work from here. */
		const char *base = strstr(e->spec, "://") ? e->spec : e->location;
		size_t len = strlen(base);

		if (!strcmp(base, "."))
			printf("%s\n", rel);
		else
			printf("%s%s%s\n", base, len && base[len - 1] == '/' ? "" : "/", rel);
	}
	silo_silojson_release(&sj);
	silo_treeptr_release(&tp);
	return FE_EXIT_OK;
}
