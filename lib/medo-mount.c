/*
 * silo_medo_mount(): the FUSE low-level operations over silo_medo_tree.
 * Inode N + 1 is node N of the tree (the root is FUSE_ROOT_ID).  A file
 * is streamed, verified, into an unlinked spool file on disk (beside the
 * cache silo) when it is first opened, in pieces: memory stays bounded
 * however large the file is.  Reads are preads of the spool file, which
 * the opens of one file share until the last is released.  Reads of the
 * silo are serialised (a silo handle is used by one thread at a time);
 * lookups, attributes, listings and reads of spooled files come from
 * memory or the spool and run in parallel.
 *
 * An archive (kinds tar and archive) is not read again for each file: at
 * the first open, every file is unpacked in one pass into one spool
 * file, kept for the life of the mount, and each read is a pread at the
 * file's offset in it.
 */
#define FUSE_USE_VERSION 312
#include "silo/medo-mount.h"
#include "silo/remote.h"
#include "error-internal.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FOREVER 86400.0

/* The spool file of one leaf, shared by its opens. */
struct spooled {
	int fd;
	unsigned refs;
};

struct mnt {
	silo_medo_tree *t;
	pthread_mutex_t lock;		/* reads of the silo */
	pthread_mutex_t files_lock;	/* the table below */
	struct spooled *files;		/* by node */
	char *spool_dir;
	const struct silo_medo_mount_options *opts;
	uid_t uid;
	gid_t gid;
	/* An archive: every file in one spool file (lock held to make it) */
	int archive;
	int all_fd;			/* -1 until made */
	uint64_t *offsets;		/* by node, where each file starts */
};

static void fill_attr(const struct mnt *m, const struct silo_medo_tree_node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->node + 1;
	st->st_uid = m->uid;
	st->st_gid = m->gid;
	st->st_size = (off_t)n->size;
	st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
	/* The bits medo expand would write, less the write bits: the
	 * mount is read-only. */
	if (n->mode == 040000) {
		st->st_mode = S_IFDIR | (silo_medo_tree_perm(m->t, n->node) & 0555);
		st->st_nlink = 2;
	} else if (n->mode == SILO_MODE_SYMLINK) {
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
	} else {
		st->st_mode = S_IFREG | (silo_medo_tree_perm(m->t, n->node) & 0555);
		st->st_nlink = 1;
	}
}

static int node_of(const struct mnt *m, fuse_ino_t ino, struct silo_medo_tree_node *n)
{
	return ino < 1 || silo_medo_tree_node(m->t, ino - 1, n) < 0 ? -1 : 0;
}

