/* Running programs for knot: argv lists, PATH look-up, fork and exec,
 * and watching them: limits, boxes, interruption. */
#include "knot-internal.h"
#include "alloc.h"
#include "error-internal.h"
#include "strbuf.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int knot_strv_push(struct strvec *sv, const char *s)
{
	char *copy;

	if (ALLOC_GROW(sv->v, sv->n + 2, sv->alloc) < 0)
		return silo__error_oom();
	if (!(copy = strdup(s)))
		return silo__error_oom();
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

char *knot_format(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = knot_vformat(fmt, ap);
	va_end(ap);
	return s;
}

int knot_strv_pushf(struct strvec *sv, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = knot_vformat(fmt, ap);
	va_end(ap);
	if (!s || strvec_push_nodup(sv, s) < 0) {
		free(s);
		return silo__error_oom();
	}
	return 0;
}

int knot_cmp_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int knot_strv_split(struct strvec *sv, const char *s)
{
	while (*s) {
		size_t len;

		s += strspn(s, " \t");
		len = strcspn(s, " \t");
		if (!len)
			break;
		if (strvec_pushn(sv, s, len) < 0)
			return silo__error_oom();
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
	return silo__error_set(SILO_ENOTFOUND, "cannot find '%s' on PATH", name);
}

/* ---- interruption ---- */

static volatile sig_atomic_t interrupted;

void silo_knot_interrupt(int sig)
{
	interrupted = sig;
}

int silo_knot_interrupted(void)
{
	return interrupted;
}

static int interrupted_error(void)
{
	const char *name = sigabbrev_np(interrupted);

	return silo__error_set(SILO_ERROR, "interrupted (SIG%s)", name ? name : "?");
}

/* ---- starting programs ---- */

/* errno as text, in a child that may only make system calls. */
static const char *errno_text(int e)
{
	switch (e) {
	case EPERM: return "Operation not permitted";
	case EACCES: return "Permission denied";
	case ENOENT: return "No such file or directory";
	case ENOSPC: return "No space left on device";
	case EINVAL: return "Invalid argument";
	case ENOSYS: return "Function not implemented";
	case EAGAIN: return "Resource temporarily unavailable";
	case ENOMEM: return "Cannot allocate memory";
	default: return "system call failed";
	}
}

/* In the child: say why the box cannot be made, on its standard error
 * ("knot: box: ", which knot_box_complaint() finds). */
_Noreturn static void child_fail(const char *msg, int e)
{
	const char *t = errno_text(e);
	ssize_t ignored;

	ignored = write(2, "knot: box: ", 11);
	ignored = write(2, msg, strlen(msg));
	ignored = write(2, ": ", 2);
	ignored = write(2, t, strlen(t));
	ignored = write(2, "\n", 1);
	(void)ignored;
	_exit(127);
}

static void set_limit(int resource, unsigned long long value)
{
	struct rlimit rl;

	if (!value || getrlimit(resource, &rl) < 0)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < value)
		value = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = (rlim_t)value;
	setrlimit(resource, &rl);
}

/* Start X with standard output OUT and error ERR (-1: /dev/null). */
static int spawn(pid_t *pid_out, const struct knot_exec *x, int out, int err, int own_group)
{
	int null_fd;
	pid_t pid, parent = getpid();
	size_t i;

	for (i = 0; i < x->n_keep; i++)
		if (x->keep_fds[i] < 3)
			return silo__error_set(SILO_ERROR, "a descriptor for '%s' is %d", x->argv[0],
					       x->keep_fds[i]);
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		return silo__error_errno("cannot open '/dev/null'");
	pid = fork();
	if (pid < 0) {
		close(null_fd);
		return silo__error_errno("cannot start '%s'", x->argv[0]);
	}
	if (pid == 0) {
		/* Only system calls from here on. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		if (dup2(null_fd, 0) < 0 ||
		    dup2(out >= 0 ? out : null_fd, 1) < 0 ||
		    dup2(err >= 0 ? err : null_fd, 2) < 0)
			_exit(127);
		if (x->change_user && geteuid() == 0) {
			if (x->child_setup) {
				const char *msg = x->child_setup(x->setup_arg);
				if (msg)
					child_fail(msg, errno);
			}
			if (setgroups(0, NULL) < 0 || setgid((gid_t)x->gid) < 0 ||
			    setuid((uid_t)x->uid) < 0)
				child_fail("cannot become its user", errno);
			/* A new user forgets the parent-death signal. */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
				_exit(127);
		}
		if (x->limits) {
			set_limit(RLIMIT_DATA, x->limits->memory);
			set_limit(RLIMIT_FSIZE, x->limits->disk);
			if (x->limit_pids)
				set_limit(RLIMIT_NPROC, x->limits->pids);
		}
		if (own_group && setpgid(0, 0) < 0)
			_exit(127);
		for (i = 0; i < x->n_keep; i++)
			if (fcntl(x->keep_fds[i], F_SETFD, 0) < 0)
				_exit(127);
		if (x->cwd && chdir(x->cwd) < 0)
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		execve(x->argv[0], x->argv, x->envp);
		_exit(127);
	}
	close(null_fd);
	*pid_out = pid;
	return 0;
}

