/*
 * Fuzz the size table of a tree of the tree kind (lib/tree-object.c):
 * silo_tree_sizes_parse() accepts exactly the canonical tables (lines of
 * a decimal size without leading zero, at most 2^64-1, each ended by a
 * newline), as an oracle written here another way says; and what it
 * accepts, silo_tree_sizes_format() writes back byte for byte.
 */
#include "fuzz.h"
#include "silo/tree.h"

#include <stdlib.h>
#include <string.h>

static int canonical(const uint8_t *d, size_t len, size_t *lines)
{
	size_t p = 0, n = 0;

	while (p < len) {
		size_t start = p;
		while (p < len && d[p] >= '0' && d[p] <= '9')
			p++;
		if (p == start || p == len || d[p] != '\n')
			return 0;
		if (d[start] == '0' && p - start > 1)
			return 0;
		/* 2^64-1 has 20 digits: compare longer numbers as strings. */
		if (p - start > 20 ||
		    (p - start == 20 && memcmp(d + start, "18446744073709551615", 20) > 0))
			return 0;
		p++;
		n++;
	}
	*lines = n;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	uint64_t *sizes = NULL;
	size_t count = 0, lines = 0, i, len;
	char *text = NULL;
	int ok = canonical(data, size, &lines);

	if (silo_tree_sizes_parse(&sizes, &count, data, size) < 0) {
		if (ok)
			__builtin_trap();	/* a canonical table refused */
		return 0;
	}
	if (!ok || count != lines || (count && !sizes))
		__builtin_trap();	/* something else accepted */
	if (count) {
		if (!(l.v = calloc(count, sizeof(*l.v))))
			goto out;
		l.n = l.alloc = count;
		for (i = 0; i < count; i++)
			l.v[i].size = sizes[i];
	}
	if (silo_tree_sizes_format(&text, &len, &l) == 0 &&
	    (len != size || memcmp(text, data, size)))
		__builtin_trap();	/* it does not read back */
out:
	free(text);
	free(l.v);
	free(sizes);
	return 0;
}
