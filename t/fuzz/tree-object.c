/*
 * Fuzz git tree objects as the library reads them (lib/tree-object.c):
 * silo_tree_iter_next() over the input, and silo_tree_name_refused()
 * against an oracle written here another way.
 *
 * Input: a first byte whose low bit picks the id format (sha1, sha256),
 * then a tree object.  Every entry the parser accepts must be canonical
 * (written back, it is the bytes it was read from), have a name the check
 * accepts, and follow the previous one in git's order.  Then the input is
 * cut at NUL and '/' bytes into names, each checked by the library and by
 * the oracle as a file and as a symlink: they must agree.
 */
#include "fuzz.h"
#include "silo/tree.h"
#include "silo/error.h"

#include <stdio.h>
#include <string.h>

/* ---- the oracle: git's rules as normalised names ---- */

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* The code points of S (LEN bytes) as HFS+ compares them: up to the first
 * malformed sequence (git stops there), the ignorable ones dropped, into
 * OUT (at most MAX); their number. */
static size_t hfs_points(const unsigned char *s, size_t len, unsigned *out, size_t max)
{
	static const unsigned ignored[] = {
		0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e,
		0x206a, 0x206b, 0x206c, 0x206d, 0x206e, 0x206f, 0xfeff
	};
	size_t i = 0, n = 0, k, need;

	while (i < len && n < max) {
		unsigned c = s[i], min;
		int skip = 0;
		if (c < 0x80) {
			need = 0;
			min = 0;
		} else if (c >= 0xc0 && c < 0xe0) {
			need = 1;
			min = 0x80;
			c &= 0x1f;
		} else if (c >= 0xe0 && c < 0xf0) {
			need = 2;
			min = 0x800;
			c &= 0x0f;
		} else if (c >= 0xf0 && c < 0xf8) {
			need = 3;
			min = 0x10000;
			c &= 0x07;
		} else {
			break;
		}
		if (i + need >= len)
			break;	/* truncated */
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				break;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if (k <= need || c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ||
		    c == 0xfffe || c == 0xffff)
			break;
		i += need + 1;
		for (k = 0; k < sizeof(ignored) / sizeof(ignored[0]); k++)
			if (c == ignored[k])
				skip = 1;
		if (!skip)
			out[n++] = c;
	}
	return n;
}

/* HFS+ reads NAME as "." NEEDLE. */
static int hfs_is(const unsigned char *name, size_t len, const char *needle)
{
	unsigned cp[64];
	size_t n = hfs_points(name, len, cp, 64), i, nl = strlen(needle);

	if (n != nl + 1 || cp[0] != '.')
		return 0;
	for (i = 0; i < nl; i++)
		if (cp[i + 1] > 127 || lower((int)cp[i + 1]) != needle[i])
			return 0;
	return 1;
}

/* The part of S (LEN bytes) before the first of STOPS, with its trailing
 * spaces and dots removed: what NTFS opens.  Its length; lowercased into
 * OUT if shorter than MAX. */
static size_t ntfs_form(const unsigned char *s, size_t len, const char *stops, char *out,
			size_t max)
{
	size_t n = 0, i;

	while (n < len && s[n] && !strchr(stops, s[n]))
		n++;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '.'))
		n--;
	for (i = 0; i < n && n < max; i++)
		out[i] = (char)lower(s[i]);
	out[n < max ? n : 0] = '\0';
	return n;
}

/* NTFS reads S (up to a separator or ':') as ".git" or its short name. */
static int ntfs_git(const unsigned char *s, size_t len)
{
	char f[64];
	size_t n = ntfs_form(s, len, ":\\/", f, sizeof(f));

	/* Trailing dots and spaces may only follow the name, not replace a
	 * part of it: ".git" and "git~1" end in neither. */
	return (n == 4 && !memcmp(f, ".git", 4)) || (n == 5 && !memcmp(f, "git~1", 5));
}

/* NTFS reads S as ".gitmodules": by its name, its short name gitmod~1 to
 * ~4, or a fall-back short name: a prefix of "gi7eba", '~', a digit 1-9,
 * digits, eight characters in all; then only spaces and dots up to the
 * end or a ':'. */
static int ntfs_gitmodules(const unsigned char *s, size_t len)
{
	char f[64];
	size_t n, k, i, head = 0;

	n = ntfs_form(s, len, ":", f, sizeof(f));
	if (n == 11 && !memcmp(f, ".gitmodules", 11))
		return 1;
	if (len < 8)
		return 0;
	if (!strncmp(f, "gitmod~", 7) && n >= 8 && f[7] >= '1' && f[7] <= '4')
		head = 8;
	for (k = 0; !head && k <= 6; k++) {
		int ok = !strncmp(f, "gi7eba", k) && s[k] == '~' && s[k + 1] >= '1' &&
			 s[k + 1] <= '9';
		for (i = k + 2; ok && i < 8; i++)
			ok = s[i] >= '0' && s[i] <= '9';
		for (i = 0; ok && i < k; i++)
			ok = !(s[i] & 0x80);
		if (ok)
			head = 8;
	}
	return head && n == head;
}

