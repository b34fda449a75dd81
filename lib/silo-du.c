/* The size of a silo (silo/du.h): a scan of objects/ and of the packs. */
#include "silo/du.h"
#include "silo/prune.h"
#include "store-internal.h"
#include "pack.h"
#include "error-internal.h"
#include "fsutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The size of the file at ROOT/REL into *SIZE; 0 when it went away. */
static int file_size(uint64_t *size, const char *root, const char *rel)
{
	struct stat st;
	char *path = fs_join(root, rel);

	*size = 0;
	if (!path)
		return silo__error_oom();
	if (lstat(path, &st) < 0) {
		int ret = errno == ENOENT ? 0 : silo__error_errno("cannot stat '%s'", path);
		free(path);
		return ret;
	}
	free(path);
	*size = (uint64_t)st.st_size;
	return 0;
}

static int du_loose(struct silo_du *out, silo *s)
{
	struct loose_entry *v;
	size_t n, i;
	int ret;

	if ((ret = loose_scan(&v, &n, s)) < 0)
		return ret;
	for (i = 0; i < n && !ret; i++) {
		uint64_t size;
		if (v[i].kind == LOOSE_STRAY)
			continue;
		if ((ret = file_size(&size, s->root, v[i].relpath)) < 0)
			break;
		if (v[i].kind == LOOSE_TEMP) {
			out->temp_files++;
			out->temp_bytes += size;
			continue;
		}
		out->loose_objects++;
		out->loose_bytes += size;
	}
	loose_entries_free(v, n);
	return ret;
}

static int du_packs(struct silo_du *out, silo *s)
{
	size_t i;
	int ret;

	if ((ret = pack_set_load(s->packs, 1)) < 0)
		return ret;
	for (i = 0; i < s->packs->n; i++) {
		const struct pack *p = s->packs->v[i];

		out->packs++;
		out->packed_objects += p->nr;
		out->pack_bytes += p->size + p->idx_size;
	}
	return 0;
}

int silo_du(struct silo_du *out, silo *s, const struct silo_oid_set *keep, time_t expire)
{
	struct silo_prune_options po;
	struct silo_prune_result r;
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = du_loose(out, s)) < 0 || (ret = du_packs(out, s)) < 0)
		return ret;
	out->total_bytes = out->loose_bytes + out->pack_bytes + out->temp_bytes;
	if (!keep)
		return 0;
	/* What a prune would choose is what it chooses. */
	memset(&po, 0, sizeof(po));
	po.expire = expire;
	po.dry_run = 1;
	if ((ret = silo_prune(&r, s, keep, &po)) < 0)
		return ret;
	out->prunable_objects = r.removed + r.packed_removed;
	out->prunable_temp_files = r.temps;
	out->prunable_bytes = r.bytes;
	out->unreferenced_objects = r.removed + r.young + r.packed_removed + r.packed_young;
	out->unreferenced_bytes = r.bytes - r.temp_bytes + r.young_bytes + r.packed_young_bytes;
	return 0;
}
