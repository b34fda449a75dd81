/* The stored size of each entry of a pack (pack.h). */
#include "pack.h"
#include "error-internal.h"

#include <stdlib.h>

struct ent {
	uint64_t off;
	uint32_t pos;
};

static int by_offset(const void *a, const void *b)
{
	uint64_t x = ((const struct ent *)a)->off, y = ((const struct ent *)b)->off;
	return x < y ? -1 : x > y;
}

int pack_entry_sizes(uint64_t **out, const struct pack *p)
{
	struct ent *v;
	uint64_t *sizes;
	uint32_t i;

	*out = NULL;
	v = malloc((p->nr ? p->nr : 1) * sizeof(*v));
	sizes = calloc(p->nr ? p->nr : 1, sizeof(*sizes));
	if (!v || !sizes) {
		free(v);
		free(sizes);
		return silo__error_oom();
	}
	for (i = 0; i < p->nr; i++) {
		v[i].off = pack_offset_at(p, i);
		v[i].pos = i;
	}
	qsort(v, p->nr, sizeof(*v), by_offset);
	for (i = 0; i < p->nr; i++) {
		uint64_t end = i + 1 < p->nr ? v[i + 1].off : p->size - p->rawsz;
		sizes[v[i].pos] = end > v[i].off ? end - v[i].off : 0;
	}
	free(v);
	*out = sizes;
	return 0;
}

