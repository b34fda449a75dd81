/*
 * The pack source: the objects of a silo's packs in pack/, as one
 * object source (source.h).  The set of packs is loaded on first use
 * and scanned again when an object is not found, since a repack may
 * have moved it from its loose file into a pack that appeared since.
 */
#include "source.h"
#include "pack.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int by_relpack(const void *a, const void *b)
{
	return strcmp((*(struct pack *const *)a)->relpack, (*(struct pack *const *)b)->relpack);
}

static int have_pack(const struct pack_set *ps, const char *relbase)
{
	size_t i, len = strlen(relbase);

	for (i = 0; i < ps->n; i++)
		if (!strncmp(ps->v[i]->relpack, relbase, len))
			return 1;
	return 0;
}

int pack_set_load(struct pack_set *ps, int rescan)
{
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (ps->loaded && !rescan)
		return 0;
	if (!ps->cache && (ret = pack_cache_new(&ps->cache, 0)) < 0)
		return ret;
	ps->loaded = 1;
	d = opendir(ps->pack_dir);
	if (!d)
		return errno == ENOENT ? 0 :
			silo__error_errno("cannot read directory '%s'", ps->pack_dir);
	while ((de = readdir(d))) {
		char relbase[16 + SILO_OID_MAX_HEXSZ], *pack_path;
		struct pack *p;
		int exists;

		if (!pack_name_is(de->d_name, ps->format, "idx"))
			continue;
		snprintf(relbase, sizeof(relbase), "pack/%.*s",
			 (int)(strlen(de->d_name) - 4), de->d_name);
		if (have_pack(ps, relbase))
			continue;
		/* A .pack whose .idx is missing is a write in progress; an
		 * .idx without its .pack is a removal in progress. */
		{
			char rel[32 + SILO_OID_MAX_HEXSZ];
			snprintf(rel, sizeof(rel), "%s.pack", relbase);
			if (!(pack_path = fs_join(ps->root, rel))) {
				ret = silo__error_oom();
				break;
			}
		}
		exists = fs_exists(pack_path);
		free(pack_path);
		if (exists <= 0)
			continue;
		if ((ret = pack_open(&p, ps->root, relbase, ps->format)) < 0) {
			if (ret == SILO_ENOTFOUND) {
				ret = 0;
				continue;
			}
			if (!ps->error) {
				ps->error = ret;
				free(ps->error_msg);
				ps->error_msg = strdup(silo_error_message());
			}
			ret = 0;
			continue;
		}
		if (ALLOC_GROW(ps->v, ps->n + 1, ps->alloc) < 0) {
			pack_close(p);
			ret = silo__error_oom();
			break;
		}
		ps->v[ps->n++] = p;
	}
	closedir(d);
	if (ps->n > 1)
		qsort(ps->v, ps->n, sizeof(*ps->v), by_relpack);
	return ret;
}

int pack_set_find(struct pack_set *ps, const silo_oid *id, struct pack **pack,
		  uint64_t *offset)
{
	size_t i;
	uint32_t pos;

	for (i = 0; i < ps->n; i++)
		if (pack_lookup(ps->v[i], id, &pos)) {
			*pack = ps->v[i];
			*offset = pack_offset_at(ps->v[i], pos);
			return 1;
		}
	return 0;
}

int pack_set_freshen(struct pack_set *ps, const silo_oid *id, struct pack **pack)
{
	uint64_t off;
	char *path;
	int ret;

	*pack = NULL;
	if (!pack_set_find(ps, id, pack, &off))
		return 0;
	if (!(path = fs_join(ps->root, (*pack)->relpack)))
		return silo__error_oom();
	ret = utimensat(AT_FDCWD, path, NULL, 0);
	free(path);
	if (ret < 0 && errno == ENOENT) {
		*pack = NULL;
		return 0;
	}
	return 1;
}

void pack_set_drop_pages(struct pack_set *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		pack_drop_pages(ps->v[i]);
}

void pack_set_close(struct pack_set *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		pack_close(ps->v[i]);
	free(ps->v);
	ps->v = NULL;
	ps->n = ps->alloc = 0;
	ps->loaded = 0;
	free(ps->error_msg);
	ps->error_msg = NULL;
	ps->error = 0;
	pack_cache_free(ps->cache);
	ps->cache = NULL;
}

/* ---- the source ---- */

struct pack_source {
	struct silo_source base;
	struct pack_set set;
};

/* SRC's set of packs, SRC checked to be a pack source (source.h). */
static int set_of(struct pack_set **out, struct silo_source *src)
{
	int ret = silo__source_check(src, SILO_SOURCE_PACKS);

	*out = ret < 0 ? NULL : &((struct pack_source *)src)->set;
	return ret;
}

/* Find ID, loading the packs on first use and scanning pack/ again on a
 * miss. */
