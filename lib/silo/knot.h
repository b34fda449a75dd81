/*
 * knot: wedges built from recipes, keyed by content, boxed, published
 * through medo with provenance (Documentation/knot.1.scd, wedge.5.scd,
 * knot-key.1.scd).
 *
 *	silo_knot_set *set;
 *	struct silo_knot_config cfg = { 0 };		defaults: boxed, default domain
 *	silo_knot_set_new(&set, &cfg);
 *	silo_knot_set_add(set, "deps/source.medo");	recipes, or one recipe dir
 *	silo_knot_set_resolve(set);			dependencies, keys
 *	  ... silo_knot_set_task(set, i)->key ...
 *	silo_knot_set_free(set);
 *
 *	silo_knot_build_all(&result, &options);		knot build: the graph, by ninja
 *	silo_knot_run_task(&res, &spec, status_fn);	one task of it (knot run-task)
 *
 * A set owns its recipes and tasks (one task per recipe and version);
 * pointers into it stay valid until silo_knot_set_free().  Recipes are
 * read by sourcing their WEDGE file with bash in a clean environment,
 * and built by bash with their output in a log file, both in the box
 * (bubblewrap, as an unprivileged user in a user namespace, within the
 * limits) unless unboxed.  Nothing here prints or exits.
 */
#ifndef SILO_KNOT_H
#define SILO_KNOT_H

#include "silo/common.h"

#include <stddef.h>
#include "silo/oid.h"

/* The version of the key format: bumped whenever the key text changes. */
#define SILO_KNOT_KEY_FORMAT 1
#define SILO_KNOT_DEFAULT_DOMAIN "oils-for-unix.org"
/* The environment variable naming the domain of /wedge/<domain>/pkg. */
#define SILO_KNOT_DOMAIN_ENV "KNOT_DOMAIN"
/* The environment variable naming the layout (knot-build(1), --layout). */
#define SILO_KNOT_LAYOUT_ENV "KNOT_LAYOUT"

/* The shell functions of the WEDGE protocol, as bits of recipe->funcs. */
enum silo_knot_fn {
	SILO_KNOT_FN_MAKE = 1,			/* wedge-make */
	SILO_KNOT_FN_MAKE_FROM_SOURCE = 2,	/* wedge-make-from-source-dir */
	SILO_KNOT_FN_INSTALL = 4,		/* wedge-install */
	SILO_KNOT_FN_INSTALL_FROM_SOURCE = 8,	/* wedge-install-from-source-dir */
	SILO_KNOT_FN_SMOKE_TEST = 16		/* wedge-smoke-test */
};

struct silo_knot_recipe {
	char *dir;		/* the recipe directory, absolute */
	char *source_medo;	/* the directory holding it, absolute */
	char *name;		/* WEDGE_NAME */
	char **versions;	/* WEDGE_VERSION, or the words of WEDGE_VERSION_LIST */
	size_t n_versions;
	/* has_source[i]: versions[i] can be built, its source treeptr being
	 * there (or the recipe having none at all: sourceless) */
	unsigned char *has_source;
	int sourceless;		/* no treeptr in the directory: an empty source */
	char *tarball_name;	/* WEDGE_TARBALL_NAME, or NULL */
	int is_absolute;	/* WEDGE_IS_ABSOLUTE=1 */
	int leaky;		/* WEDGE_LEAKY_BUILD=1: network while building */
	int heavy;		/* WEDGE_HEAVY=1: runs in knot build's "heavy" pool */
	char **deps;		/* WEDGE_DEPS: "name/version" words */
	size_t n_deps;
	char **env;		/* WEDGE_ENV: names of variables passed in */
	size_t n_env;
	char **build_deps;	/* WEDGE_BUILD_DEPS: Debian packages the build needs */
	size_t n_build_deps;
	char *base;		/* WEDGE_BASE: a base's treeptr, relative to DIR; or NULL */
	unsigned funcs;		/* enum silo_knot_fn bits */
	/* The tree id of the directory without its top-level treeptrs (as
	 * in the key), when it was read with a recipe cache; else "". */
	char tree[SILO_OID_MAX_HEXSZ + 1];
	char **problems;	/* what is wrong with it (knot validate) */
	size_t n_problems, alloc_problems;
};

