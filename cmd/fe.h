/*
 * The shared front-end layer of silo, medo and knot: a subcommand table
 * and dispatcher, a table-driven option parser, and the one exit-status
 * table the three tools share.  Front ends parse, call lib/, print and
 * return an exit status; all logic is in the library.
 *
 * Adding a command:
 *  1. write cmd/<tool>/<name>.c with int cmd_<tool>_<name>(int, const char **);
 *  2. declare it in cmd/<tool>/<tool>-cmd.h and add a row to the tool's
 *     table in cmd/<tool>/<tool>.c;
 *  3. write Documentation/<tool>-<name>.1.scd (its SYNOPSIS equal to the
 *     usage lines: t9001 checks);
 *  4. write tests in t/.
 */
#ifndef FE_H
#define FE_H

#include <stdint.h>
#include <stdio.h>

/* Exit statuses shared by all three tools (Documentation/silo.1.scd). */
enum fe_exit {
	FE_EXIT_OK = 0,
	FE_EXIT_NEGATIVE = 1,	/* a negative answer: bad object, tree differs */
	FE_EXIT_USAGE = 2,	/* bad command line */
	FE_EXIT_NOTFOUND = 3,	/* a silo, object or file does not exist */
	FE_EXIT_CORRUPT = 4,	/* stored or fetched data fails its checksum */
	FE_EXIT_INVALID = 5,	/* malformed input: JSON, archive, id */
	FE_EXIT_IO = 6,		/* a read or write failed: disk full, permissions */
	FE_EXIT_NETWORK = 7,	/* a transfer failed */
	FE_EXIT_REFUSED = 8,	/* refused: unsafe entry, something in the way */
	FE_EXIT_FAILURE = 9	/* any other failure */
};

/* The exit status for a negative library error code. */
int fe_exit_for(int lib_code);

struct fe_cmd {
	const char *name;
	int (*fn)(int argc, const char **argv);
	const char *summary;	/* one line for the tool's --help */
};

struct fe_tool {
	const char *name;		/* "silo" */
	const char *summary;		/* one line */
	const struct fe_cmd *cmds;	/* sorted by name */
	size_t n_cmds;
};

/* Run TOOL with argv[0] its own name; returns the exit status. */
int fe_run_tool(const struct fe_tool *tool, int argc, const char **argv);

/* The running tool's name, for messages ("silo"). */
extern const char *fe_tool_name;

