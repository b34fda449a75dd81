/*
 * Reading a loose object: inflate its gzip members and hash the content
 * as it goes by, so that the last read can vouch for every byte.
 *
 * Objects written by silo (our size field in the gzip header, members of
 * at most FAST_OUT bytes) are inflated a whole member at a time with
 * libdeflate, about twice as fast as zlib.  Anything else (a member that
 * does not fit, a damaged one, a file without our field) is read with
 * zlib from that member on, which also gives the precise message.
 */
#include "store-internal.h"
#include "byteorder.h"
#include "deflate.h"
#include "error-internal.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define IN_SIZE (128 * 1024)
#define OUT_SIZE (128 * 1024)
/* A whole member of ours in FAST_IN, and its content in FAST_OUT: a
 * member of FAST_OUT bytes deflates to less than FAST_IN - FAST_OUT. */
#define FAST_OUT (1024 * 1024)
#define FAST_IN (2 * 1024 * 1024 + 64 * 1024)

/* Where a loose object lives under a silo root. */
void silo_loose_relpath(char out[SILO_LOOSE_PATH_MAX], const silo_oid *id)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];

	silo_oid_to_hex(hex, id);
	memcpy(out, "objects/", 8);
	out[8] = hex[0];
	out[9] = hex[1];
	out[10] = '/';
	strcpy(out + 11, hex + 2);
	strcat(out + 11, ".gz");
}

struct loose_stream {
	struct silo_stream base;
	int fd;
	char *display;
	z_stream zs;
	int zs_ready;
	int eof;		/* the file has no more input */
	int finished;		/* the last member ended and the result is known */
	int verified;		/* the end was reached and everything matched */
	uint64_t seen;		/* content bytes handed out */
	silo_hasher *hasher;
	gz_header head;		/* zlib writes into it while inflating */
	unsigned char extra[64];
	unsigned char none;	/* where start() asks for no output */
	/* zlib's buffers, no larger than the file and the object need */
	unsigned char *in, *out;
	size_t in_size, out_size;
	/* the libdeflate path, while FAST */
	int fast;
	struct silo_inflater *inf;
	unsigned char *fin, *fout;
	size_t fin_cap, fout_cap;	/* FAST_IN, FAST_OUT or less for small files */
	size_t fin_pos, fin_len;	/* unread input is fin[fin_pos..fin_len) */
	off_t fin_off;			/* the file offset of fin[0] */
	int fin_eof;
	const unsigned char *data;	/* what inflate_some() produced */
};

static int corrupt(struct loose_stream *ls, const char *what)
{
	return silo__error_set(SILO_ECORRUPT, "corrupt object '%s': %s",
			       ls->display, what);
}

static int fill(struct loose_stream *ls)
{
	ssize_t n;

	if (ls->zs.avail_in || ls->eof)
		return 0;
	n = fs_read_full(ls->fd, ls->in, ls->in_size, ls->display);
	if (n < 0)
		return (int)n;
	if (n == 0)
		ls->eof = 1;
	ls->zs.next_in = ls->in;
	ls->zs.avail_in = (uInt)n;
	return 0;
}

/*
 * Start inflating at the beginning of the file and read the gzip header,
 * returning the size it records in *size, or UINT64_MAX if it has none.
 */
static int start(struct loose_stream *ls, uint64_t *size)
{
	gz_header *head = &ls->head;
	unsigned char *extra = ls->extra;
	int zret, ret;

	if (lseek(ls->fd, 0, SEEK_SET) < 0)
		return silo__error_errno("cannot seek in '%s'", ls->display);
	if (ls->zs_ready)
		inflateEnd(&ls->zs);
	memset(&ls->zs, 0, sizeof(ls->zs));
	ls->eof = 0;
	ls->finished = 0;
	if (inflateInit2(&ls->zs, 15 + 16) != Z_OK)
		return silo__error_oom();
	ls->zs_ready = 1;
	memset(head, 0, sizeof(*head));
	head->extra = extra;
	head->extra_max = sizeof(ls->extra);
	if (inflateGetHeader(&ls->zs, head) != Z_OK)
		return corrupt(ls, "cannot read gzip header");
	/* Ask for no output: inflate stops after the header. */
	while (!head->done) {
		if ((ret = fill(ls)) < 0)
			return ret;
		if (ls->eof && !ls->zs.avail_in)
			return corrupt(ls, ls->seen || ls->zs.total_in ?
				       "truncated gzip header" : "empty file");
		ls->zs.next_out = &ls->none;
		ls->zs.avail_out = 0;
		zret = inflate(&ls->zs, Z_NO_FLUSH);
		if (zret != Z_OK && zret != Z_BUF_ERROR && zret != Z_STREAM_END)
			return corrupt(ls, ls->zs.msg ? ls->zs.msg : "not gzip data");
		if (zret == Z_STREAM_END)
			break;
	}
	*size = UINT64_MAX;
	if (head->done > 0 && head->extra_len >= SILO_GZ_EXTRA_LEN &&
	    head->extra_len <= sizeof(ls->extra)) {
		unsigned i = 0;
		/* Walk the subfields for ours. */
		while (i + 4 <= head->extra_len) {
			unsigned sublen = get_le16(extra + i + 2);
			if (i + 4 + sublen > head->extra_len)
				break;
			if (extra[i] == SILO_GZ_EXTRA_ID1 &&
			    extra[i + 1] == SILO_GZ_EXTRA_ID2 && sublen == 8) {
				*size = get_le64(extra + i + 4);
				break;
			}
			i += 4 + sublen;
		}
	}
	return 0;
}

