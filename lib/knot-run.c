/* Running programs for knot: argv lists, PATH look-up, fork and exec. */
#include "knot-internal.h"
#include "error-internal.h"
#include "strbuf.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int knot_strv_push(struct knot_strv *sv, const char *s)
{
	char *copy;

	if (sv->n + 2 > sv->alloc) {
		size_t alloc = sv->alloc ? 2 * sv->alloc : 16;
		char **v = realloc(sv->v, alloc * sizeof(*v));
		if (!v)
			return silo_error_oom();
		sv->v = v;
		sv->alloc = alloc;
	}
	if (!(copy = strdup(s)))
		return silo_error_oom();
	sv->v[sv->n++] = copy;
	sv->v[sv->n] = NULL;
	return 0;
}

char *knot_vformat(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

int knot_strv_pushf(struct knot_strv *sv, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int ret;

	va_start(ap, fmt);
	s = knot_vformat(fmt, ap);
	va_end(ap);
	if (!s)
		return silo_error_oom();
	ret = knot_strv_push(sv, s);
	free(s);
	return ret;
}

void knot_strv_clear(struct knot_strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->alloc = 0;
}

int knot_strv_split(struct knot_strv *sv, const char *s)
{
	while (*s) {
		size_t len;
		char *w;
		int ret;

		s += strspn(s, " \t");
		len = strcspn(s, " \t");
		if (!len)
			break;
		if (!(w = strndup(s, len)))
			return silo_error_oom();
		ret = knot_strv_push(sv, w);
		free(w);
		if (ret < 0)
			return ret;
		s += len;
	}
	return 0;
}

int knot_is_dir(const char *dir)
{
	struct stat st;

	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

int knot_which(char **out, const char *name)
{
	const char *path = getenv("PATH");
	const char *p;

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p;) {
		size_t len = strcspn(p, ":");
		char *full;

		if (len && asprintf(&full, "%.*s/%s", (int)len, p, name) >= 0) {
			if (access(full, X_OK) == 0) {
				*out = full;
				return 0;
			}
			free(full);
		}
		p += len;
		if (*p == ':')
			p++;
	}
	return silo_error_set(SILO_ENOTFOUND, "cannot find '%s' on PATH", name);
}

/* Start ARGV with standard output OUT_FD and error ERR_FD (-1: /dev/null). */
static int spawn(pid_t *pid_out, char *const *argv, char *const *envp, const char *cwd,
		 int out_fd, int err_fd)
{
	int null_fd;
	pid_t pid, parent = getpid();

	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		return silo_error_errno("cannot open '/dev/null'");
	pid = fork();
	if (pid < 0) {
		close(null_fd);
		return silo_error_errno("cannot start '%s'", argv[0]);
	}
	if (pid == 0) {
		/* Only async-signal-safe calls from here on. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		if (dup2(null_fd, 0) < 0 ||
		    dup2(out_fd >= 0 ? out_fd : null_fd, 1) < 0 ||
		    dup2(err_fd >= 0 ? err_fd : null_fd, 2) < 0)
			_exit(127);
		if (cwd && chdir(cwd) < 0)
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(null_fd);
	*pid_out = pid;
	return 0;
}

static int wait_for(int *status, pid_t pid, const char *name)
{
	int st;

	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return silo_error_errno("cannot wait for '%s'", name);
	}
	if (WIFEXITED(st))
		*status = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		*status = 128 + WTERMSIG(st);
	else
		*status = 255;
	return 0;
}

int knot_run(int *status, char *const *argv, char *const *envp, const char *cwd,
	     int out_fd, int err_fd)
{
	pid_t pid;
	int ret;

	if ((ret = spawn(&pid, argv, envp, cwd, out_fd, err_fd)) < 0)
		return ret;
	return wait_for(status, pid, argv[0]);
}

/* Start ARGV with its standard output and error into a pipe; *read_fd
 * is the pipe's end to read. */
static int spawn_piped(pid_t *pid, int *read_fd, char *const *argv, char *const *envp,
		       const char *cwd)
{
	int fds[2], ret;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return silo_error_errno("cannot create a pipe");
	ret = spawn(pid, argv, envp, cwd, fds[1], fds[1]);
	close(fds[1]);
	if (ret < 0) {
		close(fds[0]);
		return ret;
	}
	*read_fd = fds[0];
	return 0;
}

/*
 * Read a child's pipe FD to its end, handing each piece to FN, then
 * close it.  Nothing stops the reading early: the child must never block
 * on a full pipe.
 */
static void drain(int fd, void (*fn)(void *payload, const char *data, size_t len),
		  void *payload)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		fn(payload, buf, (size_t)n);
	}
	close(fd);
}

struct log_sink {
	int fd;
	const char *name;
	int failed, code;
	char msg[512];
};

/* Keep the first failed write to report at the end. */
static void to_log(void *payload, const char *data, size_t len)
{
	struct log_sink *l = payload;

	if (l->failed || fs_write_all(l->fd, data, len, l->name) >= 0)
		return;
	l->failed = 1;
	l->code = silo_error_last();
	snprintf(l->msg, sizeof(l->msg), "%s", silo_error_message());
}

int knot_run_logged(int *status, char *const *argv, char *const *envp, const char *cwd,
		    int log_fd, const char *log_name)
{
	struct log_sink l = { log_fd, log_name, 0, 0, { 0 } };
	int fd, ret;
	pid_t pid;

	if ((ret = spawn_piped(&pid, &fd, argv, envp, cwd)) < 0)
		return ret;
	drain(fd, to_log, &l);
	if ((ret = wait_for(status, pid, argv[0])) < 0)
		return ret;
	return l.failed ? silo_error_set(l.code, "%s", l.msg) : 0;
}

struct line_sink {
	void (*on_line)(void *payload, const char *line);
	void *payload;
	char line[4096];
	size_t len;
};

/* Split into lines (a longer one comes in pieces of the buffer's size). */
static void to_lines(void *payload, const char *data, size_t len)
{
	struct line_sink *l = payload;
	size_t i;

	for (i = 0; i < len; i++) {
		if (data[i] == '\n' || l->len == sizeof(l->line) - 1) {
			l->line[l->len] = '\0';
			l->on_line(l->payload, l->line);
			l->len = 0;
			if (data[i] == '\n')
				continue;
		}
		l->line[l->len++] = data[i];
	}
}

int knot_run_lines(int *status, char *const *argv, char *const *envp, const char *cwd,
		   void (*on_line)(void *payload, const char *line), void *payload)
{
	struct line_sink *l = calloc(1, sizeof(*l));
	int fd, ret;
	pid_t pid;

	if (!l)
		return silo_error_oom();
	l->on_line = on_line;
	l->payload = payload;
	if ((ret = spawn_piped(&pid, &fd, argv, envp, cwd)) < 0) {
		free(l);
		return ret;
	}
	drain(fd, to_lines, l);
	if (l->len) {
		l->line[l->len] = '\0';
		on_line(payload, l->line);
	}
	free(l);
	return wait_for(status, pid, argv[0]);
}

int knot_memfd(int *fd_out)
{
	int fd = memfd_create("knot-output", MFD_CLOEXEC);

	if (fd < 0)
		return silo_error_errno("cannot create a memory file");
	*fd_out = fd;
	return 0;
}

int knot_read_back(char **out, size_t *len, int fd)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[8192];
	ssize_t n;
	int ret;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return silo_error_errno("cannot rewind captured output");
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			strbuf_release(&sb);
			return silo_error_errno("cannot read captured output");
		}
		if (n == 0)
			break;
		if ((ret = strbuf_add(&sb, buf, (size_t)n)) < 0) {
			strbuf_release(&sb);
			return ret;
		}
	}
	if ((ret = strbuf_grow(&sb, 0)) < 0)
		return ret;
	*len = sb.len;
	*out = strbuf_detach(&sb);
	return 0;
}
