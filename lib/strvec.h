/*
 * Lists of strings, the one way (git's strvec): V holds N strings the
 * list owns and, once one was added, a NULL after them, so that V can
 * be an argv or envp.
 *
 *	struct strvec sv = STRVEC_INIT;
 *
 *	if (strvec_push(&sv, name) < 0)
 *		return silo__error_oom();
 *	...
 *	strvec_clear(&sv);
 *
 * The functions return 0, or -1 when memory runs out; then the list is
 * as it was.  Only the C library is needed, so the front ends use it
 * too, as they use alloc.h.
 */
#ifndef SILO_STRVEC_H
#define SILO_STRVEC_H

#include "alloc.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct strvec {
	char **v;
	size_t n, alloc;
};

#define STRVEC_INIT { NULL, 0, 0 }

/* Append S, which the list owns from then on (only when 0 is returned). */
static inline int strvec_push_nodup(struct strvec *sv, char *s)
{
	if (ALLOC_GROW(sv->v, sv->n + 2, sv->alloc) < 0)
		return -1;
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return 0;
}

/* Append a copy of the LEN bytes at S. */
static inline int strvec_pushn(struct strvec *sv, const char *s, size_t len)
{
	char *copy = strndup(s, len);

	if (!copy || strvec_push_nodup(sv, copy) < 0) {
		free(copy);
		return -1;
	}
	return 0;
}

/* Append a copy of S. */
static inline int strvec_push(struct strvec *sv, const char *s)
{
	return strvec_pushn(sv, s, strlen(s));
}

/* The index of the first string equal to the LEN bytes at S, or -1. */
static inline ptrdiff_t strvec_findn(const struct strvec *sv, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (strlen(sv->v[i]) == len && !memcmp(sv->v[i], s, len))
			return (ptrdiff_t)i;
	return -1;
}

/* The array, now the caller's (NULL when the list is empty); SV is
 * empty again. */
static inline char **strvec_detach(struct strvec *sv)
{
	char **v = sv->v;

	sv->v = NULL;
	sv->n = sv->alloc = 0;
	return v;
}

/* Free the strings and the array; SV is empty (STRVEC_INIT) again. */
static inline void strvec_clear(struct strvec *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->alloc = 0;
}

#endif