static void exit_status(int *status, int st)
{
	if (WIFEXITED(st))
		*status = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		*status = 128 + WTERMSIG(st);
	else
		*status = 255;
}

/* Wait for child PID; what it and the processes it waited for used into
 * USAGE (NULL: no). */
static int wait_for(int *status, pid_t pid, const char *name, struct rusage *usage)
{
	int st;

	while (wait4(pid, &st, 0, usage) < 0) {
		if (errno != EINTR)
			return silo__error_errno("cannot wait for '%s'", name);
	}
	exit_status(status, st);
	return 0;
}

/* A descriptor that becomes readable when process PID ends, or -1. */
static int pid_fd(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Whether child PID has ended (without reaping it). */
static int child_ended(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

/*
 * Wait for child PID, reading FD (when not -1) into SINK until its end,
 * and calling TICK (when not NULL) at least every 0.2 s meanwhile; on an
 * interruption, send the child SIG (0: the signal that came; -1: let it
 * run) once.  *status as knot_run(); 1 when interrupted.
 */
static int supervise(int *status, pid_t pid, const char *name, int fd,
		     void (*sink)(void *payload, const char *data, size_t len), void *payload,
		     void (*tick)(void *payload), void *tick_arg, int sig)
{
	int pfd = pid_fd(pid), signalled = 0, ended = 0, ret;

	while (fd >= 0 || !ended) {
		struct pollfd p[2];
		int n = 0, r;

		if (interrupted && !signalled && sig >= 0) {
			kill(pid, sig ? sig : interrupted);
			signalled = 1;
		}
		if (fd >= 0) {
			p[n].fd = fd;
			p[n++].events = POLLIN;
		}
		if (pfd >= 0 && !ended) {
			p[n].fd = pfd;
			p[n++].events = POLLIN;
		}
		r = poll(p, (nfds_t)n, pfd >= 0 ? 200 : 50);
		if (r < 0 && errno != EINTR)
			break;
		if (fd >= 0 && r > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			char buf[65536];
			ssize_t got = read(fd, buf, sizeof(buf));
			if (got > 0) {
				sink(payload, buf, (size_t)got);
			} else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
				close(fd);
				fd = -1;
			}
		}
		if (!ended)
			ended = child_ended(pid);
		if (tick)
			tick(tick_arg);
	}
	if (fd >= 0)
		close(fd);
	if (pfd >= 0)
		close(pfd);
	if ((ret = wait_for(status, pid, name, NULL)) < 0)
		return ret;
	return signalled;
}

static void discard(void *payload, const char *data, size_t len)
{
	(void)payload;
	(void)data;
	(void)len;
}

/* knot_run(), or, ANYWAY, a run that an interruption does not stop. */
static int run(int *status, char *const *argv, char *const *envp, const char *cwd,
	       int out_fd, int err_fd, int anyway)
{
	struct knot_exec x;
	pid_t pid;
	int ret;

	if (interrupted && !anyway)
		return interrupted_error();
	memset(&x, 0, sizeof(x));
	x.argv = argv;
	x.envp = envp;
	x.cwd = cwd;
	if ((ret = spawn(&pid, &x, out_fd, err_fd, 0)) < 0)
		return ret;
	if ((ret = supervise(status, pid, argv[0], -1, discard, NULL, NULL, NULL,
			    anyway ? -1 : SIGTERM)) < 0)
		return ret;
	return ret ? interrupted_error() : 0;
}

int knot_run(int *status, char *const *argv, char *const *envp, const char *cwd,
	     int out_fd, int err_fd)
{
	return run(status, argv, envp, cwd, out_fd, err_fd, 0);
}

int knot_run_anyway(int *status, char *const *argv, char *const *envp, const char *cwd,
		    int out_fd, int err_fd)
{
	return run(status, argv, envp, cwd, out_fd, err_fd, 1);
}

/* Start X with its standard output and error into a pipe; *read_fd is
 * the pipe's end to read. */
static int spawn_piped(pid_t *pid, int *read_fd, const struct knot_exec *x, int own_group)
{
	int fds[2], ret;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return silo__error_errno("cannot create a pipe");
	/* The program may open /dev/stdout again, as its own user. */
	if (x->change_user && geteuid() == 0 && fchown(fds[1], (uid_t)x->uid, (gid_t)x->gid) < 0) {
		ret = silo__error_errno("cannot give a pipe to the box's user");
		close(fds[0]);
		close(fds[1]);
		return ret;
	}
	ret = spawn(pid, x, fds[1], fds[1], own_group);
	close(fds[1]);
	if (ret < 0) {
		close(fds[0]);
		return ret;
	}
	*read_fd = fds[0];
	return 0;
}

struct log_sink {
	int fd;
	const char *name;
	int failed, code;
	char msg[512];
	/* the line being read, for struct knot_watch's on_line */
	const struct knot_watch *w;
	char head[KNOT_WATCH_LINE_HEAD];
	size_t head_len;
};

/* Pass each short line to W->on_line. */
static void short_lines(struct log_sink *l, const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (data[i] == '\n') {
			if (l->head_len < sizeof(l->head)) {
				l->head[l->head_len] = '\0';
				l->w->on_line(l->w->line_arg, l->head);
			}
			l->head_len = 0;
		} else if (l->head_len < sizeof(l->head) - 1) {
			l->head[l->head_len++] = data[i];
		} else {
			l->head_len = sizeof(l->head);	/* too long */
		}
	}
}

