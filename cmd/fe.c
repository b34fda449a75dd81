/* The front-end layer shared by silo, medo and knot (see fe.h). */
#include "fe.h"
#include "fe-json.h"
#include "silo/cleanup.h"
#include "silo/error.h"
#include "silo/oid.h"
#include "silo/oid-prefix.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef SILO_VERSION
#define SILO_VERSION "unknown"
#endif

const char *fe_tool_name = "silo";
int fe_quiet;
int fe_progress_mode = -1;

/* The progress line on the terminal now, if any: a message first ends it,
 * so that no message is written over it.  Messages and progress come
 * from several threads; one lock keeps their lines whole. */
static struct fe_progress *progress_shown;
static pthread_mutex_t stderr_lock = PTHREAD_MUTEX_INITIALIZER;

static void end_progress_line(void)
{
	if (progress_shown) {
		fputc('\n', stderr);
		progress_shown = NULL;
	}
}

int fe_exit_for(int lib_code)
{
	switch (lib_code) {
	case SILO_OK:
		return FE_EXIT_OK;
	case SILO_EDIFFERS:
		return FE_EXIT_NEGATIVE;
	case SILO_ENOTFOUND:
		return FE_EXIT_NOTFOUND;
	case SILO_ECORRUPT:
		return FE_EXIT_CORRUPT;
	case SILO_EINVALID:
		return FE_EXIT_INVALID;
	case SILO_EIO:
		return FE_EXIT_IO;
	case SILO_ENET:
		return FE_EXIT_NETWORK;
	case SILO_EUNSAFE:
	case SILO_EEXISTS:
		return FE_EXIT_REFUSED;
	default:
		return FE_EXIT_FAILURE;
	}
}

/*
 * "TOOL: KIND: " and the message to standard error, its control
 * characters but tab and newline written as '?', as git's vreportf()
 * does: messages quote what others wrote (a recipe's line, a name in a
 * tree), which must not drive the terminal that shows them.
 */
static void report(const char *kind, const char *fmt, va_list ap)
{
	char *msg = NULL, *p;

	end_progress_line();
	fprintf(stderr, "%s: %s: ", fe_tool_name, kind);
	if (vasprintf(&msg, fmt, ap) < 0) {
		fputs("(out of memory)\n", stderr);
		return;
	}
	for (p = msg; *p; p++)
		if (iscntrl((unsigned char)*p) && *p != '\t' && *p != '\n')
			*p = '?';
	if (!strcmp(kind, "error"))
		fe_json_note_error(msg);
	fputs(msg, stderr);
	fputc('\n', stderr);
	free(msg);
}

int fe_error(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	pthread_mutex_lock(&stderr_lock);
	va_start(ap, fmt);
	report("error", fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&stderr_lock);
	return status;
}

int fe_lib_error(int ret)
{
	return fe_error(fe_exit_for(ret), "%s", silo_error_message());
}

void fe_warning(const char *fmt, ...)
{
	va_list ap;

	if (fe_quiet)
		return;
	pthread_mutex_lock(&stderr_lock);
	va_start(ap, fmt);
	report("warning", fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&stderr_lock);
}

/* ---- progress ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void fe_progress_start(struct fe_progress *p, const char *title, int quiet)
{
	p->title = title;
	if (quiet || fe_quiet)
		p->enabled = 0;
	else if (fe_progress_mode >= 0)
		p->enabled = fe_progress_mode;
	else
		p->enabled = isatty(STDERR_FILENO);
	p->start_ms = now_ms();
	p->last_ms = 0;
	p->bytes = 0;
	p->with_bytes = 0;
	p->bytes_total = 0;
	p->count = 0;
	p->unit = NULL;
	p->shown = 0;
}

void fe_format_duration(char *buf, size_t len, double secs)
{
	unsigned long t = secs > 0 && secs < 1e7 ? (unsigned long)(secs + 0.5) : 0;

	if (t >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
}

/*
 * One line: "title: 45% (9/20), 12.3 MiB, 4.1 MiB/s, 0:12 left".  The
 * percentage and estimate follow the bytes when their total is known,
 * the count otherwise; the rate is of bytes, or of the count.
 */
