/*
 * silo_repack(): pack objects into one new git pack.  The steps, in
 * order: collect the objects (loose ones, and with --all those of the
 * existing packs), spool them (pack-spool.c), order them and write the
 * pack and its index choosing deltas on the way (pack-delta.c,
 * pack-write.c), then remove what the new pack holds.  A repack killed
 * half way leaves every object readable; its temporary files are removed
 * by a later repack once they are a day old.
 */
#include "repack-internal.h"
#include "alloc.h"
#include "delta.h"
#include "error-internal.h"
#include "fsutil.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int by_id(const void *a, const void *b)
{
	return silo_oid_cmp(&((const struct obj *)a)->id, &((const struct obj *)b)->id);
}

static int add_obj(struct repack *r, size_t *alloc, const silo_oid *id, const char *loose)
{
	struct obj *o;

	if (ALLOC_GROW(r->objs, r->n + 1, *alloc) < 0)
		return silo__error_oom();
	o = &r->objs[r->n];
	memset(o, 0, sizeof(*o));
	o->id = *id;
	o->base = -1;
	o->hint_base = -1;
	o->old_pack = -1;
	if (loose && !(o->loose = strdup(loose)))
		return silo__error_oom();
	r->n++;
	return 0;
}

/* Loose objects, and with -a the objects of every pack, each once. */
static int collect(struct repack *r)
{
	struct loose_entry *v;
	size_t n, i, alloc = 0, k;
	int ret;

	if ((ret = loose_scan(&v, &n, r->s)) < 0)
		return ret;
	for (i = 0; i < n && !ret; i++)
		if (v[i].kind == LOOSE_OBJECT)
			ret = add_obj(r, &alloc, &v[i].id, v[i].relpath);
	loose_entries_free(v, n);
	if (ret)
		return ret;
	if (r->o->all) {
		/* Only these packs may be removed later: a pack that appears
		 * meanwhile may hold objects this repack never saw. */
		if (!(r->old = calloc(r->s->packs->n + 1, sizeof(*r->old))))
			return silo__error_oom();
		for (i = 0; i < r->s->packs->n; i++) {
			const char *rp = r->s->packs->v[i]->relpack;
			if (!(r->old[i] = strndup(rp, strlen(rp) - 5)))
				return silo__error_oom();
			r->n_old++;
		}
	}
	if (r->o->all)
		for (i = 0; i < r->s->packs->n && !ret; i++) {
			uint32_t j;
			for (j = 0; j < r->s->packs->v[i]->nr && !ret; j++) {
				silo_oid id;
				pack_oid_at(r->s->packs->v[i], j, &id);
				if ((ret = add_obj(r, &alloc, &id, NULL)) == 0) {
					r->objs[r->n - 1].old_pack = (int)i;
					r->objs[r->n - 1].old_off =
						pack_offset_at(r->s->packs->v[i], j);
				}
			}
		}
	if (ret)
		return ret;
	if (r->n)
		qsort(r->objs, r->n, sizeof(*r->objs), by_id);
	/* Keep one of each id, the loose one if there is one. */
	for (i = k = 0; i < r->n; i++) {
		if (k && silo_oid_equal(&r->objs[k - 1].id, &r->objs[i].id)) {
			if (!r->objs[k - 1].loose) {
				r->objs[k - 1].loose = r->objs[i].loose;
				r->objs[i].loose = NULL;
			}
			free(r->objs[i].loose);
			continue;
		}
		r->objs[k++] = r->objs[i];
	}
	r->n = k;
	return 0;
}

/* pack/pack-<old>.moved: the names of the new packs that hold the
 * objects of OLD ("pack/pack-<hex>") now, one a line, the one holding
 * most of them first; MOVED counts them for each of R's new packs (NULL:
 * all of them). */