/* 1 if git refuses NAME (LEN bytes) as a file or, with LINK, a symlink. */
static int oracle(const unsigned char *name, size_t len, int link)
{
	size_t i;

	if (!len || memchr(name, '/', len) || memchr(name, '\0', len))
		return 1;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return 1;
	if (hfs_is(name, len, "git") || ntfs_git(name, len))
		return 1;
	for (i = 0; i < len; i++)
		if (name[i] == '\\' && ntfs_git(name + i + 1, len - i - 1))
			return 1;
	if (link) {
		if (hfs_is(name, len, "gitmodules") || ntfs_gitmodules(name, len))
			return 1;
		for (i = 0; i < len; i++)
			if (name[i] == '\\' && ntfs_gitmodules(name + i + 1, len - i - 1))
				return 1;
	}
	return 0;
}

/* ---- the harness ---- */

/* Git's order of two entries: a directory compares as its name and '/'. */
static int before(const char *a, size_t alen, int adir, const char *b, size_t blen, int bdir)
{
	size_t i;

	for (i = 0;; i++) {
		int ca = i < alen ? (unsigned char)a[i] : i == alen && adir ? '/' : -1;
		int cb = i < blen ? (unsigned char)b[i] : i == blen && bdir ? '/' : -1;
		if (ca != cb)
			return ca < cb;
		if (ca < 0)
			return 0;
	}
}

static void check_names(const uint8_t *data, size_t size)
{
	size_t start = 0, i;

	for (i = 0; i <= size; i++) {
		if (i < size && data[i] != '\0' && data[i] != '/')
			continue;
		if (i > start && i - start < 64) {
			const char *name = (const char *)data + start;
			size_t len = i - start;
			if (!silo_tree_name_refused(name, len, SILO_MODE_FILE) !=
			    !oracle(data + start, len, 0))
				__builtin_trap();	/* the check and the oracle differ */
			if (!silo_tree_name_refused(name, len, SILO_MODE_SYMLINK) !=
			    !oracle(data + start, len, 1))
				__builtin_trap();
		}
		start = i + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct silo_tree_iter it;
	int format, ret, have_prev = 0, prev_dir = 0;
	const char *prev = NULL;
	size_t prev_len = 0, last = 0, rawsz;

	if (!size)
		return 0;
	format = data[0] & 1 ? SILO_OID_SHA256 : SILO_OID_SHA1;
	rawsz = silo_oid_rawsz(format);
	silo_tree_iter_init(&it, data + 1, size - 1, format);
	while ((ret = silo_tree_iter_next(&it)) > 0) {
		char head[16];
		int n = snprintf(head, sizeof(head), "%o ", it.mode);
		const unsigned char *at = data + 1 + last;
		int dir = it.mode == 040000;

		/* The entry is exactly its canonical form. */
		if (it.pos <= last || it.pos > size - 1 ||
		    it.pos - last != (size_t)n + it.nlen + 1 + rawsz ||
		    memcmp(at, head, (size_t)n) || (const unsigned char *)it.name != at + n ||
		    at[n + it.nlen] != '\0' || memcmp(at + n + it.nlen + 1, it.id.hash, rawsz))
			__builtin_trap();
		if (it.mode != SILO_MODE_FILE && it.mode != SILO_MODE_EXEC &&
		    it.mode != SILO_MODE_SYMLINK && !dir)
			__builtin_trap();
		if (silo_tree_name_refused(it.name, it.nlen, it.mode) ||
		    oracle((const unsigned char *)it.name, it.nlen, it.mode == SILO_MODE_SYMLINK))
			__builtin_trap();	/* a refused name was accepted */
		if (have_prev && (!before(prev, prev_len, prev_dir, it.name, it.nlen, dir) ||
				  (prev_len == it.nlen && !memcmp(prev, it.name, it.nlen))))
			__builtin_trap();	/* out of order, or repeated */
		prev = it.name;
		prev_len = it.nlen;
		prev_dir = dir;
		have_prev = 1;
		last = it.pos;
	}
	if (ret < 0 && ret != SILO_ECORRUPT && ret != SILO_EUNSAFE)
		__builtin_trap();
	if (ret == 0 && last != size - 1)
		__builtin_trap();	/* the end before the end */
	check_names(data + 1, size - 1);
	return 0;
}
