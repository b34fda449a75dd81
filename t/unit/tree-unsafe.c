/*
 * Hostile archives: every entry that would land outside the destination
 * is refused with SILO_EUNSAFE, by silo_tree_extract and by
 * silo_tree_list_archive alike, the message names the archive and the
 * entry, and nothing appears outside the destination.  The archives are
 * built here with libarchive's writer, which writes any name it is given.
 * Prints TAP.
 */
#include "tap.h"
#include "scratch.h"
#include "silo/tree.h"
#include "silo/error.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* An archive of up to four entries: 'f' file, 'l' symlink, 'h' hard link, 'd' dir. */
struct spec {
	char type;
	const char *path;
	const char *target;	/* symlinks and hard links */
};

static unsigned char archive_buf[1 << 20];
static size_t archive_len;

static void build(const struct spec *s, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t i;

	if (!a || !e || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_memory(a, archive_buf, sizeof(archive_buf), &archive_len) != ARCHIVE_OK)
		die("archive_write");
	for (i = 0; i < n; i++) {
		archive_entry_clear(e);
		archive_entry_copy_pathname(e, s[i].path);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_mtime(e, 1000000000, 0);
		switch (s[i].type) {
		case 'f':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, 5);
			break;
		case 'd':
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
			break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_copy_symlink(e, s[i].target);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_copy_hardlink(e, s[i].target);
			archive_entry_set_size(e, 0);
			break;
		}
		if (archive_write_header(a, e) < ARCHIVE_WARN)
			die(archive_error_string(a));
		if (s[i].type == 'f' && archive_write_data(a, "evil\n", 5) != 5)
			die(archive_error_string(a));
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		die(archive_error_string(a));
	archive_write_free(a);
	archive_entry_free(e);
}

struct mem_src {
	size_t pos;
};

static int mem_read(void *payload, const void **data, size_t *len)
{
	struct mem_src *m = payload;
	size_t n = archive_len - m->pos;

	if (!n)
		return 0;
	if (n > 4096)
		n = 4096;
	*data = archive_buf + m->pos;
	*len = n;
	m->pos += n;
	return 1;
}

static int dest_no;

/* Extract and list the archive of S; both must be SILO_EUNSAFE naming ENTRY. */
static void refused(const struct spec *s, size_t n, const char *entry,
		    const char *outside, const char *what)
{
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	struct mem_src m = { 0 };
	char dest[64], msg[512];
	silo_oid id;
	int ret;

	build(s, n);
	snprintf(dest, sizeof(dest), "dest%d", ++dest_no);
	ret = silo_tree_extract(&id, at(dest), mem_read, &m, "hostile.tar", SILO_OID_SHA1);
	snprintf(msg, sizeof(msg), "extract refuses %s", what);
	ok(ret == SILO_EUNSAFE, msg);
	snprintf(msg, sizeof(msg), "the message names the archive and '%s'", entry);
	ok(strstr(silo_error_message(), "'hostile.tar'") &&
	   strstr(silo_error_message(), entry), msg);
	snprintf(msg, sizeof(msg), "nothing written at '%s'", outside);
	ok(!exists(outside), msg);
	m.pos = 0;
	snprintf(msg, sizeof(msg), "listing refuses %s", what);
	ok(silo_tree_list_archive(&l, SILO_OID_SHA1, mem_read, &m, "hostile.tar") == SILO_EUNSAFE,
	   msg);
	silo_tree_list_release(&l);
	if (silo_tree_remove(at(dest)) < 0)
		die("silo_tree_remove");
}

