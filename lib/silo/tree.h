/*
 * Directory trees: git tree ids of trees on disk and in archives, a
 * deterministic tar writer, and safe extraction.
 *
 * A tree is handled as a flat list of its leaves (files and symlinks),
 * sorted by path in git's order, each with its git mode and blob id.  The
 * git tree id is computed from the list (directories are implied by the
 * paths; empty directories are not part of a git tree, as in git).  Two
 * lists can be compared to name what differs.
 *
 *	struct silo_tree_list l = SILO_TREE_LIST_INIT;
 *	silo_tree_list_dir(&l, SILO_OID_SHA1, "some/dir");
 *	silo_tree_list_id(&tree_id, &l);
 *	silo_tree_list_release(&l);
 *
 * Byte streams pass through two callback types, silo_read_fn (a source
 * of bytes, such as an archive being read) and silo_write_fn (a sink,
 * such as a tar being written); they are not the object sources of a
 * silo.
 */
#ifndef SILO_TREE_H
#define SILO_TREE_H

#include "silo/common.h"

#include <stddef.h>
#include <stdint.h>
#include "silo/oid.h"

/* Git modes of leaves. */
#define SILO_MODE_FILE 0100644
#define SILO_MODE_EXEC 0100755
#define SILO_MODE_SYMLINK 0120000

struct silo_tree_entry {
	char *path;	/* relative, '/'-separated, no leading "./" */
	unsigned mode;	/* SILO_MODE_* */
	silo_oid id;	/* blob id of the content (of the target, for symlinks) */
	uint64_t size;
};

/* An initialised list owns its entries and their paths:
 * silo_tree_list_release() frees them. */
struct silo_tree_list {
	struct silo_tree_entry *v;	/* owned; sorted by path, git order */
	size_t n, alloc;
	int format;			/* enum silo_oid_format */
};

#define SILO_TREE_LIST_INIT { NULL, 0, 0, 0 }

SILO_EXTERN void silo_tree_list_release(struct silo_tree_list *l);

/*
 * The leaves of directory DIR, as 'git add -A' would record them: mode
 * 100755 when the owner's execute bit is set, else 100644; symlinks
 * (never followed, DIR itself excepted) with their target as content.
 * Files git cannot represent (fifos, sockets, devices) are SILO_EINVALID
 * with a message naming the file.  A ".git" component (in any case) is
 * SILO_EUNSAFE, as git refuses it in a tree.  The tree is taken as plain
 * files: ".gitignore" files are not obeyed (as 'git add -A --force'),
 * ".gitattributes" files apply no filters or end-of-line conversion
 * (content is hashed byte for byte).  OUT must be initialised;
 * its old content is released and replaced on success (the caller
 * releases it).  Files are hashed by a few threads at once.
 */
SILO_EXTERN int silo_tree_list_dir(struct silo_tree_list *out, int format, const char *dir);

/*
 * A source of bytes: the shape of silo_stream_read().  Returns 1 and sets
 * *data and *len for a piece, 0 at the end, negative on error.
 */
typedef int (*silo_read_fn)(void *payload, const void **data, size_t *len);

/* A sink of bytes: returns 0 or a negative error. */
typedef int (*silo_write_fn)(void *payload, const void *data, size_t len);

/*
 * A silo_read_fn reading an open file descriptor (a file, a pipe):
 * PAYLOAD is a struct silo_fd_reader whose FD and NAME the caller set.
 * The caller keeps the descriptor and closes it.
 */
struct silo_fd_reader {
	int fd;
	const char *name;	/* names FD in messages */
	unsigned char buf[128 * 1024];
};

SILO_EXTERN int silo_fd_reader_read(void *payload, const void **data, size_t *len);

/*
 * The leaves of an archive read from SRC (any format libarchive reads,
 * compressed or not), without unpacking it.  NAME names it in messages.
 * The list is the tree the archive unpacks to (a top directory such as
 * "Python-3.10.4/" is part of the paths): a later entry replaces an
 * earlier one of the same path, a hard link has its target's content,
 * directory entries add nothing.  Unsafe entries (absolute paths, "..",
 * paths or hard link targets through a symlink of the archive) are
 * SILO_EUNSAFE; fifos, devices, malformed or unknown archives are
 * SILO_EINVALID; a failure of SRC is returned as it is.  A zip is
 * copied to an unlinked temporary file in $TMPDIR (or /tmp) first, as
 * its modes and symlinks are kept in a directory at its end.  SRC may
 * not be read to its end: a caller that verifies the stream drains it.
 * OUT as for silo_tree_list_dir().
 */