/* Keep the first failed write to report at the end. */
static void to_log(void *payload, const char *data, size_t len)
{
	struct log_sink *l = payload;

	if (l->w && l->w->on_line)
		short_lines(l, data, len);
	if (l->failed || fs_write_all(l->fd, data, len, l->name) >= 0)
		return;
	l->failed = 1;
	l->code = silo_error_last();
	snprintf(l->msg, sizeof(l->msg), "%s", silo_error_message());
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
		   void (*on_line)(void *payload, const char *line),
		   void (*on_tick)(void *payload), void *payload)
{
	struct line_sink *l;
	struct knot_exec x;
	int fd, ret;
	pid_t pid;

	if (interrupted)
		return interrupted_error();
	if (!(l = calloc(1, sizeof(*l))))
		return silo__error_oom();
	l->on_line = on_line;
	l->payload = payload;
	memset(&x, 0, sizeof(x));
	x.argv = argv;
	x.envp = envp;
	x.cwd = cwd;
	if ((ret = spawn_piped(&pid, &fd, &x, 0)) < 0) {
		free(l);
		return ret;
	}
	/* An interruption is passed on: ninja stops its tasks (each stops
	 * its box) and waits for them. */
	ret = supervise(status, pid, argv[0], fd, to_lines, l, on_tick, payload, 0);
	if (ret >= 0 && l->len) {
		l->line[l->len] = '\0';
		on_line(payload, l->line);
	}
	free(l);
	if (ret < 0)
		return ret;
	return ret ? interrupted_error() : 0;
}

/* ---- watched runs: limits, boxes ---- */

struct inode_set {
	struct { dev_t dev; ino_t ino; } *v;
	size_t n, alloc;	/* alloc: a power of two, or 0 */
};

/* 1 if (DEV, INO) was in SET, else 0 and it is now; -1 out of memory. */
static int inode_seen(struct inode_set *set, dev_t dev, ino_t ino)
{
	size_t i, mask;

	if (2 * (set->n + 1) > set->alloc) {
		struct inode_set bigger = { NULL, 0, set->alloc ? 2 * set->alloc : 64 };
		if (!(bigger.v = calloc(bigger.alloc, sizeof(*bigger.v))))
			return -1;
		for (i = 0; i < set->alloc; i++)
			if (set->v[i].ino)
				inode_seen(&bigger, set->v[i].dev, set->v[i].ino);
		free(set->v);
		*set = bigger;
	}
	mask = set->alloc - 1;
	for (i = ((size_t)ino * 2654435761u ^ (size_t)dev) & mask; set->v[i].ino; i = (i + 1) & mask)
		if (set->v[i].ino == ino && set->v[i].dev == dev)
			return 1;
	set->v[i].dev = dev;
	set->v[i].ino = ino ? ino : 1;
	set->n++;
	return 0;
}