static int write_redirect(struct repack *r, const char *old, const uint32_t *moved)
{
	struct strbuf sb = STRBUF_INIT;
	char rel[64 + SILO_OID_MAX_HEXSZ], *dest;
	uint32_t done = 0, next;
	size_t i;
	int ret = 0;

	/* By count, most first; a count once. */
	for (next = UINT32_MAX; moved && next && !ret; next = done) {
		uint32_t best = 0;
		for (i = 0; i < r->n_new; i++)
			if (moved[i] < next && moved[i] > best)
				best = moved[i];
		done = best;
		for (i = 0; best && i < r->n_new && !ret; i++) {
			const char *base = strrchr(r->new_packs[i], '/') + 1;
			if (moved[i] == best)
				ret = strbuf_addf(&sb, "%.*s\n", (int)(strlen(base) - 5), base);
		}
	}
	/* Objects this repack did not keep (a prune): any new pack. */
	for (i = 0; !sb.len && i < r->n_new && !ret; i++) {
		const char *base = strrchr(r->new_packs[i], '/') + 1;
		ret = strbuf_addf(&sb, "%.*s\n", (int)(strlen(base) - 5), base);
	}
	if (ret < 0 || !sb.len) {
		strbuf_release(&sb);
		return ret;
	}
	snprintf(rel, sizeof(rel), "%s" PACK_MOVED_SUFFIX, old);
	if (!(dest = fs_join(r->s->root, rel))) {
		strbuf_release(&sb);
		return silo__error_oom();
	}
	ret = fs_write_file(r->s->pack_dir, SILO_TMP_PREFIX "moved_", dest, sb.buf, sb.len,
			    0444, 1);
	free(dest);
	strbuf_release(&sb);
	return ret;
}

/* 1 if the pack file at PATH was modified at or after SINCE. */
static int young_pack(const char *path, time_t since)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_mtime >= since;
}

int repack_remove_old(struct repack *r, struct silo_repack_result *res)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < r->n; i++) {
		char *path;
		if (!r->objs[i].loose)
			continue;
		if (!(path = fs_join(r->s->root, r->objs[i].loose)))
			return silo__error_oom();
		if (unlink(path) == 0)
			res->removed_loose++;
		else if (errno != ENOENT)
			ret = silo__error_errno("cannot remove '%s'", r->objs[i].loose);
		/* Its fan-out directory goes too once empty, as git's
		 * prune-packed does; one still in use stays. */
		*strrchr(path, '/') = '\0';
		if (!ret)
			rmdir(path);
		free(path);
		if (ret)
			return ret;
	}
	for (i = 0; i < r->n_old; i++) {
		char rel[64 + SILO_OID_MAX_HEXSZ], *idx, *pack;
		size_t k;
		snprintf(rel, sizeof(rel), "%s.pack", r->old[i]);
		for (k = 0; k < r->n_new; k++)
			if (!strcmp(rel, r->new_packs[k]))
				break;
		if (k < r->n_new)
			continue;	/* the same content, packed again */
		pack = fs_join(r->s->root, rel);
		snprintf(rel, sizeof(rel), "%s.idx", r->old[i]);
		idx = fs_join(r->s->root, rel);
		if (!idx || !pack) {
			free(idx);
			free(pack);
			return silo__error_oom();
		}
		/* A pack a writer freshened meanwhile (it found an object
		 * there and means to name it) stays, as a young one would. */
		if (r->keep_young && young_pack(pack, r->keep_young)) {
			res->kept_young++;
			free(idx);
			free(pack);
			continue;
		}
		/* A reader that was told of the old pack (a treeptr of kind
		 * tree names its packs) finds where its objects went. */
		if (r->n_new && (ret = write_redirect(r, r->old[i], r->moved ?
						      r->moved + i * r->n_new : NULL)) < 0) {
			free(idx);
			free(pack);
			return ret;
		}
		/* The index goes first: a pack without one is ignored. */
		if (unlink(idx) < 0 && errno != ENOENT)
			ret = silo__error_errno("cannot remove '%s.idx'", r->old[i]);
		else if (unlink(pack) < 0 && errno != ENOENT)
			ret = silo__error_errno("cannot remove '%s.pack'", r->old[i]);
		else
			res->removed_packs++;
		free(idx);
		free(pack);
		if (ret)
			return ret;
	}
	return fs_fsync_path(r->s->pack_dir);
}

