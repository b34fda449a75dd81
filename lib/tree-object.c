/*
 * Git tree objects and size tables as bytes: the one check of the names
 * a tree may hold, the one parser of tree objects, and the size table's
 * format.  Every reader of trees (medo expand, ls, cat, diff, mount; the
 * archive walk; the walk of a directory on disk; repack) names its
 * entries through here, so that a name git would refuse is refused by
 * all of them alike.
 *
 * The name rules are those of git's verify_path() and fsck with
 * core.protectNTFS and core.protectHFS on: no ".git" in any case, nor
 * what NTFS (trailing spaces and dots, "git~1", alternate data streams
 * after ':', '\' as a separator) or HFS+ (ignorable code points) reads
 * as ".git"; no ".", "..", empty names, '/' or NUL in a name; no symlink
 * that NTFS or HFS+ reads as ".gitmodules".
 */
#include "tree-internal.h"
#include "error-internal.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The byte at I of the LEN bytes at S, 0 past the end (as NUL would be). */
static unsigned char at(const char *s, size_t len, size_t i)
{
	return i < len ? (unsigned char)s[i] : 0;
}

static int lower(unsigned c)
{
	return c >= 'A' && c <= 'Z' ? (int)(c + 32) : (int)c;
}

/* What follows a ".git" on NTFS: only spaces and dots up to the end, a
 * ':' (a data stream) or, with SEPS, a separator. */
static int ntfs_tail(const char *s, size_t len, size_t i, int seps)
{
	for (;;) {
		unsigned char c = at(s, len, i++);
		if (!c || c == ':' || (seps && (c == '/' || c == '\\')))
			return 1;
		if (c != '.' && c != ' ')
			return 0;
	}
}

/* git's is_ntfs_dotgit(): ".git" or "git~1", then ntfs_tail(). */
static int ntfs_dotgit(const char *s, size_t len)
{
	unsigned char c = at(s, len, 0);

	if (c == '.') {
		if (lower(at(s, len, 1)) != 'g' || lower(at(s, len, 2)) != 'i' ||
		    lower(at(s, len, 3)) != 't')
			return 0;
		return ntfs_tail(s, len, 4, 1);
	}
	if (lower(c) != 'g' || lower(at(s, len, 1)) != 'i' || lower(at(s, len, 2)) != 't' ||
	    at(s, len, 3) != '~' || at(s, len, 4) != '1')
		return 0;
	return ntfs_tail(s, len, 5, 1);
}

/* git's is_ntfs_dot_generic(): "." NEEDLE, its short name (the first six
 * letters and ~1 to ~4) or its fall-back short name (SHORT, six letters,
 * then ~ and digits), each followed by spaces and dots only. */
static int ntfs_dot(const char *s, size_t len, const char *needle, const char *shortname)
{
	size_t n = strlen(needle), i;
	int saw_tilde = 0;

	if (at(s, len, 0) == '.' && len >= n + 1 && !strncasecmp(s + 1, needle, n))
		return ntfs_tail(s, len, n + 1, 0);
	if (len >= 8 && !strncasecmp(s, needle, 6) && s[6] == '~' && s[7] >= '1' && s[7] <= '4')
		return ntfs_tail(s, len, 8, 0);
	for (i = 0; i < 8; i++) {
		unsigned char c = at(s, len, i);
		if (!c)
			return 0;
		if (saw_tilde) {
			if (c < '0' || c > '9')
				return 0;
		} else if (c == '~') {
			c = at(s, len, ++i);
			if (c < '1' || c > '9')
				return 0;
			saw_tilde = 1;
		} else if (i >= 6 || (c & 0x80) || lower(c) != shortname[i]) {
			return 0;
		}
	}
	return ntfs_tail(s, len, 8, 0);
}

/*
 * The next code point of S (LEN bytes) from *POS for HFS+, which ignores
 * some of them; 0 at the end or at malformed UTF-8 (git's next_hfs_char()).
 */