/* What an entry costs the disk: its blocks, or for a file its size when
 * larger (a sparse file is read, stored and expanded at its size), and
 * at least KNOT_DISK_MIN_ENTRY (an empty file takes an inode). */
static unsigned long long entry_cost(const struct stat *st)
{
	unsigned long long bytes = (unsigned long long)st->st_blocks * 512;

	if (S_ISREG(st->st_mode) && st->st_size > 0 && (unsigned long long)st->st_size > bytes)
		bytes = (unsigned long long)st->st_size;
	return bytes < KNOT_DISK_MIN_ENTRY ? KNOT_DISK_MIN_ENTRY : bytes;
}

/* Add what directory DFD (closed here) holds to *BYTES. */
static int usage_walk(unsigned long long *bytes, struct inode_set *seen, int dfd, int depth)
{
	struct dirent *de;
	DIR *d = fdopendir(dfd);
	int ret = 0;

	if (!d) {
		close(dfd);
		return 0;
	}
	while (!ret && (de = readdir(d))) {
		struct stat st;
		int sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
			int r = inode_seen(seen, st.st_dev, st.st_ino);
			if (r < 0)
				ret = silo__error_oom();
			if (r)
				continue;
		}
		*bytes += entry_cost(&st);
		if (!S_ISDIR(st.st_mode) || depth >= 512)
			continue;
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 && errno == EACCES && st.st_uid == geteuid() &&
		    fchmodat(dirfd(d), de->d_name, (st.st_mode & 07777) | 0700, 0) == 0)
			/* The build's own directory: it may not hide what it holds. */
			sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			ret = usage_walk(bytes, seen, sub, depth + 1);
	}
	closedir(d);
	return ret;
}

int knot_disk_usage(unsigned long long *out, char *const *dirs, size_t n)
{
	struct inode_set seen = { NULL, 0, 0 };
	size_t i;
	int ret = 0;

	*out = 0;
	for (i = 0; i < n && !ret; i++) {
		int fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			ret = usage_walk(out, &seen, fd, 0);
	}
	free(seen.v);
	return ret;
}

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the box told through --info-fd, up to its pid 1. */
struct box_info {
	char text[4096];
	size_t len;
	pid_t pid1;
};

/* Read what FD has (*fd -1 at its end; the descriptor stays open). */
static void read_info(struct box_info *bi, int *fd)
{
	ssize_t got;
	const char *p;

	if (*fd < 0)
		return;
	if (bi->len >= sizeof(bi->text) - 1) {
		*fd = -1;
		return;
	}
	got = read(*fd, bi->text + bi->len, sizeof(bi->text) - 1 - bi->len);
	if (got > 0) {
		bi->len += (size_t)got;
		bi->text[bi->len] = '\0';
		if (!bi->pid1 && (p = strstr(bi->text, "\"child-pid\":"))) {
			long v = strtol(p + strlen("\"child-pid\":"), NULL, 10);
			if (v > 0 && strchr(p, ','))
				bi->pid1 = (pid_t)v;
		}
	} else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
		*fd = -1;
	}
}

/* Stop the program: the box's pid 1 when it is known (the box's other
 * processes die with it, and bwrap when they are gone), else the
 * process group. */
static void stop_all(struct knot_watch *w, int why, pid_t pid, const struct box_info *bi)
{
	if (!w->stopped)
		w->stopped = why;
	if (bi->pid1 > 0)
		kill(bi->pid1, SIGKILL);
	else
		kill(-pid, SIGKILL);
}

/* What W's directories and the log LOG_FD (-1: none) hold now: the
 * log is written on the host's disk for the build, and stored. */
static int watched_usage(unsigned long long *out, const struct knot_watch *w, int log_fd)
{
	struct stat st;
	int ret = knot_disk_usage(out, w->dirs, w->n_dirs);

	if (!ret && log_fd >= 0 && fstat(log_fd, &st) == 0)
		*out += (unsigned long long)st.st_size;
	return ret;
}

/* The pid of the parent of process PID (from /proc), or -1. */
static pid_t parent_of(long pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses. */
	if (!(p = strrchr(buf, ')')) || p[1] != ' ' || !p[2] || p[3] != ' ')
		return -1;
	return (pid_t)strtol(p + 4, NULL, 10);
}

/*
 * Kill and reap the children this process has, until it has none: the
 * processes a run left behind (a daemon that left the process group:
 * setsid, a double fork), which became its children when their parents
 * ended, this process being a subreaper meanwhile.  Their own children
 * come next, as they are orphaned in turn.  What they used is added to
 * *USAGE (CPU times summed, the largest resident set kept).
 */
