/*
 * Running git: a command whose whole output is wanted, or a long-lived
 * `git cat-file --batch` answering one request at a time.  git's own
 * messages are carried into ours, so a user sees why git refused.
 */
#ifndef SILO_GIT_RUN_H
#define SILO_GIT_RUN_H

#include <stdio.h>
#include <sys/types.h>
#include "strbuf.h"

/*
 * Run `git -C DIR ARGS...` (ARGS NULL-terminated), collect its standard
 * output in OUT.  A non-zero exit is SILO_ERROR (SILO_ENOTFOUND when git
 * is missing) with git's first line of stderr in the message.
 */
int git_capture(struct strbuf *out, const char *dir, const char *const *args);

/* A running `git cat-file --batch`. */
struct git_batch {
	pid_t pid;
	FILE *in;	/* requests */
	FILE *out;	/* answers */
	int err_fd;	/* git's stderr, a temporary file */
};

int git_batch_start(struct git_batch *b, const char *dir);

/*
 * Read object HEX: its type name ("tree", "blob"...) into TYPE (at least
 * 16 bytes) and its content into CONTENT.  An object git does not have
 * is SILO_ENOTFOUND.
 */
int git_batch_read(struct git_batch *b, const char *hex, char *type,
		   struct strbuf *content);

/* Stop git; returns 0 or SILO_ERROR if it failed. */
int git_batch_finish(struct git_batch *b);

#endif