/* Print "<tool>: error: <fmt...>" on stderr; returns STATUS. */
int fe_error(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Report the library's last failure (code RET) and return its exit status. */
int fe_lib_error(int ret);

/*
 * From now on, SIGINT, SIGTERM and SIGHUP (those not ignored when the
 * process started) remove what the library registered for removal
 * (silo/cleanup.h: medo expand's staging directories), then end the
 * process by that signal, as it would have without the handler.  For
 * commands that build beside their destination; never for those that
 * manage child processes of their own.  Returns 0, or -1 (errno set) if
 * the handlers cannot be installed.
 */
int fe_cleanup_on_signals(void);

/*
 * -q / --quiet, which every command takes: fe_parse_options() sets it
 * and then sends standard output to /dev/null, so that a quiet command
 * prints nothing on success whatever it would have printed; warnings and
 * progress are silenced too.  Errors still go to stderr, and the exit
 * status carries the answer.
 */
extern int fe_quiet;

/* Print "<tool>: warning: <fmt...>" on stderr (nothing when quiet). */
void fe_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Progress on stderr, only when it is a terminal and not silenced:
 * a line rewritten in place, throttled to a few updates a second.
 */
struct fe_progress {
	const char *title;
	int enabled;
	uint64_t start_ms;
	uint64_t last_ms;
	uint64_t bytes;
	uint64_t bytes_total;	/* 0: unknown; percentages follow the count */
	uint64_t count;		/* the last count fe_progress_bytes() had */
	const char *unit;	/* what the count counts ("files"), or NULL */
	int with_bytes;
	int shown;
};

/* --progress (1), --no-progress (0) or neither (-1: on a terminal only);
 * set by fe_parse_options(). */
extern int fe_progress_mode;

/* QUIET (or fe_quiet) keeps it silent; otherwise fe_progress_mode, or
 * whether stderr is a terminal, decides.  Each line shows a percentage, a
 * rate and an estimate of the time left. */
void fe_progress_start(struct fe_progress *p, const char *title, int quiet);
void fe_progress_update(struct fe_progress *p, uint64_t done, uint64_t total);
void fe_progress_stop(struct fe_progress *p, uint64_t done, uint64_t total);

/* The same with a byte count and the rate since the start, for transfers:
 * "fetching objects:  45% (9/20), 12.3 MiB | 4.1 MiB/s". */
void fe_progress_update_bytes(struct fe_progress *p, uint64_t done, uint64_t total,
			      uint64_t bytes);

/* FILES done (no total), BYTES of BYTES_TOTAL (0 if unknown), for a tree
 * being stored or written: "medo add: 45% (1203 files), 112.3 MiB, ...". */
void fe_progress_bytes(struct fe_progress *p, uint64_t files, uint64_t bytes,
		       uint64_t bytes_total);

/* The same as a library callback (silo_medo_bytes_fn), PROGRESS a
 * struct fe_progress. */
void fe_progress_on_bytes(void *progress, uint64_t files, uint64_t bytes,
			  uint64_t total);

/*
 * Options.  Each command declares its usage lines (NULL-terminated; the
 * first is the synopsis) and a table of options ending in OPT_END(), and
 * calls fe_parse_options(), which removes the options from argv and
 * returns how many arguments remain, or a negative value: then the
 * command returns fe_parse_exit() of it (0 after --help, 2 on error).
 */
enum fe_opt_type {
	FE_OPT_END,
	FE_OPT_FLAG,	/* int: set to 1, or 0 with --no-<long> */
	FE_OPT_COUNT,	/* int: incremented each time */
	FE_OPT_STRING,	/* const char *: the argument */
	FE_OPT_INT,	/* int: the argument, a whole number */
	FE_OPT_STRINGS	/* struct fe_strings: every argument, in order */
};

/* The arguments of a repeatable option; free(v) when done. */
struct fe_strings {
	const char **v;
	size_t n, alloc;
};

#define FE_STRINGS_INIT { NULL, 0, 0 }

struct fe_option {
	enum fe_opt_type type;
	char short_name;	/* 0 for none */
	const char *long_name;	/* NULL for none */
	void *value;
	const char *argh;	/* the argument's placeholder in help */
	const char *help;
};

#define OPT_END() { FE_OPT_END, 0, NULL, NULL, NULL, NULL }
#define OPT_FLAG(s, l, v, h) { FE_OPT_FLAG, (s), (l), (v), NULL, (h) }
#define OPT_COUNT(s, l, v, h) { FE_OPT_COUNT, (s), (l), (v), NULL, (h) }
#define OPT_STRING(s, l, v, a, h) { FE_OPT_STRING, (s), (l), (v), (a), (h) }
#define OPT_INT(s, l, v, a, h) { FE_OPT_INT, (s), (l), (v), (a), (h) }
#define OPT_STRINGS(s, l, v, a, h) { FE_OPT_STRINGS, (s), (l), (v), (a), (h) }

#define FE_PARSE_HELP (-1)
#define FE_PARSE_ERROR (-2)

int fe_parse_options(int argc, const char **argv, const struct fe_option *opts,
		     const char *const *usage);
int fe_parse_exit(int parse_result);

/* Print the usage lines and option help to F. */
void fe_usage(FILE *f, const char *const *usage, const struct fe_option *opts);

/* Report a usage error with MSG, then the usage; returns FE_EXIT_USAGE. */
int fe_usage_error(const char *const *usage, const struct fe_option *opts,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Parse an id in the silo's format, reporting a usage-grade error. */
struct silo_oid;
int fe_parse_oid(struct silo_oid *out, int format, const char *hex);

/*
 * An id given on the command line: the whole id or a unique prefix (at
 * least 7 hex digits) of the id of an object of S.  Returns 0, or an
 * exit status after reporting the error: 3 when no object has the
 * prefix, 2 for a prefix too short, ambiguous or not hex.
 */
#include "silo/store.h"
int fe_resolve_oid(struct silo_oid *out, silo *s, const char *hex);

#endif