static void add_usage(struct rusage *to, const struct rusage *ru)
{
	to->ru_utime.tv_sec += ru->ru_utime.tv_sec;
	to->ru_utime.tv_usec += ru->ru_utime.tv_usec;
	to->ru_stime.tv_sec += ru->ru_stime.tv_sec;
	to->ru_stime.tv_usec += ru->ru_stime.tv_usec;
	if (ru->ru_maxrss > to->ru_maxrss)
		to->ru_maxrss = ru->ru_maxrss;
}

static void end_orphans(struct rusage *usage)
{
	pid_t self = getpid();

	for (;;) {
		struct dirent *de;
		DIR *d = opendir("/proc");
		pid_t found[256];
		size_t n = 0, i;

		if (!d)
			break;
		while (n < sizeof(found) / sizeof(*found) && (de = readdir(d))) {
			long pid = de->d_name[0] >= '1' && de->d_name[0] <= '9' ? atol(de->d_name) : 0;
			if (pid <= 0 || parent_of(pid) != self)
				continue;
			found[n] = (pid_t)pid;
			kill(found[n++], SIGKILL);
		}
		closedir(d);
		if (!n)
			break;
		/* A child is not reaped, so its pid is not reused, until here. */
		for (i = 0; i < n; i++) {
			struct rusage ru;
			memset(&ru, 0, sizeof(ru));
			while (wait4(found[i], NULL, 0, &ru) < 0 && errno == EINTR)
				;
			add_usage(usage, &ru);
		}
	}
}

int knot_run_watched(int *status, const struct knot_exec *x, int log_fd, const char *log_name,
		     struct knot_watch *w)
{
	struct log_sink l = { log_fd, log_name, 0, 0, { 0 }, w, { 0 }, 0 };
	struct rusage usage;
	struct box_info bi;
	double start, next_disk, disk_gap = 0.5;
	int out = -1, pfd, ret, ended = 0, st, info = w->info_fd, was_reaper = 0;
	pid_t pid;