struct silo_knot_config;

/*
 * Read the recipe in DIR: source DIR/WEDGE with bash in a clean
 * environment, in the box of CFG (NULL: the default box; cfg->unboxed:
 * on the host), with every command at the top level of the file but
 * assignments and "set -o" refused, and collect its variables and
 * functions.  What is wrong with the recipe (a refused command, a
 * missing variable or function, a malformed version, an unreadable
 * source treeptr, none for any version while the directory holds
 * treeptrs) is listed in out->problems, and the call
 * still succeeds; failing to run bash or make the box at all, or the
 * WEDGE file failing when sourced, is an error (SILO_EINVALID, with
 * bash's message).  Release with silo_knot_recipe_release().
 */
SILO_EXTERN int silo_knot_recipe_load(struct silo_knot_recipe *out, const char *dir,
			  const struct silo_knot_config *cfg);
SILO_EXTERN void silo_knot_recipe_release(struct silo_knot_recipe *r);

/* The source treeptr of VERSION: DIR/<tarball name or name>-<version>.treeptr
 * (owned by the caller); a sourceless recipe has none, but the path is
 * given all the same. */
SILO_EXTERN char *silo_knot_recipe_source(const struct silo_knot_recipe *r, const char *version);

/* 1 if DIR holds a WEDGE file. */
SILO_EXTERN int silo_knot_is_recipe(const char *dir);

/* ---- the platform ---- */

struct silo_knot_platform {
	char *id;		/* "debian" (os-release ID) */
	char *version_id;	/* "12" */
	char *codename;		/* "bookworm", or version_id when there is none */
	char *arch;		/* "x86_64" (uname -m) */
};

/* This machine's platform, from /etc/os-release and uname. */
SILO_EXTERN int silo_knot_platform_detect(struct silo_knot_platform *out);
SILO_EXTERN void silo_knot_platform_release(struct silo_knot_platform *p);

/* ---- bases (knot-base.1.scd) ---- */

/* The Debian archive bases come from unless told otherwise. */
#define SILO_KNOT_BASE_MIRROR "http://deb.debian.org/debian"

struct silo_knot_base_options {
	const char *suite;	/* bookworm, trixie, ... */
	const char *variant;	/* mmdebstrap's; NULL: minbase */
	const char *packages;	/* more packages, separated by commas or spaces; or NULL */
	const char *mirror;	/* NULL: SILO_KNOT_BASE_MIRROR */
	const char *silo;	/* a silo to use instead of SILO.json's */
	int force;		/* replace a treeptr naming another tree */
	const char *tool;	/* provenance: "knot 0.1.0" */
};

struct silo_treeptr;

/*
 * Make a Debian root file system of O->suite with mmdebstrap, with
 * SOURCE_DATE_EPOCH the date of the archive's Release file, store it
 * as a tree (kind tree) and write its treeptr at TREEPTR_PATH with the
 * provenance of knot-base(1).  *out (may be NULL) receives the treeptr.
 * SILO_ENET: the archive cannot be reached.
 */
SILO_EXTERN int silo_knot_base_make(struct silo_treeptr *out, const char *treeptr_path,
				    const struct silo_knot_base_options *o);

/* The SHA-256 (hex) of the installed package list ("dpkg-query -W"
 * lines, sorted), and the number of packages; "none" and 0 where dpkg
 * is missing. */
SILO_EXTERN int silo_knot_base_digest(char out[65], size_t *count);

/* The same as the provenance records it, "<digest> (<count> packages)"
 * (owned by the caller). */
SILO_EXTERN int silo_knot_base_packages(char **out);

/* 1 if S has the form silo_knot_base_packages() gives, else 0. */
SILO_EXTERN int silo_knot_base_packages_valid(const char *s);

/* ---- the box's limits (Documentation/knot-build.1.scd, LIMITS) ---- */

