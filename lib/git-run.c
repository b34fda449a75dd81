/* Running git as a child process, with its messages carried into ours. */
#include "git-run.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define GIT_MAX_ARGS 64

/*
 * "git --no-replace-objects -C DIR ARGS..." in ARGV (at most
 * GIT_MAX_ARGS): the objects as they are, not as replacement refs would
 * show them, since what is read is what a garbage collection keeps.
 */
static int build_argv(const char **argv, const char *dir, const char *const *args)
{
	size_t n = 0, i;

	argv[n++] = "git";
	argv[n++] = "--no-replace-objects";
	argv[n++] = "-C";
	argv[n++] = dir;
	for (i = 0; args[i]; i++) {
		if (n + 1 >= GIT_MAX_ARGS)
			return silo__error_set(SILO_EINVALID, "too many arguments for git");
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	return 0;
}

/* An anonymous temporary file for git's stderr. */
static int temp_fd(void)
{
	char path[] = "/tmp/silo-git-err.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return silo__error_errno("cannot create a temporary file");
	unlink(path);
	return fd;
}

/*
 * What git wrote on stderr (in ERR_FD) that says why it failed, into
 * BUF: its "fatal: " lines, joined by "; " (a submodule update writes
 * several, from processes whose order varies: one says what went wrong,
 * another which submodule and commit), or else its first line.
 */
static void first_error_line(int err_fd, char *buf, size_t size)
{
	char *text, *line, *nl;
	size_t used = 0;
	ssize_t n;

	buf[0] = '\0';
	if (!(text = malloc(size)) || lseek(err_fd, 0, SEEK_SET) < 0 ||
	    (n = read(err_fd, text, size - 1)) <= 0) {
		free(text);
		return;
	}
	text[n] = '\0';
	for (line = text; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!strncmp(line, "fatal: ", 7) && !strstr(buf, line) && used < size)
			used += (size_t)snprintf(buf + used, size - used, "%s%s",
						 used ? "; " : "", line);
		if (!nl)
			break;
	}
	if (!used)
		snprintf(buf, size, "%s", text);
	free(text);
}

/*
 * Start git with stdin from IN_FD (or /dev/null when < 0), stdout to
 * OUT_FD and stderr to ERR_FD; *PID gets the child.
 */
static int spawn_git(pid_t *pid, const char *dir, const char *const *args,
		     int in_fd, int out_fd, int err_fd)
{
	const char *argv[GIT_MAX_ARGS];
	posix_spawn_file_actions_t fa;
	int ret;

	if ((ret = build_argv(argv, dir, args)) < 0)
		return ret;
	if (posix_spawn_file_actions_init(&fa))
		return silo__error_oom();
	if (in_fd >= 0)
		ret = posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	else
		ret = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!ret)
		ret = posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	if (!ret)
		ret = posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	if (ret) {
		posix_spawn_file_actions_destroy(&fa);
		return silo__error_oom();
	}
	ret = posix_spawnp(pid, "git", &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret) {
		errno = ret;
		if (ret == ENOENT)
			return silo__error_set(SILO_ENOTFOUND, "cannot run git: it is not installed");
		return silo__error_errno("cannot run git");
	}
	return 0;
}