SILO_EXTERN int silo_tree_list_archive(struct silo_tree_list *out, int format,
			   silo_read_fn src, void *payload, const char *name);

/*
 * The git tree id of the tree described by L (git write-tree's answer).
 * L must be sorted (strcmp order), without repeated paths, with no name
 * both a leaf and a directory, and with modes and ids of L's format;
 * else SILO_EINVALID.
 */
SILO_EXTERN int silo_tree_list_id(silo_oid *out, const struct silo_tree_list *l);

/* What differs between two lists, reported in path order. */
enum silo_tree_change {
	SILO_TREE_ADDED = 1,	/* in NEW only */
	SILO_TREE_REMOVED,	/* in OLD only */
	SILO_TREE_CHANGED,	/* content differs */
	SILO_TREE_MODE		/* same content, mode differs */
};

/* Calls CB for each difference; a non-zero return from CB stops and is
 * returned.  Returns 0 when the walk completed.  A path whose content
 * and mode both differ is reported once, as SILO_TREE_CHANGED. */
SILO_EXTERN int silo_tree_list_diff(const struct silo_tree_list *old_list,
			const struct silo_tree_list *new_list,
			int (*cb)(void *payload, int change, const char *path),
			void *payload);

/*
 * Write a deterministic tar (POSIX pax) of DIR to SINK: entries sorted,
 * owners normalised to 0/0 with no names, permissions, symlinks, hard
 * links and modification times kept, long and non-ASCII names handled.
 * The same tree always gives the same bytes.  Streams: memory does not
 * grow with file sizes.
 *
 * Entries are in git's order, a directory (empty ones included) just
 * before its content, with paths relative to DIR and no "./".  Only
 * path, mode, size, mtime (nanoseconds in a pax header when not zero)
 * and link targets are written: no atime, ctime, inode or names.  A file
 * seen again through another hard link is a hard link entry to its first
 * path.  The archive is padded to a 10240-byte record, as tar's are.
 * Fifos, sockets and devices are SILO_EINVALID; a failure of SINK is
 * returned as it is.
 */
SILO_EXTERN int silo_tree_tar(const char *dir, silo_write_fn sink, void *payload);

/*
 * Extract the archive read from SRC into DEST, a directory that must not
 * exist yet and is created.  Entries that would land outside DEST
 * ("..", absolute paths, paths through symlinks, hard links to outside
 * targets) are refused with SILO_EUNSAFE and nothing is written outside
 * DEST.  On success, if TREE_ID is not NULL, *tree_id receives the git
 * tree id (in FORMAT) of what was written, computed on the way.  On
 * failure DEST may hold a partial tree: the caller extracts into a
 * staging directory and removes it on failure.  NAME names the archive
 * in messages.
 *
 * DEST existing is SILO_EEXISTS; its missing parents are created.
 * Permissions and modification times are restored, owners never.
 * Entries git trees cannot hold (fifos, devices) are SILO_EINVALID.
 * Files are created relative to a descriptor of DEST, never following a
 * symlink: extractions in several threads at once are safe.
 */
SILO_EXTERN int silo_tree_extract(silo_oid *tree_id, const char *dest, silo_read_fn src,
		      void *payload, const char *name, int format);

/* ---- names, git tree objects, size tables (tree-object.c) ---- */

/*
 * Why git would refuse NAME (LEN bytes), one component of a path in a
 * tree, for an entry of git mode MODE (040000 for a directory): NULL if
 * it is safe, else a static phrase for a message.  The rules of git's
 * verify_path() and fsck with core.protectNTFS and core.protectHFS on:
 * no empty name, '/', NUL, "." or ".."; no ".git" in any case, nor a
 * name NTFS or HFS+ reads as ".git" (".git ", ".git.", "git~1",
 * ".git::$INDEX_ALLOCATION", ".g\u200cit", "x\.git"); no symlink that
 * they read as ".gitmodules".  Every reader and writer of trees (archive
 * walk, directory walk, tree objects) applies it to every component: a
 * checkout of such a name would run the tree's own git config and hooks.
 */