/*
 * What one build may use; 0 in a field is no limit.  Defaults (none of
 * which a normal build meets) come from silo_knot_limits_default(); the
 * environment variable KNOT_LIMITS and --limits change them, both in
 * the form "tmp=64M,disk=2G,pids=500,memory=1G,time=30m".  Limits are
 * not part of the key: a build within them gives the same tree.
 */
struct silo_knot_limits {
	unsigned long long tmp;		/* bytes: the box's /tmp, a tmpfs */
	unsigned long long disk;	/* bytes a build may add to its work directory */
	unsigned long long memory;	/* bytes of data (heap, private mappings) per process */
	unsigned long long pids;	/* processes of the box's user */
	unsigned long long seconds;	/* wall time of the recipe's functions */
};

#define SILO_KNOT_LIMITS_ENV "KNOT_LIMITS"

/* The variables of knot's environment that recipes may ask for with
 * WEDGE_ENV (names separated by spaces or commas); a recipe asking for
 * another one that is set is refused when its key is computed. */
#define SILO_KNOT_PASS_ENV_ENV "KNOT_PASS_ENV"

SILO_EXTERN void silo_knot_limits_default(struct silo_knot_limits *l);

/* Change the limits SPEC names ("name=value", separated by commas or
 * spaces; a value "none" is no limit); SILO_EINVALID naming WHAT (where
 * SPEC came from) and the item when one is malformed.  NULL or "" is
 * nothing to change. */
SILO_EXTERN int silo_knot_limits_parse(struct silo_knot_limits *l, const char *spec, const char *what);

/* All of L as silo_knot_limits_parse() reads it (owned by the caller),
 * or NULL when out of memory. */
SILO_EXTERN char *silo_knot_limits_format(const struct silo_knot_limits *l);

/*
 * Interruption: a front end's handler of SIGINT, SIGTERM and SIGHUP
 * calls silo_knot_interrupt(SIG) (async-signal-safe).  Every program
 * knot runs is then stopped (a box with all its processes, ninja after
 * it stopped its tasks), and the call running it fails; afterwards
 * silo_knot_interrupted() gives the signal (0: none came).
 */
SILO_EXTERN void silo_knot_interrupt(int sig);
SILO_EXTERN int silo_knot_interrupted(void);

/* ---- sets of tasks ---- */

struct silo_knot_config {
	const char *domain;	/* NULL: $KNOT_DOMAIN, else the default */
	/* Where wedges are built and installed: "wedge" (the default,
	 * /wedge/<domain>/pkg/<name>/<version>), "home" (a recipe without
	 * WEDGE_IS_ABSOLUTE at $HOME/wedge/<domain>/pkg/<name>/<version>),
	 * or a directory DIR (with a '/'; "~/" is $HOME): DIR/<name>/<version>.
	 * NULL: $KNOT_LAYOUT, else the default. */
	const char *layout;
	int unboxed;		/* read and build recipes on the host, without the box */
	/* The limits of the box (NULL: the defaults, changed by
	 * $KNOT_LIMITS); reading recipes is bounded by them too. */
	const struct silo_knot_limits *limits;
	const char *derived;	/* the derived medo; NULL: beside the source medo */
	const char *silo;	/* read sources and dependencies from, and store
				 * builds in, this silo instead of SILO.json's */
	/* A directory keeping what sourcing each WEDGE gave, by recipe
	 * directory and tree id, or NULL.  It is written after each time
	 * bash sources a recipe; with recipe_cache_read it is also read
	 * instead of sourcing a recipe it holds (knot build's tasks). */
	const char *recipe_cache;
	int recipe_cache_read;
	/* A recipe of a source medo that cannot be built (invalid, or
	 * depending on one that is) is listed by silo_knot_set_absent()
	 * instead of failing the set. */
	int keep_going;
	/* The base every box is rooted in (knot-base(1)), over the
	 * recipes' WEDGE_BASE; NULL: theirs, else the host's system. */
	const char *base;
};

