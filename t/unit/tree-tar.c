/*
 * silo_tree_tar and silo_tree_extract together: the tar is the same bytes
 * every time, and extracting it gives back the same tree (ids, modes,
 * mtimes, hard links, empty directories).  Prints TAP.
 */
#include "tap.h"
#include "scratch.h"
#include "silo/tree.h"
#include "silo/error.h"
#include "error-internal.h"	/* callbacks report failures as the library does */

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct mem {
	unsigned char *buf;
	size_t len, alloc;
	size_t pos, chunk;	/* reading back */
	size_t fail_at;		/* fail once this many bytes are through */
};

static int mem_write(void *payload, const void *data, size_t len)
{
	struct mem *m = payload;

	if (m->fail_at && m->len + len > m->fail_at)
		return silo__error_set(SILO_EIO, "the sink is full");
	if (m->len + len > m->alloc) {
		size_t n = m->alloc ? m->alloc : 65536;
		unsigned char *b;
		while (n < m->len + len)
			n *= 2;
		if (!(b = realloc(m->buf, n)))
			return SILO_ENOMEM;
		m->buf = b;
		m->alloc = n;
	}
	memcpy(m->buf + m->len, data, len);
	m->len += len;
	return 0;
}

/* Hands the bytes out in small pieces, to exercise streaming. */
static int mem_read(void *payload, const void **data, size_t *len)
{
	struct mem *m = payload;
	size_t n = m->len - m->pos;

	if (!n)
		return 0;
	if (m->fail_at && m->pos >= m->fail_at)
		return silo__error_set(SILO_EIO, "the source broke");
	if (n > m->chunk)
		n = m->chunk;
	*data = m->buf + m->pos;
	*len = n;
	m->pos += n;
	return 1;
}

static void write_file(const char *rel, const char *content, mode_t mode)
{
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content) ||
	    close(fd) < 0 || chmod(at(rel), mode) < 0)
		die(rel);
}

static void set_mtime(const char *rel, time_t sec, long nsec)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { sec, nsec } };

	if (utimensat(AT_FDCWD, at(rel), ts, AT_SYMLINK_NOFOLLOW) < 0)
		die(rel);
}

static const char *const paths[] = {
	"src", "src/a", "src/exec", "src/private", "src/ro", "src/link", "src/h1",
	"src/sub", "src/sub/h2", "src/sub/deep", "src/sub/deep/file", "src/empty",
	"src/e1", "src/e1/e2", "src/\303\251t\303\251", "src/latin1-\351",
	"src/rodir", "src/rodir/inside",
	NULL
};

static char long_dir[300], long_file[600];

static void make_tree(void)
{
	char name[201];
	int i;

	memset(name, 'n', 200);
	name[200] = '\0';
	snprintf(long_dir, sizeof(long_dir), "src/sub/%s", name);
	snprintf(long_file, sizeof(long_file), "%s/%s", long_dir, name);
	if (mkdir(at("src"), 0755) || mkdir(at("src/sub"), 0750) ||
	    mkdir(at("src/sub/deep"), 0755) || mkdir(at("src/empty"), 0700) ||
	    mkdir(at("src/e1"), 0755) || mkdir(at("src/e1/e2"), 0755) ||
	    mkdir(at(long_dir), 0755))
		die("mkdir");
	write_file("src/a", "alpha\n", 0644);
	write_file("src/exec", "#!/bin/sh\n", 0755);
	write_file("src/private", "secret\n", 0600);
	write_file("src/ro", "read only\n", 0444);
	write_file("src/h1", "linked twice\n", 0640);
	write_file("src/sub/deep/file", "", 0644);
	write_file("src/\303\251t\303\251", "utf-8\n", 0644);
	write_file("src/latin1-\351", "not utf-8\n", 0644);
	write_file(long_file, "long\n", 0644);
	if (mkdir(at("src/rodir"), 0755) < 0)
		die("mkdir rodir");
	write_file("src/rodir/inside", "in a read-only directory\n", 0644);
	if (chmod(at("src/rodir"), 0555) < 0)
		die("chmod");
	if (link(at("src/h1"), at("src/sub/h2")) || symlink("sub/deep/file", at("src/link")))
		die("link");
	/* Times last, deepest first, so that no later write changes them. */
	set_mtime(long_file, 1600000000, 123456789);
	set_mtime(long_dir, 1600000001, 5);
	for (i = 0; paths[i]; i++)
		;
	while (i-- > 0)
		set_mtime(paths[i], 1500000000 + i, i * 1000 + 7);
}

