/* medo mount: a treeptr's tree as a read-only FUSE file system. */
#include "medo-cmd.h"
#include "silo/medo-mount.h"
#include "silo/error.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct fe_usage *const usage = &fe_usage_medo_mount;

/* fusermount3 -u MOUNTPOINT; returns an exit status. */
static int unmount(const char *mountpoint)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return fe_error(FE_EXIT_FAILURE, "cannot fork: %s", strerror(errno));
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", "--", mountpoint, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return fe_error(FE_EXIT_FAILURE, "cannot wait for fusermount3: %s",
					strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return fe_error(FE_EXIT_NOTFOUND, "cannot run fusermount3 (Debian package fuse3)");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return fe_error(FE_EXIT_IO, "cannot unmount '%s'", mountpoint);
	return 0;
}

/* A file that reads as EIO: why, on standard error (seen in the
 * foreground; a detached mount's standard error is /dev/null). */
static void mount_error(void *payload, const char *message)
{
	(void)payload;
	if (!fe_quiet)
		fprintf(stderr, "medo: error: %s\n", message);
}

int cmd_medo_mount(int argc, const char **argv)
{
	const char *silo_opt = NULL;
	int unmount_flag = 0, ret;
	struct silo_medo_mount_options mo = { 0, 0, mount_error, NULL };
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_opt),
		OPT_FLAG('f', "foreground", &mo.foreground),
		OPT_FLAG('u', "unmount", &unmount_flag),
		OPT_END()
	};
	silo_medo_tree *t;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (unmount_flag) {
		if (argc != 1)
			return fe_usage_error(usage, opts, "expected a mount point");
		return unmount(argv[0]);
	}
	if (argc != 2)
		return fe_usage_error(usage, opts, "expected a treeptr and a mount point");
	if ((ret = silo_medo_tree_open(&t, argv[0], silo_opt, medo_cmd_warn, NULL)) < 0)
		return fe_lib_error(ret);
	ret = silo_medo_mount(t, argv[1], &mo);
	silo_medo_tree_free(t);
	return ret < 0 ? fe_lib_error(ret) : 0;
}