SILO_EXTERN const char *silo_tree_name_refused(const char *name, size_t len, unsigned mode);

/*
 * The entries of a git tree object, in order:
 *
 *	struct silo_tree_iter it;
 *	silo_tree_iter_init(&it, data, len, SILO_OID_SHA1);
 *	while ((ret = silo_tree_iter_next(&it)) > 0)
 *		... it.mode, it.name (it.nlen bytes), it.id ...
 *
 * DATA is borrowed for as long as the iterator is used.
 */
struct silo_tree_iter {
	const unsigned char *data;
	size_t len, pos;
	int format;		/* enum silo_oid_format */
	unsigned mode;		/* the current entry: 040000 or a SILO_MODE_* */
	const char *name;	/* in DATA, NLEN bytes, not NUL-terminated */
	size_t nlen;
	silo_oid id;
};

SILO_EXTERN void silo_tree_iter_init(struct silo_tree_iter *it, const void *data, size_t len, int format);

/*
 * The next entry into IT: 1, or 0 at the end.  SILO_ECORRUPT when the
 * object is malformed (a mode other than 040000 and the SILO_MODE_*,
 * written with a leading zero; a truncated entry; entries out of git's
 * order, or repeated); SILO_EUNSAFE when silo_tree_name_refused() refuses
 * a name.  Errors leave a message naming the entry, for the caller to
 * put the tree's id and path in front of.
 */
SILO_EXTERN int silo_tree_iter_next(struct silo_tree_iter *it);

/*
 * A tree's size table (the object of a treeptr of kind tree): one line
 * per leaf of the tree, in the order of 'git ls-tree -r', its size in
 * bytes in decimal (no leading zero, at most 2^64-1) and '\n'.
 *
 * silo_tree_sizes_parse() reads the LEN bytes at TABLE: *count lines,
 * their sizes in *sizes (owned, free(); NULL when there are none).
 * Anything else is SILO_ECORRUPT naming the line.
 * silo_tree_sizes_format() writes the table of L: *out (owned, free())
 * of *len bytes.
 */
SILO_EXTERN int silo_tree_sizes_parse(uint64_t **sizes, size_t *count, const void *table, size_t len);
SILO_EXTERN int silo_tree_sizes_format(char **out, size_t *len, const struct silo_tree_list *l);

/* ---- what git's trees do not hold: the attribute record (tree-attrs.c) ---- */

/*
 * A tree's attribute record (treeptr(5), kind tree, field "attrs"): the
 * permission bits of files and directories whose mode is not the one a
 * git tree gives back (0644, 0755 with the owner's execute bit, 0755 for
 * a directory), and every directory with no file below it.  One record
 * per path, sorted by path (bytewise, as the leaves):
 *
 *	"attrs 1 " TREE NUL, then for each: TYPE ' ' MODE ' ' PATH NUL
 *
 * TREE the tree's id in hex (a repack finds the record of a tree by it),
 * TYPE 'd' (a directory) or 'f' (a file), MODE four octal digits of
 * permission bits (at most 0777: setuid, setgid and sticky bits are not
 * kept), PATH relative, as in the tree.  A directory is recorded when it
 * holds no file (it, or directories holding no file, is all there is) or
 * when its mode is not 0755; a file when its mode is not what its git
 * mode gives back.  Symlinks and the root are never recorded.
 */
#define SILO_TREE_ATTR_DIR 'd'
#define SILO_TREE_ATTR_FILE 'f'

struct silo_tree_attr {
	char *path;	/* owned */
	unsigned type;	/* SILO_TREE_ATTR_DIR or SILO_TREE_ATTR_FILE */
	unsigned perm;	/* permission bits, at most 0777 */
};

/* An initialised set owns its records: silo_tree_attrs_release(). */
struct silo_tree_attrs {
	struct silo_tree_attr *v;	/* sorted by path (strcmp) */
	size_t n, alloc;
};