static void touch_atimes(void)
{
	struct timespec ts[2] = { { 1234, 0 }, { 0, UTIME_OMIT } };
	int i;

	for (i = 0; paths[i]; i++)
		if (utimensat(AT_FDCWD, at(paths[i]), ts, AT_SYMLINK_NOFOLLOW) < 0)
			die("utimensat");
}

static int same_meta(const char *a, const char *b)
{
	struct stat sa, sb;

	if (lstat(at(a), &sa) || lstat(at(b), &sb))
		return 0;
	if (sa.st_mode != sb.st_mode) {
		printf("# %s: mode %o, %s: mode %o\n", a, sa.st_mode, b, sb.st_mode);
		return 0;
	}
	/* Kept to the second, as tar keeps them. */
	if (sa.st_mtim.tv_sec != sb.st_mtim.tv_sec || sb.st_mtim.tv_nsec != 0) {
		printf("# %s and %s: mtimes differ\n", a, b);
		return 0;
	}
	return 1;
}

static int tree_id(silo_oid *id, const char *rel, int format)
{
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	int ret = silo_tree_list_dir(&l, format, at(rel));

	if (!ret)
		ret = silo_tree_list_id(id, &l);
	silo_tree_list_release(&l);
	return ret;
}

int main(void)
{
	struct mem t1 = { 0 }, t2 = { 0 }, t3 = { 0 }, t4 = { 0 };
	silo_oid src_id, out_id, got_id, list_id;
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	struct stat s1, s2;
	int i, all;

	scratch_init("tar");
	make_tree();

	ok(silo_tree_tar(at("src"), mem_write, &t1) == 0, "tar a tree");
	ok(silo_tree_tar(at("src"), mem_write, &t2) == 0, "tar it again");
	ok(t1.len == t2.len && !memcmp(t1.buf, t2.buf, t1.len), "the same bytes twice");
	ok(t1.len > 0 && t1.len % 10240 == 0, "padded to whole 10240-byte records");
	touch_atimes();
	ok(silo_tree_tar(at("src"), mem_write, &t3) == 0 &&
	   t3.len == t1.len && !memcmp(t3.buf, t1.buf, t1.len),
	   "the same bytes after access times change");
	if (setlocale(LC_ALL, "C.UTF-8")) {
		struct mem t5 = { 0 };
		ok(silo_tree_tar(at("src"), mem_write, &t5) == 0 && t5.len == t1.len &&
		   !memcmp(t5.buf, t1.buf, t1.len), "the same bytes in another locale");
		free(t5.buf);
		setlocale(LC_ALL, "C");
	} else {
		ok(1, "# skip no C.UTF-8 locale");
	}
	ok(memmem(t1.buf, t1.len, "path=\303\251t\303\251\n", 11) != NULL,
	   "a UTF-8 name is stored as UTF-8");
	ok(!memmem(t1.buf, t1.len, "atime=", 6) && !memmem(t1.buf, t1.len, "ctime=", 6) &&
	   !memmem(t1.buf, t1.len, "SCHILY", 6), "no atime, ctime or inode keys");
	ok(memmem(t1.buf, t1.len, "mtime=", 6) == NULL,
	   "no pax mtime records: times are kept to the second");

	ok(tree_id(&src_id, "src", SILO_OID_SHA1) == 0, "tree id of the source");
	t1.chunk = 1000;
	ok(silo_tree_extract(&got_id, at("out"), mem_read, &t1, "t1.tar", SILO_OID_SHA1) == 0,
	   "extract the tar into a new directory");
	ok(silo_oid_equal(&got_id, &src_id), "id computed while extracting is the source's");
	ok(tree_id(&out_id, "out", SILO_OID_SHA1) == 0 && silo_oid_equal(&out_id, &src_id),
	   "id of the extracted tree is the source's");
	all = 1;
	/* paths[0] is the top directory, not itself in the tar. */
	for (i = 1; paths[i]; i++) {
		char other[256];
		snprintf(other, sizeof(other), "out%s", paths[i] + 3);
		all &= same_meta(paths[i], other);
	}
	{
		char a[700], b[700];
		snprintf(a, sizeof(a), "out%s", long_file + 3);
		snprintf(b, sizeof(b), "out%s", long_dir + 3);
		all &= same_meta(long_file, a) && same_meta(long_dir, b);
	}
	ok(all, "same modes and mtimes (to the second), directories included");
	ok(!lstat(at("out/h1"), &s1) && !lstat(at("out/sub/h2"), &s2) &&
	   s1.st_ino == s2.st_ino, "hard links stay hard links");
	ok(!lstat(at("out/empty"), &s1) && S_ISDIR(s1.st_mode) &&
	   !lstat(at("out/e1/e2"), &s2) && S_ISDIR(s2.st_mode), "empty directories are kept");
	ok(silo_tree_tar(at("out"), mem_write, &t4) == 0 && t4.len == t2.len &&
	   !memcmp(t4.buf, t2.buf, t2.len), "the extracted tree tars to the same bytes");

	t2.chunk = 777;
	ok(silo_tree_list_archive(&l, SILO_OID_SHA1, mem_read, &t2, "t2.tar") == 0 &&
	   silo_tree_list_id(&list_id, &l) == 0 && silo_oid_equal(&list_id, &src_id),
	   "the archive's listed tree has the source's id");

	t2.pos = 0;
	ok(silo_tree_extract(NULL, at("out"), mem_read, &t2, "t2.tar", SILO_OID_SHA1) == SILO_EEXISTS,
	   "extracting onto an existing directory is SILO_EEXISTS");
	t2.pos = 0;
	ok(silo_tree_extract(&got_id, at("new/parents/out"), mem_read, &t2, "t2.tar",
			SILO_OID_SHA256) == 0 && tree_id(&out_id, "new/parents/out", SILO_OID_SHA256) == 0 &&
	   silo_oid_equal(&got_id, &out_id), "sha256 ids on extraction; parents are created");

	{
		char cwd[4096], cwd2[4096];
		t2.pos = 0;
		ok(getcwd(cwd, sizeof(cwd)) && silo_tree_extract(NULL, at("out3"), mem_read, &t2,
			"t2.tar", SILO_OID_SHA1) == 0 && getcwd(cwd2, sizeof(cwd2)) &&
		   !strcmp(cwd, cwd2), "the working directory is restored");
	}

	/* Failures of the source and of the sink come back as they were. */
	t2.pos = 0;
	t2.chunk = 4096;
	t2.fail_at = t2.len / 2;
	ok(silo_tree_extract(NULL, at("broken"), mem_read, &t2, "t2.tar", SILO_OID_SHA1) == SILO_EIO &&
	   !strcmp(silo_error_message(), "the source broke"),
	   "a failing source fails the extraction with its own error");
	t2.pos = 0;
	ok(silo_tree_list_archive(&l, SILO_OID_SHA1, mem_read, &t2, "t2.tar") == SILO_EIO &&
	   !strcmp(silo_error_message(), "the source broke"),
	   "and the listing too");
	t2.fail_at = 0;
	{
		struct mem full = { 0 };
		full.fail_at = 20000;
		ok(silo_tree_tar(at("src"), mem_write, &full) == SILO_EIO &&
		   !strcmp(silo_error_message(), "the sink is full"),
		   "a failing sink fails the tar with its own error");
		free(full.buf);
	}
	ok(silo_tree_remove(at("broken")) == 0, "a partial extraction can be removed");

	/* Removal follows no symlink and copes with read-only directories. */
	if (mkdir(at("keep"), 0755) < 0)
		die("mkdir keep");
	write_file("keep/precious", "x", 0644);
	if (symlink(at("keep"), at("out/to-keep")) < 0 || chmod(at("out/sub"), 0555) < 0)
		die("symlink");
	ok(silo_tree_remove(at("out")) == 0 && lstat(at("out"), &s1) < 0 && errno == ENOENT,
	   "remove a tree with a read-only directory");
	ok(lstat(at("keep/precious"), &s1) == 0, "removal did not follow a symlink out");
	ok(silo_tree_remove(at("no-such")) == 0, "removing a missing tree succeeds");

	silo_tree_list_release(&l);
	free(t1.buf);
	free(t2.buf);
	free(t3.buf);
	free(t4.buf);
	ok(silo_tree_remove(base) == 0, "clean up");
	return done_testing();
}