/*
 * Remove the temporary files in pack/ of repacks (and pack writes) that
 * were killed: a spool is as large as the objects it held.  A running
 * writer holds its files locked (fs_tmpfile()); those nobody holds are
 * leftovers, removed at once.
 */
static void remove_stale_temps(silo *s)
{
	static const char *const prefixes[] = {
		SILO_TMP_PREFIX "spool_", SILO_TMP_PREFIX "pack_", SILO_TMP_PREFIX "idx_",
		SILO_TMP_PREFIX "packs_", SILO_TMP_PREFIX "moved_",
	};
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		fs_remove_stale_temps(s->pack_dir, prefixes[i]);
}

void silo_repack_result_release(struct silo_repack_result *res)
{
	size_t i;

	for (i = 0; i < res->n_packs; i++)
		free(res->packs[i]);
	free(res->packs);
	res->packs = NULL;
	res->n_packs = 0;
}

int silo_repack(struct silo_repack_result *res, silo *s,
		const struct silo_repack_options *opts)
{
	struct repack r;
	int ret;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.o = opts;
	r.spool_fd = -1;
	if (opts->window < 0 || opts->depth < 0 || opts->level < 1 || opts->level > 9)
		return silo__error_set(SILO_EINVALID, "repack: bad window, depth or level");
	r.threads = opts->threads;
	if (r.threads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		r.threads = n > 0 ? (int)n : 1;
	}
	if ((ret = fs_mkdir_p(s->pack_dir, 0777)) < 0)
		return ret;
	remove_stale_temps(s);
	if ((ret = pack_set_load(s->packs, 1)) < 0)
		return ret;
	if (opts->all && s->packs->error) {
		/* Never drop a pack we could not read. */
		return silo__error_set(s->packs->error, "%s", s->packs->error_msg);
	}
	if ((ret = collect(&r)) < 0)
		goto out;
	if (!r.n) {
		/* Nothing to pack, but the list of packs is made right all
		 * the same (packs copied in, a list lost or left behind):
		 * silo verify sends there whoever finds it wrong.  A silo
		 * without packs or list is left as it is. */
		char *list = fs_join(s->pack_dir, "packs");
		if (!list)
			ret = silo__error_oom();
		else if (s->packs->n || fs_exists(list) > 0)
			ret = silo__pack_list_write(s);
		free(list);
		goto out;
	}
	if (r.n > 0xffffffffu) {
		ret = silo__error_set(SILO_EINVALID, "too many objects for one pack");
		goto out;
	}
	if ((ret = repack_spool(&r)) < 0 || !r.n)
		goto out;
	if ((ret = repack_write_packs(&r, res)) < 0)
		goto out;
	res->objects = r.n;
	/* pack/packs tells readers over HTTP, which cannot list pack/, what
	 * is there: first the new pack beside the old, then without them. */
	if ((ret = silo__pack_list_write(s)) < 0)
		goto out;
	if (opts->delete_old && (ret = repack_remove_old(&r, res)) == 0)
		ret = silo__pack_list_write(s);
	/* What this handle knew about packs is stale now. */
	pack_set_close(s->packs);
	if (ret == 0) {
		res->packs = r.new_packs;
		res->n_packs = r.n_new;
		r.new_packs = NULL;
		r.n_new = r.alloc_new = 0;
	}
out:
	repack_release(&r);
	return ret;
}

void repack_release(struct repack *r)
{
	size_t i;

	if (r->map && r->map_size)
		munmap((void *)r->map, r->map_size);
	if (r->spool_fd >= 0)
		close(r->spool_fd);
	if (r->spool_path) {
		unlink(r->spool_path);
		free(r->spool_path);
	}
	for (i = 0; i < r->n; i++) {
		free(r->objs[i].loose);
		free(r->objs[i].delta);
	}
	free(r->objs);
	free(r->order);
	for (i = 0; i < IDX_SLOTS; i++)
		delta_index_free(r->icache[i].idx);
	for (i = 0; i < r->n_old; i++)
		free(r->old[i]);
	free(r->old);
	for (i = 0; i < r->n_new; i++)
		free(r->new_packs[i]);
	free(r->new_packs);
	free(r->moved);
	memset(r, 0, sizeof(*r));
	r->spool_fd = -1;
}
