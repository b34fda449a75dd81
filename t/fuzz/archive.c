/* Fuzz archive walking (lib/tree-archive.c): the tree id of an archive
 * of any format libarchive reads, never unpacked. */
#include "fuzz.h"
#include "silo/tree.h"

struct mem {
	const uint8_t *data;
	size_t size;
	int done;
};

static int mem_read(void *payload, const void **data, size_t *len)
{
	struct mem *m = payload;

	if (m->done)
		return 0;
	m->done = 1;
	*data = m->data;
	*len = m->size;
	return m->size ? 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	struct mem m = { data, size, 0 };
	silo_oid id;

	if (silo_tree_list_archive(&l, SILO_OID_SHA1, mem_read, &m, "fuzz") == 0)
		silo_tree_list_id(&id, &l);
	silo_tree_list_release(&l);
	return 0;
}
