/* silo init: create an empty silo. */
#include "silo-cmd.h"
#include "silo/store.h"
#include "silo/error.h"

static const struct fe_usage *const usage = &fe_usage_silo_init;

int cmd_silo_init(int argc, const char **argv)
{
	const char *format_name = "sha1";
	struct fe_option opts[] = {
		OPT_STRING(0, "object-format", &format_name),
		OPT_END()
	};
	int format, ret;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc > 1)
		return fe_usage_error(usage, opts, "too many arguments");
	format = silo_oid_format_from_name(format_name);
	if (!format)
		return fe_usage_error(usage, opts,
			"unknown object format '%s': expected sha1 or sha256", format_name);
	ret = silo_init(argc ? argv[0] : ".", format);
	return ret < 0 ? fe_lib_error(ret) : 0;
}
