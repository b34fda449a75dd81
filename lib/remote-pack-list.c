/*
 * The packs of a silo served over HTTP(S), and which of them holds an
 * object: the planning step, which reads lists and indexes, never an
 * object.  The packs a treeptr names come first (remote_pack_hint());
 * pack/packs (git's objects/info/packs format: "P pack-<hex>.pack"
 * lines) is read only when none of them holds what is looked for; a
 * pack listed there but gone may have left a .moved file naming where
 * its objects went.  Indexes are remote-pack-index.c.
 */
#include "remote-internal.h"
#include "alloc.h"
#include "pack.h"
#include "http.h"
#include "error-internal.h"
#include "fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A .moved file names the packs a repack spread a removed pack over, the
 * one holding most of its objects first (silo-layout(5)).  A reader
 * follows at most MOVED_NAMES_MAX names of one (reading at most
 * MOVED_BYTES_MAX bytes of it), and a handle spends at most
 * REMOTE_MOVED_LOOKUPS_MAX requests on .moved files and on the indexes
 * of the packs they name; past that it reads pack/packs instead, once.  A
 * pack's index that is not there is asked for once.  So a .moved file
 * naming thousands of packs, or a chain of them, costs a bounded number
 * of requests, not several for every name.
 */
#define MOVED_NAMES_MAX 16
#define MOVED_BYTES_MAX 4096

void remote_packs_free(silo_remote *r)
{
	size_t i;

	for (i = 0; i < r->n_packs; i++) {
		free(r->packs[i].idx);
		free(r->packs[i].sorted);
	}
	free(r->packs);
	r->packs = NULL;
	r->n_packs = r->alloc_packs = 0;
}

static int known_pack(const silo_remote *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_packs; i++)
		if (!strcmp(r->packs[i].name, name))
			return 1;
	return 0;
}

/* "pack-<hex>" of FORMAT? */
static int pack_name_is_base(const char *name, int format)
{
	char file[128];

	snprintf(file, sizeof(file), "%s.pack", name);
	return strlen(name) < 100 && pack_name_is(file, format, "pack");
}

/* Where a pack of a remote was learned of. */
enum pack_origin {
	PACK_LISTED,	/* pack/packs */
	PACK_HINTED,	/* a treeptr */
	PACK_MOVED	/* a .moved file */
};

/* Make NAME ("pack-<hex>", else ignored) a known pack of R, searched
 * after those known now, unless it is known already. */
static int add_pack(silo_remote *r, const char *name, enum pack_origin origin)
{
	struct remote_pack *p;

	if (!pack_name_is_base(name, r->format) || known_pack(r, name))
		return 0;
	if (ALLOC_GROW(r->packs, r->n_packs + 1, r->alloc_packs) < 0)
		return silo__error_oom();
	p = &r->packs[r->n_packs++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->hinted = origin != PACK_LISTED;
	p->via_moved = origin == PACK_MOVED;
	return 0;
}

/* Read pack/packs; a silo without one has no packs to offer. */
static int load_pack_list(silo_remote *r)
{
	enum http_result result;
	char error[512], *text = NULL, *url, *line, *save = NULL;
	size_t len;
	int ret;

	if (r->packs_loaded)
		return 0;
	if (!(url = fs_join(r->url, "pack/packs")))
		return silo__error_oom();
	ret = http_get_buffer(url, &text, &len, &result, error, sizeof(error));
	if (ret == 0 && result == HTTP_FAILED)
		ret = silo__error_set(SILO_ENET, "cannot fetch '%s': %s", url, error);
	if (ret == 0 && result == HTTP_OK) {
		for (line = strtok_r(text, "\n", &save); line && !ret;
		     line = strtok_r(NULL, "\n", &save)) {
			char name[96];
			if (line[0] != 'P' || line[1] != ' ' ||
			    !pack_name_is(line + 2, r->format, "pack"))
				continue;	/* other kinds of lines are for others */
			snprintf(name, sizeof(name), "%.*s", (int)(strlen(line + 2) - 5), line + 2);
			ret = add_pack(r, name, PACK_LISTED);
		}
	}
	free(text);
	free(url);
	if (!ret)
		r->packs_loaded = 1;
	return ret;
}

int remote_pack_hint(silo_remote *r, char *const *names, size_t n)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++)
		if ((ret = add_pack(r, names[i], PACK_HINTED)) < 0)
			return ret;
	return 0;
}

