/* The bubblewrap box of builds and of reading recipes (lib/knot-box.c). */
#ifndef SILO_KNOT_BOX_H
#define SILO_KNOT_BOX_H

#include "knot-internal.h"

/* Where things are inside the box: fixed, so that builds do not depend
 * on where the host keeps them. */
#define KNOT_BOX_RECIPE "/knot/recipe"
#define KNOT_BOX_DRIVER "/knot/driver.sh"
#define KNOT_BOX_SRC "/knot/src"
#define KNOT_BOX_BUILD "/knot/build"
#define KNOT_BOX_SMOKE "/knot/smoke"

/* The user a recipe runs as in the box, and the host user the box runs
 * as when knot runs as root. */
#define KNOT_BOX_UID 1000
#define KNOT_BOX_USER "knot"
#define KNOT_BOX_HOST_UID 65534

/* The most directories of the host one box binds (as root, each is a
 * mount the child holds open before it becomes the box's user). */
#define KNOT_BOX_MAX_BINDS 256

/* A directory of the host in the box. */
struct knot_bind {
	const char *host;	/* an absolute path */
	const char *box;	/* an absolute path in the box */
	int writable;
};

struct knot_box {
	const char *bwrap;	/* full path */
	/* A directory of the host to be the box's system (an expanded
	 * base): its top-level entries and those of its /etc, read-only,
	 * in place of the host's; NULL: the host's own. */
	const char *root;
	int net;		/* share the host's network */
	const struct knot_bind *binds;
	size_t n_binds;
	const char *driver;	/* the content of KNOT_BOX_DRIVER, or NULL */
	const char *chdir;	/* in the box */
	unsigned long long tmp_size;	/* bytes of /tmp; 0: the tmpfs default */
};

/*
 * A box about to start: bwrap's command line up to and including "--"
 * (the program to run in the box follows), the descriptors bwrap reads
 * (files made for the box, --info-fd), and, when knot runs as root, the
 * unprivileged user to run bwrap as and the mounts that let that user
 * reach the directories bound (made in the child, in a mount namespace
 * of its own: nothing of the host changes).
 */
struct knot_box_run {
	struct strvec argv;
	int fds[8];
	size_t n_fds;
	int info_fd;		/* the read end of --info-fd */
	int as_root;		/* knot runs as root: become KNOT_BOX_HOST_UID */
	char **stage_from;	/* root: host directories ... */
	char **stage_to;	/* ... mounted here in the child for bwrap */
	size_t n_stage;
};

#define KNOT_BOX_RUN_INIT { STRVEC_INIT, { 0 }, 0, -1, 0, NULL, NULL, 0 }

int knot_box_prepare(struct knot_box_run *run, const struct knot_box *b);
void knot_box_run_release(struct knot_box_run *run);

/* Fill the fields of X (descriptors, user, child set-up) that RUN needs. */
void knot_box_exec(struct knot_exec *x, const struct knot_box_run *run);

/* Whether builds would run as KNOT_BOX_HOST_UID (knot runs as root,
 * and that user exists here). */
int knot_box_as_root(void);

/* The limit a failed build's LOG shows it reached ("tmp", "disk",
 * "pids", "memory"; "shm": tmp, in /dev/shm), or NULL. */
const char *knot_box_limit_in_log(const char *log, size_t len);

/* The limit NAME of L, as the user would set it (static). */
const char *knot_box_limit_text(char buf[64], const struct silo_knot_limits *l, const char *name);

/* 1 if bwrap's (or the child's) complaint LINE says that this system
 * refuses to make the namespaces of the box, else 0. */
int knot_box_refused(const char *line);

/*
 * WHAT (e.g. "dash/0.5.12: cannot make the box") failed with bwrap's
 * message LINE: a new message (owned by the caller) saying what is
 * missing and what to do when the cause is user namespaces refused,
 * else WHAT and LINE.
 */
char *knot_box_failure(const char *what, const char *line);

/* The line of TEXT (length LEN) where bwrap or the box's set-up says
 * why it failed, copied into BUF; NULL when there is none. */
const char *knot_box_complaint(char *buf, size_t size, const char *text, size_t len);

#endif
