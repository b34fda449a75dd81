/*
 * Reading silos over HTTP(S) into a local cache silo (see silo/remote.h):
 * the handle of a remote, and its loose objects downloaded, checked and
 * named in the cache.  Its packs are remote-pack.c.
 */
#include "remote-internal.h"
#include "error-internal.h"
#include "fsutil.h"
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

const char *silo_remote_url(const silo_remote *r)
{
	return r->url;
}

int silo_remote_format(const silo_remote *r)
{
	return r->format;
}

void silo_remote_free(silo_remote *r)
{
	if (!r)
		return;
	remote_packs_free(r);
	free(r->url);
	free(r);
}

int remote_new(silo_remote **out, const char *url, int format)
{
	silo_remote *r;
	size_t len;

	*out = NULL;
	if (http_url_has_credentials(url))
		return silo__error_set(SILO_EINVALID, "a silo URL may not hold credentials: put "
				       "them in ~/.netrc, or SILO_HTTP_USER and SILO_HTTP_PASSWORD");
	r = calloc(1, sizeof(*r));
	if (!r || !(r->url = strdup(url))) {
		free(r);
		return silo__error_oom();
	}
	len = strlen(r->url);
	while (len > 1 && r->url[len - 1] == '/')
		r->url[--len] = '\0';
	r->format = format;
	*out = r;
	return 0;
}

int remote_read_config(silo_remote *r, int *format, const char *name)
{
	enum http_result result;
	char error[512], *text = NULL, *config_url;
	size_t len;
	int ret;

	if (!(config_url = fs_join(r->url, SILO_CONFIG_FILE)))
		return silo__error_oom();
	ret = http_get_buffer(config_url, &text, &len, &result, error, sizeof(error));
	if (ret == 0 && result == HTTP_NOT_FOUND)
		ret = silo__error_set(SILO_ENOTFOUND, "'%s' is not a silo: '%s': %s",
				     name, config_url, error);
	else if (ret == 0 && result != HTTP_OK)
		ret = silo__error_set(SILO_ENET, "cannot fetch '%s': %s", config_url, error);
	if (ret == 0)
		ret = silo__config_parse(format, text, len, config_url);
	free(text);
	free(config_url);
	return ret;
}

int silo_remote_open(silo_remote **out, const char *url)
{
	silo_remote *r;
	int ret;

	*out = NULL;
	if ((ret = remote_new(&r, url, 0)) < 0)
		return ret;
	if ((ret = remote_read_config(r, &r->format, url)) < 0) {
		silo_remote_free(r);
		return ret;
	}
	*out = r;
	return 0;
}

char *silo_remote_object_url(const silo_remote *r, const silo_oid *id)
{
	char rel[SILO_LOOSE_PATH_MAX];

	silo_loose_relpath(rel, id);
	return fs_join(r->url, rel);
}

/* One object on its way into the cache. */
struct fetch_slot {
	struct silo_fetch_item *item;
	char *url;
	char *tmp;	/* the cache's tmp_fetch_<hex> file */
	int fd;
	unsigned char head[64];	/* the start of the download */
	size_t head_len;
	int sized;	/* job's max_bytes follows the size in the head */
};

/*
 * An http_job check: learn the object's size from the gzip header at the
 * start of the download, and stop the transfer past the most a loose file
 * of that size can take.  A server sending endlessly would otherwise fill
 * the disk.  Objects silo writes always record their size.
 */
