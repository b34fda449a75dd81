/*
 * Internals shared by the tree modules: list building, the walk of a
 * directory on disk, and the walk of an archive's entries with the path
 * checks that both listing and extraction rely on.
 */
#ifndef SILO_TREE_INTERNAL_H
#define SILO_TREE_INTERNAL_H

#include "silo/tree.h"

#include <stdint.h>
#include <sys/types.h>
#include <locale.h>
#include <time.h>

struct archive;
struct archive_entry;

/*
 * The longest path a tree may hold, of whatever kind: what open(2) takes
 * (PATH_MAX less its NUL), relative to the descriptor of the tree's root,
 * which every reader and writer of a tree on disk opens its files from,
 * so that where the tree is does not matter.  An archive, a tree object
 * or a directory with a longer one is refused alike.
 */
#define TREE_PATH_MAX 4095

/* Append a leaf; PATH is taken over by the list (freed on failure too). */
int tree_list_push(struct silo_tree_list *l, char *path, unsigned mode,
		   const silo_oid *id, uint64_t size);

/* Binary search of PATH (LEN bytes) in N strings, sorted bytewise,
 * spaced STRIDE bytes apart from the pointer at BASE: 1 and *at set, or
 * 0. */
int tree_search(const void *base, size_t n, size_t stride, const char *path, size_t len,
		size_t *at);

/* Sort the leaves by path, git's index order (bytewise). */
void tree_list_sort(struct silo_tree_list *l);

/*
 * Order of two paths where a directory compares as if followed by '/':
 * the order of git's trees, and of the entries of the tar we write.
 */
int tree_path_cmp(const char *a, size_t alen, int a_dir,
		  const char *b, size_t blen, int b_dir);

/*
 * Every tree object of a list, as silo_tree_list_id() builds them: FN is
 * called for each, children before their parent (the root last), with
 * its id, its content (borrowed for the call) and its path, the first
 * PLEN bytes of PATH ("" and 0 for the root).
 */
struct tree_object_sink {
	int (*fn)(void *payload, const silo_oid *id, const void *data, size_t len,
		  const char *path, size_t plen);
	void *payload;
};
int tree_list_objects(silo_oid *out, const struct silo_tree_list *l,
		      const struct tree_object_sink *sink);

/* ---- a directory on disk ---- */

struct tree_walk_entry {
	char *path;		/* relative to the root, no trailing '/' */
	char *target;		/* symlinks: the target (owned) */
	mode_t mode;		/* st_mode */
	uint64_t size;
	struct timespec mtime;
	dev_t dev;
	ino_t ino;
	nlink_t nlink;
};

struct tree_walk {
	struct tree_walk_entry *v;	/* sorted by tree_path_cmp */
	size_t n, alloc;
	int rootfd;			/* the root, open for openat() */
	char *root;			/* as given less trailing '/', for messages */
};

#define TREE_WALK_INIT { NULL, 0, 0, -1, NULL }

/*
 * Walk DIR without following symlinks.  Directories are listed only with
 * WANT_DIRS.  Anything but files, symlinks and directories is
 * SILO_EINVALID naming it.
 */
int tree_walk_dir(struct tree_walk *w, const char *dir, int want_dirs);
void tree_walk_release(struct tree_walk *w);

/* The attribute record of W, a walk with its directories (silo/tree.h):
 * OUT (initialised) is replaced on success. */
int tree_attrs_from_walk(struct silo_tree_attrs *out, const struct tree_walk *w);

/* ---- an archive read through a silo_read_fn ---- */

/*
 * What the archive walk does with each accepted entry.  Before HEADER is
 * called the entry's pathname (and hard link target) are rewritten to
 * their checked, normalised relative form.  DATA receives the content of
 * regular files, with offsets (sparse files have gaps).  Any hook may be
 * NULL; a negative return stops the walk and is returned.
 */
struct tree_archive_hooks {
	int (*header)(void *payload, struct archive_entry *e, const char *path);
	int (*data)(void *payload, const void *buf, size_t len, int64_t offset);
	int (*finish)(void *payload, struct archive_entry *e, const char *path);
	void *payload;
	/* If not NULL, set before HEADER: 1 when the entry replaces an
	 * earlier leaf of the same path, else 0. */
	int *replaces;
};

/*
 * Read every entry of the archive from SRC, check its path (SILO_EUNSAFE
 * for absolute paths, "..", paths or hard link targets through a symlink
 * of the archive), call HOOKS, and build OUT, the leaves as they would be
 * on disk after extraction: a later entry replaces an earlier one of the
 * same path, a hard link has its target's content.
 */
int tree_archive_walk(struct silo_tree_list *out, int format,
		      silo_read_fn src, void *payload, const char *name,
		      const struct tree_archive_hooks *hooks);

/*
 * libarchive converts names between the locale's character set and the
 * UTF-8 of pax headers.  Under the "C" locale (every front end's) that
 * fails for non-ASCII names, and the result would change with the
 * caller's locale.  So the tree modules run libarchive in C.UTF-8 on the
 * calling thread only (uselocale), where names are bytes that pass
 * through unchanged.  tree_locale_enter returns what to give back to
 * tree_locale_leave.
 */
locale_t tree_locale_enter(void);
void tree_locale_leave(locale_t old);

/*
 * silo_tree_extract() of some entries only: WANT(WANT_PAYLOAD, PATH,
 * IS_DIR), given each entry's normalised path, returns 2 to write it, 1
 * for a directory on the way to what is written (its mode is set if an
 * entry below it makes it), 0 to skip it, or a negative error.  The tree
 * id is still that of the whole archive.  A hard link written whose
 * target was not is left to the caller: its path and its target's are
 * pushed, in that order, onto LINKS (its directory is made).
 */
struct strvec;
typedef int tree_extract_want_fn(void *payload, const char *path, int is_dir);
int tree_extract_some(silo_oid *tree_id, const char *dest, silo_read_fn src, void *payload,
		      const char *name, int format, tree_extract_want_fn *want,
		      void *want_payload, struct strvec *links);

/* The size of the buffers used to read files. */
#define TREE_READ_CHUNK (256 * 1024)

#endif
