/*
 * Error reporting for the silo library.
 *
 * Every fallible call returns 0 (or a non-negative count) on success and a
 * negative code from enum silo_error_code on failure.  The failing call also
 * leaves a message for the calling thread, read with silo_error_message()
 * right after the call.  The library never prints and never exits: front
 * ends decide what a failure means for the user.
 *
 * Messages follow git's style: lowercase, no final period, the problem first
 * and the object quoted, e.g. "cannot open 'x': No such file or directory".
 */
#ifndef SILO_ERROR_H
#define SILO_ERROR_H

#include "silo/common.h"

enum silo_error_code {
	SILO_OK = 0,
	SILO_ERROR = -1,	/* a failure with no more specific code */
	SILO_ENOTFOUND = -2,	/* a file, object or silo does not exist */
	SILO_EEXISTS = -3,	/* something is in the way */
	SILO_ECORRUPT = -4,	/* stored data fails its checksum or format */
	SILO_EINVALID = -5,	/* malformed input: an argument, a JSON file */
	SILO_EIO = -6,		/* the operating system failed a read or write */
	SILO_ENOMEM = -7,	/* out of memory */
	SILO_ENET = -8,		/* a network transfer failed */
	SILO_EUNSAFE = -9,	/* refused: would write outside its destination */
	SILO_EDIFFERS = -10	/* a negative answer: content differs */
};

/* The message of the last failure in this thread; never NULL. */
SILO_EXTERN const char *silo_error_message(void);

/* The code of the last failure in this thread, or SILO_OK. */
SILO_EXTERN int silo_error_last(void);

/* Forget the last failure of this thread. */
SILO_EXTERN void silo_error_clear(void);

#endif