struct silo_knot_task {
	const struct silo_knot_recipe *recipe;
	const char *version;
	int requested;		/* named on the command line (not only a dependency) */
	char key[65];		/* lower-case hex SHA-256 */
	char *key_text;		/* what was hashed (Documentation/knot-key.1.scd) */
	char recipe_tree[SILO_OID_MAX_HEXSZ + 1];
	char *source_treeptr;	/* path of the source treeptr */
	char source_object[SILO_OID_MAX_HEXSZ + 1];
	char source_tree[SILO_OID_MAX_HEXSZ + 1];
	struct silo_knot_task **deps;	/* in the same set */
	size_t n_deps;
	char *wedge_path;	/* /wedge/<domain>/pkg/<name>/<version>, or as the layout says */
	int wedge_path_moved;	/* not there: the layout moved it (and the key says so) */
	char *derived_medo;	/* the derived medo directory */
	char *derived_treeptr;	/* <derived>/<distro>/<codename>/<name>-<version>.treeptr */
	char *box;		/* the box settings, as in the key */
	/* WEDGE_BUILD_DEPS as installed here: "<package>=<version>" words,
	 * "<package>=none" when it is not installed (as in the key) */
	char *build_deps;
	char *missing_build_deps;	/* those not installed, or NULL */
	/* The base the box is rooted in: its treeptr (a real path) and its
	 * tree id; NULL and "": the host's own system. */
	char *base;
	char base_tree[SILO_OID_MAX_HEXSZ + 1];
	/* What it is built on: the base's platform, or the host's. */
	const struct silo_knot_platform *platform;
	int state;		/* private to the builder */
};

typedef struct silo_knot_set silo_knot_set;

SILO_EXTERN int silo_knot_set_new(silo_knot_set **out, const struct silo_knot_config *cfg);
SILO_EXTERN void silo_knot_set_free(silo_knot_set *set);	/* NULL is allowed */

/*
 * Add PATH: a recipe directory (holding WEDGE), every version of which
 * whose source is there is a task; <recipe-dir>/<version>, that version
 * only; or a source medo, every subdirectory of which that holds a
 * WEDGE file is a recipe.  Recipes with problems are SILO_EINVALID,
 * naming the recipe and the problems (with cfg->keep_going, those of a
 * source medo are absent instead).  A listed version without its source
 * is absent, not an error; asked for by name, it is SILO_ENOTFOUND.
 */
SILO_EXTERN int silo_knot_set_add(silo_knot_set *set, const char *path);

/*
 * Read the recipes the added ones depend on (WEDGE_DEPS, found beside
 * them in their source medo) and compute every task's key.  A missing
 * dependency or a cycle is SILO_EINVALID.
 */
SILO_EXTERN int silo_knot_set_resolve(silo_knot_set *set);

/* A new set of the recipes PATHS name (silo_knot_set_add() each),
 * resolved (silo_knot_set_resolve()); *out is owned by the caller. */
SILO_EXTERN int silo_knot_set_open(silo_knot_set **out, const struct silo_knot_config *cfg,
				   const char *const *paths, size_t n);

SILO_EXTERN size_t silo_knot_set_count(const silo_knot_set *set);

/* What the recipes added name but the set cannot build. */
enum silo_knot_absent_kind {
	SILO_KNOT_NO_SOURCE = 1,	/* a listed version whose source treeptr is not there */
	SILO_KNOT_INVALID		/* a recipe with problems, or depending on one */
};

struct silo_knot_absent {
	int kind;		/* enum silo_knot_absent_kind */
	char *dir;		/* the recipe directory */
	char *name;		/* WEDGE_NAME, or the directory's name when unread */
	char *version;		/* NULL: every version of the recipe */
	char *reason;		/* why, as an error message */
};

SILO_EXTERN size_t silo_knot_set_absent_count(const silo_knot_set *set);
SILO_EXTERN const struct silo_knot_absent *silo_knot_set_absent(const silo_knot_set *set, size_t i);

SILO_EXTERN struct silo_knot_task *silo_knot_set_task(silo_knot_set *set, size_t i);
SILO_EXTERN const struct silo_knot_platform *silo_knot_set_platform(const silo_knot_set *set);
/* The domain of the wedge paths, /wedge/<domain>/pkg. */
SILO_EXTERN const char *silo_knot_set_domain(const silo_knot_set *set);
/* Its layout as struct silo_knot_config takes it ("home", or the absolute
 * directory of <dir>/<name>/<version>), or NULL for the default. */
