/*
 * silo push: copy a silo's new files to another silo with rsync, in
 * passes ordered so that a reader of the destination never finds a file
 * naming one that is not there yet.
 */
#include "silo/push.h"
#include "silo/error.h"
#include "error-internal.h"
#include "fsutil.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The passes, in order: the silo's own files; loose objects; packs;
 * their indexes (and other pack-<id> files); files that list packs. */
enum { PASS_TOP, PASS_OBJECTS, PASS_PACKS, PASS_INDEXES, PASS_LISTS, N_PASSES };

int silo_push_is_remote(const char *dest)
{
	const char *colon = strchr(dest, ':'), *slash = strchr(dest, '/');

	return colon && colon != dest && (!slash || colon < slash);
}

static int skipped(const char *name)
{
	return name[0] == '.' || !strncmp(name, "tmp_", 4);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* 1 if the local destination DEST (NULL: a remote one) has REL: files
 * never change, so it need not be copied (and the pass may be skipped). */
static int at_dest(const char *dest, const char *rel)
{
	struct stat st;
	char *path;
	int there;

	if (!dest || !(path = fs_join(dest, rel)))
		return 0;
	there = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return there;
}

/* Add the regular files below SRC/REL (recursively) to LISTS, each in
 * the pass it belongs to, unless a local DEST has them. */
static int collect(struct strbuf lists[N_PASSES], const char *src, const char *rel,
		   const char *dest)
{
	struct dirent *de;
	char *path = rel[0] ? fs_join(src, rel) : strdup(src);
	DIR *d;
	int ret = 0;

	if (!path)
		return silo_error_oom();
	if (!(d = opendir(path))) {
		ret = silo_error_errno("cannot read '%s'", path);
		free(path);
		return ret;
	}
	while (!ret && (de = readdir(d))) {
		struct stat st;
		char *sub, *full;
		int pass;

		if (skipped(de->d_name))
			continue;
		if (asprintf(&sub, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name) < 0) {
			ret = silo_error_oom();
			break;
		}
		if (!(full = fs_join(src, sub))) {
			free(sub);
			ret = silo_error_oom();
			break;
		}
		if (lstat(full, &st) < 0) {
			if (errno != ENOENT)	/* replaced while we looked */
				ret = silo_error_errno("cannot stat '%s'", full);
		} else if (S_ISDIR(st.st_mode)) {
			ret = collect(lists, src, sub, dest);
		} else if (S_ISREG(st.st_mode) && !at_dest(dest, sub)) {
			if (!rel[0])
				pass = PASS_TOP;
			else if (!strncmp(sub, "pack/", 5))
				pass = ends_with(sub, ".pack") ? PASS_PACKS :
				       !strncmp(sub, "pack/pack-", 10) ? PASS_INDEXES : PASS_LISTS;
			else
				pass = PASS_OBJECTS;
			ret = strbuf_addf(&lists[pass], "%s\n", sub);
		}
		free(full);
		free(sub);
	}
	closedir(d);
	free(path);
	return ret;
}

/* Run rsync over the files in LIST; count the files it copied. */
static int run_rsync(size_t *copied, const char *src, const char *dest, const struct strbuf *list,
		     int remote)
{
	char *list_path = NULL, *src_slash = NULL, *dest_slash = NULL, buf[4096];
	int list_fd = -1, fds[2] = { -1, -1 }, st, ret;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	ssize_t n;
	char prev = '/';
	const char *tmp = getenv("TMPDIR");

	if ((ret = fs_tmpfile(&list_fd, &list_path, tmp && *tmp == '/' ? tmp : "/tmp",
			      "silo-push-")) < 0)
		return ret;
	if ((ret = fs_write_all(list_fd, list->buf, list->len, list_path)) < 0)
		goto out;
	if (asprintf(&src_slash, "%s/", src) < 0 || asprintf(&dest_slash, "%s/", dest) < 0) {
		ret = silo_error_oom();
		goto out;
	}
	if (pipe(fds) < 0) {
		ret = silo_error_errno("cannot create a pipe");
		goto out;
	}
	{
		char files_from[4200];
		char *argv[] = { "rsync", "-rlpt", "--ignore-existing", "--out-format=%n",
				 files_from, src_slash, dest_slash, NULL };

		snprintf(files_from, sizeof(files_from), "--files-from=%s", list_path);
		if (posix_spawn_file_actions_init(&fa) != 0) {
			ret = silo_error_oom();
			goto out;
		}
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
		posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
		posix_spawn_file_actions_addclose(&fa, fds[0]);
		posix_spawn_file_actions_addclose(&fa, fds[1]);
		ret = posix_spawnp(&pid, "rsync", &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
		if (ret != 0) {
			errno = ret;
			ret = silo_error_errno("cannot run rsync");
			goto out;
		}
	}
	close(fds[1]);
	fds[1] = -1;
	/* One line per file or directory made; directories end in '/'. */
	while ((n = read(fds[0], buf, sizeof(buf))) != 0) {
		ssize_t i;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n' && prev != '/')
				(*copied)++;
			prev = buf[i];
		}
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			ret = silo_error_errno("cannot wait for rsync");
			goto out;
		}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		ret = silo_error_set(remote ? SILO_ENET : SILO_EIO,
				     "rsync to '%s' failed (%s %d)", dest,
				     WIFEXITED(st) ? "exit status" : "signal",
				     WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	else
		ret = 0;
out:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (list_fd >= 0)
		close(list_fd);
	if (list_path)
		unlink(list_path);
	free(list_path);
	free(src_slash);
	free(dest_slash);
	return ret;
}

int silo_push(struct silo_push_result *out, const char *src, const char *dest)
{
	struct strbuf lists[N_PASSES];
	char *config;
	int i, remote = silo_push_is_remote(dest), ret;

	memset(out, 0, sizeof(*out));
	if (!(config = fs_join(src, "config.json")))
		return silo_error_oom();
	ret = fs_exists(config);
	free(config);
	if (ret <= 0)
		return ret < 0 ? ret : silo_error_set(SILO_ENOTFOUND, "'%s' is not a silo", src);
	if (!remote && (ret = fs_mkdir_p(dest, 0777)) < 0)
		return ret;
	for (i = 0; i < N_PASSES; i++) {
		struct strbuf empty = STRBUF_INIT;
		lists[i] = empty;
	}
	ret = collect(lists, src, "", remote ? NULL : dest);
	for (i = 0; !ret && i < N_PASSES; i++) {
		if (!lists[i].len)
			continue;
		out->passes++;
		ret = run_rsync(&out->files, src, dest, &lists[i], remote);
	}
	for (i = 0; i < N_PASSES; i++)
		strbuf_release(&lists[i]);
	return ret;
}
