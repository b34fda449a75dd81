/* silo cat: print an object's content, verified on the way out. */
#include "silo-cmd.h"
#include "silo/store.h"
#include "silo/oid-prefix.h"
#include "silo/error.h"

#include <inttypes.h>
#include <unistd.h>

static const struct fe_usage *const usage = &fe_usage_silo_cat;

int cmd_silo_cat(int argc, const char **argv)
{
	const char *silo_dir = NULL;
	int exists = 0, size = 0;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_dir),
		OPT_FLAG('e', "exists", &exists),
		OPT_FLAG('s', "size", &size),
		OPT_END()
	};
	silo *s = NULL;
	silo_stream *st = NULL;
	silo_oid id;
	int status, ret;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc != 1)
		return fe_usage_error(usage, opts, "expected one object id");
	if (exists && size)
		return fe_usage_error(usage, opts, "-e and -s cannot be used together");
	if ((status = silo_cmd_open(&s, silo_dir)))
		return status;
	if (exists && (ret = silo_resolve_id(&id, s, argv[0])) == SILO_ENOTFOUND) {
		/* No object has the prefix: the answer is no. */
		status = FE_EXIT_NEGATIVE;
		goto out;
	}
	if ((status = fe_resolve_oid(&id, s, argv[0])))
		goto out;
	if (exists) {
		ret = silo_has_object(s, &id);
		status = ret < 0 ? fe_lib_error(ret) : ret ? 0 : FE_EXIT_NEGATIVE;
	} else if (size) {
		if ((ret = silo_stream_open(&st, s, &id)) < 0)
			status = fe_lib_error(ret);
		else
			printf("%" PRIu64 "\n", silo_stream_size(st));
	} else {
		/* Streamed: a corrupt object is found at its end, after some
		 * bytes went out; the exit status says not to trust them. */
		fflush(stdout);
		ret = silo_cat_to_fd(s, &id, STDOUT_FILENO, "standard output");
		if (ret < 0)
			status = fe_lib_error(ret);
	}
out:
	silo_stream_free(st);
	silo_free(s);
	return status;
}
