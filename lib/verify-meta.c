/*
 * silo verify: pack/packs, the list a reader over HTTP finds the packs
 * by (pack-list.c), must list exactly the packs in pack/ whose index is
 * in place, each as "P pack-<hex>.pack".  A missing or emptied list, or
 * one that leaves out a pack, loses that pack's objects for such
 * readers: bad, and 'silo repack' (or a prune) writes it again, unless
 * every object of the pack is held elsewhere too (loose, or in a listed
 * pack): a repack or prune puts its pack in place before it lists it and
 * before it removes the old copies, so a copy taken in between (an
 * rsync) or a process killed there loses nothing, and is a warning.  A line
 * naming a pack that is not there is a warning (a copy taken while a
 * repack runs may hold the list of before it: readers ask for an index
 * that is gone, then look further); a line that is not a pack name of
 * this silo ("../x") would send readers elsewhere, and is bad.
 */
#include "verify-internal.h"
#include "pack.h"
#include "error-internal.h"
#include "fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PACK_LIST_MAX_BYTES (16u << 20)
#define PACK_LIST_REL "pack/packs"

static int by_relpath(const void *a, const void *b)
{
	return strcmp(((const struct loose_entry *)a)->relpath,
		      ((const struct loose_entry *)b)->relpath);
}

static void bad(struct verify_job *job, const char *msg)
{
	verify_add_problem(job, PACK_LIST_REL, 0, SILO_VERIFY_BAD, msg);
}

/* Open the pack NAME ("pack-<hex>.pack") of JOB's silo into *OUT; 0 and
 * *OUT NULL when it cannot be read (its own check names it). */
static int open_named(struct pack **out, struct verify_job *job, const char *name)
{
	char relbase[128];
	int ret;

	*out = NULL;
	snprintf(relbase, sizeof(relbase), "pack/%.*s", (int)(strlen(name) - 5), name);
	if ((ret = pack_open(out, job->s->root, relbase, job->s->format)) < 0) {
		*out = NULL;
		if (ret != SILO_ENOMEM) {
			silo_error_clear();
			ret = 0;
		}
	}
	return ret;
}

/* 1 if every object of the pack NAME is held elsewhere too: loose (JOB's
 * scan of objects/, sorted by path) or in one of the N packs of NAMES
 * that pack/packs lists (LISTED[i]); 0 if not, negative on error. */
static int all_elsewhere(struct verify_job *job, const char *name, char *const *names,
			 const char *listed, size_t n)
{
	char hex[SILO_OID_MAX_HEXSZ + 1], rel[SILO_OID_MAX_HEXSZ + 16];
	struct loose_entry key = { .relpath = rel };
	const struct loose_entry *e;
	struct pack *p, **others = NULL;
	uint32_t i, pos;
	size_t k;
	silo_oid id;
	int ret;

	if ((ret = open_named(&p, job, name)) < 0 || !p)
		return ret;
	if (n && !(others = calloc(n, sizeof(*others)))) {
		pack_close(p);
		return silo__error_oom();
	}
	for (k = 0; k < n && ret >= 0; k++)
		if (listed[k])
			ret = open_named(&others[k], job, names[k]);
	for (ret = ret < 0 ? ret : 1, i = 0; i < p->nr && ret == 1; i++) {
		pack_oid_at(p, i, &id);
		silo_oid_to_hex(hex, &id);
		snprintf(rel, sizeof(rel), "objects/%.2s/%s.gz", hex, hex + 2);
		e = bsearch(&key, job->entries, job->count, sizeof(*job->entries), by_relpath);
		ret = e && e->kind == LOOSE_OBJECT;
		for (k = 0; k < n && !ret; k++)
			ret = others[k] && pack_lookup(others[k], &id, &pos) > 0;
	}
	for (k = 0; k < n && others; k++)
		pack_close(others[k]);
	free(others);
	pack_close(p);
	return ret;
}

/* The pack NAME that pack/packs does not list (WHY: the list "is
 * missing", or "does not list it"): a warning and 1 if its objects are
 * held elsewhere too (all_elsewhere()), 0 if not (the caller says why
 * that is bad). */