static int check_piece(struct http_job *job, uint64_t off, const void *data, size_t len)
{
	struct fetch_slot *slot = job->check_payload;
	uint64_t size;
	int r;

	if (slot->sized)
		return 0;
	if (off < sizeof(slot->head)) {
		size_t n = sizeof(slot->head) - (size_t)off;
		if (n > len)
			n = len;
		memcpy(slot->head + off, data, n);
		if (off + n > slot->head_len)
			slot->head_len = (size_t)off + n;
	}
	r = silo__loose_declared_size(slot->head, slot->head_len, &size);
	if (r == 0 && slot->head_len < sizeof(slot->head))
		return 0;
	if (r <= 0) {
		snprintf(job->error, sizeof(job->error),
			 "not a silo object: its gzip header records no size");
		return -1;
	}
	if (slot->item->size_plus_one && size != slot->item->size_plus_one - 1) {
		snprintf(job->error, sizeof(job->error),
			 "its gzip header records %llu bytes, the object has %llu",
			 (unsigned long long)size,
			 (unsigned long long)(slot->item->size_plus_one - 1));
		return -1;
	}
	slot->sized = 1;
	job->max_bytes = silo_loose_max_file_size(size);
	return 0;
}

static int item_fail(struct silo_fetch_item *item, int status, const char *fmt,
		     const char *a, const char *b)
{
	item->status = status;
	snprintf(item->message, sizeof(item->message), fmt, a, b);
	return status;
}

/*
 * Open the download file of SLOT, named by the object so that a later
 * fetch resumes it, and lock it so that two processes sharing the cache
 * do not write it at once.  Returns 1 if the object arrived in the cache
 * while we waited for the lock, 0 to go ahead, negative on error.
 */