SILO_EXTERN const char *silo_knot_set_layout(const silo_knot_set *set);
/* The base of --base (struct silo_knot_config), an absolute path; or NULL. */
SILO_EXTERN const char *silo_knot_set_base(const silo_knot_set *set);
/* The silo of the configuration, or NULL. */
SILO_EXTERN const char *silo_knot_set_silo(const silo_knot_set *set);
/* The limits of the configuration. */
SILO_EXTERN const struct silo_knot_limits *silo_knot_set_limits(const silo_knot_set *set);

/* Whether a task's build is published in its derived medo. */
enum silo_knot_published {
	SILO_KNOT_MISSING = 0,		/* no derived treeptr */
	SILO_KNOT_PUBLISHED = 1,	/* a derived treeptr with this key */
	SILO_KNOT_STALE = 2		/* a derived treeptr of another key */
};
/* A value of enum silo_knot_published, or a negative error (a derived
 * treeptr that cannot be read). */
SILO_EXTERN int silo_knot_published(const struct silo_knot_task *t);

/* ---- building ---- */

enum silo_knot_result_kind {
	SILO_KNOT_CACHED = 0,	/* published already: nothing was built */
	SILO_KNOT_BUILT,	/* built and published */
	SILO_KNOT_SAME,		/* rebuilt (--rebuild): the same tree as published */
	SILO_KNOT_DIFFERS,	/* rebuilt: another tree than published (kept) */
	SILO_KNOT_FAILED,	/* the build failed: see message and log */
	SILO_KNOT_SKIPPED	/* a dependency failed */
};

struct silo_knot_result {
	int kind;		/* enum silo_knot_result_kind */
	int error;		/* the error code when FAILED */
	char *message;		/* what failed or differs; owned by the result */
	char *log;		/* the kept log of a failed build, or NULL */
	char tree[SILO_OID_MAX_HEXSZ + 1];	/* the tree built, if any */
	double seconds;		/* wall time of the recipe functions */
	/* CPU seconds and the largest resident set (KiB) of the recipe's
	 * processes, boxed or not (wait4 of bwrap or of the shell) */
	double box_user, box_sys;
	long box_max_rss_kib;
};

SILO_EXTERN void silo_knot_result_release(struct silo_knot_result *r);

struct silo_knot_build_options {
	int rebuild;		/* build even when published; compare the trees */
	const char *command;	/* provenance: the command line */
	const char *tool;	/* provenance: "knot 0.1.0" */
	const char *log_copy;	/* also copy the build log here (NULL: no) */
	const char *sign_key;	/* sign the derived treeptr with this SSH key */
	/* provenance: what silo_knot_base_packages() gives, when it is
	 * known already (one dpkg-query for many builds); NULL: ask it */
	const char *base_packages;
	/* Write the build's phase here as it goes, "<phase> <start>\n" (the
	 * phase fetch, make, install, smoke or publish; START is PHASE_START,
	 * seconds since the epoch), replacing the file; NULL: no. */
	const char *phase_file;
	double phase_start;
};

/*
 * Build one task whose dependencies are published.  Returns 0 with
 * res->kind set (FAILED included: res->error, res->message, res->log),
 * or a negative error when the build could not be tried at all.
 */
SILO_EXTERN int silo_knot_build(struct silo_knot_result *res, struct silo_knot_task *t,
		    const silo_knot_set *set, const struct silo_knot_build_options *o);

/*
 * Put the published build of T at ROOT/<wedge path> (ROOT NULL or "/":
 * the real path) through medo expand, replacing an older wedge there.
 * No published build with T's key is SILO_ENOTFOUND.  Returns a value of
 * enum silo_medo_expand_result or a negative error.
 */
SILO_EXTERN int silo_knot_install(const struct silo_knot_task *t, const char *root);

/* ---- one task of knot build's graph (Documentation/knot-run-task.1.scd) ---- */

/* What one task needs: the key, the recipe, and how to build, publish and
 * report it. */
