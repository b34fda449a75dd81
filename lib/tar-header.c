/*
 * Reading tar headers byte for byte (see tar-header.h).
 *
 * libarchive hands out entries, not the bytes of their headers, so what
 * records an archive exactly reads the headers itself: POSIX ustar
 * (IEEE Std 1003.1, "pax Interchange Format"), with GNU's magic, base-256
 * numbers and long names ('L', 'K').  Nothing here trusts a size: each is
 * checked against the data before it is used.
 */
#include "tar-header.h"
#include "error-internal.h"

#include <stdlib.h>
#include <string.h>

#define OFF_NAME 0
#define OFF_MODE 100
#define OFF_SIZE 124
#define OFF_CHKSUM 148
#define OFF_TYPE 156
#define OFF_LINK 157
#define OFF_MAGIC 257
#define OFF_VERSION 263
#define OFF_PREFIX 345

void tar_reader_init(struct tar_reader *r, const void *buf, uint64_t len, const char *name)
{
	r->buf = buf;
	r->len = len;
	r->at = 0;
	r->name = name;
}

void tar_member_release(struct tar_member *m)
{
	free(m->path);
	free(m->link);
	m->path = m->link = NULL;
}

unsigned tar_header_sum(const unsigned char *block)
{
	unsigned sum = 0;

	for (int i = 0; i < TAR_BLOCK; i++)
		sum += i >= OFF_CHKSUM && i < OFF_CHKSUM + 8 ? ' ' : block[i];
	return sum;
}

static int signed_sum(const unsigned char *block)
{
	int sum = 0;

	for (int i = 0; i < TAR_BLOCK; i++)
		sum += i >= OFF_CHKSUM && i < OFF_CHKSUM + 8 ? ' ' : (signed char)block[i];
	return sum;
}

/*
 * An octal field of LEN bytes: leading spaces, octal digits, then only
 * NULs and spaces; or base-256 (first byte 0x80, the rest big-endian).
 * Returns 0 and *out, or -1.
 */