static void progress_print(struct fe_progress *p, uint64_t done, uint64_t total,
			   const char *end)
{
	double secs = (double)(now_ms() - p->start_ms) / 1000.0;
	uint64_t num = p->bytes_total ? p->bytes : done;
	uint64_t den = p->bytes_total ? p->bytes_total : total;
	char eta[32] = "";

	if (den && num && num < den && secs >= 1 && !*end) {
		char t[24];
		fe_format_duration(t, sizeof(t), secs * (double)(den - num) / (double)num);
		snprintf(eta, sizeof(eta), ", %s left", t);
	}
	fprintf(stderr, "\r%s:", p->title);
	if (den)
		fprintf(stderr, " %3u%%", (unsigned)((num > den ? den : num) * 100 / den));
	if (total)
		fprintf(stderr, " (%llu/%llu%s%s)", (unsigned long long)done,
			(unsigned long long)total, p->unit ? " " : "", p->unit ? p->unit : "");
	else if (done || !p->with_bytes)
		fprintf(stderr, " (%llu %s)", (unsigned long long)done,
			p->unit ? p->unit : "done");
	if (p->with_bytes) {
		double mib = (double)p->bytes / (1024.0 * 1024.0);
		fprintf(stderr, ", %.1f MiB, %.1f MiB/s", mib, secs > 0 ? mib / secs : 0.0);
	} else if (secs > 0) {
		fprintf(stderr, ", %.1f/s", (double)done / secs);
	}
	fprintf(stderr, "%s\033[K%s", eta, end);
	p->shown = 1;
	progress_shown = *end ? NULL : p;
}

void fe_progress_update(struct fe_progress *p, uint64_t done, uint64_t total)
{
	uint64_t t;

	if (!p->enabled)
		return;
	t = now_ms();
	if (p->shown && t - p->last_ms < 100)
		return;
	p->last_ms = t;
	pthread_mutex_lock(&stderr_lock);
	progress_print(p, done, total, "");
	pthread_mutex_unlock(&stderr_lock);
}

void fe_progress_update_bytes(struct fe_progress *p, uint64_t done, uint64_t total,
			      uint64_t bytes)
{
	p->with_bytes = 1;
	p->bytes = bytes;
	fe_progress_update(p, done, total);
}

void fe_progress_bytes(struct fe_progress *p, uint64_t files, uint64_t bytes,
		       uint64_t bytes_total)
{
	p->with_bytes = 1;
	p->bytes = bytes;
	p->bytes_total = bytes_total;
	p->count = files;
	fe_progress_update(p, files, 0);
}

void fe_progress_on_bytes(void *progress, uint64_t files, uint64_t bytes,
			  uint64_t total)
{
	fe_progress_bytes(progress, files, bytes, total);
}

void fe_progress_stop(struct fe_progress *p, uint64_t done, uint64_t total)
{
	pthread_mutex_lock(&stderr_lock);
	if (p->enabled && p->shown)
		progress_print(p, done, total, ", done.\n");
	if (progress_shown == p)
		progress_shown = NULL;
	pthread_mutex_unlock(&stderr_lock);
}

void fe_phase_progress(void *payload, const char *phase, uint64_t done, uint64_t total)
{
	struct fe_phase_progress *pp = payload;

	if (pp->phase != phase) {
		fe_phase_progress_stop(pp);
		pp->phase = phase;
		fe_progress_start(&pp->progress, phase, 0);
	}
	pp->total = total;
	fe_progress_update(&pp->progress, done, total);
}

void fe_phase_progress_stop(struct fe_phase_progress *pp)
{
	if (pp->phase)
		fe_progress_stop(&pp->progress, pp->total, pp->total);
	pp->phase = NULL;
}

/* ---- options ---- */