int main(void)
{
	char outside_dir[4200], abs_evil[4200], in_outside[4200], secret[4200];
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	struct mem_src m = { 0 };
	struct stat st;
	silo_oid id;
	int fd;

	scratch_init("unsafe");
	snprintf(outside_dir, sizeof(outside_dir), "%s", at("outside"));
	snprintf(abs_evil, sizeof(abs_evil), "%s", at("abs-evil"));
	snprintf(in_outside, sizeof(in_outside), "%s", at("outside/evil"));
	snprintf(secret, sizeof(secret), "%s", at("outside/secret"));
	if (mkdir(outside_dir, 0755) < 0)
		die("mkdir");
	if ((fd = open(secret, O_WRONLY | O_CREAT, 0644)) < 0 || write(fd, "keep", 4) != 4 ||
	    close(fd) < 0)
		die("secret");

	{
		struct spec s[] = { { 'f', "ok", NULL }, { 'f', "../evil", NULL } };
		refused(s, 2, "../evil", at("evil"), "'../evil'");
	}
	{
		struct spec s[] = { { 'f', abs_evil, NULL } };
		refused(s, 1, abs_evil, abs_evil, "an absolute path");
	}
	{
		struct spec s[] = { { 'd', "a", NULL }, { 'f', "a/../../evil", NULL } };
		refused(s, 2, "a/../../evil", at("evil"), "'a/../../evil'");
	}
	{
		struct spec s[] = { { 'l', "link", outside_dir }, { 'f', "link/evil", NULL } };
		refused(s, 2, "link/evil", in_outside, "a file through an absolute symlink");
	}
	{
		struct spec s[] = { { 'l', "link", ".." }, { 'f', "link/evil", NULL } };
		refused(s, 2, "link/evil", at("evil"), "a file through a symlink to '..'");
	}
	{
		struct spec s[] = { { 'l', "link", ".." }, { 'd', "link/sub", NULL },
				    { 'f', "link/sub/evil", NULL } };
		refused(s, 3, "link/sub", at("sub"), "a directory through a symlink");
	}
	{
		struct spec s[] = { { 'h', "h", "/etc/passwd" } };
		refused(s, 1, "'h'", at("dest7/h"), "a hard link to '/etc/passwd'");
	}
	{
		struct spec s[] = { { 'h', "h", "../outside/secret" } };
		refused(s, 1, "'h'", at("dest8/h"), "a hard link to '../outside/secret'");
	}
	{
		struct spec s[] = { { 'l', "link", outside_dir }, { 'h', "h", "link/secret" } };
		refused(s, 2, "'h'", at("dest9/h"), "a hard link through a symlink");
	}
	ok(stat(secret, &st) == 0 && st.st_size == 4 && st.st_nlink == 1,
	   "the outside file is untouched and has no new links");

	/* Symlinks pointing anywhere are fine as long as nothing goes through them. */
	{
		struct spec s[] = { { 'l', "abs", "/etc/passwd" }, { 'l', "up", "../../x" },
				    { 'f', "dir/file", NULL }, { 'h', "dir/hard", "dir/file" } };
		struct silo_tree_list l2 = SILO_TREE_LIST_INIT;
		silo_oid id2;

		build(s, 4);
		ok(silo_tree_extract(&id, at("good"), mem_read, &m, "good.tar", SILO_OID_SHA1) == 0,
		   "an archive with outward symlinks but no entry through them extracts");
		m.pos = 0;
		ok(silo_tree_list_archive(&l2, SILO_OID_SHA1, mem_read, &m, "good.tar") == 0 &&
		   silo_tree_list_id(&id2, &l2) == 0 && silo_oid_equal(&id, &id2),
		   "its listed id equals the id computed while extracting");
		ok(l2.n == 4 && !strcmp(l2.v[0].path, "abs") && l2.v[0].mode == SILO_MODE_SYMLINK &&
		   !strcmp(l2.v[1].path, "dir/file") && !strcmp(l2.v[2].path, "dir/hard") &&
		   silo_oid_equal(&l2.v[1].id, &l2.v[2].id), "the list holds the leaves, sorted");
		silo_tree_list_release(&l2);
		ok(lstat(at("good/dir/hard"), &st) == 0 && st.st_nlink == 2,
		   "the hard link was made inside");
		m.pos = 0;
	}
	{
		struct archive *a = archive_write_new();
		struct archive_entry *e = archive_entry_new();

		if (!a || !e || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
		    archive_write_open_memory(a, archive_buf, sizeof(archive_buf), &archive_len))
			die("archive_write");
		archive_entry_copy_pathname(e, "pipe");
		archive_entry_set_filetype(e, AE_IFIFO);
		archive_entry_set_perm(e, 0644);
		if (archive_write_header(a, e) < ARCHIVE_WARN || archive_write_close(a))
			die("fifo");
		archive_write_free(a);
		archive_entry_free(e);
		m.pos = 0;
		ok(silo_tree_list_archive(&l, SILO_OID_SHA1, mem_read, &m, "fifo.tar") ==
		   SILO_EINVALID && strstr(silo_error_message(), "'pipe'"),
		   "a fifo in an archive is SILO_EINVALID naming it");
		m.pos = 0;
		ok(silo_tree_extract(&id, at("fifo"), mem_read, &m, "fifo.tar", SILO_OID_SHA1) ==
		   SILO_EINVALID && !exists(at("fifo/pipe")), "and is not extracted");
	}
	{
		static const char junk[] = "this is not an archive at all, not even close";
		memcpy(archive_buf, junk, sizeof(junk));
		archive_len = sizeof(junk);
		m.pos = 0;
		ok(silo_tree_list_archive(&l, SILO_OID_SHA1, mem_read, &m, "junk.bin") ==
		   SILO_EINVALID && strstr(silo_error_message(), "'junk.bin'"),
		   "a file that is no archive is SILO_EINVALID naming it");
	}
	silo_tree_list_release(&l);
	ok(silo_tree_remove(base) == 0 && !exists(base), "clean up");
	return done_testing();
}