/*
 * Read the .moved file of R's pack I, whose index is gone, if the server
 * has it, and make the packs it names known (they are searched after
 * those known now): at most MOVED_NAMES_MAX of them, and nothing once
 * the handle has spent REMOTE_MOVED_LOOKUPS_MAX requests on such lookups.
 */
static int follow_redirect(silo_remote *r, size_t i)
{
	enum http_result result;
	char error[512], rel[128], *url, *text = NULL, *nl, *line;
	size_t len = 0, names = 0;
	int ret;

	if (!r->packs[i].gone || r->packs[i].moved_read ||
	    r->moved_lookups >= REMOTE_MOVED_LOOKUPS_MAX)
		return 0;
	r->packs[i].moved_read = 1;
	r->moved_lookups++;
	snprintf(rel, sizeof(rel), "pack/%s" PACK_MOVED_SUFFIX, r->packs[i].name);
	if (!(url = fs_join(r->url, rel)))
		return silo__error_oom();
	ret = http_get_start(url, MOVED_BYTES_MAX, &text, &len, &result, error, sizeof(error));
	free(url);
	/* One pack a line: a repack may have spread the objects of one
	 * pack over several (silo-layout(5)).  A line cut off by
	 * MOVED_BYTES_MAX has no newline and is not read. */
	for (line = text; ret == 0 && result == HTTP_OK && line && names < MOVED_NAMES_MAX &&
	     (nl = memchr(line, '\n', len - (size_t)(line - text))); line = nl + 1, names++) {
		*nl = '\0';
		ret = add_pack(r, line, PACK_MOVED);
	}
	free(text);
	return ret < 0 ? ret : 0;
}

/* The first of R's known packs from FROM on whose index lists ID. */
static int search_packs(struct remote_pack **out, silo_remote *r, const silo_oid *id,
			size_t from)
{
	size_t i, rawsz = silo_oid_rawsz(r->format);
	uint32_t pos;
	int ret;

	for (i = from; i < r->n_packs; i++) {
		/* A pack listed but gone (the server is repacking) is
		 * skipped: a later pack of the list may hold the object, and
		 * its redirect, if any, names the pack that replaced it. */
		if ((ret = remote_pack_index_load(r, &r->packs[i])) == SILO_ENOTFOUND) {
			silo_error_clear();
			if ((ret = follow_redirect(r, i)) < 0)
				return ret;
			continue;
		}
		if (ret < 0)
			return ret;
		if (pack_index_lookup(r->packs[i].idx, rawsz, id, &pos)) {
			*out = &r->packs[i];
			return 1;
		}
	}
	return 0;
}

/* The packs already known first; pack/packs only if none holds ID. */
int remote_pack_find(struct remote_pack **out, silo_remote *r, const silo_oid *id)
{
	size_t known = r->n_packs;
	int ret = search_packs(out, r, id, 0);

	if (ret || r->packs_loaded)
		return ret;
	if ((ret = load_pack_list(r)) < 0)
		return ret;
	return search_packs(out, r, id, known);
}

int remote_pack_has(silo_remote *r, const silo_oid *id)
{
	struct remote_pack *rp;

	return remote_pack_find(&rp, r, id);
}

int remote_pack_known(silo_remote *r, const silo_oid *id)
{
	size_t i, rawsz = silo_oid_rawsz(r->format);
	char *dir = NULL, *path = NULL, rel[128];
	uint32_t pos;
	int ret = 0;

	for (i = 0; i < r->n_packs && !ret; i++) {
		struct remote_pack *p = &r->packs[i];
		if (!p->idx) {
			/* A pack a treeptr named, or one whose index is kept
			 * beside the cache: no other index is fetched. */
			if (!dir && remote_index_dir(&dir, r->format) < 0)
				break;
			snprintf(rel, sizeof(rel), "%s.idx", p->name);
			free(path);
			if (!(path = fs_join(dir, rel)) ||
			    (!p->hinted && access(path, F_OK) < 0) ||
			    remote_pack_index_load(r, p) < 0)
				continue;
		}
		if (pack_index_lookup(p->idx, rawsz, id, &pos))
			ret = 1;
	}
	silo_error_clear();
	free(path);
	free(dir);
	return ret;
}