/* Send standard output to /dev/null for a quiet command. */
static int silence_stdout(void)
{
	int fd;

	fflush(stdout);
	/* --json prints its document all the same (fe-json.h). */
	if (fe_json && fe_json_fd < 0 &&
	    (fe_json_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)) < 0) {
		fprintf(stderr, "%s: error: cannot keep standard output: %s\n",
			fe_tool_name, strerror(errno));
		return -1;
	}
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
		fprintf(stderr, "%s: error: cannot open /dev/null: %s\n",
			fe_tool_name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* 1 if O takes a value, 2 if it may, 0 if not (struct fe_opt_doc). */
static int takes_arg(const struct fe_option *o)
{
	if (o->type == FE_OPT_JSON)
		return 2;
	return o->type == FE_OPT_STRING || o->type == FE_OPT_INT ||
	       o->type == FE_OPT_STRINGS;
}

/* A mistake of the program, not of its user: say so, and stop. */
__attribute__((noreturn))
static void option_bug(const struct fe_usage *usage, const char *what, char short_name,
		       const char *long_name)
{
	fflush(stdout);
	if (long_name)
		fprintf(stderr, "%s: BUG: %s: option '--%s' %s %s\n", fe_tool_name,
			usage->name, long_name, what, usage->page);
	else
		fprintf(stderr, "%s: BUG: %s: option '-%c' %s %s\n", fe_tool_name,
			usage->name, short_name, what, usage->page);
	abort();
}

static int same_option(const struct fe_option *o, const struct fe_opt_doc *d)
{
	if (o->long_name || d->long_name)
		return o->long_name && d->long_name && !strcmp(o->long_name, d->long_name);
	return o->short_name == d->short_name;
}

/*
 * The options OPTS the command parses must be those its page documents:
 * the same names, taking a value or not (see fe.h).
 */
static void check_options(const struct fe_usage *usage, const struct fe_option *opts)
{
	const struct fe_option *o;
	const struct fe_opt_doc *d, *found;
	int n;

	for (o = opts; o->type != FE_OPT_END; o++) {
		found = NULL;
		for (d = usage->opts; d->short_name || d->long_name; d++)
			if (same_option(o, d))
				found = d;
		if (!found)
			option_bug(usage, "is parsed but not documented in", o->short_name,
				   o->long_name);
		if (found->short_name != o->short_name || found->takes_value != takes_arg(o))
			option_bug(usage, "has another short name, or takes a value or not, in",
				   o->short_name, o->long_name);
	}
	for (d = usage->opts; d->short_name || d->long_name; d++) {
		n = 0;
		for (o = opts; o->type != FE_OPT_END; o++)
			n += same_option(o, d);
		if (n != 1)
			option_bug(usage, n ? "is parsed twice, documented once in" :
				   "is not parsed, but documented in", d->short_name, d->long_name);
	}
}

void fe_usage(FILE *f, const struct fe_usage *usage, const struct fe_option *opts)
{
	check_options(usage, opts);
	fputs(usage->help, f);
}

int fe_usage_error(const struct fe_usage *usage, const struct fe_option *opts,
		   const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	fprintf(stderr, "%s: error: %s\n", fe_tool_name, msg ? msg : "(out of memory)");
	if (msg)
		fe_json_note_error(msg);
	free(msg);
	fe_usage(stderr, usage, opts);
	return FE_EXIT_USAGE;
}

static int set_int(const struct fe_option *o, const char *arg, const char *spelled)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < INT_MIN || v > INT_MAX) {
		fprintf(stderr, "%s: error: option '%s' expects a whole number, not '%s'\n",
			fe_tool_name, spelled, arg);
		return -1;
	}
	*(int *)o->value = (int)v;
	return 0;
}

static int add_string(struct strvec *l, const char *arg)
{
	if (strvec_push(l, arg) < 0) {
		fprintf(stderr, "%s: error: out of memory\n", fe_tool_name);
		return -1;
	}
	return 0;
}