static void entry_of(const struct mnt *m, const struct silo_medo_tree_node *n,
		     struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = n->node + 1;
	e->attr_timeout = FOREVER;
	e->entry_timeout = FOREVER;
	fill_attr(m, n, &e->attr);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct mnt *m = fuse_req_userdata(req);
	struct silo_medo_tree_node n;
	struct fuse_entry_param e;

	if (parent < 1 || silo_medo_tree_child(m->t, parent - 1, name, strlen(name), &n) < 0) {
		/* A negative entry, cached as long as the others. */
		memset(&e, 0, sizeof(e));
		e.entry_timeout = FOREVER;
		fuse_reply_entry(req, &e);
		return;
	}
	entry_of(m, &n, &e);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mnt *m = fuse_req_userdata(req);
	struct silo_medo_tree_node n;
	struct stat st;

	(void)fi;
	if (node_of(m, ino, &n) < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(m, &n, &st);
	fuse_reply_attr(req, &st, FOREVER);
}

struct dirbuf {
	fuse_req_t req;
	const struct mnt *m;
	char *buf;
	size_t size, len;
	off_t at, from;
	int plus, full;
};

static int add_entry(void *payload, const struct silo_medo_tree_node *n)
{
	struct dirbuf *d = payload;
	size_t need;

	d->at++;
	if (d->at <= d->from)
		return 0;
	if (d->plus) {
		struct fuse_entry_param e;
		entry_of(d->m, n, &e);
		need = fuse_add_direntry_plus(d->req, d->buf + d->len, d->size - d->len,
					      n->name, &e, d->at);
	} else {
		struct stat st;
		fill_attr(d->m, n, &st);
		need = fuse_add_direntry(d->req, d->buf + d->len, d->size - d->len,
					 n->name, &st, d->at);
	}
	if (need > d->size - d->len)
		return 1;	/* full: the kernel asks again from here */
	d->len += need;
	return 0;
}

static void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, int plus)
{
	struct mnt *m = fuse_req_userdata(req);
	struct dirbuf d = { req, m, NULL, size, 0, 0, off, plus, 0 };
	struct silo_medo_tree_node n;
	int ret;

	if (node_of(m, ino, &n) < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (n.mode != 040000) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (!(d.buf = malloc(size ? size : 1))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	ret = silo_medo_tree_list(m->t, n.node, add_entry, &d);
	if (ret < 0)
		fuse_reply_err(req, EIO);
	else
		fuse_reply_buf(req, d.buf, d.len);
	free(d.buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)fi;
	readdir_common(req, ino, size, off, 0);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	(void)fi;
	readdir_common(req, ino, size, off, 1);
}

/* A new unlinked file in M's spool directory: its fd, or -1. */
static int spool_file(struct mnt *m)
{
	char *path;
	int fd;

#ifdef O_TMPFILE
	fd = open(m->spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
#endif
	if (!(path = fs_join(m->spool_dir, "tmp_mount_XXXXXX")))
		return -1;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	free(path);
	return fd;
}

/* The content of leaf N, verified, streamed into a new spool file: its
 * fd, or -1 (EIO); what went wrong (naming the object and the path) goes
 * to the options' on_error. */
static int materialise(struct mnt *m, const struct silo_medo_tree_node *n)
{
	int fd = spool_file(m), ret;

	if (fd < 0)
		return -1;
	pthread_mutex_lock(&m->lock);
	ret = silo_medo_tree_cat(m->t, n->node, fd, n->path);
	if (ret < 0 && m->opts->on_error)
		m->opts->on_error(m->opts->payload, silo_error_message());
	pthread_mutex_unlock(&m->lock);
	if (ret < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* An archive's spool file of every leaf, made on the first call: its
 * fd, or -1 (EIO; a later call tries again). */
static int spool_all(struct mnt *m)
{
	int fd;

	pthread_mutex_lock(&m->lock);
	if ((fd = m->all_fd) < 0 && (fd = spool_file(m)) >= 0) {
		if (silo_medo_tree_cat_all(m->t, fd, m->offsets) < 0) {
			if (m->opts->on_error)
				m->opts->on_error(m->opts->payload, silo_error_message());
			close(fd);
			fd = -1;
		}
		m->all_fd = fd;
	}
	pthread_mutex_unlock(&m->lock);
	return fd;
}

/* The spool file of leaf N, made on its first open: its fd, or -1. */
static int acquire(struct mnt *m, const struct silo_medo_tree_node *n)
{
	struct spooled *f = &m->files[n->node];
	int fd;

	if (m->archive)
		return spool_all(m);

	pthread_mutex_lock(&m->files_lock);
	if (f->refs) {
		f->refs++;
		fd = f->fd;
		pthread_mutex_unlock(&m->files_lock);
		return fd;
	}
	pthread_mutex_unlock(&m->files_lock);
	if ((fd = materialise(m, n)) < 0)
		return -1;
	pthread_mutex_lock(&m->files_lock);
	if (f->refs) {
		/* Another open spooled it meanwhile: share that one. */
		close(fd);
		fd = f->fd;
	} else {
		f->fd = fd;
	}
	f->refs++;
	pthread_mutex_unlock(&m->files_lock);
	return fd;
}

static void release_node(struct mnt *m, size_t node)
{
	struct spooled *f = &m->files[node];

	if (m->archive)
		return;		/* the spool of every file stays */
	pthread_mutex_lock(&m->files_lock);
	if (f->refs && --f->refs == 0) {
		close(f->fd);
		f->fd = -1;
	}
	pthread_mutex_unlock(&m->files_lock);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mnt *m = fuse_req_userdata(req);
	struct silo_medo_tree_node n;
	int fd;

	if (node_of(m, ino, &n) < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (n.mode == 040000) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fd = acquire(m, &n)) < 0) {
		fuse_reply_err(req, EIO);
		return;
	}
	fi->fh = (uint64_t)fd;
	fi->keep_cache = 1;
	if (fuse_reply_open(req, fi) != 0)
		release_node(m, n.node);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct mnt *m = fuse_req_userdata(req);
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
	struct silo_medo_tree_node n;
	off_t base = 0;

	if (m->archive) {
		/* The file is a range of the shared spool: nothing past it. */
		if (node_of(m, ino, &n) < 0) {
			fuse_reply_err(req, ENOENT);
			return;
		}
		base = (off_t)m->offsets[n.node];
		if ((uint64_t)off >= n.size)
			size = 0;
		else if (size > n.size - (uint64_t)off)
			size = (size_t)(n.size - (uint64_t)off);
		buf.buf[0].size = size;
	}
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = (int)fi->fh;
	buf.buf[0].pos = base + off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mnt *m = fuse_req_userdata(req);

	(void)fi;
	if (ino >= 1 && ino - 1 < silo_medo_tree_count(m->t))
		release_node(m, ino - 1);
	fuse_reply_err(req, 0);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct mnt *m = fuse_req_userdata(req);
	struct silo_medo_tree_node n;
	char target[4097];
	ssize_t got;
	int fd;

	if (node_of(m, ino, &n) < 0 || n.mode != SILO_MODE_SYMLINK) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (n.size >= sizeof(target) || (fd = m->archive ? spool_all(m) : materialise(m, &n)) < 0) {
		fuse_reply_err(req, EIO);
		return;
	}
	got = pread(fd, target, m->archive ? n.size : sizeof(target) - 1,
		    m->archive ? (off_t)m->offsets[n.node] : 0);
	if (!m->archive)
		close(fd);
	if (got < 0) {
		fuse_reply_err(req, EIO);
		return;
	}
	target[got] = '\0';
	fuse_reply_readlink(req, target);
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = op_lookup,
	.getattr = op_getattr,
	.readlink = op_readlink,
	.open = op_open,
	.read = op_read,
	.release = op_release,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
};

int silo_medo_mount(silo_medo_tree *t, const char *mountpoint,
		    const struct silo_medo_mount_options *opts)
{
	char *argv[] = { "medo", "-o", "ro,default_permissions,fsname=medo,subtype=medo",
			 opts->debug ? "-d" : NULL, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(opts->debug ? 4 : 3, argv);
	struct fuse_loop_config *cfg = NULL;
	struct fuse_session *se;
	struct mnt m;
	int ret = 0;

	struct stat st;

	/* Said here, not by libfuse ("fuse: failed to access mountpoint")
	 * followed by a guess about /dev/fuse. */
	if (stat(mountpoint, &st) < 0)
		return errno == ENOENT ?
			silo__error_set(SILO_ENOTFOUND, "mount point '%s' does not exist", mountpoint) :
			silo__error_errno("cannot use '%s' as a mount point", mountpoint);
	if (!S_ISDIR(st.st_mode))
		return silo__error_set(SILO_EINVALID, "mount point '%s' is not a directory",
				      mountpoint);
	memset(&m, 0, sizeof(m));
	m.t = t;
	m.opts = opts;
	m.uid = getuid();
	m.gid = getgid();
	pthread_mutex_init(&m.lock, NULL);
	pthread_mutex_init(&m.files_lock, NULL);
	m.all_fd = -1;
	m.archive = silo_medo_tree_treeptr(t)->kind != SILO_TREEPTR_TREE &&
		    silo_medo_tree_treeptr(t)->kind != SILO_TREEPTR_IMAGE;
	if (!(m.files = calloc(silo_medo_tree_count(t) + 1, sizeof(*m.files))) ||
	    (m.archive && !(m.offsets = calloc(silo_medo_tree_count(t) + 1,
						 sizeof(*m.offsets))))) {
		ret = silo__error_oom();
		goto out;
	}
	/* Spooled files go beside the cache silo, on disk: not in memory
	 * (a tmpfs /tmp would be), and where fetched objects go anyway. */
	if ((ret = silo_cache_dir(&m.spool_dir)) < 0 ||
	    (ret = fs_mkdir_p(m.spool_dir, 0777)) < 0)
		goto out;
	se = fuse_session_new(&args, &ops, sizeof(ops), &m);
	if (!se) {
		ret = silo__error_set(SILO_ERROR, "cannot start a FUSE session");
		goto out;
	}
	if (fuse_set_signal_handlers(se) != 0) {
		ret = silo__error_set(SILO_ERROR, "cannot set signal handlers");
		goto destroy;
	}
	if (fuse_session_mount(se, mountpoint) != 0) {
		ret = silo__error_set(SILO_EIO, "cannot mount on '%s' (is /dev/fuse usable?)",
				      mountpoint);
		goto handlers;
	}
	if (fuse_daemonize(opts->foreground) != 0) {
		ret = silo__error_set(SILO_ERROR, "cannot detach from the terminal");
		goto unmount;
	}
	if (!(cfg = fuse_loop_cfg_create())) {
		ret = silo__error_oom();
		goto unmount;
	}
	fuse_loop_cfg_set_clone_fd(cfg, 0);
	fuse_loop_cfg_set_max_threads(cfg, 8);
	if (fuse_session_loop_mt(se, cfg) != 0)
		ret = silo__error_set(SILO_EIO, "the FUSE session of '%s' failed", mountpoint);
	fuse_loop_cfg_destroy(cfg);
unmount:
	fuse_session_unmount(se);
handlers:
	fuse_remove_signal_handlers(se);
destroy:
	fuse_session_destroy(se);
out:
	fuse_opt_free_args(&args);
	if (m.files) {
		size_t i, count = silo_medo_tree_count(t);
		for (i = 0; i < count; i++)
			if (m.files[i].refs)
				close(m.files[i].fd);
	}
	free(m.files);
	if (m.all_fd >= 0)
		close(m.all_fd);
	free(m.offsets);
	free(m.spool_dir);
	pthread_mutex_destroy(&m.files_lock);
	pthread_mutex_destroy(&m.lock);
	return ret;
}
