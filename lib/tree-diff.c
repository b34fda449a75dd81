/* Differences between two sorted tree lists, in path order. */
#include "tree-internal.h"

#include <string.h>

int silo_tree_list_diff(const struct silo_tree_list *old_list,
			const struct silo_tree_list *new_list,
			int (*cb)(void *payload, int change, const char *path),
			void *payload)
{
	size_t i = 0, j = 0;
	int ret;

	while (i < old_list->n || j < new_list->n) {
		const struct silo_tree_entry *a = i < old_list->n ? &old_list->v[i] : NULL;
		const struct silo_tree_entry *b = j < new_list->n ? &new_list->v[j] : NULL;
		int cmp = !a ? 1 : !b ? -1 : strcmp(a->path, b->path);

		if (cmp < 0) {
			ret = cb(payload, SILO_TREE_REMOVED, a->path);
			i++;
		} else if (cmp > 0) {
			ret = cb(payload, SILO_TREE_ADDED, b->path);
			j++;
		} else {
			ret = 0;
			if (!silo_oid_equal(&a->id, &b->id))
				ret = cb(payload, SILO_TREE_CHANGED, a->path);
			else if (a->mode != b->mode)
				ret = cb(payload, SILO_TREE_MODE, a->path);
			i++;
			j++;
		}
		if (ret)
			return ret;
	}
	return 0;
}