static int find(struct pack_set *ps, const silo_oid *id, struct pack **pack,
		uint64_t *offset)
{
	int ret;

	if ((ret = pack_set_load(ps, 0)) < 0)
		return ret;
	if (pack_set_find(ps, id, pack, offset))
		return 1;
	if ((ret = pack_set_load(ps, 1)) < 0)
		return ret;
	return pack_set_find(ps, id, pack, offset);
}

static int pack_source_lookup(struct silo_source *src, const silo_oid *id)
{
	struct pack_set *ps;
	struct pack *p;
	uint64_t offset;
	int ret;

	if ((ret = set_of(&ps, src)) < 0)
		return ret;
	return find(ps, id, &p, &offset);
}

static int pack_source_open(silo_stream **out, struct silo_source *src,
			    const silo_oid *id, uint64_t size)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	struct pack_set *ps;
	struct pack *p;
	uint64_t offset;
	int ret;

	(void)size;	/* nothing is transferred: the caller checks it */
	if ((ret = set_of(&ps, src)) < 0 || (ret = find(ps, id, &p, &offset)) < 0)
		return ret;
	if (ret && src->mark_used && !p->marked_used) {
		/* Once per handle: the pack stays open, mapped. */
		char *path = fs_join(ps->root, p->relpack);
		if (path)
			fs_mark_used(path);
		free(path);
		p->marked_used = 1;
	}
	if (ret)
		return pack_stream_open(out, p, ps->cache, offset, id);
	/* A damaged pack may be where the object was: say so. */
	if (ps->error)
		silo__error_set(ps->error, "object %s is not in silo '%s': %s",
			        silo_oid_to_hex(hex, id), ps->root, ps->error_msg);
	else
		silo__error_set(SILO_ENOTFOUND, "object %s is not in silo '%s'",
			        silo_oid_to_hex(hex, id), ps->root);
	return SILO_SOURCE_MISS;
}

static int by_oid(const void *a, const void *b)
{
	const struct silo_object_info *x = a, *y = b;

	return silo_oid_cmp(&x->id, &y->id);
}

/* Every packed object once, in id order. */
static int pack_source_each(struct silo_source *src,
			    int (*cb)(const struct silo_object_info *info, void *payload),
			    void *payload)
{
	struct silo_object_info *v;
	struct pack_set *ps;
	size_t total = 0, n = 0, i;
	uint32_t k;
	int ret;

	if ((ret = set_of(&ps, src)) < 0 || (ret = pack_set_load(ps, 1)) < 0)
		return ret;
	for (i = 0; i < ps->n; i++)
		total += ps->v[i]->nr;
	if (!total)
		return 0;
	if (!(v = malloc(total * sizeof(*v))))
		return silo__error_oom();
	for (i = 0; i < ps->n; i++)
		for (k = 0; k < ps->v[i]->nr; k++) {
			pack_oid_at(ps->v[i], k, &v[n].id);
			v[n].relpath = ps->v[i]->relpack;
			v[n].packed = 1;
			n++;
		}
	qsort(v, n, sizeof(*v), by_oid);
	for (i = 0; i < n && !ret; i++)
		if (!i || !silo_oid_equal(&v[i - 1].id, &v[i].id))
			ret = cb(&v[i], payload);
	free(v);
	return ret;
}

static int pack_source_info(struct silo_source *src, const silo_oid *id, int *type,
			    uint64_t *size)
{
	struct pack_set *ps;
	struct pack *p;
	uint64_t offset, ignored;
	int ret;

	if ((ret = set_of(&ps, src)) < 0 || (ret = find(ps, id, &p, &offset)) <= 0)
		return ret;
	if ((ret = pack_object_info(p, offset, type, size ? size : &ignored)) < 0)
		return ret;
	return 1;
}

static void pack_source_free(struct silo_source *src)
{
	struct pack_source *ps = (struct pack_source *)src;

	pack_set_close(&ps->set);
	free(ps->set.root);
	free(ps->set.pack_dir);
	free(ps);
}

static const struct silo_source_ops pack_source_ops = {
	.lookup = pack_source_lookup,
	.open = pack_source_open,
	.each = pack_source_each,
	.info = pack_source_info,
	.free = pack_source_free,
};

int pack_source_new(struct silo_source **out, struct pack_set **set,
		    const char *root, int format)
{
	struct pack_source *ps = calloc(1, sizeof(*ps));

	*out = NULL;
	if (!ps)
		return silo__error_oom();
	ps->base.ops = &pack_source_ops;
	ps->base.type = SILO_SOURCE_PACKS;
	ps->set.format = format;
	if (!(ps->set.root = strdup(root)) ||
	    !(ps->set.pack_dir = fs_join(root, "pack"))) {
		pack_source_free(&ps->base);
		return silo__error_oom();
	}
	ps->base.name = ps->set.root;
	*out = &ps->base;
	*set = &ps->set;
	return 0;
}
