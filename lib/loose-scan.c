/* Enumerating the files under objects/. */
#include "store-internal.h"
#include "alloc.h"
#include "pack.h"
#include "error-internal.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct entry_list {
	struct loose_entry *v;
	size_t n, alloc;
};

static int push(struct entry_list *l, enum loose_entry_kind kind,
		const silo_oid *id, const char *dir, const char *name)
{
	struct loose_entry *e;
	size_t len;

	if (ALLOC_GROW(l->v, l->n + 1, l->alloc) < 0)
		return silo_error_oom();
	e = &l->v[l->n];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	if (id)
		e->id = *id;
	len = strlen(dir) + strlen(name) + 2;
	if (!(e->relpath = malloc(len)))
		return silo_error_oom();
	snprintf(e->relpath, len, "%s/%s", dir, name);
	l->n++;
	return 0;
}

static int is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int is_temp(const char *name)
{
	return !strncmp(name, SILO_TMP_PREFIX, strlen(SILO_TMP_PREFIX));
}

/* Scan objects/XX; HEX2 is the two-digit directory name. */
static int scan_fanout(struct entry_list *l, silo *s, const char *hex2)
{
	size_t restlen = silo_oid_hexsz(s->format) - 2;
	char rel[16], *path;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	snprintf(rel, sizeof(rel), "objects/%s", hex2);
	if (!(path = fs_join(s->root, rel)))
		return silo_error_oom();
	d = opendir(path);
	if (!d) {
		ret = errno == ENOENT ? 0 :	/* emptied and removed meanwhile */
			silo_error_errno("cannot read directory '%s'", path);
		free(path);
		return ret;
	}
	while (!ret && (errno = 0, de = readdir(d))) {
		const char *name = de->d_name;
		size_t len = strlen(name);

		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (len == restlen + 3 && !strcmp(name + restlen, ".gz") &&
		    is_hex(name, restlen)) {
			char hex[SILO_OID_MAX_HEXSZ + 1];
			silo_oid id;
			memcpy(hex, hex2, 2);
			memcpy(hex + 2, name, restlen);
			hex[2 + restlen] = '\0';
			if ((ret = silo_oid_from_hex(&id, s->format, hex)) == 0)
				ret = push(l, LOOSE_OBJECT, &id, rel, name);
		} else {
			ret = push(l, is_temp(name) ? LOOSE_TEMP : LOOSE_STRAY,
				   NULL, rel, name);
		}
	}
	if (!ret && errno)
		ret = silo_error_errno("cannot read directory '%s'", path);
	closedir(d);
	free(path);
	return ret;
}

static int by_relpath(const void *a, const void *b)
{
	return strcmp(((const struct loose_entry *)a)->relpath,
		      ((const struct loose_entry *)b)->relpath);
}

int loose_scan(struct loose_entry **out, size_t *count, silo *s)
{
	struct entry_list l = { NULL, 0, 0 };
	struct dirent *de;
	DIR *d;
	int ret = 0;

	*out = NULL;
	*count = 0;
	d = opendir(s->objects_dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;	/* a silo with no objects yet */
		return silo_error_errno("cannot read directory '%s'", s->objects_dir);
	}
	while (!ret && (errno = 0, de = readdir(d))) {
		const char *name = de->d_name;
		struct stat st;
		char *path;

		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (strlen(name) == 2 && is_hex(name, 2)) {
			if (!(path = fs_join(s->objects_dir, name))) {
				ret = silo_error_oom();
				break;
			}
			/* A repack removes fan-out directories it empties: one
			 * gone since readdir() is no stray. */
			if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
				ret = scan_fanout(&l, s, name);
			else if (errno != ENOENT)
				ret = push(&l, LOOSE_STRAY, NULL, "objects", name);
			free(path);
		} else {
			ret = push(&l, is_temp(name) ? LOOSE_TEMP : LOOSE_STRAY,
				   NULL, "objects", name);
		}
	}
	if (!ret && errno)
		ret = silo_error_errno("cannot read directory '%s'", s->objects_dir);
	closedir(d);
	if (ret) {
		loose_entries_free(l.v, l.n);
		return ret;
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), by_relpath);
	*out = l.v;
	*count = l.n;
	return 0;
}

void loose_entries_free(struct loose_entry *entries, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(entries[i].relpath);
	free(entries);
}

static int by_oid(const void *a, const void *b)
{
	const struct silo_object_info *x = a, *y = b;

	return silo_oid_cmp(&x->id, &y->id);
}

/* The ids of every packed object, sorted, each once. */
static int packed_ids(silo *s, struct silo_object_info **out, size_t *count)
{
	struct silo_object_info *v;
	size_t total = 0, n = 0, i;
	uint32_t k;
	int ret;

	*out = NULL;
	*count = 0;
	if ((ret = silo_packs_load(s, 1)) < 0)
		return ret;
	for (i = 0; i < s->n_packs; i++)
		total += s->packs[i]->nr;
	if (!total)
		return 0;
	if (!(v = malloc(total * sizeof(*v))))
		return silo_error_oom();
	for (i = 0; i < s->n_packs; i++)
		for (k = 0; k < s->packs[i]->nr; k++) {
			pack_oid_at(s->packs[i], k, &v[n].id);
			v[n].relpath = s->packs[i]->relpack;
			v[n].packed = 1;
			n++;
		}
	qsort(v, n, sizeof(*v), by_oid);
	for (i = k = 0; i < n; i++)
		if (!k || !silo_oid_equal(&v[k - 1].id, &v[i].id))
			v[k++] = v[i];
	*out = v;
	*count = k;
	return 0;
}

int silo_foreach_object(silo *s,
			int (*cb)(const struct silo_object_info *info, void *payload),
			void *payload)
{
	struct silo_object_info *packed;
	struct loose_entry *v;
	size_t n, i, np, j = 0;
	int ret;

	if ((ret = loose_scan(&v, &n, s)) < 0)
		return ret;
	if ((ret = packed_ids(s, &packed, &np)) < 0) {
		loose_entries_free(v, n);
		return ret;
	}
	/* Merge the two sorted lists; an object both loose and packed is
	 * listed once, as loose. */
	for (i = 0; (i < n || j < np) && !ret; ) {
		struct silo_object_info info;
		int c;
		if (i < n && v[i].kind != LOOSE_OBJECT) {
			i++;
			continue;
		}
		c = i >= n ? 1 : j >= np ? -1 : silo_oid_cmp(&v[i].id, &packed[j].id);
		if (c <= 0) {
			info.id = v[i].id;
			info.relpath = v[i].relpath;
			info.packed = 0;
			i++;
			if (!c)
				j++;
		} else {
			info = packed[j++];
		}
		ret = cb(&info, payload);
	}
	free(packed);
	loose_entries_free(v, n);
	return ret;
}