static unsigned next_hfs_char(const char *str, size_t len, size_t *pos)
{
	const unsigned char *s;
	unsigned ch;
	size_t left, incr;

	for (;;) {
		if (*pos >= len)
			return 0;
		s = (const unsigned char *)str + *pos;
		left = len - *pos;
		if (s[0] < 0x80) {
			ch = s[0];
			incr = 1;
		} else if ((s[0] & 0xe0) == 0xc0) {
			if (left < 2 || (s[1] & 0xc0) != 0x80 || (s[0] & 0xfe) == 0xc0)
				return 0;
			ch = ((s[0] & 0x1fu) << 6) | (s[1] & 0x3fu);
			incr = 2;
		} else if ((s[0] & 0xf0) == 0xe0) {
			if (left < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
			    (s[0] == 0xe0 && (s[1] & 0xe0) == 0x80) ||
			    (s[0] == 0xed && (s[1] & 0xe0) == 0xa0) ||
			    (s[0] == 0xef && s[1] == 0xbf && (s[2] & 0xfe) == 0xbe))
				return 0;
			ch = ((s[0] & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu);
			incr = 3;
		} else if ((s[0] & 0xf8) == 0xf0) {
			if (left < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
			    (s[3] & 0xc0) != 0x80 || (s[0] == 0xf0 && (s[1] & 0xf0) == 0x80) ||
			    (s[0] == 0xf4 && s[1] > 0x8f) || s[0] > 0xf4)
				return 0;
			ch = ((s[0] & 0x07u) << 18) | ((s[1] & 0x3fu) << 12) |
			     ((s[2] & 0x3fu) << 6) | (s[3] & 0x3fu);
			incr = 4;
		} else {
			return 0;
		}
		*pos += incr;
		switch (ch) {
		case 0x200c: case 0x200d: case 0x200e: case 0x200f:
		case 0x202a: case 0x202b: case 0x202c: case 0x202d: case 0x202e:
		case 0x206a: case 0x206b: case 0x206c: case 0x206d: case 0x206e: case 0x206f:
		case 0xfeff:
			continue;	/* ignored by HFS+ */
		}
		return ch;
	}
}

/* git's is_hfs_dot_generic(): "." NEEDLE as HFS+ compares names. */
static int hfs_dot(const char *s, size_t len, const char *needle)
{
	size_t pos = 0;
	unsigned c;

	if (next_hfs_char(s, len, &pos) != '.')
		return 0;
	for (; *needle; needle++) {
		c = next_hfs_char(s, len, &pos);
		if (c > 127 || lower(c) != *needle)
			return 0;
	}
	c = next_hfs_char(s, len, &pos);
	return !c || c == '/';
}

/* ".git" in any case. */
static int dotgit(const char *name, size_t n)
{
	return n == 4 && name[0] == '.' && lower((unsigned char)name[1]) == 'g' &&
	       lower((unsigned char)name[2]) == 'i' && lower((unsigned char)name[3]) == 't';
}

/* NAME or a part of it after a '\' (a separator to NTFS) is ".git". */
static int any_dotgit(const char *name, size_t len)
{
	const char *bs;

	if (ntfs_dotgit(name, len) || hfs_dot(name, len, "git"))
		return 1;
	for (bs = memchr(name, '\\', len); bs; bs = memchr(bs, '\\', len - (size_t)(bs - name))) {
		bs++;
		if (ntfs_dotgit(bs, len - (size_t)(bs - name)))
			return 1;
	}
	return 0;
}

static int any_dotgitmodules(const char *name, size_t len)
{
	const char *bs;

	if (ntfs_dot(name, len, "gitmodules", "gi7eba") || hfs_dot(name, len, "gitmodules"))
		return 1;
	for (bs = memchr(name, '\\', len); bs; bs = memchr(bs, '\\', len - (size_t)(bs - name))) {
		bs++;
		if (ntfs_dot(bs, len - (size_t)(bs - name), "gitmodules", "gi7eba"))
			return 1;
	}
	return 0;
}

const char *silo_tree_name_refused(const char *name, size_t len, unsigned mode)
{
	if (!len)
		return "an empty name in its path";
	if (memchr(name, '\0', len))
		return "a NUL byte in a name";
	if (memchr(name, '/', len))
		return "a '/' in a name";
	if (len == 1 && name[0] == '.')
		return "'.' as a name";
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return "'..' in its path";
	if (dotgit(name, len))
		return "'.git' in its path";
	if (any_dotgit(name, len))
		return "a name that NTFS or HFS+ reads as '.git' in its path";
	if (mode == SILO_MODE_SYMLINK && any_dotgitmodules(name, len))
		return "a symlink that NTFS or HFS+ reads as '.gitmodules'";
	return NULL;
}

/* ---- tree objects ---- */

void silo_tree_iter_init(struct silo_tree_iter *it, const void *data, size_t len, int format)
{
	memset(it, 0, sizeof(*it));
	it->data = data;
	it->len = len;
	it->format = format;
}

/* At most this much of a name in a message. */
#define SHOW(n) (int)((n) > 200 ? 200 : (n))

int silo_tree_iter_next(struct silo_tree_iter *it)
{
	size_t rawsz = silo_oid_rawsz(it->format), p = it->pos, start = it->pos, nlen;
	const unsigned char *d = it->data, *nul;
	const char *name, *why;
	unsigned m = 0;

	if (p >= it->len)
		return 0;
	/* A mode: octal digits without a leading zero, then a space. */
	if (d[p] < '1' || d[p] > '7')
		goto malformed;
	for (; p < it->len && p - start < 6 && d[p] >= '0' && d[p] <= '7'; p++)
		m = m * 8 + (unsigned)(d[p] - '0');
	if (p >= it->len || d[p] != ' ')
		goto malformed;
	if (m != SILO_MODE_FILE && m != SILO_MODE_EXEC && m != SILO_MODE_SYMLINK && m != 040000)
		return silo__error_set(SILO_ECORRUPT, "entry at byte %zu has mode %o, which a "
				       "tree of files, symlinks and directories cannot hold", start, m);
	p++;
	if (!(nul = memchr(d + p, '\0', it->len - p)) || it->len - (size_t)(nul - d) - 1 < rawsz)
		goto malformed;
	name = (const char *)d + p;
	nlen = (size_t)(nul - (d + p));
	if ((why = silo_tree_name_refused(name, nlen, m)))
		return silo__error_set(SILO_EUNSAFE, "refusing entry '%.*s': %s", SHOW(nlen), name,
				       why);
	if (it->name) {
		int c = tree_path_cmp(it->name, it->nlen, it->mode == 040000, name, nlen,
				      m == 040000);
		int same = it->nlen == nlen && !memcmp(it->name, name, nlen);
		if (c >= 0 || same)
			return silo__error_set(SILO_ECORRUPT, "entry '%.*s' %s '%.*s'", SHOW(nlen),
					       name, same ? "repeats" : "is out of order after",
					       SHOW(it->nlen), it->name);
	}
	it->mode = m;
	it->name = name;
	it->nlen = nlen;
	silo_oid_from_raw(&it->id, it->format, nul + 1);
	it->pos = (size_t)(nul - d) + 1 + rawsz;
	return 1;
malformed:
	return silo__error_set(SILO_ECORRUPT, "malformed entry at byte %zu", start);
}

/* ---- size tables ---- */

int silo_tree_sizes_parse(uint64_t **sizes, size_t *count, const void *table, size_t len)
{
	const unsigned char *d = table;
	uint64_t *v = NULL;
	size_t pass, n = 0;

	*sizes = NULL;
	*count = 0;
	/* Checked and counted first, then stored: memory follows the
	 * lines there are, at most half the table's bytes. */
	for (pass = 0; pass < 2; pass++) {
		size_t p = 0, line = 0;
		while (p < len) {
			size_t start = p;
			uint64_t x = 0;
			for (; p < len && d[p] >= '0' && d[p] <= '9'; p++) {
				unsigned digit = (unsigned)(d[p] - '0');
				if (x > (UINT64_MAX - digit) / 10) {
					free(v);
					return silo__error_set(SILO_ECORRUPT,
						"line %zu of the size table is too large", line + 1);
				}
				x = x * 10 + digit;
			}
			if (p == start || p >= len || d[p] != '\n' || (d[start] == '0' && p - start > 1)) {
				free(v);
				return silo__error_set(SILO_ECORRUPT,
					"line %zu of the size table is not a size in decimal",
					line + 1);
			}
			p++;
			if (v)
				v[line] = x;
			line++;
		}
		n = line;
		if (pass || !n)
			break;
		if (!(v = malloc(n * sizeof(*v))))
			return silo__error_oom();
	}
	*sizes = v;
	*count = n;
	return 0;
}

int silo_tree_sizes_format(char **out, size_t *len, const struct silo_tree_list *l)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int ret = strbuf_grow(&sb, 1);

	for (i = 0; i < l->n && !ret; i++)
		ret = strbuf_addf(&sb, "%llu\n", (unsigned long long)l->v[i].size);
	if (ret < 0) {
		strbuf_release(&sb);
		return ret;
	}
	*len = sb.len;
	*out = strbuf_detach(&sb);
	return 0;
}