struct silo_knot_task_spec {
	const char *key;		/* the task: the version of RECIPE with this key */
	const char *recipe;		/* the recipe directory */
	const char *domain;		/* NULL: $KNOT_DOMAIN, else the default */
	const char *layout;		/* NULL: the default (not $KNOT_LAYOUT) */
	int unboxed;			/* read and build the recipe without the box */
	struct silo_knot_limits limits;	/* the box's */
	int rebuild;			/* build even when published; compare the trees */
	const char *derived;		/* the derived medo; NULL: beside the source medo */
	const char *silo;		/* NULL: the silos of the medos' SILO.json */
	const char *sign_key;		/* sign the derived treeptr with this SSH key, or NULL */
	const char *report;		/* append the task's row and log here, or NULL */
	const char *stamp;		/* touch this file when the task succeeds, or NULL */
	/* the build's phase while it runs (silo_knot_build_options), removed
	 * when the task ends; or NULL */
	const char *phase;
	/* knot build's recipe cache (struct silo_knot_config), read too; or NULL */
	const char *recipe_cache;
	const char *base;		/* the base of every box (--base), or NULL */
	/* provenance: what silo_knot_base_packages() gives, or NULL to ask it */
	const char *base_packages;
	const char *command;		/* provenance: the command line */
	const char *tool;		/* provenance: "knot 0.1.0" */
};

/* A task file (<build-dir>/tasks/<key>.json, as knot build writes it for
 * each task it runs; its fields in Documentation/knot-run-task.1.scd). */
struct silo_knot_task_file {
	struct silo_knot_task_spec spec;	/* its strings are owned by DOC */
	void *doc;
};

/* Read the task file at PATH; a malformed one is SILO_EINVALID, naming
 * the file and the field.  Release with silo_knot_task_file_release(). */
SILO_EXTERN int silo_knot_task_file_read(struct silo_knot_task_file *out, const char *path);
SILO_EXTERN void silo_knot_task_file_release(struct silo_knot_task_file *f);

/*
 * Run the task SPEC names: read its recipe and those it depends on, find
 * the version asked for with SPEC->key, build and publish it as
 * silo_knot_build() does, then append its row to the report (its status
 * EXIT_STATUS(res), the caller's exit status for the result: 0 for
 * success) with its log, and touch the stamp when that status is 0.
 * Returns 0 with res->kind set (FAILED included, also when the build
 * could not be tried: res->error, res->message), or a negative error
 * when the task cannot be found or its row or stamp cannot be written
 * (then RES holds nothing).  Release RES with silo_knot_result_release().
 */
SILO_EXTERN int silo_knot_run_task(struct silo_knot_result *res, const struct silo_knot_task_spec *spec,
				   int (*exit_status)(const struct silo_knot_result *res));

/*
 * Why T is built: *why one line, "new" (no build published), "published"
 * (its key is), or the inputs of the key that changed since the published
 * build ("recipe-tree, dep dash/0.5.12"), as its derived treeptr's
 * provenance recorded them; *detail (NULL: not wanted) lines "state
 * <published|stale|missing>: <treeptr>, tree <id>, <size> bytes, key <key>"
 * and "changed <input>: <was> -> <now>".  Both owned by the caller.
 */
SILO_EXTERN int silo_knot_explain(char **why, char **detail, const struct silo_knot_task *t,
				  const silo_knot_set *set);

/* ---- provenance ---- */

/*
 * The provenance of the treeptr at PATH with its object and tree, as a
 * JSON object (*json_out, pretty, owned by the caller) and as sorted
 * "field\tvalue" lines (*text_out, owned by the caller); either may be
 * NULL.
 */
SILO_EXTERN int silo_knot_provenance(char **json_out, char **text_out, const char *path);

/* ---- knot build: a set's graph run by ninja (Documentation/knot-build.1.scd) ---- */

/* What ninja says while it runs the graph, as silo_knot_build_all() passes it on. */
enum silo_knot_line {
	SILO_KNOT_LINE_PROGRESS,	/* ninja's progress: "[3/20] name/version key" */
	SILO_KNOT_LINE_ERROR,		/* ninja's own error, without "ninja: error: " */
	SILO_KNOT_LINE_TASK		/* what a task printed: its errors and warnings */
};

