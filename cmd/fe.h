/*
 * The shared front-end layer of silo, medo and knot: a subcommand table
 * and dispatcher, a table-driven option parser, and the one exit-status
 * table the three tools share.  Front ends parse, call lib/, print and
 * return an exit status; all logic is in the library.
 *
 * Each command's manual page is the one source of its usage lines, its
 * options' help and its row in the tool's table: tools/gen-docs.py makes
 * them into fe-cmds.h and fe-cmds.c in the build directory.  Adding a
 * command (HACKING says more):
 *  1. write Documentation/<tool>-<name>.1.scd, and list it with its
 *     one-line summary under COMMANDS in Documentation/<tool>.1.scd;
 *  2. write cmd/<tool>/<name>.c with int cmd_<tool>_<name>(int, const
 *     char **) (declared in fe-cmds.h), which parses the options its page
 *     documents with fe_parse_options(..., &fe_usage_<tool>_<name>);
 *  3. write tests in t/.
 */
#ifndef FE_H
#define FE_H

#include <stdint.h>
#include <stdio.h>
#include "strvec.h"

/* Exit statuses shared by all three tools: the one table, documented
 * under EXIT STATUS in Documentation/silo.1.scd (t0007 checks both agree
 * and holds the commands to it). */
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

/* The tables below are generated from the manual pages (fe-cmds.c). */
struct fe_cmd {
	const char *name;
	int (*fn)(int argc, const char **argv);
};

struct fe_tool {
	const char *name;		/* "silo" */
	const char *help;		/* what --help prints */
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

/* "1:05" or "1:02:03" for SECS seconds. */
void fe_format_duration(char *buf, size_t len, double secs);

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

/* Progress of work in phases, one line each: a phase's line ends
 * ("..., done.") when the next begins.  Zero it first. */
struct fe_phase_progress {
	struct fe_progress progress;
	const char *phase;	/* the phase shown now, or NULL */
	uint64_t total;		/* its total */
};

/* As a library callback (struct silo_repack_options and
 * silo_prune_options' on_progress), PAYLOAD a struct fe_phase_progress. */
void fe_phase_progress(void *payload, const char *phase, uint64_t done, uint64_t total);

/* End the line of the phase shown, if any. */
void fe_phase_progress_stop(struct fe_phase_progress *pp);

/*
 * Options.  Each command declares a table of the options it parses,
 * ending in OPT_END(): each option's type, names and where its value
 * goes.  Its usage lines and the help of each option are in its manual
 * page, generated into a struct fe_usage (fe_usage_<tool>_<name>, in
 * fe-cmds.h).  fe_parse_options() removes the options from argv and
 * returns how many arguments remain, or a negative value: then the
 * command returns fe_parse_exit() of it (0 after --help, 2 on error).
 * -q, --progress and -h are every command's and are in no table.
 *
 * The table and the page must name the same options, with the same
 * short names, taking a value or not: fe_parse_options() and fe_usage()
 * check, and abort with a BUG message when they differ, so that any run
 * of the command shows the mistake.
 */
enum fe_opt_type {
	FE_OPT_END,
	FE_OPT_FLAG,	/* int: set to 1, or 0 with --no-<long> */
	FE_OPT_COUNT,	/* int: incremented each time */
	FE_OPT_STRING,	/* const char *: the argument */
	FE_OPT_INT,	/* int: the argument, a whole number */
	FE_OPT_STRINGS,	/* struct strvec (strvec.h): a copy of every argument,
			   in order; strvec_clear() when done */
	FE_OPT_JSON	/* int: 1 with --json[=pretty|compact] (fe-json.h) */
};

struct fe_option {
	enum fe_opt_type type;
	char short_name;	/* 0 for none */
	const char *long_name;	/* NULL for none */
	void *value;
};

#define OPT_END() { FE_OPT_END, 0, NULL, NULL }
#define OPT_FLAG(s, l, v) { FE_OPT_FLAG, (s), (l), (v) }
#define OPT_COUNT(s, l, v) { FE_OPT_COUNT, (s), (l), (v) }
#define OPT_STRING(s, l, v) { FE_OPT_STRING, (s), (l), (v) }
#define OPT_INT(s, l, v) { FE_OPT_INT, (s), (l), (v) }
#define OPT_STRINGS(s, l, v) { FE_OPT_STRINGS, (s), (l), (v) }
#define OPT_JSON(v) { FE_OPT_JSON, 0, "json", (v) }

/* An option as its page documents it. */
struct fe_opt_doc {
	char short_name;	/* 0 for none */
	const char *long_name;	/* NULL for none */
	int takes_value;	/* 0, 1, or 2: a value that may be left out */
};

/* A command's usage, generated from its page. */
struct fe_usage {
	const char *name;		/* "silo put" */
	const char *page;		/* "silo-put(1)" */
	const char *help;		/* what --help prints */
	const struct fe_opt_doc *opts;	/* ends with { 0, NULL, 0 } */
};

#define FE_PARSE_HELP (-1)
#define FE_PARSE_ERROR (-2)

int fe_parse_options(int argc, const char **argv, const struct fe_option *opts,
		     const struct fe_usage *usage);
int fe_parse_exit(int parse_result);

/* Print the usage lines and option help to F. */
void fe_usage(FILE *f, const struct fe_usage *usage, const struct fe_option *opts);

/* Report a usage error with MSG, then the usage; returns FE_EXIT_USAGE. */
int fe_usage_error(const struct fe_usage *usage, const struct fe_option *opts,
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