static int unlisted_but_loose(struct verify_job *job, const char *name, const char *why,
			      char *const *names, const char *listed, size_t n)
{
	char msg[600];
	int ret = all_elsewhere(job, name, names, listed, n);

	if (ret <= 0)
		return ret;
	snprintf(msg, sizeof(msg), "'%s' %s: 'pack/%s' is not listed yet, but its objects "
		 "are held elsewhere too (a repack or prune was running?); 'silo repack' lists it",
		 PACK_LIST_REL, why, name);
	verify_add_problem(job, PACK_LIST_REL, 0, SILO_VERIFY_WARNING, msg);
	return 1;
}

static int listed(char *const *names, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && !memcmp(names[i], name, len))
			return 1;
	return 0;
}

int verify_check_pack_list(struct verify_job *job)
{
	silo *s = job->s;
	char **names = NULL, **seen = NULL, *text = NULL, *path = NULL, *in_list = NULL;
	char msg[600];
	size_t n = 0, n_seen = 0, len = 0, i, line = 0;
	const char *p, *end;
	int ret, fd;

	if ((ret = pack_list_names(s, &names, &n)) < 0)
		return ret;
	if (!(path = fs_join(s->root, PACK_LIST_REL))) {
		ret = silo__error_oom();
		goto out;
	}
	fd = fs_open_regular(path, PACK_LIST_REL, SILO_ECORRUPT);
	if (fd == SILO_ENOTFOUND) {
		size_t loose = 0;
		for (i = 0; i < n; i++) {
			if ((ret = unlisted_but_loose(job, names[i], "is missing", names, NULL, 0)) < 0)
				goto out;
			loose += ret;
		}
		ret = 0;
		if (loose < n) {
			snprintf(msg, sizeof(msg), "'%s' is missing: readers over HTTP find "
				 "none of the %zu packs ('silo repack' writes it)", PACK_LIST_REL, n);
			bad(job, msg);
		}
		goto out;
	}
	if (fd < 0 || (close(fd), ret = fs_read_file(&text, &len, path, PACK_LIST_MAX_BYTES)) < 0) {
		if (fd < 0)
			ret = fd;
		if (ret == SILO_ENOMEM)
			goto out;
		bad(job, silo_error_message());
		ret = 0;
		goto out;
	}
	if (!(seen = calloc(len / 2 + 1, sizeof(*seen)))) {
		ret = silo__error_oom();
		goto out;
	}
	for (p = text, end = text + len; p < end; p = p + strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n')) {
		size_t l = strcspn(p, "\n");
		char name[128];
		line++;
		if (!l)
			continue;	/* the list ends with an empty line */
		if (l < 3 || l - 2 >= sizeof(name) || p[0] != 'P' || p[1] != ' ' ||
		    (memcpy(name, p + 2, l - 2), name[l - 2] = '\0',
		     !pack_name_is(name, s->format, "pack"))) {
			snprintf(msg, sizeof(msg), "'%s': line %zu is not 'P pack-<checksum>.pack' "
				 "of this silo: '%.*s'", PACK_LIST_REL, line, l > 100 ? 100 : (int)l, p);
			bad(job, msg);
			continue;
		}
		if (!listed(names, n, name, strlen(name))) {
			snprintf(msg, sizeof(msg), "'%s' lists '%s', which is not in pack/ "
				 "with its index ('silo repack' rewrites the list)", PACK_LIST_REL, name);
			verify_add_problem(job, PACK_LIST_REL, 0, SILO_VERIFY_WARNING, msg);
		}
		seen[n_seen++] = (char *)p + 2;
	}
	if (n && !(in_list = calloc(n, 1))) {
		ret = silo__error_oom();
		goto out;
	}
	for (i = 0; i < n; i++) {
		size_t k;
		for (k = 0; k < n_seen && !in_list[i]; k++)
			in_list[i] = !strncmp(seen[k], names[i], strlen(names[i])) &&
				(seen[k][strlen(names[i])] == '\n' || seen[k][strlen(names[i])] == '\0');
	}
	for (i = 0; i < n; i++) {
		if (in_list[i])
			continue;
		if ((ret = unlisted_but_loose(job, names[i], "does not list it", names, in_list, n)) < 0)
			goto out;
		if (!ret) {
			snprintf(msg, sizeof(msg), "'%s' does not list 'pack/%s': readers over "
				 "HTTP cannot find its objects ('silo repack' rewrites the list)",
				 PACK_LIST_REL, names[i]);
			bad(job, msg);
		}
	}
	ret = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(seen);
	free(in_list);
	free(text);
	free(path);
	return ret;
}