static int open_slot(struct fetch_slot *slot, silo *cache)
{
	char hex[SILO_OID_MAX_HEXSZ + 1], name[96];
	int have;

	silo_oid_to_hex(hex, &slot->item->id);
	snprintf(name, sizeof(name), SILO_TMP_PREFIX "fetch_%s", hex);
	if (!(slot->tmp = fs_join(cache->objects_dir, name)))
		return silo__error_oom();
	slot->fd = open(slot->tmp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (slot->fd < 0)
		return silo__error_errno("cannot create '%s'", slot->tmp);
	while (flock(slot->fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return silo__error_errno("cannot lock '%s'", slot->tmp);
	if ((have = silo__has_object_local(cache, &slot->item->id)) != 0)
		return have;
	/* The file we locked may have been renamed away by the process we
	 * waited for: make sure it is still the one at that name. */
	{
		struct stat a, b;
		if (fstat(slot->fd, &a) < 0 || stat(slot->tmp, &b) < 0 ||
		    a.st_ino != b.st_ino) {
			close(slot->fd);
			slot->fd = -1;
			free(slot->tmp);
			slot->tmp = NULL;
			return open_slot(slot, cache);
		}
	}
	return 0;
}

/* Check the download against its id; returns 0 if it may be named. */
static int check_download(struct fetch_slot *slot)
{
	struct silo_fetch_item *item = slot->item;
	silo_stream *st;
	const void *data;
	size_t len;
	int ret;

	ret = silo__loose_stream_open(&st, slot->tmp, slot->url, &item->id);
	if (ret == 0) {
		while ((ret = silo_stream_read(st, &data, &len)) > 0)
			;
		silo_stream_free(st);
	}
	if (ret == 0 && fchmod(slot->fd, 0444) < 0)
		ret = silo__error_errno("cannot set the mode of '%s'", slot->tmp);
	if (ret < 0) {
		/* A bad download is not resumed: the next fetch starts over. */
		unlink(slot->tmp);
		item->status = ret;
		snprintf(item->message, sizeof(item->message), "%s", silo_error_message());
	}
	return ret;
}

/* Give a checked download its name in the cache, and add the directory
 * that holds the name to SYNC.  Only running out of memory for SYNC is an
 * error of the whole fetch; the item's status says the rest. */
static int name_download(struct fetch_slot *slot, silo *cache, struct fs_sync_set *sync)
{
	struct silo_fetch_item *item = slot->item;
	char rel[SILO_LOOSE_PATH_MAX], *dest = NULL, *dir = NULL;
	int ret = 0, made = 0;

	silo_loose_relpath(rel, &item->id);
	if (!(dest = fs_join(cache->root, rel)) || !(dir = strdup(dest))) {
		item_fail(item, SILO_ENOMEM, "out of memory%s%s", "", "");
		goto out;
	}
	*strrchr(dir, '/') = '\0';
	/* As for puts: a repack of the cache may remove the fan-out
	 * directory between mkdir and link; make it again. */
	for (int tries = 0; tries < 5; tries++) {
		ret = fs_mkdir_p(dir, 0777);
		if (!ret)
			ret = fs_link_into_place(slot->tmp, dest, &made);
		if (ret != SILO_ENOTFOUND)
			break;
	}
	if (ret < 0) {
		item_fail(item, SILO_EIO, "cannot store '%s': %s", slot->url,
			  silo_error_message());
		unlink(slot->tmp);
		goto out;
	}
	item->status = 0;
	/* What another process put there first is its download, not ours. */
	{
		struct stat st;
		if (made && fstat(slot->fd, &st) == 0) {
			item->checked = 1;
			item->checked_dev = (uint64_t)st.st_dev;
			item->checked_ino = (uint64_t)st.st_ino;
		}
	}
	if ((ret = fs_sync_set_add(sync, dir)) == 0)
		ret = fs_sync_set_add(sync, cache->objects_dir);
out:
	free(dest);
	free(dir);
	return ret < 0 && item->status == 0 ? ret : 0;
}

/* http_run()'s progress after the objects read from packs: the counts
 * go on from theirs. */
static void loose_progress(void *payload, uint64_t bytes, size_t done)
{
	silo_remote *r = payload;

	r->progress(r->progress_payload, r->progress_bytes + bytes, r->progress_done + done);
}

int silo_remote_fetch(silo_remote *r, silo *cache, struct silo_fetch_item *items,
		      size_t n, int jobs,
		      void (*progress)(void *payload, uint64_t bytes, size_t done),
		      void *payload)
{
	struct fetch_slot *slots;
	struct http_job *hjobs;
	silo_writer *packed = NULL;	/* objects read from known packs */
	struct silo_fetch_item **known;	/* those items */
	size_t i, k = 0, named = 0, n_known = 0;
	struct fs_sync_set sync;
	int ret = 0;

	if (r->format != cache->format)
		return silo__error_set(SILO_EINVALID, "'%s' holds %s ids, the cache %s",
				       r->url, silo_oid_format_name(r->format),
				       silo_oid_format_name(cache->format));
	slots = calloc(n ? n : 1, sizeof(*slots));
	hjobs = calloc(n ? n : 1, sizeof(*hjobs));
	known = calloc(n ? n : 1, sizeof(*known));
	if (!slots || !hjobs || !known) {
		free(slots);
		free(hjobs);
		free(known);
		return silo__error_oom();
	}
	for (i = 0; i < n; i++) {
		struct silo_fetch_item *item = &items[i];
		struct fetch_slot *slot = &slots[k];
		int have;

		item->status = 0;
		item->message[0] = '\0';
		item->checked = 0;
		item->checked_dev = item->checked_ino = 0;
		if ((have = silo__has_object_local(cache, &item->id)) > 0)
			continue;
		/* In a pack whose index we hold: its entry, one range
		 * request, without asking for a loose copy first; all such
		 * objects of the batch are committed together. */
		if (have == 0 && remote_pack_known(r, &item->id) > 0) {
			known[n_known++] = item;
			continue;
		}
		slot->item = item;
		slot->fd = -1;
		if (have < 0 || (have = open_slot(slot, cache)) < 0) {
			item->status = have;
			snprintf(item->message, sizeof(item->message), "%s",
				 silo_error_message());
		} else if (have == 0) {
			if (!(slot->url = silo_remote_object_url(r, &item->id))) {
				ret = silo__error_oom();
				break;
			}
			hjobs[k].url = slot->url;
			hjobs[k].fd = slot->fd;
			hjobs[k].check = check_piece;
			hjobs[k].check_payload = slot;
			/* Known now: the pace of the transfer follows it too. */
			if (item->size_plus_one)
				hjobs[k].max_bytes =
					silo_loose_max_file_size(item->size_plus_one - 1);
			/* A partial download of an earlier run: its head. */
			{
				ssize_t got = pread(slot->fd, slot->head, sizeof(slot->head), 0);
				slot->head_len = got > 0 ? (size_t)got : 0;
			}
			k++;
			continue;
		}
		/* Settled without a transfer: release what open_slot took.
		 * The download file it made for nothing goes too: holding its
		 * lock, we are the only one who could be writing it. */
		if (slot->fd >= 0) {
			struct stat a, b;
			if (have > 0 && fstat(slot->fd, &a) == 0 && stat(slot->tmp, &b) == 0 &&
			    a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_size == 0)
				unlink(slot->tmp);
			close(slot->fd);
		}
		free(slot->tmp);
		memset(slot, 0, sizeof(*slot));
	}
	r->progress = progress;
	r->progress_payload = payload;
	r->progress_bytes = 0;
	r->progress_done = 0;
	if (!ret && n_known && (ret = silo_writer_new(&packed, cache)) == 0 &&
	    (ret = remote_pack_fetch_many(r, cache, known, n_known, packed)) == 0)
		ret = silo_writer_commit(packed, NULL);
	silo_writer_free(packed);
	free(known);
	if (!ret && k)
		ret = http_run(hjobs, k, jobs, progress ? loose_progress : NULL, r);
	r->progress = NULL;
	/* Check every download; as for puts (silo_writer_commit), the
	 * checked ones reach the disk before any gets its name, and the
	 * names before we return. */
	for (i = 0; !ret && i < k; i++) {
		struct fetch_slot *slot = &slots[i];
		if (hjobs[i].result == HTTP_OK) {
			if (check_download(slot) == 0)
				named++;
			else
				hjobs[i].result = HTTP_FAILED;
			continue;
		}
		if (hjobs[i].result == HTTP_NOT_FOUND) {
			/* Not loose there: perhaps packed. */
			int pr = remote_pack_fetch(r, cache, &slot->item->id,
						   slot->item->size_plus_one ?
						   slot->item->size_plus_one - 1 : UINT64_MAX);
			if (pr != SILO_ENOTFOUND) {
				unlink(slot->tmp);
				slot->item->status = pr;
				if (pr < 0)
					snprintf(slot->item->message, sizeof(slot->item->message),
						 "%s", silo_error_message());
				hjobs[i].result = HTTP_FAILED;	/* nothing to name */
				continue;
			}
		}
		slot->item->status = hjobs[i].result == HTTP_NOT_FOUND ? SILO_ENOTFOUND :
			hjobs[i].result == HTTP_BAD_BODY ? SILO_ECORRUPT : SILO_ENET;
		snprintf(slot->item->message, sizeof(slot->item->message),
			 hjobs[i].result == HTTP_NOT_FOUND ? "'%s': %s" :
			 hjobs[i].result == HTTP_BAD_BODY ? "corrupt object '%s': %s" :
			 "cannot fetch '%s': %s", slot->url, hjobs[i].error);
		/* No partial file is left behind: what a failed transfer
		 * wrote may be what a hostile server sent. */
		unlink(slot->tmp);
		hjobs[i].result = HTTP_FAILED;
	}
	fs_sync_set_init(&sync, cache->objects_dir);
	for (i = 0; !ret && named && i < k; i++)
		if (hjobs[i].result == HTTP_OK)
			ret = fs_sync_set_add(&sync, slots[i].tmp);
	if (!ret && named && (ret = fs_sync_set_run(&sync)) < 0)
		named = 0;
	for (i = 0; !ret && i < k; i++)
		if (hjobs[i].result == HTTP_OK)
			ret = name_download(&slots[i], cache, &sync);
	if (!ret && named)
		ret = fs_sync_set_run(&sync);
	fs_sync_set_release(&sync);
	for (i = 0; i < k; i++) {
		if (ret < 0 && slots[i].tmp)
			unlink(slots[i].tmp);
		close(slots[i].fd);
		free(slots[i].tmp);
		free(slots[i].url);
	}
	free(slots);
	free(hjobs);
	return ret;
}
