/* medo tree-id: the git tree id of a directory or of an archive's tree. */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/tree.h"
#include "silo/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct fe_usage *const usage = &fe_usage_medo_tree_id;

static int list_archive(struct silo_tree_list *l, int format, const char *file)
{
	struct silo_fd_reader *src;
	int ret;

	if (!(src = malloc(sizeof(*src))))
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	if (!strcmp(file, "-")) {
		src->fd = STDIN_FILENO;
		src->name = "standard input";
	} else {
		src->fd = open(file, O_RDONLY | O_CLOEXEC);
		src->name = file;
		if (src->fd < 0) {
			free(src);
			return fe_error(FE_EXIT_NOTFOUND, "cannot open '%s': %s", file,
					strerror(errno));
		}
	}
	ret = silo_tree_list_archive(l, format, silo_fd_reader_read, src, src->name);
	if (src->fd != STDIN_FILENO)
		close(src->fd);
	free(src);
	return ret < 0 ? fe_lib_error(ret) : 0;
}

int cmd_medo_tree_id(int argc, const char **argv)
{
	const char *format_name = "sha1", *archive = NULL;
	int json = 0;
	struct fe_option opts[] = {
		OPT_STRING(0, "object-format", &format_name),
		OPT_STRING(0, "archive", &archive),
		OPT_JSON(&json),
		OPT_END()
	};
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	char hex[SILO_OID_MAX_HEXSZ + 1];
	silo_oid id;
	int format, status, ret;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (!(format = silo_oid_format_from_name(format_name)))
		return fe_usage_error(usage, opts, "unknown object format '%s'", format_name);
	if (archive && argc > 0)
		return fe_usage_error(usage, opts, "give a directory or --archive, not both");
	if (!archive && argc != 1)
		return fe_usage_error(usage, opts, argc ? "too many arguments" :
				      "name a directory or an archive");
	if (archive)
		status = list_archive(&l, format, archive);
	else if ((ret = silo_tree_list_dir(&l, format, argv[0])) < 0)
		status = fe_lib_error(ret);
	else
		status = 0;
	if (!status) {
		if ((ret = silo_tree_list_id(&id, &l)) < 0)
			status = fe_lib_error(ret);
		else if (json)
			status = fe_json_print(json_pack("{s:o,s:s,s:I}", "tree",
				fe_json_oid(&id), "object_format", silo_oid_format_name(format),
				"entries", (json_int_t)l.n));
		else
			printf("%s\n", silo_oid_to_hex(hex, &id));
	}
	silo_tree_list_release(&l);
	return status;
}
