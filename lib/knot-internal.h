/*
 * What knot's modules (recipes, keys, box, build, publish) share inside
 * the library: a growable list of strings and running programs.
 */
#ifndef SILO_KNOT_INTERNAL_H
#define SILO_KNOT_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include "silo/knot.h"
#include "strvec.h"

/* strvec_push() and the like (strvec.h), reporting running out of
 * memory as the library does. */
int knot_strv_push(struct strvec *sv, const char *s);
int knot_strv_pushf(struct strvec *sv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A new string (owned by the caller), or NULL when out of memory. */
char *knot_vformat(const char *fmt, va_list ap);
char *knot_format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The SHA-256 of LEN bytes of DATA, in hex. */
int knot_sha256_hex(char out[65], const void *data, size_t len);

/* strcmp() of two char * for qsort() */
int knot_cmp_strings(const void *a, const void *b);

/* Split S at spaces and tabs into new words appended to SV. */
int knot_strv_split(struct strvec *sv, const char *s);

/* The full path of program NAME on $PATH (or the default path), owned
 * by the caller; SILO_ENOTFOUND naming it when there is none. */
int knot_which(char **out, const char *name);

/*
 * Run ARGV (ARGV[0] a full path) with environment ENVP in directory CWD
 * (NULL: the current one): standard input /dev/null, standard output
 * OUT_FD and standard error ERR_FD (-1: /dev/null).  The child is
 * killed when this process dies, and stopped (SIGTERM) when it is
 * interrupted (silo_knot_interrupt()), which is then an error.  *status
 * is its exit status, or 128 + the signal that ended it.
 */
int knot_run(int *status, char *const *argv, char *const *envp, const char *cwd,
	     int out_fd, int err_fd);

/* The same, run even when interrupted (what cleans up after one). */
int knot_run_anyway(int *status, char *const *argv, char *const *envp, const char *cwd,
		    int out_fd, int err_fd);

/* How knot_run_watched() starts a program. */
struct knot_exec {
	char *const *argv;	/* argv[0] a full path */
	char *const *envp;
	const char *cwd;	/* NULL: the current directory */
	int out_fd, err_fd;	/* -1: /dev/null (a log replaces both) */
	const int *keep_fds;	/* inherited by the program */
	size_t n_keep;
	/* Run as ROOT_UID:ROOT_GID (no supplementary groups) when this
	 * process is root; first call CHILD_SETUP(SETUP_ARG) in the child,
	 * as root (async-signal-safe; 0, or a message for the log and the
	 * child fails with 127). */
	int change_user;
	unsigned uid, gid;
	const char *(*child_setup)(const void *setup_arg);
	const void *setup_arg;
	const struct silo_knot_limits *limits;	/* pids, memory, disk as rlimits */
	int limit_pids;		/* apply limits->pids (RLIMIT_NPROC) too */
};

#define KNOT_WATCH_LINE_HEAD 64

/* Why knot_run_watched() stopped a program. */
enum knot_stop {
	KNOT_STOP_NONE = 0,
	KNOT_STOP_TIME,		/* the wall-time limit */
	KNOT_STOP_DISK,		/* the disk budget of the watched directories */
	KNOT_STOP_SIGNAL	/* silo_knot_interrupt() */
};

struct knot_watch {
	double seconds;			/* wall time; 0: no limit */
	unsigned long long disk;	/* bytes DIRS and the log may grow by; 0: no limit */
	char *const *dirs;
	size_t n_dirs;
	int info_fd;			/* read end of bwrap's --info-fd, or -1 */
	/* Each line of the program's output shorter than
	 * KNOT_WATCH_LINE_HEAD, without its newline, as it comes (NULL: none). */
	void (*on_line)(void *line_arg, const char *line);
	void *line_arg;
	/* set by knot_run_watched() */
	int stopped;			/* enum knot_stop */
	unsigned long long disk_base;	/* what DIRS and the log held at the start */
	unsigned long long disk_used;	/* growth, at the last look (and at
					 * the end of a program that succeeded) */
	/* what the program and the processes it waited for used (wait4):
	 * CPU seconds and the largest resident set, KiB */
	double user, sys;
	long max_rss_kib;
};

/*
 * Run X in a process group of its own with its standard output and
 * error through a pipe into LOG_FD (LOG_NAME in messages; -1: X's own
 * descriptors), so that it may open /dev/stdout without truncating the
 * log, and watch it: past W's time or disk budget, or when interrupted,
 * stop it with all its processes (a box: its pid 1, which takes every
 * process of the box with it, and only then bwrap), W->stopped saying
 * why.  *status as knot_run().  When it returns, no process it started
 * is left: this process is a subreaper while X runs, and ends what X
 * left behind (daemons in sessions of their own).
 */
int knot_run_watched(int *status, const struct knot_exec *x, int log_fd, const char *log_name,
		     struct knot_watch *w);

/* What an entry below a watched directory costs at least. */
#define KNOT_DISK_MIN_ENTRY 4096

/* The bytes of the files below DIRS (hard links once): each file's
 * blocks or size, whichever is larger, and at least
 * KNOT_DISK_MIN_ENTRY each. */
int knot_disk_usage(unsigned long long *out, char *const *dirs, size_t n);

/* The same with each line of the output (standard output and error)
 * passed to ON_LINE, without its newline, and ON_TICK (when not NULL)
 * called at least every 0.2 s while it runs. */
int knot_run_lines(int *status, char *const *argv, char *const *envp, const char *cwd,
		   void (*on_line)(void *payload, const char *line),
		   void (*on_tick)(void *payload), void *payload);

/* An anonymous file for capturing output, and its content read back
 * (NUL-terminated, owned by the caller). */
int knot_memfd(int *fd_out);
int knot_read_back(char **out, size_t *len, int fd);

/* The environment every recipe runs in (names and values that do not
 * depend on where things are), in key order; static strings. */
extern const char *const knot_base_env[];

/* Whether NAME may pass from knot's environment into a build: named by
 * SILO_KNOT_PASS_ENV_ENV.  knot_env_value(): its value then, or NULL. */
int knot_env_passed(const char *name);
const char *knot_env_value(const char *name);
struct strbuf;
/* The environment of R's builds as the provenance records it (env): the
 * base one and the declared variables that are set, separated by spaces. */
int knot_env_text(struct strbuf *sb, const struct silo_knot_recipe *r);

/* The installed versions of the Debian packages NAMES, as "<name>=<version>"
 * words ("<name>=none": not installed), and those not installed (NULL:
 * none); both owned by the caller.  No dpkg-query is an error. */
int knot_package_versions(char **versions, char **missing, char *const *names, size_t n);

/* The box settings of a recipe under CFG, as the key records them;
 * BASED: its box is rooted in a base. */
char *knot_box_settings(const struct silo_knot_recipe *r, int unboxed, int based);

/* How recipes are read: in the box or on the host, within LIMITS. */
struct knot_reading {
	int unboxed;
	const struct silo_knot_limits *limits;
};

/* Seconds reading recipes may take (one bash, however many recipes),
 * unless the time limit is shorter. */
#define KNOT_READ_SECONDS 60
/* ... and writes at most this much (its output and its errors, each). */
#define KNOT_READ_OUTPUT_MAX (16 << 20)

/* The tree id of recipe directory DIR without its top-level treeptrs,
 * whose data enters the key through their object ids. */
int knot_recipe_tree_id(char out[SILO_OID_MAX_HEXSZ + 1], const char *dir);

/* What sourcing one recipe directory gave: the load script's output, or
 * bash's exit status and message. */
struct knot_sourced {
	char *dir;		/* the real path */
	char *text;
	int status;
	char *err;
};

/*
 * Source the recipes in DIRS (real paths) with one bash, each in a
 * subshell of its own: 0 and OUT[0..N-1] filled (release with
 * knot_sourced_release()), 1 when that did not work out (load them one
 * by one), or a negative error.
 */
int knot_recipes_source(struct knot_sourced *out, char *const *dirs, size_t n,
			const struct knot_reading *how);
void knot_sourced_release(struct knot_sourced *v, size_t n);

/* 0 if PATH, a file of a recipe that knot reads on the host (WEDGE, a
 * source treeptr), is a regular file or missing; an error naming it
 * when it is a symbolic link (to /etc/shadow) or something else. */
int knot_recipe_own_file(const char *path);

/* silo_knot_recipe_load() with the recipe cache of struct
 * silo_knot_config (CACHE NULL: none), and what knot_recipes_source()
 * gave for DIR (PRE NULL: source it here, as HOW says). */
int knot_recipe_load(struct silo_knot_recipe *out, const char *dir, const char *cache,
		     int cache_read, const struct knot_sourced *pre,
		     const struct knot_reading *how);

/* Write LEN bytes of TEXT to PATH through a temporary file beside it,
 * renamed into place; not made durable (caches, task files).  In
 * knot-run.c with the other helpers, so that the recipe cache does not
 * call into the task layer. */
int knot_write_file(const char *path, const char *text, size_t len);

/* SILO_EINVALID, naming PATH, when knot build cannot pass PATH to its
 * tasks: a newline (refused everywhere, ninja cannot quote it), or bytes
 * that are not UTF-8 (a task file is JSON). */
int knot_path_check(const char *path);

/* Write SPEC as the task file PATH (atomically, not made durable). */
int knot_task_file_write(const char *path, const struct silo_knot_task_spec *spec);

/* The graph of knot build (knot-graph.c). */
struct knot_graph {
	const char *knot;	/* the program the edges run as "$knot knot run-task" (silobox) */
	const char *build_dir;	/* build.ninja, stamps/ and tasks/ are written here; absolute */
	/* What every task's file holds but its key, recipe and stamp; rebuild
	 * only for the requested tasks. */
	const struct silo_knot_task_spec *task;
	const unsigned char *run;	/* run[i]: task i of the set is to run */
	int heavy_jobs;		/* the depth of the "heavy" pool (recipes with WEDGE_HEAVY=1) */
};

/*
 * Write G->build_dir/build.ninja for SET: one edge per task, named by its
 * key (its output the stamp file stamps/<key>), after the edges of its
 * dependencies (order-only: keys, never times, say what is up to date).
 * A task not to run gets its stamp, one to run loses it and gets its task
 * file tasks/<key>.json, so that ninja runs exactly those (and loses a
 * phase file phases/<key> left by an earlier run).
 */
int knot_graph_write(silo_knot_set *set, const struct knot_graph *g);

/*
 * Run ninja on BUILD_DIR with JOBS jobs; KEEP_GOING: run all that can
 * run after failures.  Each line ninja prints that says something goes to
 * ON_LINE (without its newline) with its enum silo_knot_line; ON_TICK
 * (when not NULL) is called at least every 0.2 s while ninja runs.
 * *status is ninja's exit status.
 */
int knot_graph_run(int *status, const char *build_dir, int jobs, int keep_going,
		   void (*on_line)(void *payload, int kind, const char *line),
		   void (*on_tick)(void *payload), void *payload);

/* The platform of the root file system ROOT ("/": this machine's). */
int knot_platform_of(struct silo_knot_platform *out, const char *root);
/* The platform the os-release TEXT names (uname -m its architecture). */
int knot_platform_parse(struct silo_knot_platform *out, const char *text);

/* A base (knot-base.c) as the root of boxes: its treeptr, its tree id,
 * and where the cache keeps it expanded, shared read-only by builds. */
struct knot_base {
	char *treeptr;		/* its real path */
	char tree[SILO_OID_MAX_HEXSZ + 1];
	char *dir;		/* <cache>/bases/<tree> */
	/* from its own os-release */
	struct silo_knot_platform platform;
	int expanded;
};

/* Read the base at TREEPTR_PATH (SILO_EINVALID: no base). */
int knot_base_open(struct knot_base *b, const char *treeptr_path);
/* Expand it into b->dir unless the cache holds it already. */
int knot_base_expand(struct knot_base *b, const char *silo_option);
void knot_base_release(struct knot_base *b);

/*
 * The layer of BASE with PACKAGES (Debian package names separated by
 * spaces or commas): a base made as BASE was (suite, variant, mirror)
 * with its packages and these, from the same state of the archive,
 * stored once as MEDO_DIR/layers/<distro>/<codename>/<hash>.treeptr
 * (HASH of BASE's tree id and the packages); *out its path.  An
 * archive that changed since BASE was made is an error.
 */
int knot_layer_ensure(char **out, const struct knot_base *base, const char *packages,
		      const char *medo_dir, const char *silo_option, const char *tool);

/* 1 if DIR exists and is a directory. */
int knot_is_dir(const char *dir);

/* The published treeptr at PATH into ROW: its absolute path, its tree id
 * and size (row->treeptr and row->tree, the caller's to free); nothing
 * when it cannot be read. */
int knot_row_treeptr(struct silo_knot_row *row, const char *path);

/* Remove work directories left by builds that were killed. */
void knot_remove_stale_work(void);

#endif
