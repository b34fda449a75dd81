/*
 * A sparse local copy of a pack served over HTTP(S), in a work area
 * beside the cache: the pack's index, and a pack file into which each
 * entry read is written at its offset, by range requests.  The pack's
 * header and trailer are not fetched: the index gives its object count
 * and its name is its trailer (remote_sparse_write_frame()), so that the
 * ordinary, bounds-checked pack reader (pack-file.c) maps it.  A delta's
 * bases are fetched entry by entry as its chain is walked.  A server
 * that ignores ranges sends the whole pack instead: the transfer stops at
 * the end of the range, and only the range is written.
 */
#include "remote-sparse.h"
#include "alloc.h"
#include "byteorder.h"
#include "http.h"
#include "error-internal.h"
#include "fsutil.h"
#include "silo/tree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CHAIN 10000

static int sparse_has(const struct remote_sparse *sp, uint64_t off)
{
	size_t i;

	for (i = 0; i < sp->n_have; i++)
		if (sp->have[i] == off)
			return 1;
	return 0;
}

int remote_sparse_mark(struct remote_sparse *sp, uint64_t off)
{
	if (ALLOC_GROW(sp->have, sp->n_have + 1, sp->alloc_have) < 0)
		return silo__error_oom();
	sp->have[sp->n_have++] = off;
	return 0;
}

int remote_sparse_fetch(struct remote_sparse *sp, uint64_t off, uint64_t len)
{
	enum http_result result;
	char error[512];
	uint64_t total;
	int ret;

	if (len == 0)
		return 0;
	ret = http_get_range(sp->url, off, len, sp->fd, &total, &result,
			     error, sizeof(error));
	if (ret < 0)
		return ret;
	/* The size kept in the cache, not the server's: the range was
	 * planned with it, maybe past the end.  The caller starts over. */
	if (sp->size_kept && total && total != sp->size) {
		sp->contradicted = 1;
		return silo__error_set(SILO_ENET, "'%s' is %llu bytes, not the %llu kept in the cache",
				      sp->url, (unsigned long long)total,
				      (unsigned long long)sp->size);
	}
	if (result != HTTP_OK)
		return silo__error_set(result == HTTP_NOT_FOUND ? SILO_ENOTFOUND : SILO_ENET,
				      "cannot fetch '%s': %s", sp->url, error);
	if (!sp->size && !total)
		return silo__error_set(SILO_ENET,
			"cannot fetch '%s': the server sent neither the range asked for nor the file's size",
			sp->url);
	if (total && !remote_pack_size_fits(sp->rp, total, sp->rawsz))
		return silo__error_set(SILO_ECORRUPT,
				      "'%s' is %llu bytes, too small for the entries its index lists",
				      sp->url, (unsigned long long)total);
	if (!sp->size)
		sp->size = total;
	else if (total && total != sp->size)
		return silo__error_set(SILO_ECORRUPT, "'%s' changed size while being read", sp->url);
	if (total)
		sp->size_kept = 0;	/* confirmed */
	return 0;
}

void remote_sparse_free(struct remote_sparse *sp)
{
	if (sp->fd >= 0)
		close(sp->fd);
	if (sp->work)
		silo_tree_remove(sp->work);
	free(sp->work);
	free(sp->pack_path);
	free(sp->have);
	free(sp->url);
}