/* Apply option O; ARG is its argument or NULL. */
static int apply(const struct fe_option *o, const char *arg, int negated,
		 const char *spelled)
{
	switch (o->type) {
	case FE_OPT_FLAG:
		*(int *)o->value = !negated;
		return 0;
	case FE_OPT_COUNT:
		(*(int *)o->value)++;
		return 0;
	case FE_OPT_STRING:
		*(const char **)o->value = arg;
		return 0;
	case FE_OPT_INT:
		return set_int(o, arg, spelled);
	case FE_OPT_STRINGS:
		return add_string(o->value, arg);
	case FE_OPT_JSON:
		if (fe_json_set_style(arg) < 0) {
			fprintf(stderr, "%s: error: option '--json' takes pretty or compact, not '%s'\n",
				fe_tool_name, arg);
			return -1;
		}
		*(int *)o->value = 1;
		return 0;
	default:
		return -1;
	}
}

int fe_parse_options(int argc, const char **argv, const struct fe_option *opts,
		     const struct fe_usage *usage)
{
	int i, out = 0, only_args = 0;

	check_options(usage, opts);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct fe_option *o;

		if (only_args || a[0] != '-' || !a[1]) {
			argv[out++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = 1;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fe_usage(stdout, usage, opts);
			return FE_PARSE_HELP;
		}
		if (!strcmp(a, "--quiet")) {
			fe_quiet = 1;
			continue;
		}
		if (!strcmp(a, "--progress") || !strcmp(a, "--no-progress")) {
			fe_progress_mode = a[2] == 'p';
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			int negated = 0;

			for (o = opts; o->type != FE_OPT_END; o++)
				if (o->long_name && strlen(o->long_name) == len &&
				    !strncmp(o->long_name, name, len))
					break;
			if (o->type == FE_OPT_END && !strncmp(name, "no-", 3)) {
				for (o = opts; o->type != FE_OPT_END; o++)
					if (o->type == FE_OPT_FLAG && o->long_name &&
					    strlen(o->long_name) == len - 3 &&
					    !strncmp(o->long_name, name + 3, len - 3))
						break;
				negated = 1;
			}
			if (o->type == FE_OPT_END) {
				fe_usage_error(usage, opts, "unknown option '--%.*s'", (int)len, name);
				return FE_PARSE_ERROR;
			}
			if (takes_arg(o) == 2) {
				if (apply(o, eq ? eq + 1 : NULL, 0, a) < 0)
					return FE_PARSE_ERROR;
			} else if (takes_arg(o)) {
				const char *arg = eq ? eq + 1 : NULL;
				if (!arg) {
					if (i + 1 >= argc) {
						fe_usage_error(usage, opts, "option '--%s' needs a value",
							       o->long_name);
						return FE_PARSE_ERROR;
					}
					arg = argv[++i];
				}
				if (apply(o, arg, 0, a) < 0)
					return FE_PARSE_ERROR;
			} else {
				if (eq) {
					fe_usage_error(usage, opts, "option '--%s' takes no value",
						       o->long_name);
					return FE_PARSE_ERROR;
				}
				apply(o, NULL, negated, a);
			}
			continue;
		}
		/* A bundle of short options: -qv, -j4, -j 4. */
		for (const char *p = a + 1; *p; p++) {
			char spelled[3] = { '-', *p, 0 };
			if (*p == 'q') {
				fe_quiet = 1;
				continue;
			}
			for (o = opts; o->type != FE_OPT_END; o++)
				if (o->short_name == *p)
					break;
			if (o->type == FE_OPT_END) {
				fe_usage_error(usage, opts, "unknown option '-%c'", *p);
				return FE_PARSE_ERROR;
			}
			if (!takes_arg(o)) {
				apply(o, NULL, 0, spelled);
				continue;
			}
			if (p[1]) {
				if (apply(o, p + 1, 0, spelled) < 0)
					return FE_PARSE_ERROR;
			} else if (i + 1 < argc) {
				if (apply(o, argv[++i], 0, spelled) < 0)
					return FE_PARSE_ERROR;
			} else {
				fe_usage_error(usage, opts, "option '-%c' needs a value", *p);
				return FE_PARSE_ERROR;
			}
			break;
		}
	}
	argv[out] = NULL;
	if (fe_quiet && silence_stdout() < 0)
		return FE_PARSE_ERROR;
	return out;
}

