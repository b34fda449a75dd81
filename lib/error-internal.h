/*
 * Setting errors inside the library.  Each setter records a code and a
 * message for the calling thread and returns the code, so that a failure
 * is reported and propagated in one statement:
 *
 *	if (fd < 0)
 *		return silo__error_errno("cannot open '%s'", path);
 */
#ifndef SILO_ERROR_INTERNAL_H
#define SILO_ERROR_INTERNAL_H

#include "silo/error.h"

#if defined(__GNUC__)
#define SILO_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SILO_PRINTF(f, a)
#endif

/* Record CODE with a formatted message; returns CODE. */
int silo__error_set(int code, const char *fmt, ...) SILO_PRINTF(2, 3);

/*
 * Record the current errno: the message is the formatted text, ": ", and
 * strerror(errno); the code is derived from errno (ENOENT is
 * SILO_ENOTFOUND, ENOMEM is SILO_ENOMEM, others SILO_EIO).
 */
int silo__error_errno(const char *fmt, ...) SILO_PRINTF(1, 2);

/* Record SILO_ENOMEM. */
int silo__error_oom(void);

/*
 * Put context in front of the message already recorded, keeping its code:
 * "reading 'x': " + "unexpected end of file".  Returns the code.
 */
int silo__error_wrap(const char *fmt, ...) SILO_PRINTF(1, 2);

#endif