/* Wait for PID; a failure names git's first line of stderr. */
static int wait_git(pid_t pid, int err_fd, const char *what)
{
	char msg[8192];
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return silo__error_errno("cannot wait for git");
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	first_error_line(err_fd, msg, sizeof(msg));
	if (msg[0])
		return silo__error_set(SILO_ERROR, "git %s failed: %s", what, msg);
	return silo__error_set(SILO_ERROR, "git %s failed with status %d", what,
			       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int git_capture(struct strbuf *out, const char *dir, const char *const *args)
{
	int pipefd[2], err_fd, ret, wret;
	char buf[65536];
	pid_t pid;

	if ((ret = strbuf_grow(out, 0)) < 0)	/* never NULL, even if empty */
		return ret;
	if ((err_fd = temp_fd()) < 0)
		return err_fd;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		close(err_fd);
		return silo__error_errno("cannot create a pipe");
	}
	ret = spawn_git(&pid, dir, args, -1, pipefd[1], err_fd);
	close(pipefd[1]);
	if (ret < 0) {
		close(pipefd[0]);
		close(err_fd);
		return ret;
	}
	for (;;) {
		ssize_t n = read(pipefd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = silo__error_errno("cannot read from git");
			break;
		}
		if (n == 0)
			break;
		if ((ret = strbuf_add(out, buf, (size_t)n)) < 0)
			break;
	}
	close(pipefd[0]);
	wret = wait_git(pid, err_fd, args[0]);
	close(err_fd);
	return ret < 0 ? ret : wret;
}

int git_batch_start(struct git_batch *b, const char *dir)
{
	static const char *const args[] = { "cat-file", "--batch", NULL };
	int to_git[2], from_git[2], ret;

	memset(b, 0, sizeof(*b));
	b->pid = -1;
	if ((b->err_fd = temp_fd()) < 0)
		return b->err_fd;
	if (pipe2(to_git, O_CLOEXEC) < 0) {
		close(b->err_fd);
		return silo__error_errno("cannot create a pipe");
	}
	if (pipe2(from_git, O_CLOEXEC) < 0) {
		ret = silo__error_errno("cannot create a pipe");
		close(to_git[0]);
		close(to_git[1]);
		close(b->err_fd);
		return ret;
	}
	ret = spawn_git(&b->pid, dir, args, to_git[0], from_git[1], b->err_fd);
	close(to_git[0]);
	close(from_git[1]);
	if (ret < 0) {
		close(to_git[1]);
		close(from_git[0]);
		close(b->err_fd);
		b->pid = -1;
		return ret;
	}
	b->in = fdopen(to_git[1], "w");
	b->out = fdopen(from_git[0], "r");
	if (!b->in || !b->out) {
		ret = silo__error_oom();
		if (b->in)
			fclose(b->in);
		else
			close(to_git[1]);
		if (b->out)
			fclose(b->out);
		else
			close(from_git[0]);
		b->in = b->out = NULL;
		git_batch_finish(b);
		return ret;
	}
	return 0;
}

int git_batch_read(struct git_batch *b, const char *hex, char *type,
		   struct strbuf *content)
{
	char line[256], name[128];
	unsigned long long size;
	size_t got;
	int c;

	if (fprintf(b->in, "%s\n", hex) < 0 || fflush(b->in) != 0)
		return silo__error_errno("cannot write to git cat-file");
	if (!fgets(line, sizeof(line), b->out))
		return silo__error_set(SILO_ERROR, "git cat-file ended early");
	if (!strchr(line, '\n'))
		return silo__error_set(SILO_ERROR, "git cat-file: answer line too long");
	if (sscanf(line, "%127s missing", name) == 1 && strstr(line, " missing\n"))
		return silo__error_set(SILO_ENOTFOUND, "object %s is not in the git repository", hex);
	if (sscanf(line, "%127s %15s %llu", name, type, &size) != 3)
		return silo__error_set(SILO_ERROR, "git cat-file: unexpected answer '%.*s'",
				       (int)strcspn(line, "\n"), line);
	strbuf_reset(content);
	if (strbuf_grow(content, (size_t)size) < 0)
		return SILO_ENOMEM;
	got = fread(content->buf, 1, (size_t)size, b->out);
	if (got != size)
		return silo__error_set(SILO_ERROR, "git cat-file: object %s cut short", hex);
	content->len = got;
	content->buf[got] = '\0';
	if ((c = fgetc(b->out)) != '\n')
		return silo__error_set(SILO_ERROR, "git cat-file: object %s not terminated", hex);
	return 0;
}

int git_batch_finish(struct git_batch *b)
{
	int ret = 0;

	if (b->in)
		fclose(b->in);
	if (b->out)
		fclose(b->out);
	b->in = b->out = NULL;
	if (b->pid > 0)
		ret = wait_git(b->pid, b->err_fd, "cat-file");
	b->pid = -1;
	if (b->err_fd >= 0)
		close(b->err_fd);
	b->err_fd = -1;
	return ret;
}
