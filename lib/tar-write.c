/*
 * A deterministic POSIX tar of a directory.  Everything that varies
 * between two archives of one tree is left out or fixed: entries come in
 * git's order (a directory right before its contents), owners are 0/0
 * with no names, and only the path, mode, size, mtime and link targets
 * are written; no atime, ctime, device or inode numbers.  Entries are
 * plain ustar, with a pax header only where ustar cannot say it (long or
 * non-ASCII names, large sizes).  Modification times are kept to the
 * second, as tar keeps them: nanoseconds would need a pax header for
 * every entry, which made archives of many small files some 15% larger
 * before compression and 3% after.  Files are read in large
 * blocks and handed to libarchive, whose output goes to the sink in large
 * blocks; the archive is padded only to a 10240-byte record, as tar does.
 */
#include "tree-internal.h"
#include "error-internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD 10240
#define BLOCK (32 * RECORD)

struct tar_state {
	struct archive *a;
	const char *dir;
	silo_write_fn sink;
	void *payload;
	int code;		/* the sink's own failure */
	char message[1024];
};

static la_ssize_t write_cb(struct archive *a, void *client, const void *buf, size_t len)
{
	struct tar_state *t = client;
	int ret = t->sink(t->payload, buf, len);

	if (ret < 0) {
		t->code = ret;
		snprintf(t->message, sizeof(t->message), "%s", silo_error_message());
		archive_set_error(a, EIO, "%s", t->message);
		return -1;
	}
	return (la_ssize_t)len;
}

static int tar_error(struct tar_state *t, const char *path)
{
	const char *msg = archive_error_string(t->a);

	if (t->code)
		return silo__error_set(t->code, "%s", t->message);
	if (path)
		return silo__error_set(SILO_ERROR, "cannot write '%s/%s' to a tar: %s",
				       t->dir, path, msg ? msg : "unknown error");
	return silo__error_set(SILO_ERROR, "cannot write a tar of '%s': %s", t->dir,
			       msg ? msg : "unknown error");
}

/* Hard links: the first path of each (device, inode) seen twice. */
struct link_slot {
	dev_t dev;
	ino_t ino;
	const char *path;
};

struct link_map {
	struct link_slot *v;
	size_t cap, n;
};

static size_t link_hash(dev_t dev, ino_t ino, size_t cap)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)dev;
	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

/* The first path of E's inode, or NULL after recording E as the first. */
static int link_first(struct link_map *m, const struct tree_walk_entry *e,
		      const char **first)
{
	size_t i;

	*first = NULL;
	if (2 * (m->n + 1) > m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64, j;
		struct link_slot *v = calloc(cap, sizeof(*v));
		if (!v)
			return silo__error_oom();
		for (j = 0; j < m->cap; j++) {
			if (!m->v[j].path)
				continue;
			for (i = link_hash(m->v[j].dev, m->v[j].ino, cap);
			     v[i].path; i = (i + 1) & (cap - 1))
				;
			v[i] = m->v[j];
		}
		free(m->v);
		m->v = v;
		m->cap = cap;
	}
	for (i = link_hash(e->dev, e->ino, m->cap); m->v[i].path; i = (i + 1) & (m->cap - 1))
		if (m->v[i].dev == e->dev && m->v[i].ino == e->ino) {
			*first = m->v[i].path;
			return 0;
		}
	m->v[i].dev = e->dev;
	m->v[i].ino = e->ino;
	m->v[i].path = e->path;
	m->n++;
	return 0;
}

static int write_content(struct tar_state *t, int rootfd, const struct tree_walk_entry *e,
			 unsigned char *buf)
{
	uint64_t left = e->size;
	struct stat st;
	int fd, ret = 0;

	fd = openat(rootfd, e->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return silo__error_errno("cannot open '%s/%s'", t->dir, e->path);
	if (fstat(fd, &st) < 0) {
		ret = silo__error_errno("cannot stat '%s/%s'", t->dir, e->path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != e->size) {
		ret = silo__error_set(SILO_EIO, "'%s/%s' changed while being archived",
				      t->dir, e->path);
		goto out;
	}
	if (e->size > 4 * TREE_READ_CHUNK)	/* worth a syscall only for large files */
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while (left) {
		size_t want = left < BLOCK ? (size_t)left : BLOCK;
		ssize_t n = read(fd, buf, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = silo__error_errno("cannot read '%s/%s'", t->dir, e->path);
			goto out;
		}
		if (n == 0) {
			ret = silo__error_set(SILO_EIO, "'%s/%s' shrank while being archived",
					      t->dir, e->path);
			goto out;
		}
		if (archive_write_data(t->a, buf, (size_t)n) != n) {
			ret = tar_error(t, e->path);
			goto out;
		}
		left -= (uint64_t)n;
	}
out:
	close(fd);
	return ret;
}

int silo_tree_tar(const char *dir, silo_write_fn sink, void *payload)
{
	struct tree_walk w = TREE_WALK_INIT;
	struct link_map links = { NULL, 0, 0 };
	struct archive_entry *e = NULL;
	unsigned char *buf = NULL;
	struct tar_state t;
	locale_t old_locale;
	size_t i;
	int ret;

	memset(&t, 0, sizeof(t));
	t.dir = dir;
	t.sink = sink;
	t.payload = payload;
	old_locale = tree_locale_enter();
	if ((ret = tree_walk_dir(&w, dir, 1)) < 0)
		goto out;
	if (!(buf = malloc(BLOCK)) || !(e = archive_entry_new()) || !(t.a = archive_write_new())) {
		ret = silo__error_oom();
		goto out;
	}
	if (archive_write_set_format_pax_restricted(t.a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(t.a, BLOCK) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(t.a, RECORD) != ARCHIVE_OK ||
	    archive_write_open(t.a, &t, NULL, write_cb, NULL) != ARCHIVE_OK) {
		ret = tar_error(&t, NULL);
		goto out;
	}
	for (i = 0; i < w.n; i++) {
		const struct tree_walk_entry *we = &w.v[i];
		const char *first = NULL;
		int r;

		archive_entry_clear(e);
		archive_entry_copy_pathname(e, we->path);
		archive_entry_set_filetype(e, we->mode & S_IFMT);
		archive_entry_set_perm(e, we->mode & 07777);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		archive_entry_set_mtime(e, we->mtime.tv_sec, 0);
		if (S_ISLNK(we->mode)) {
			archive_entry_copy_symlink(e, we->target);
		} else if (S_ISREG(we->mode)) {
			if (we->nlink > 1 && (ret = link_first(&links, we, &first)) < 0)
				goto out;
			if (first) {
				archive_entry_copy_hardlink(e, first);
				archive_entry_set_size(e, 0);
			} else {
				archive_entry_set_size(e, (la_int64_t)we->size);
			}
		}
		r = archive_write_header(t.a, e);
		if (r < ARCHIVE_WARN) {
			ret = tar_error(&t, we->path);
			goto out;
		}
		if (S_ISREG(we->mode) && !first && we->size &&
		    (ret = write_content(&t, w.rootfd, we, buf)) < 0)
			goto out;
		if (archive_write_finish_entry(t.a) < ARCHIVE_WARN) {
			ret = tar_error(&t, we->path);
			goto out;
		}
	}
	if (archive_write_close(t.a) != ARCHIVE_OK) {
		ret = tar_error(&t, NULL);
		goto out;
	}
	ret = 0;
out:
	if (t.a)
		archive_write_free(t.a);
	archive_entry_free(e);
	free(buf);
	free(links.v);
	tree_walk_release(&w);
	tree_locale_leave(old_locale);
	return ret;
}