	w->stopped = KNOT_STOP_NONE;
	w->disk_used = 0;
	w->user = w->sys = 0;
	w->max_rss_kib = 0;
	memset(&bi, 0, sizeof(bi));
	if (interrupted)
		return interrupted_error();
	if (w->disk && (ret = watched_usage(&w->disk_base, w, log_fd)) < 0)
		return ret;
	/* What the program leaves behind becomes this process's, to end. */
	if (prctl(PR_GET_CHILD_SUBREAPER, &was_reaper) < 0)
		was_reaper = 0;
	if (!was_reaper && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return silo__error_errno("cannot become a subreaper");
	if (log_fd >= 0)
		ret = spawn_piped(&pid, &out, x, 1);
	else
		ret = spawn(&pid, x, x->out_fd, x->err_fd, 1);
	if (ret < 0) {
		if (!was_reaper)
			prctl(PR_SET_CHILD_SUBREAPER, 0);
		return ret;
	}
	if (info >= 0)
		fcntl(info, F_SETFL, O_NONBLOCK);
	pfd = pid_fd(pid);
	start = monotonic();
	next_disk = start + 0.25;
	while (!ended) {
		struct pollfd p[3];
		double now, wait = 0.2;
		int n = 0, r, i;

		if (w->seconds > 0 && w->seconds - (monotonic() - start) < wait)
			wait = w->seconds - (monotonic() - start);
		if (wait < 0)
			wait = 0;
		if (out >= 0) {
			p[n].fd = out;
			p[n++].events = POLLIN;
		}
		if (info >= 0) {
			p[n].fd = info;
			p[n++].events = POLLIN;
		}
		if (pfd >= 0) {
			p[n].fd = pfd;
			p[n++].events = POLLIN;
		}
		r = poll(p, (nfds_t)n, pfd >= 0 ? (int)(wait * 1000) + 1 : 20);
		if (r < 0 && errno != EINTR)
			break;
		for (i = 0; r > 0 && i < n; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (p[i].fd == out) {
				char buf[65536];
				ssize_t got = read(out, buf, sizeof(buf));
				if (got > 0) {
					to_log(&l, buf, (size_t)got);
				} else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
					close(out);
					out = -1;
				}
			} else if (p[i].fd == info) {
				read_info(&bi, &info);
			}
		}
		ended = child_ended(pid);
		if (ended)
			break;
		now = monotonic();
		if (interrupted)
			stop_all(w, KNOT_STOP_SIGNAL, pid, &bi);
		else if (w->seconds > 0 && now - start >= w->seconds)
			stop_all(w, KNOT_STOP_TIME, pid, &bi);
		else if (w->disk && now >= next_disk && !w->stopped) {
			unsigned long long used;
			if ((ret = watched_usage(&used, w, log_fd)) == 0) {
				w->disk_used = used > w->disk_base ? used - w->disk_base : 0;
				if (w->disk_used > w->disk)
					stop_all(w, KNOT_STOP_DISK, pid, &bi);
			}
			/* Looking costs: look less often at a big tree. */
			disk_gap = 20 * (monotonic() - now);
			disk_gap = disk_gap < 0.5 ? 0.5 : disk_gap > 10 ? 10 : disk_gap;
			next_disk = monotonic() + disk_gap;
		}
	}
	/* What is left of the program's processes goes with it; then what
	 * it wrote is read to the end. */
	if (!(bi.pid1 > 0))
		kill(-pid, SIGKILL);
	if ((ret = wait_for(&st, pid, x->argv[0], &usage)) < 0)
		goto out;
	/* The box's pid 1, which waited for the box's processes, is an
	 * orphan when bwrap ends: what it used is counted here. */
	end_orphans(&usage);
	w->user = (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6;
	w->sys = (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
	w->max_rss_kib = usage.ru_maxrss;
	if (out >= 0) {
		fcntl(out, F_SETFL, O_NONBLOCK);
		for (;;) {
			char buf[65536];
			ssize_t got = read(out, buf, sizeof(buf));
			if (got > 0)
				to_log(&l, buf, (size_t)got);
			else if (got < 0 && errno == EINTR)
				continue;
			else
				break;
		}
	}
	/* bwrap ends after the box's pid 1, which ends after every other
	 * process of the box; if bwrap was stopped before it said which
	 * process that was, wait for it here. */
	if (!bi.pid1 && info >= 0) {
		read_info(&bi, &info);
		if (bi.pid1 > 0) {
			int box_fd = pid_fd(bi.pid1);
			struct pollfd p;
			kill(bi.pid1, SIGKILL);
			if (box_fd >= 0) {
				p.fd = box_fd;
				p.events = POLLIN;
				while (poll(&p, 1, -1) < 0 && errno == EINTR)
					;
				close(box_fd);
			}
		}
	}
	/* A program that ended before the watch looked is measured too. */
	if (w->disk && !w->stopped && st == 0) {
		unsigned long long used;
		if ((ret = watched_usage(&used, w, log_fd)) < 0)
			goto out;
		w->disk_used = used > w->disk_base ? used - w->disk_base : 0;
		if (w->disk_used > w->disk)
			w->stopped = KNOT_STOP_DISK;
	}
	*status = st;
	ret = l.failed ? silo__error_set(l.code, "%s", l.msg) : 0;
	if (!ret && w->stopped == KNOT_STOP_SIGNAL)
		ret = interrupted_error();
out:
	if (!was_reaper)
		prctl(PR_SET_CHILD_SUBREAPER, 0);
	if (out >= 0)
		close(out);
	if (pfd >= 0)
		close(pfd);
	return ret;
}

int knot_memfd(int *fd_out)
{
	int fd = memfd_create("knot-output", MFD_CLOEXEC);

	if (fd < 0)
		return silo__error_errno("cannot create a memory file");
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
		return silo__error_errno("cannot rewind captured output");
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			strbuf_release(&sb);
			return silo__error_errno("cannot read captured output");
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

int knot_write_file(const char *path, const char *text, size_t len)
{
	char *dir = fs_dirname(path), *tmp = NULL;
	int fd = -1, ret = 0;

	if (!dir || asprintf(&tmp, "%s/.tmp-%ld-XXXXXX", dir, (long)getpid()) < 0) {
		tmp = NULL;
		ret = silo__error_oom();
		goto out;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		ret = silo__error_errno("cannot create a file in '%s'", dir);
		goto out;
	}
	if ((ret = fs_write_all(fd, text, len, tmp)) == 0 && close(fd) < 0)
		ret = silo__error_errno("cannot write '%s'", tmp);
	fd = -1;
	if (!ret && rename(tmp, path) < 0)
		ret = silo__error_errno("cannot rename '%s' to '%s'", tmp, path);
	if (ret)
		unlink(tmp);
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	free(tmp);
	return ret;
}
