/*
 * File system helpers shared by everything that writes: whole reads and
 * writes that retry on EINTR and short counts, directory creation, and
 * the write-once discipline (temporary file in the target directory, made
 * durable, then linked into place).
 */
#ifndef SILO_FSUTIL_H
#define SILO_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Write all LEN bytes; PATH names the file in the error message. */
int fs_write_all(int fd, const void *data, size_t len, const char *path);

/* Write all LEN bytes at offset OFF (pwrite); PATH names the file. */
int fs_pwrite_all(int fd, const void *data, size_t len, uint64_t off, const char *path);

/*
 * Write LEN bytes of DATA at OFFSET of the new file FD, leaving a hole
 * for each block of FS_SPARSE_BLOCK bytes (aligned in the file) that
 * holds only zeros: what reads as zeros costs no disk, as cp --sparse
 * makes it.  Returns 0, or an error naming PATH.  The holes at the end
 * are not part of the file until fs_sparse_finish() sets its size.
 */
#define FS_SPARSE_BLOCK 4096
int fs_pwrite_sparse(int fd, const void *data, size_t len, uint64_t offset, const char *path);

/* Give FD (written with fs_pwrite_sparse()) its SIZE, its trailing holes
 * included. */
int fs_sparse_finish(int fd, uint64_t size, const char *path);

/* Read up to LEN bytes, fewer only at end of file; returns the count. */
ssize_t fs_read_full(int fd, void *data, size_t len, const char *path);

/* Read up to LEN bytes at offset OFF, fewer only at end of file. */
ssize_t fs_pread_full(int fd, void *data, size_t len, off_t off, const char *path);

/* Create DIR and its missing parents with MODE; existing ones are fine. */
int fs_mkdir_p(const char *dir, mode_t mode);

/*
 * Create a new temporary file in DIR whose name starts with PREFIX.  On
 * success *fd_out is open for writing and *path_out (owned by the caller,
 * free()) names the file.  The file is locked (flock) as long as *fd_out
 * is open: a temporary file nobody holds locked was left by a killed
 * writer (fs_remove_stale_temps(), fs_temp_is_held()).
 */
int fs_tmpfile(int *fd_out, char **path_out, const char *dir, const char *prefix);

/*
 * Give the finished temporary file TMP its final name DEST without ever
 * replacing a file already there: the write-once rule.  If DEST exists,
 * TMP is removed and the call succeeds (another writer stored the same
 * content).  *created (may be NULL) tells which happened.
 */
int fs_link_into_place(const char *tmp, const char *dest, int *created);

/*
 * Write DATA to DEST durably, whole or not at all: a temporary file in
 * DIR (DEST's directory) named PREFIX..., with MODE, written, fsynced and
 * closed, then given its name and the directory fsynced.  With REPLACE
 * the name is taken by rename() over any old file; without, by the
 * write-once rule of fs_link_into_place().
 */
int fs_write_file(const char *dir, const char *prefix, const char *dest,
		  const void *data, size_t len, mode_t mode, int replace);

/* fsync a file or directory by name. */
int fs_fsync_path(const char *path);

/* Flush the whole file system holding PATH (syncfs). */
int fs_syncfs(const char *path);

/*
 * Files and directories to make durable together.  Up to
 * FS_SYNC_EACH_MAX of them get an fsync each; past that, one syncfs of
 * the file system holding FS_PATH does it.  A few fsyncs take
 * milliseconds, where a syncfs also waits for everything else written to
 * that file system (a tree being expanded beside a cache: seconds);
 * thousands of fsyncs cost more than one syncfs.
 */
#define FS_SYNC_EACH_MAX 16

struct fs_sync_set {
	const char *fs_path;		/* borrowed */
	char *paths[FS_SYNC_EACH_MAX];	/* owned copies, without repeats */
	size_t n;
	int whole;			/* too many: syncfs instead */
};

void fs_sync_set_init(struct fs_sync_set *set, const char *fs_path);
/* Add PATH (copied) unless it is there already. */
int fs_sync_set_add(struct fs_sync_set *set, const char *path);
/* Flush what was added, and empty SET for reuse. */
int fs_sync_set_run(struct fs_sync_set *set);
void fs_sync_set_release(struct fs_sync_set *set);

/* 1 if PATH exists (any type), 0 if not, negative on another error. */
int fs_exists(const char *path);

/* mkdtemp(TEMPLATE), the directory then given the mode mkdir(2) would
 * give it (0777 less the umask) instead of mkdtemp's 0700: a staging
 * directory renamed into place is read by others (a web server). */
int fs_mkdtemp_shared(char *template);

/* The process's umask, read once without changing it (from /proc where
 * there is one), so that threads creating files are not disturbed. */
mode_t fs_umask(void);

struct stat;
/* 1 if two stats of one file show it unchanged: same size, mtime, ctime. */
int fs_same_state(const struct stat *a, const struct stat *b);

/* Join A and B with one '/'; the result is owned by the caller. */
char *fs_join(const char *a, const char *b);

/* dirname and basename of PATH as new strings owned by the caller (NULL
 * when memory runs out); trailing slashes do not make a component. */
char *fs_dirname(const char *path);
char *fs_basename(const char *path);

/*
 * Read the whole file at PATH into *out (NUL-terminated, owned by the
 * caller) and its length into *len.  Files larger than MAX are refused
 * with SILO_EINVALID, as are directories.
 */
int fs_read_file(char **out, size_t *len, const char *path, size_t max);

/*
 * Write LEN bytes of DATA to PATH atomically, replacing any old file: a
 * hidden temporary file beside it (".<name>.XXXXXX"), flushed, then
 * renamed over PATH.  The file gets mode 0666 less the umask, as a file
 * written by an editor would, since such files (treeptrs) are kept in git.
 */
int fs_write_file_atomic(const char *path, const void *data, size_t len);

/*
 * Open PATH for reading only if it is a regular file (fs-regular.c), checked
 * without blocking: a FIFO or device put in place of a silo's file would
 * otherwise hang the open or the reads.  Returns the descriptor (blocking
 * again), or SILO_ENOTFOUND ("'DISPLAY' does not exist"), NOT_REGULAR
 * ("'DISPLAY' is not a regular file") or another negative error.
 */
int fs_open_regular(const char *path, const char *display, int not_regular);

/*
 * Remove the files of DIR named PREFIX + "XXXXXX" (fs_tmpfile()'s names)
 * that no process holds locked: temporary files of writers that were
 * killed (fs-stale.c).  Best effort: failures are ignored.
 */
void fs_remove_stale_temps(const char *dir, const char *prefix);

/* 1 if a process holds the temporary file at PATH open (locked), 0 if
 * not (its writer is gone), -1 if it cannot be told. */
int fs_temp_is_held(const char *path);

/* Remove the temporary file NAME of the directory DIRFD if no process
 * holds it locked and it was last modified before OLDER_THAN: 1 and
 * *BYTES its size if removed, else 0 (fs-stale.c). */
int fs_remove_temp_if_stale(int dirfd, const char *name, time_t older_than, uint64_t *bytes);

/* Make the empty file DST_FD share the blocks of SRC_FD (FICLONE: a
 * reflink, copy on write) on a file system that can (XFS, btrfs): 0 when
 * done, 1 when this file system cannot (nothing was written), negative
 * on another failure, naming PATH. */
int fs_clone_file(int dst_fd, int src_fd, const char *path);

/* Set PATH's access time to now, leaving its modification time: the
 * cache's record of use (noatime and relatime mounts do not keep it).
 * Best effort: failures are ignored. */
void fs_mark_used(const char *path);

#endif