/* Leave the libdeflate path: zlib goes on from the member at fin_pos. */
static int leave_fast(struct loose_stream *ls)
{
	ls->fast = 0;
	if (lseek(ls->fd, ls->fin_off + (off_t)ls->fin_pos, SEEK_SET) < 0)
		return silo__error_errno("cannot seek in '%s'", ls->display);
	if (inflateReset(&ls->zs) != Z_OK)
		return corrupt(ls, "cannot reset inflate");
	ls->zs.next_in = ls->in;
	ls->zs.avail_in = 0;
	ls->eof = 0;
	ls->finished = 0;
	return 0;
}

/*
 * The next member with libdeflate, into ls->fout.  Returns the bytes
 * produced, 0 at the end, -1 to go on with zlib, or a negative error.
 */
static long long inflate_fast(struct loose_stream *ls)
{
	for (;;) {
		size_t used, got;

		/* Refill only once less than a whole member may be left:
		 * moving the rest to the front for every member copied
		 * about twice the input. */
		if (ls->fin_len - ls->fin_pos < FAST_IN - FAST_OUT && !ls->fin_eof) {
			ssize_t n;
			memmove(ls->fin, ls->fin + ls->fin_pos, ls->fin_len - ls->fin_pos);
			ls->fin_off += (off_t)ls->fin_pos;
			ls->fin_len -= ls->fin_pos;
			ls->fin_pos = 0;
			n = fs_read_full(ls->fd, ls->fin + ls->fin_len, ls->fin_cap - ls->fin_len,
					 ls->display);
			if (n < 0)
				return n;
			ls->fin_len += (size_t)n;
			if (ls->fin_len < ls->fin_cap || !n)
				ls->fin_eof = 1;
		}
		if (ls->fin_pos == ls->fin_len && ls->fin_eof && ls->fin_off + (off_t)ls->fin_pos) {
			ls->finished = 1;
			return 0;
		}
		if (ls->fin_off + (off_t)ls->fin_pos && ls->fin[ls->fin_pos] != 0x1f)
			return corrupt(ls, "trailing garbage after gzip data");
		if (silo__inflate_gzip(ls->inf, ls->fin + ls->fin_pos, ls->fin_len - ls->fin_pos,
				       ls->fout, ls->fout_cap, &used, &got))
			return -1;
		ls->fin_pos += used;
		if (got) {
			ls->data = ls->fout;
			return (long long)got;
		}
	}
}

/*
 * Inflate the next piece of output into ls->data.  Returns the number of
 * bytes produced (0 once every member has ended) or a negative error.
 * Further gzip members after the first are read as one stream, as zcat
 * does.
 */