/* A task that runs, as its phase file says (silo_knot_build_options). */
struct silo_knot_running {
	const struct silo_knot_task *task;
	char phase[16];		/* fetch, make, install, smoke or publish */
	double elapsed;		/* seconds since the task started */
};

struct silo_knot_build_all_options {
	/* The set's configuration (domain, box, limits, derived medo); its
	 * recipe cache is the build directory's. */
	const struct silo_knot_config *cfg;
	const char *const *paths;	/* recipe directories or source medos */
	size_t n_paths;
	const char *program;	/* what ninja runs as "<program> knot run-task" (silobox) */
	const char *build_dir;	/* build.ninja, stamps/, tasks/, recipes/; NULL: ".knot" */
	const char *report;	/* the report directory; NULL: <build-dir>/reports/<time>-<pid> */
	const char *sign_key;	/* sign each derived treeptr published with this SSH key, or NULL */
	const char *command;	/* provenance: the command line */
	int jobs;		/* ninja -j (0: 1) */
	int heavy_jobs;		/* the depth of the pool of recipes with WEDGE_HEAVY=1 (0: 1) */
	int keep_going;		/* after a failure, run all that does not depend on it */
	int rebuild;		/* build the requested tasks even when published; compare the trees */
	int install;		/* then install each requested wedge built or cached */
	const char *root;	/* ... below ROOT (as silo_knot_install()) */
	/* Each line ninja prints, a value of enum silo_knot_line (NULL: none). */
	void (*on_line)(void *payload, int kind, const char *line);
	/* While ninja runs, at least every 0.2 s: DONE of TOTAL tasks to run
	 * have ended, and the N tasks of V are running (NULL: none). */
	void (*on_progress)(void *payload, size_t done, size_t total,
			    const struct silo_knot_running *v, size_t n);
	void *payload;
};

/* What became of one task of the set. */
struct silo_knot_outcome {
	struct silo_knot_task *task;	/* in the set of the result */
	int kind;		/* enum silo_knot_result_kind: CACHED, BUILT, SAME,
				 * DIFFERS, FAILED or SKIPPED (not run after a failure) */
	int status;		/* FAILED: the task's exit status in the report (0: none) */
	char tree[SILO_OID_MAX_HEXSZ + 1];	/* the published tree, or "-" */
	int installed;		/* with install: a value of enum silo_medo_expand_result,
				 * or the negative error of installing it */
	char *install_message;	/* that error's message, or NULL */
};

struct silo_knot_build_result {
	silo_knot_set *set;		/* the recipes and tasks, owned by the result */
	struct silo_knot_outcome *v;	/* one per task of the set, in its order */
	size_t n;
	char *report;			/* the report directory, absolute */
	int ninja_status;		/* ninja's exit status (0 when nothing was to run) */
};

/*
 * knot build, top to bottom: make the paths absolute and refuse those a
 * task cannot be given (a newline, bytes that are not UTF-8: SILO_EINVALID),
 * read and resolve the set, start the report (a row for each task that
 * is published already: a cache hit), write the graph with a task file
 * for each task to run (silo_knot_run_task() reads it), run ninja, read
 * back what each task did, install, write the report's index.html.
 * Returns 0 and *out (owned by the caller: silo_knot_build_result_free()),
 * or a negative error; *out is NULL when the graph did not run to its
 * end, and set when only writing index.html failed.
 */
SILO_EXTERN int silo_knot_build_all(struct silo_knot_build_result **out,
				    const struct silo_knot_build_all_options *o);
SILO_EXTERN void silo_knot_build_result_free(struct silo_knot_build_result *r);	/* NULL is allowed */

/* ---- task reports (Documentation/knot-report.1.scd) ---- */

/* The columns of tasks.tsv, in order. */
#define SILO_KNOT_REPORT_COLUMNS "status\telapsed_secs\tstart_time\tend_time\tuser_secs\t" \
	"sys_secs\tmax_rss_KiB\twedge\tversion\tkey\tcache\tlog\twhy\ttree\ttree_bytes\ttreeptr"