static int number(uint64_t *out, const unsigned char *f, size_t len)
{
	uint64_t v = 0;
	size_t i = 0;
	int digits = 0;

	if (f[0] == 0x80) {
		for (i = 1; i < len; i++) {
			if (v >> 56)
				return -1;
			v = v << 8 | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < len && f[i] == ' ')
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
		if (v >> 60)
			return -1;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	if (!digits)
		return -1;
	for (; i < len; i++)
		if (f[i] != '\0' && f[i] != ' ')
			return -1;
	*out = v;
	return 0;
}

static int is_magic(const unsigned char *b)
{
	return (!memcmp(b + OFF_MAGIC, "ustar\0", 6) && !memcmp(b + OFF_VERSION, "00", 2)) ||
	       !memcmp(b + OFF_MAGIC, "ustar  \0", 8);
}

int tar_header_valid(const unsigned char *block)
{
	uint64_t sum;

	if (!is_magic(block) || number(&sum, block + OFF_CHKSUM, 8) < 0)
		return 0;
	return sum == tar_header_sum(block) || (int64_t)sum == signed_sum(block);
}

static int is_zero(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static int bad(const struct tar_reader *r, uint64_t at, const char *what)
{
	return silo__error_set(SILO_EINVALID, "'%s': %s at offset %llu", r->name, what,
			       (unsigned long long)at);
}

/* A copy of the field F of at most LEN bytes, up to its first NUL. */
static char *field(const unsigned char *f, size_t len)
{
	size_t n = 0;
	char *s;

	while (n < len && f[n])
		n++;
	if (!(s = malloc(n + 1)))
		return NULL;
	memcpy(s, f, n);
	s[n] = '\0';
	return s;
}

static void set_string(char **dst, char *s)
{
	free(*dst);
	*dst = s;
}

/*
 * The records of a pax extended header: "LEN KEY=VALUE\n" each, LEN the
 * record's length in decimal.  path, linkpath and size are kept (into
 * *PATH, *LINK, *SIZE when those are not NULL); a record with a NUL in
 * its value, or one not so formed, is refused.
 */
static int pax_parse(const struct tar_reader *r, uint64_t at, const unsigned char *d, size_t n,
		     char **path, char **link, uint64_t *size, int *has_size)
{
	size_t i = 0;

	while (i < n) {
		size_t len = 0, j = i, key, eq, vlen;
		while (j < n && d[j] >= '0' && d[j] <= '9' && len < n) {
			len = len * 10 + (size_t)(d[j] - '0');
			j++;
		}
		if (j == i || j >= n || d[j] != ' ' || len > n - i || len < (j - i) + 3 ||
		    d[i + len - 1] != '\n')
			return bad(r, at, "malformed pax extended header");
		key = j + 1;
		for (eq = key; eq < i + len - 1 && d[eq] != '='; eq++)
			;
		if (eq == key || eq >= i + len - 1)
			return bad(r, at, "malformed pax extended header");
		vlen = i + len - 1 - (eq + 1);
		if (memchr(d + eq + 1, '\0', vlen) || memchr(d + key, '\0', eq - key))
			return bad(r, at, "pax extended header with a NUL byte");
#define KEY(k) (eq - key == sizeof(k) - 1 && !memcmp(d + key, k, sizeof(k) - 1))
		if ((path && KEY("path")) || (link && KEY("linkpath"))) {
			char *s = malloc(vlen + 1);
			if (!s)
				return silo__error_oom();
			memcpy(s, d + eq + 1, vlen);
			s[vlen] = '\0';
			set_string(KEY("path") ? path : link, s);
		} else if (size && KEY("size")) {
			uint64_t v = 0;
			if (!vlen || vlen > 19)
				return bad(r, at, "pax size out of range");
			for (size_t k = eq + 1; k < i + len - 1; k++) {
				if (d[k] < '0' || d[k] > '9')
					return bad(r, at, "pax size not a decimal number");
				v = v * 10 + (uint64_t)(d[k] - '0');
			}
			*size = v;
			*has_size = 1;
		}
#undef KEY
		i += len;
	}
	return 0;
}

/* The content of the header at AT: its offset and padded end, checked
 * to lie within the data. */
static int content(const struct tar_reader *r, uint64_t at, uint64_t size, uint64_t *end)
{
	uint64_t data = at + TAR_BLOCK, padded;

	if (size > r->len || data > r->len || size > r->len - data)
		return bad(r, at, "entry larger than the archive (truncated, or a false size)");
	padded = (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
	if (padded > r->len - data)
		return bad(r, at, "archive truncated inside the padding of an entry");
	*end = data + padded;
	return 0;
}

/* M is the member whose own header is at AT; R goes on after it. */
static void place(struct tar_reader *r, struct tar_member *m, uint64_t at, uint64_t size,
		  uint64_t end, char type, uint64_t mode)
{
	m->header = at;
	m->data = at + TAR_BLOCK;
	m->size = size;
	m->end = end;
	m->type = type;
	m->mode = (unsigned)(mode & 07777);
	r->at = end;
}

int tar_reader_next(struct tar_reader *r, struct tar_member *m)
{
	char *ext_path = NULL, *ext_link = NULL;
	uint64_t ext_size = 0;
	int has_size = 0, n_ext = 0, ret;

	tar_member_release(m);
	memset(m, 0, sizeof(*m));
	m->start = r->at;
	for (;;) {
		const unsigned char *b;
		uint64_t at = r->at, size, mode, end;
		char type;

		if (r->len - at < TAR_BLOCK) {
			ret = at == r->len ? bad(r, at, "archive ends without its end blocks")
					   : bad(r, at, "archive truncated inside a header");
			goto fail;
		}
		b = r->buf + at;
		if (is_zero(b, TAR_BLOCK)) {
			if (n_ext) {
				ret = bad(r, at, "extended header without its entry");
				goto fail;
			}
			return 0;
		}
		if (!is_magic(b)) {
			ret = bad(r, at, "not a ustar header");
			goto fail;
		}
		if (!tar_header_valid(b)) {
			ret = bad(r, at, "header checksum mismatch");
			goto fail;
		}
		if (number(&size, b + OFF_SIZE, 12) < 0 || number(&mode, b + OFF_MODE, 8) < 0) {
			ret = bad(r, at, "malformed numeric field");
			goto fail;
		}
		type = b[OFF_TYPE] ? (char)b[OFF_TYPE] : '0';
		if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
			const unsigned char *d;
			if (size > TAR_EXT_MAX) {
				ret = bad(r, at, "extended header too large");
				goto fail;
			}
			if ((ret = content(r, at, size, &end)) < 0)
				goto fail;
			d = b + TAR_BLOCK;
			if (type == 'g') {
				/* A global header is a member of its own: its
				 * settings apply to no file content here. */
				if (n_ext) {
					ret = bad(r, at, "global header inside an entry's headers");
					goto fail;
				}
				if ((ret = pax_parse(r, at, d, size, NULL, NULL, NULL, NULL)) < 0)
					goto fail;
				place(r, m, at, size, end, type, mode);
				return 1;
			}
			if (++n_ext > 8) {
				ret = bad(r, at, "too many extended headers for one entry");
				goto fail;
			}
			if (type == 'x') {
				ret = pax_parse(r, at, d, size, &ext_path, &ext_link, &ext_size,
						&has_size);
			} else {
				char *s = field(d, size);
				ret = s ? 0 : silo__error_oom();
				if (s && !*s)
					ret = bad(r, at, "empty GNU long name");
				if (!ret)
					set_string(type == 'L' ? &ext_path : &ext_link, s);
				else
					free(s);
			}
			if (ret < 0)
				goto fail;
			r->at = end;
			continue;
		}
		if (has_size)
			size = ext_size;
		if (size && strchr("123456", type)) {
			ret = bad(r, at, "link, directory or device entry with a size");
			goto fail;
		}
		if ((ret = content(r, at, size, &end)) < 0)
			goto fail;
		place(r, m, at, size, end, type, mode);
		if (ext_path) {
			m->path = ext_path;
			ext_path = NULL;
		} else {
			char *name = field(b + OFF_NAME, 100), *prefix = NULL;
			if (name && !memcmp(b + OFF_MAGIC, "ustar\0", 6) && b[OFF_PREFIX]) {
				prefix = field(b + OFF_PREFIX, 155);
				if (prefix) {
					size_t pl = strlen(prefix), nl = strlen(name);
					char *s = malloc(pl + 1 + nl + 1);
					if (s) {
						memcpy(s, prefix, pl);
						s[pl] = '/';
						memcpy(s + pl + 1, name, nl + 1);
					}
					free(name);
					name = s;
				}
				free(prefix);
			}
			if (!name) {
				ret = silo__error_oom();
				goto fail;
			}
			m->path = name;
		}
		if (!*m->path) {
			ret = bad(r, at, "entry without a name");
			goto fail;
		}
		if (ext_link) {
			m->link = ext_link;
			ext_link = NULL;
		} else if (type == '1' || type == '2') {
			if (!(m->link = field(b + OFF_LINK, 100))) {
				ret = silo__error_oom();
				goto fail;
			}
		}
		return 1;
	}
fail:
	free(ext_path);
	free(ext_link);
	tar_member_release(m);
	return ret;
}