int fe_parse_exit(int parse_result)
{
	return parse_result == FE_PARSE_HELP ? FE_EXIT_OK : FE_EXIT_USAGE;
}

int fe_parse_oid(struct silo_oid *out, int format, const char *hex)
{
	if (silo_oid_from_hex(out, format, hex) < 0)
		return fe_error(FE_EXIT_USAGE, "%s", silo_error_message());
	return 0;
}

int fe_resolve_oid(struct silo_oid *out, silo *s, const char *hex)
{
	int ret = silo_resolve_id(out, s, hex);

	if (ret == SILO_ENOTFOUND)
		return fe_lib_error(ret);
	if (ret < 0)
		return fe_error(FE_EXIT_USAGE, "%s", silo_error_message());
	return 0;
}

/* ---- dispatch ---- */

static void tool_usage(FILE *f, const struct fe_tool *tool)
{
	fputs(tool->help, f);
}

static const struct fe_cmd *find_cmd(const struct fe_tool *tool, const char *name)
{
	size_t i;

	for (i = 0; i < tool->n_cmds; i++)
		if (!strcmp(tool->cmds[i].name, name))
			return &tool->cmds[i];
	return NULL;
}

/* Fail if anything written to stdout could not be, so that a full disk
 * is never reported as success. */
static int finish_stdout(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int e = errno;
		fprintf(stderr, "%s: error: cannot write to standard output: %s\n",
			fe_tool_name, strerror(e ? e : EIO));
		return status ? status : FE_EXIT_IO;
	}
	return status;
}

/* ---- interruption ---- */

static int signal_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;
	/* Async-signal-safe: the work is done by signal_thread(). */
	ssize_t n = write(signal_pipe[1], &c, 1);

	(void)n;
	errno = saved;
}

static void *signal_thread(void *arg)
{
	unsigned char c;
	sigset_t set;

	(void)arg;
	while (read(signal_pipe[0], &c, 1) < 0)
		if (errno != EINTR)
			return NULL;
	silo_cleanup_interrupt(1000);
	signal(c, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, c);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(c);
	_exit(128 + c);
}

int fe_cleanup_on_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	pthread_attr_t attr;
	pthread_t t;
	size_t i;

	if (signal_pipe[0] >= 0)
		return 0;
	if (pipe2(signal_pipe, O_CLOEXEC) < 0)
		return -1;
	if (pthread_attr_init(&attr) != 0)
		return -1;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, signal_thread, NULL) != 0) {
		pthread_attr_destroy(&attr);
		errno = EAGAIN;
		return -1;
	}
	pthread_attr_destroy(&attr);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;
		/* A signal ignored from the start (nohup, a background job
		 * of a shell) stays ignored. */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
	}
	return 0;
}

int fe_run_tool(const struct fe_tool *tool, int argc, const char **argv)
{
	const struct fe_cmd *cmd;
	const char *name;

	fe_tool_name = tool->name;
	if (argc < 2) {
		tool_usage(stderr, tool);
		return FE_EXIT_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
		tool_usage(stdout, tool);
		return finish_stdout(FE_EXIT_OK);
	}
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("%s version %s\n", tool->name, SILO_VERSION);
		return finish_stdout(FE_EXIT_OK);
	}
	if (!strcmp(name, "help")) {
		if (argc < 3) {
			tool_usage(stdout, tool);
			return finish_stdout(FE_EXIT_OK);
		}
		if (!find_cmd(tool, argv[2]))
			return fe_error(FE_EXIT_USAGE, "'%s' is not a %s command; see '%s --help'",
					argv[2], tool->name, tool->name);
		{
			const char *help_argv[] = { argv[2], "--help", NULL };
			return finish_stdout(find_cmd(tool, argv[2])->fn(2, help_argv));
		}
	}
	cmd = find_cmd(tool, name);
	if (!cmd)
		return fe_error(FE_EXIT_USAGE, "'%s' is not a %s command; see '%s --help'",
				name, tool->name, tool->name);
	return finish_stdout(fe_json_finish(cmd->fn(argc - 1, argv + 1)));
}