#define SILO_TREE_ATTRS_INIT { NULL, 0, 0 }

SILO_EXTERN void silo_tree_attrs_release(struct silo_tree_attrs *a);

/*
 * silo_tree_list_dir(), and into ATTRS (initialised; its old content is
 * released and replaced on success) the records of DIR: its empty
 * directories and the modes git's normalisation would change.
 */
SILO_EXTERN int silo_tree_list_dir_attrs(struct silo_tree_list *out, struct silo_tree_attrs *attrs,
					 int format, const char *dir);

/* The bytes of A's record, the record of tree TREE: *out (owned,
 * free()) of *len bytes; and its blob id and size (TREE's format). */
SILO_EXTERN int silo_tree_attrs_format(char **out, size_t *len, const struct silo_tree_attrs *a,
				       const silo_oid *tree);
SILO_EXTERN int silo_tree_attrs_id(silo_oid *id, uint64_t *size, const struct silo_tree_attrs *a,
				   const silo_oid *tree);

/*
 * Read the LEN bytes of a record at DATA, for the tree TREE whose leaves
 * are L (sorted), into OUT (initialised; replaced on success).
 * Everything is checked: the version mark and TREE, each record ended by its NUL, its type,
 * its mode (four octal digits, no setuid, setgid, sticky or file type
 * bits), its path (silo_tree_name_refused() on each component:
 * SILO_EUNSAFE; at most 4095 bytes: SILO_EINVALID), strictly sorted (no
 * path twice), a file record naming a file of L with its execute bit,
 * a directory record naming no leaf, each in a directory of the tree or
 * of an earlier record, and only records a writer would write; anything
 * else is SILO_ECORRUPT naming the record.  With L NULL (some leaves
 * only are known), the records' own form is checked, not what they
 * say of leaves and directories.
 */
SILO_EXTERN int silo_tree_attrs_parse(struct silo_tree_attrs *out, const void *data, size_t len,
				      const silo_oid *tree, const struct silo_tree_list *l);

/* The permission bits of PATH, of git mode MODE (040000 for a
 * directory), as A records them or git's normalisation gives them. */
SILO_EXTERN unsigned silo_tree_attrs_perm(const struct silo_tree_attrs *a, const char *path,
					  unsigned mode);

/*
 * The record of a directory that medo expand wrote from the tree of
 * leaves L and its record A under UMASK, into OUT (initialised; replaced
 * on success): each file and directory of the tree gets its mode less
 * UMASK, recorded when that is not what git's normalisation gives back,
 * as silo_tree_list_dir_attrs() of that directory records it.  With a
 * UMASK of 0 the records of A.
 */
SILO_EXTERN int silo_tree_attrs_expanded(struct silo_tree_attrs *out,
					 const struct silo_tree_attrs *a,
					 const struct silo_tree_list *l, unsigned umask);

/* How many directories of A hold no file of L (its tree's leaves), and
 * how many files and directories A gives another mode. */
SILO_EXTERN void silo_tree_attrs_counts(const struct silo_tree_attrs *a,
					const struct silo_tree_list *l, uint64_t *empty_dirs,
					uint64_t *modes);

/*
 * silo_tree_list_diff() of two trees with their records (either may be
 * NULL: contents only), in path order: besides what the lists differ
 * in, SILO_TREE_MODE for a file or directory whose permission bits
 * differ, SILO_TREE_ADDED and SILO_TREE_REMOVED for a directory holding
 * no file that only one side has.
 */
SILO_EXTERN int silo_tree_exact_diff(const struct silo_tree_list *old_list,
				     const struct silo_tree_attrs *old_attrs,
				     const struct silo_tree_list *new_list,
				     const struct silo_tree_attrs *new_attrs,
				     int (*cb)(void *payload, int change, const char *path),
				     void *payload);

/*
 * Remove DIR and everything below it (rm -rf), not following symlinks:
 * a symlink is removed, never its target.  Read-only directories are
 * made writable to be emptied.  A missing DIR is success.
 */
SILO_EXTERN int silo_tree_remove(const char *dir);

#endif
