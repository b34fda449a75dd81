/*
 * Growing arrays, the one way: ALLOC_GROW(v, nr, alloc) makes room for
 * NR elements in the array V, which has room for ALLOC now, growing it
 * by about half at a time so that appending one by one stays linear.
 *
 *	if (ALLOC_GROW(l->v, l->n + 1, l->alloc) < 0)
 *		return silo__error_oom();
 *	l->v[l->n++] = x;
 *
 * Returns 0, or -1 when memory runs out; then V and ALLOC are unchanged
 * and still owned by the caller.  Only the C library is needed, so the
 * front ends use it too.
 */
#ifndef SILO_ALLOC_H
#define SILO_ALLOC_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* VP is the address of the array pointer, SIZE the element size. */
static inline int alloc_grow_(void *vp, size_t *alloc, size_t nr, size_t size)
{
	void *v, *nv;
	size_t n;

	if (nr <= *alloc)
		return 0;
	n = (*alloc + 16) / 2 * 3;
	if (n < nr)
		n = nr;
	if (n > SIZE_MAX / size)
		return -1;
	memcpy(&v, vp, sizeof(v));
	if (!(nv = realloc(v, n * size)))
		return -1;
	memcpy(vp, &nv, sizeof(nv));
	*alloc = n;
	return 0;
}

#define ALLOC_GROW(v, nr, alloc) alloc_grow_(&(v), &(alloc), (nr), sizeof(*(v)))

#endif
