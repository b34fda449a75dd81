/* Flat lists of a tree's leaves: building, ordering, releasing. */
#include "tree-internal.h"
#include "alloc.h"
#include "error-internal.h"

#include <stdlib.h>
#include <string.h>

void silo_tree_list_release(struct silo_tree_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

int tree_list_push(struct silo_tree_list *l, char *path, unsigned mode,
		   const silo_oid *id, uint64_t size)
{
	struct silo_tree_entry *e;

	if (ALLOC_GROW(l->v, l->n + 1, l->alloc) < 0) {
		free(path);
		return silo__error_oom();
	}
	e = &l->v[l->n++];
	e->path = path;
	e->mode = mode;
	if (id)
		e->id = *id;
	else
		memset(&e->id, 0, sizeof(e->id));
	e->size = size;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct silo_tree_entry *x = a, *y = b;

	/* strcmp compares as unsigned char: git's bytewise order. */
	return strcmp(x->path, y->path);
}

void tree_list_sort(struct silo_tree_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), entry_cmp);
}

int tree_path_cmp(const char *a, size_t alen, int a_dir,
		  const char *b, size_t blen, int b_dir)
{
	size_t len = alen < blen ? alen : blen;
	int cmp = memcmp(a, b, len);
	unsigned char ca, cb;

	if (cmp)
		return cmp;
	ca = len < alen ? (unsigned char)a[len] : a_dir ? '/' : 0;
	cb = len < blen ? (unsigned char)b[len] : b_dir ? '/' : 0;
	if (ca != cb)
		return ca < cb ? -1 : 1;
	/* "d/" (a directory) before "d/x": the shorter first. */
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

int tree_search(const void *base, size_t n, size_t stride, const char *path,
		  size_t len, size_t *at)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *p = *(char *const *)((const char *)base + mid * stride);
		int c = strncmp(p, path, len);
		if (!c && p[len])
			c = 1;
		if (!c) {
			*at = mid;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}
