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
		return silo__error_oom();
	e = &l->v[l->n];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	if (id)
		e->id = *id;
	len = strlen(dir) + strlen(name) + 2;
	if (!(e->relpath = malloc(len)))
		return silo__error_oom();
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
static int scan_fanout(struct entry_list *l, const char *root, int format,
		       const char *hex2)
{
	size_t restlen = silo_oid_hexsz(format) - 2;
	char rel[16], *path;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	snprintf(rel, sizeof(rel), "objects/%s", hex2);
	if (!(path = fs_join(root, rel)))
		return silo__error_oom();
	d = opendir(path);
	if (!d) {
		ret = errno == ENOENT ? 0 :	/* emptied and removed meanwhile */
			silo__error_errno("cannot read directory '%s'", path);
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
			if ((ret = silo_oid_from_hex(&id, format, hex)) == 0)
				ret = push(l, LOOSE_OBJECT, &id, rel, name);
		} else {
			ret = push(l, is_temp(name) ? LOOSE_TEMP : LOOSE_STRAY,
				   NULL, rel, name);
		}
	}
	if (!ret && errno)
		ret = silo__error_errno("cannot read directory '%s'", path);
	closedir(d);
	free(path);
	return ret;
}

static int by_relpath(const void *a, const void *b)
{
	return strcmp(((const struct loose_entry *)a)->relpath,
		      ((const struct loose_entry *)b)->relpath);
}

int loose_scan_dir(struct loose_entry **out, size_t *count, const char *root, int format)
{
	struct entry_list l = { NULL, 0, 0 };
	char *objects_dir;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	*out = NULL;
	*count = 0;
	if (!(objects_dir = fs_join(root, "objects")))
		return silo__error_oom();
	d = opendir(objects_dir);
	if (!d) {
		if (errno == ENOENT)
			ret = 0;	/* a silo with no objects yet */
		else
			ret = silo__error_errno("cannot read directory '%s'", objects_dir);
		free(objects_dir);
		return ret;
	}
	while (!ret && (errno = 0, de = readdir(d))) {
		const char *name = de->d_name;
		struct stat st;
		char *path;

		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (strlen(name) == 2 && is_hex(name, 2)) {
			if (!(path = fs_join(objects_dir, name))) {
				ret = silo__error_oom();
				break;
			}
			/* A repack removes fan-out directories it empties: one
			 * gone since readdir() is no stray. */
			if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
				ret = scan_fanout(&l, root, format, name);
			else if (errno != ENOENT)
				ret = push(&l, LOOSE_STRAY, NULL, "objects", name);
			free(path);
		} else {
			ret = push(&l, is_temp(name) ? LOOSE_TEMP : LOOSE_STRAY,
				   NULL, "objects", name);
		}
	}
	if (!ret && errno)
		ret = silo__error_errno("cannot read directory '%s'", objects_dir);
	closedir(d);
	free(objects_dir);
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

int loose_scan(struct loose_entry **out, size_t *count, silo *s)
{
	return loose_scan_dir(out, count, s->root, s->format);
}

void loose_entries_free(struct loose_entry *entries, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(entries[i].relpath);
	free(entries);
}
