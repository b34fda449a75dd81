/*
 * A minimal TAP producer for C unit tests of the library:
 *
 *	ok(cond, "what the condition means");
 *	is_str(got, want, "name");
 *	return done_testing();
 */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <string.h>
#include "silo/error.h"

static int tap_count, tap_failed;

static inline int ok_at(int cond, const char *file, int line, const char *name)
{
	tap_count++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_count, name);
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
		printf("#   last library error: %s\n", silo_error_message());
	}
	return cond;
}

#define ok(cond, name) ok_at(!!(cond), __FILE__, __LINE__, (name))

static inline int is_str_at(const char *got, const char *want, const char *file,
		     int line, const char *name)
{
	int cond = ok_at(!strcmp(got, want), file, line, name);

	if (!cond)
		printf("#   got:  '%s'\n#   want: '%s'\n", got, want);
	return cond;
}

static inline int is_int_at(long long got, long long want, const char *file, int line,
		     const char *name)
{
	int cond = ok_at(got == want, file, line, name);

	if (!cond)
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return cond;
}

#define is_str(got, want, name) is_str_at((got), (want), __FILE__, __LINE__, (name))
#define is_int(got, want, name) \
	is_int_at((long long)(got), (long long)(want), __FILE__, __LINE__, (name))

static inline int done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