static long long inflate_some(struct loose_stream *ls)
{
	if (ls->fast) {
		long long n = inflate_fast(ls);
		if (n != -1)
			return n;
		if ((n = leave_fast(ls)) < 0)
			return n;
	}
	ls->data = ls->out;
	for (;;) {
		int zret, ret;
		size_t produced;

		if (ls->finished)
			return 0;
		if ((ret = fill(ls)) < 0)
			return ret;
		ls->zs.next_out = ls->out;
		ls->zs.avail_out = (uInt)ls->out_size;
		zret = inflate(&ls->zs, Z_NO_FLUSH);
		produced = ls->out_size - ls->zs.avail_out;
		if (zret == Z_STREAM_END) {
			if ((ret = fill(ls)) < 0)
				return ret;
			if (!ls->zs.avail_in && ls->eof) {
				ls->finished = 1;
			} else if (ls->zs.next_in[0] != 0x1f) {
				return corrupt(ls, "trailing garbage after gzip data");
			} else if (inflateReset(&ls->zs) != Z_OK) {
				return corrupt(ls, "cannot reset inflate");
			}
		} else if (zret == Z_BUF_ERROR || (zret == Z_OK && !produced)) {
			if (ls->eof && !ls->zs.avail_in)
				return corrupt(ls, "truncated gzip data");
			if (zret == Z_BUF_ERROR && ls->zs.avail_in)
				return corrupt(ls, "gzip data is corrupt");
		} else if (zret != Z_OK) {
			return corrupt(ls, ls->zs.msg ? ls->zs.msg : "gzip data is corrupt");
		}
		if (produced)
			return (long long)produced;
	}
}

static int finish(struct loose_stream *ls)
{
	char want[SILO_OID_MAX_HEXSZ + 1], got[SILO_OID_MAX_HEXSZ + 1];
	char msg[256];
	silo_oid actual;
	int ret;

	if (ls->seen != ls->base.size)
		return corrupt(ls, "content is shorter than its recorded size");
	if (!ls->hasher)
		return 0;	/* checked by the caller before */
	if ((ret = silo_hasher_final(&actual, ls->hasher)) < 0)
		return ret;
	if (!silo_oid_equal(&actual, &ls->base.id)) {
		silo_oid_to_hex(want, &ls->base.id);
		silo_oid_to_hex(got, &actual);
		snprintf(msg, sizeof(msg), "content hashes to %s, not %s", got, want);
		return corrupt(ls, msg);
	}
	return 0;
}

static int loose_read(silo_stream *st, const void **data, size_t *len)
{
	struct loose_stream *ls = (struct loose_stream *)st;
	long long n;
	int ret;

	/* Asked again after the end, a stream says so again. */
	if (ls->verified)
		return 0;
	if ((n = inflate_some(ls)) < 0)
		return (int)n;
	if (n == 0) {
		if ((ret = finish(ls)) == 0)
			ls->verified = 1;
		return ret;
	}
	if ((uint64_t)n > ls->base.size - ls->seen)
		return corrupt(ls, "content is longer than its recorded size");
	ls->seen += (uint64_t)n;
	if (ls->hasher && silo_hasher_update(ls->hasher, ls->data, (size_t)n) < 0)
		return SILO_ERROR;
	*data = ls->data;
	*len = (size_t)n;
	return 1;
}

static void loose_free(silo_stream *st)
{
	struct loose_stream *ls = (struct loose_stream *)st;

	if (ls->zs_ready)
		inflateEnd(&ls->zs);
	if (ls->fd >= 0)
		close(ls->fd);
	silo_hasher_free(ls->hasher);
	silo__inflater_free(ls->inf);
	free(ls->fin);
	free(ls->fout);
	free(ls->display);
	free(ls->in);
	free(ls->out);
	free(ls);
}

static const struct silo_stream_ops loose_ops = { loose_read, loose_free };

/* For files written without our size field: inflate once to count. */
static int count_size(struct loose_stream *ls, uint64_t *size)
{
	long long n;

	*size = 0;
	while ((n = inflate_some(ls)) > 0)
		*size += (uint64_t)n;
	return n < 0 ? (int)n : 0;
}

int silo__loose_declared_size(const unsigned char *buf, size_t len, uint64_t *size)
{
	size_t xlen, i;

	if (len < 12)
		return len >= 4 && (buf[0] != 0x1f || buf[1] != 0x8b || buf[2] != 8 ||
				    !(buf[3] & 4)) ? -1 : 0;
	if (buf[0] != 0x1f || buf[1] != 0x8b || buf[2] != 8 || !(buf[3] & 4))
		return -1;	/* not gzip, or no extra field */
	xlen = get_le16(buf + 10);
	for (i = 0; i + 4 <= xlen; ) {
		size_t sublen;
		if (len < 12 + i + 4)
			return 0;
		sublen = get_le16(buf + 12 + i + 2);
		if (buf[12 + i] == SILO_GZ_EXTRA_ID1 && buf[12 + i + 1] == SILO_GZ_EXTRA_ID2 &&
		    sublen == 8) {
			if (i + 12 > xlen)
				return -1;
			if (len < 12 + i + 12)
				return 0;
			*size = get_le64(buf + 12 + i + 4);
			return 1;
		}
		i += 4 + sublen;
	}
	return -1;
}