/* The work area of SP in DIR. */
static int make_work(struct remote_sparse *sp, const char *dir)
{
	const struct remote_pack *rp = sp->rp;
	char *packdir = NULL, *idxpath = NULL, rel[128];
	int ifd = -1, ret = 0;

	if (!(sp->work = fs_join(dir, "tmp_work_XXXXXX")))
		return silo__error_oom();
	if (!mkdtemp(sp->work)) {
		ret = silo__error_errno("cannot create '%s'", sp->work);
		free(sp->work);
		sp->work = NULL;
		return ret;
	}
	snprintf(rel, sizeof(rel), "%s.idx", rp->name);
	if (!(packdir = fs_join(sp->work, "pack")) || mkdir(packdir, 0700) < 0 ||
	    !(idxpath = fs_join(packdir, rel))) {
		ret = silo__error_errno("cannot set up '%s'", sp->work);
		goto out;
	}
	/* The index kept beside the cache, linked: no copy to write and
	 * flush for each object read.  The pack reader checks it again. */
	{
		char *kept = fs_join(dir, rel);
		int linked = kept && link(kept, idxpath) == 0;
		free(kept);
		if (linked)
			goto pack;
	}
	if ((ifd = open(idxpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
	    fs_write_all(ifd, rp->idx, rp->idx_size, idxpath) < 0 ||
	    /* durable before it may be linked into the cache */
	    fsync(ifd) < 0) {
		ret = silo__error_errno("cannot set up '%s'", sp->work);
		if (ifd >= 0)
			close(ifd);
		goto out;
	}
	if (close(ifd) < 0) {
		ret = silo__error_errno("cannot write '%s'", idxpath);
		goto out;
	}
pack:
	snprintf(rel, sizeof(rel), "%s.pack", rp->name);
	if (!(sp->pack_path = fs_join(packdir, rel))) {
		ret = silo__error_oom();
		goto out;
	}
	sp->fd = open(sp->pack_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (sp->fd < 0)
		ret = silo__error_errno("cannot create '%s'", sp->pack_path);
out:
	free(packdir);
	free(idxpath);
	return ret;
}

int remote_sparse_open(struct remote_sparse *sp, silo_remote *r, const struct remote_pack *rp)
{
	char *dir = NULL, rel[128];
	int ret;

	sp->rp = rp;
	sp->format = r->format;
	sp->rawsz = silo_oid_rawsz(r->format);
	snprintf(rel, sizeof(rel), "pack/%s.pack", rp->name);
	if (!(sp->url = fs_join(r->url, rel)))
		return silo__error_oom();
	if ((ret = remote_index_dir(&dir, r->format)) < 0)
		return ret;
	ret = make_work(sp, dir);
	free(dir);
	return ret;
}

int remote_sparse_fetch_frame(struct remote_sparse *sp)
{
	int ret;

	if ((ret = remote_sparse_fetch(sp, 0, 12)) < 0)
		return ret;
	if (sp->size < 12 + sp->rawsz)
		return silo__error_set(SILO_ECORRUPT, "'%s' is truncated", sp->url);
	if (ftruncate(sp->fd, (off_t)sp->size) < 0)
		return silo__error_errno("cannot size '%s'", sp->pack_path);
	return remote_sparse_fetch(sp, sp->size - sp->rawsz, sp->rawsz);
}

/* Only the size must be known: every object read is checked against its
 * id anyway. */
int remote_sparse_write_frame(struct remote_sparse *sp, int header)
{
	unsigned char head[12];
	silo_oid sum;
	int ret;

	if ((ret = silo_oid_from_hex(&sum, sp->format, sp->rp->name + 5)) < 0)
		return ret;
	memcpy(head, "PACK", 4);
	put_be32(head + 4, 2);
	put_be32(head + 8, sp->rp->nr);
	if (ftruncate(sp->fd, (off_t)sp->size) < 0 ||
	    (header && pwrite(sp->fd, head, sizeof(head), 0) != (ssize_t)sizeof(head)) ||
	    pwrite(sp->fd, sum.hash, sp->rawsz, (off_t)(sp->size - sp->rawsz)) !=
	    (ssize_t)sp->rawsz)
		return silo__error_errno("cannot write '%s'", sp->pack_path);
	return 0;
}

int remote_sparse_map(struct remote_sparse *sp, struct pack **p)
{
	char rel[128];

	pack_close(*p);
	*p = NULL;
	snprintf(rel, sizeof(rel), "pack/%s", sp->rp->name);
	return pack_open(p, sp->work, rel, sp->format);
}

int remote_sparse_fetch_chain(struct remote_sparse *sp, struct pack **p, uint64_t target)
{
	uint64_t cur = target;
	int ret, steps;

	for (steps = 0; ; steps++) {
		struct pack_entry e;
		if (steps > MAX_CHAIN)
			return silo__error_set(SILO_ECORRUPT,
					      "'%s': delta chain too long or looping", sp->url);
		if (!sparse_has(sp, cur)) {
			uint64_t next;
			int has_next = remote_pack_next_offset(sp->rp, cur, &next);
			uint64_t end = pack_entry_end(has_next, next, sp->size, sp->rawsz);
			if (end <= cur || end > sp->size - sp->rawsz)
				return silo__error_set(SILO_ECORRUPT, "'%s': bad entry offset %llu",
						      sp->url, (unsigned long long)cur);
			if ((ret = remote_sparse_fetch(sp, cur, end - cur)) < 0 ||
			    (ret = remote_sparse_mark(sp, cur)) < 0 ||
			    (ret = remote_sparse_map(sp, p)) < 0)
				return ret;
		}
		if ((ret = pack_entry_at(*p, cur, &e)) < 0)
			return ret;
		if (e.type != PACK_OFS_DELTA && e.type != PACK_REF_DELTA)
			break;
		cur = e.base;
	}
	return 0;
}
