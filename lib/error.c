/* Per-thread error state (see silo/error.h). */
#include "error-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MESSAGE_MAX 4096

static _Thread_local int last_code;
static _Thread_local char last_message[MESSAGE_MAX];

const char *silo_error_message(void)
{
	return last_message[0] ? last_message : "no error";
}

int silo_error_last(void)
{
	return last_code;
}

void silo_error_clear(void)
{
	last_code = SILO_OK;
	last_message[0] = '\0';
}

static int set_v(int code, const char *fmt, va_list ap)
{
	vsnprintf(last_message, sizeof(last_message), fmt, ap);
	last_code = code;
	return code;
}

int silo__error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_v(code, fmt, ap);
	va_end(ap);
	return code;
}

static int code_for_errno(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return SILO_ENOTFOUND;
	case EEXIST:
	case ENOTEMPTY:
		return SILO_EEXISTS;
	case ENOMEM:
		return SILO_ENOMEM;
	default:
		return SILO_EIO;
	}
}

int silo__error_errno(const char *fmt, ...)
{
	int saved = errno;
	size_t used;
	va_list ap;

	va_start(ap, fmt);
	set_v(code_for_errno(saved), fmt, ap);
	va_end(ap);
	used = strlen(last_message);
	snprintf(last_message + used, sizeof(last_message) - used, ": %s",
		 strerror(saved));
	errno = saved;
	return last_code;
}

int silo__error_oom(void)
{
	return silo__error_set(SILO_ENOMEM, "out of memory");
}

int silo__error_wrap(const char *fmt, ...)
{
	char old[MESSAGE_MAX];
	size_t used;
	va_list ap;

	memcpy(old, last_message, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(last_message, sizeof(last_message), fmt, ap);
	va_end(ap);
	used = strlen(last_message);
	snprintf(last_message + used, sizeof(last_message) - used, ": %s", old);
	if (last_code == SILO_OK)
		last_code = SILO_ERROR;
	return last_code;
}