/* CHECKED: the file the caller checked (no hashing then), or NULL. */
static int open_loose(silo_stream **out, const char *path, const char *display,
		      const silo_oid *expected, const struct stat *checked)
{
	struct loose_stream *ls;
	struct stat sb;
	uint64_t size;
	int ret;

	*out = NULL;
	ls = calloc(1, sizeof(*ls));
	if (!ls)
		return silo__error_oom();
	ls->base.ops = &loose_ops;
	ls->base.type = SILO_OBJ_BLOB;
	ls->base.id = *expected;
	ls->fd = fs_open_regular(path, display, SILO_ECORRUPT);
	ls->display = strdup(display);
	if (ls->fd < 0) {
		ret = ls->fd;
		goto fail;
	}
	if (!ls->display) {
		ret = silo__error_oom();
		goto fail;
	}
	if (fstat(ls->fd, &sb) < 0) {
		ret = silo__error_errno("cannot stat '%s'", display);
		goto fail;
	}
	if (checked && (sb.st_dev != checked->st_dev || sb.st_ino != checked->st_ino)) {
		ret = silo__error_set(SILO_ENOTFOUND, "'%s' is not the file that was checked",
				      display);
		goto fail;
	}
	ls->in_size = (uint64_t)sb.st_size < IN_SIZE ? (size_t)sb.st_size + 1 : IN_SIZE;
	if (!(ls->in = malloc(ls->in_size))) {
		ret = silo__error_oom();
		goto fail;
	}
	if (!checked && (ret = silo_hasher_new(&ls->hasher, expected->format)) < 0)
		goto fail;
	if ((ret = start(ls, &size)) < 0)
		goto fail;
	/* Deflate cannot expand more than about 1032 to 1: a larger size
	 * in the header is a lie, refused before anyone sizes a buffer by
	 * it. */
	if (size != UINT64_MAX && size / 1040 > (uint64_t)sb.st_size + 1) {
		ret = corrupt(ls, "size in gzip header is larger than the data can hold");
		goto fail;
	}
	ls->out_size = size < OUT_SIZE ? (size ? (size_t)size : 1) : OUT_SIZE;
	if (!(ls->out = malloc(ls->out_size))) {
		ret = silo__error_oom();
		goto fail;
	}
	if (size == UINT64_MAX) {
		uint64_t counted, ignored;
		if ((ret = count_size(ls, &counted)) < 0 ||
		    (ret = start(ls, &ignored)) < 0)
			goto fail;
		size = counted;
	} else {
		/* Ours: from the start again, a member at a time, with
		 * buffers no larger than the file and the content. */
		off_t end = lseek(ls->fd, 0, SEEK_END);
		if (end < 0 || lseek(ls->fd, 0, SEEK_SET) < 0) {
			ret = silo__error_errno("cannot seek in '%s'", ls->display);
			goto fail;
		}
		ls->fin_cap = (uint64_t)end + 1 < FAST_IN ? (size_t)end + 1 : FAST_IN;
		ls->fout_cap = size < FAST_OUT ? (size_t)size : FAST_OUT;
		if (silo__inflater_new(&ls->inf) == 0 && (ls->fin = malloc(ls->fin_cap)) &&
		    (ls->fout = malloc(ls->fout_cap ? ls->fout_cap : 1)))
			ls->fast = 1;
		else if (silo_error_clear(), (ret = leave_fast(ls)) < 0)	/* zlib it is */
			goto fail;
	}
	ls->base.size = size;
	if (!checked && (ret = silo_hasher_begin(ls->hasher, SILO_OBJ_BLOB, size)) < 0)
		goto fail;
	*out = &ls->base;
	return 0;
fail:
	loose_free(&ls->base);
	return ret;
}

int silo__loose_stream_open(silo_stream **out, const char *path,
			    const char *display, const silo_oid *expected)
{
	return open_loose(out, path, display, expected, NULL);
}

int silo__loose_stream_open_checked(silo_stream **out, const char *path,
				    const char *display, const silo_oid *id,
				    uint64_t dev, uint64_t ino)
{
	struct stat checked;

	memset(&checked, 0, sizeof(checked));
	checked.st_dev = (dev_t)dev;
	checked.st_ino = (ino_t)ino;
	return open_loose(out, path, display, id, &checked);
}