struct silo_knot_row {
	int status;		/* exit status of the task: 0 for success */
	double elapsed;		/* wall seconds */
	double start, end;	/* seconds since the epoch */
	double user, sys;	/* CPU seconds of the task, its children and its box */
	long max_rss_kib;	/* the largest resident set, KiB */
	char *wedge, *version, *key;
	char *cache;		/* "hit", "built" or "failed" */
	char *log;		/* relative to the report directory, or "-" */
	char *why;		/* what silo_knot_explain() said before it ran, or "-" */
	/* The published treeptr (an absolute path), its tree id and the
	 * size of its object in bytes; "-", "-" and 0 when none was */
	char *treeptr, *tree;
	long long tree_bytes;
};

SILO_EXTERN void silo_knot_row_release(struct silo_knot_row *row);

/* Create DIR (and DIR/logs) with tasks.tsv (its header line) and
 * tasks.schema.tsv, unless they exist. */
SILO_EXTERN int silo_knot_report_init(const char *dir);

/* Append ROW to DIR/tasks.tsv in one write (safe from several processes). */
SILO_EXTERN int silo_knot_report_append(const char *dir, const struct silo_knot_row *row);

/* Write DIR/graph.tsv: each task of SET with the keys it depends on
 * (what the critical path of index.html is computed from). */
SILO_EXTERN int silo_knot_report_graph(silo_knot_set *set, const char *dir);

/* The rows of DIR/tasks.tsv (*rows owned by the caller:
 * silo_knot_rows_free()); a malformed row is SILO_EINVALID naming the
 * file and line. */
SILO_EXTERN int silo_knot_report_read(struct silo_knot_row **rows, size_t *n, const char *dir);
SILO_EXTERN void silo_knot_rows_free(struct silo_knot_row *rows, size_t n);

/* Write DIR/index.html from tasks.tsv and graph.tsv. */
SILO_EXTERN int silo_knot_report_html(const char *dir);

/* ---- workers (Documentation/knot-worker.1.scd) ---- */

/* The default time after which another worker takes a claim over. */
#define SILO_KNOT_CLAIM_TIMEOUT 3600

struct silo_knot_worker_options {
	const char *repo;	/* the git repository: URL or path */
	const char *silo;	/* the shared silo: a path or host:path */
	const char *work_dir;	/* the clone (repo/) and the cache silo (cache.silo/) */
	const char *medo;	/* the source medo in the repository */
	const char *platform;	/* NULL, or "<id>/<codename>" this machine must be */
	const char *name;	/* this worker in claims */
	int once;		/* return when nothing is left to claim */
	int unboxed;
	const struct silo_knot_limits *limits;	/* NULL: as struct silo_knot_config */
	int claim_timeout;	/* seconds; 0: SILO_KNOT_CLAIM_TIMEOUT */
	int poll_ms;		/* between looks when waiting; 0: 10 s */
	int max_tasks;		/* stop after building this many; 0: no limit */
	const char *sign_key;	/* sign the treeptrs published */
	const char *tool;	/* provenance: "knot 0.1.0" */
	/* What the worker does, one line at a time (NULL: nothing). */
	void (*on_event)(void *payload, const char *message);
	void *payload;
};

struct silo_knot_worker_stats {
	size_t built;		/* built and published by this worker */
	size_t adopted;		/* built, but another worker published the key first */
	size_t failed;		/* builds that failed */
	size_t claims_lost;	/* claims another worker made first */
	size_t taken_over;	/* expired claims taken over */
};

/*
 * Work on O->repo's recipes with other workers: clone or update the
 * repository, claim a task whose key has no published build (a claim is
 * the ref refs/knot/claims/<key>, created by a push that only one worker
 * can make), build it, push the silo's new objects to O->silo, then
 * commit and push the derived treeptr; repeat.  Returns 0 when O->once
 * and nothing is left that this worker could claim, a negative error,
 * or (never returning otherwise) runs until killed.
 */
SILO_EXTERN int silo_knot_worker_run(struct silo_knot_worker_stats *st,
			 const struct silo_knot_worker_options *o);

#endif
