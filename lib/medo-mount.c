/*
 * silo_medo_mount(): the FUSE low-level operations over silo_medo_tree.
 * Inode N + 1 is node N of the tree (the root is FUSE_ROOT_ID).  A file
 * is read whole, verified, into an anonymous memory file when it is
 * opened; reads are preads of it.  Reads of the silo are serialised (a
 * silo handle is used by one thread at a time); lookups, attributes and
 * listings come from memory and run in parallel.
 */
#define FUSE_USE_VERSION 312
#include "silo/medo-mount.h"
#include "error-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define FOREVER 86400.0

struct mnt {
	silo_medo_tree *t;
	pthread_mutex_t lock;
	uid_t uid;
	gid_t gid;
};

static void fill_attr(const struct mnt *m, const struct silo_medo_tree_node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->node + 1;
	st->st_uid = m->uid;
	st->st_gid = m->gid;
	st->st_size = (off_t)n->size;
	st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
	if (n->mode == 040000) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else if (n->mode == SILO_MODE_SYMLINK) {
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
	} else {
		st->st_mode = S_IFREG | (n->mode == SILO_MODE_EXEC ? 0555 : 0444);
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

/* The content of leaf N, verified, in a new anonymous file: its fd, or
 * -1 (EIO). */
static int materialise(struct mnt *m, const struct silo_medo_tree_node *n)
{
	int fd = memfd_create("medo-mount", MFD_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	pthread_mutex_lock(&m->lock);
	ret = silo_medo_tree_cat(m->t, n->node, fd, n->path);
	pthread_mutex_unlock(&m->lock);
	if (ret < 0) {
		close(fd);
		return -1;
	}
	return fd;
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
	if ((fd = materialise(m, &n)) < 0) {
		fuse_reply_err(req, EIO);
		return;
	}
	fi->fh = (uint64_t)fd;
	fi->keep_cache = 1;
	if (fuse_reply_open(req, fi) != 0)
		close(fd);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	(void)ino;
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = (int)fi->fh;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	close((int)fi->fh);
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
	if (n.size >= sizeof(target) || (fd = materialise(m, &n)) < 0) {
		fuse_reply_err(req, EIO);
		return;
	}
	got = pread(fd, target, sizeof(target) - 1, 0);
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

	memset(&m, 0, sizeof(m));
	m.t = t;
	m.uid = getuid();
	m.gid = getgid();
	pthread_mutex_init(&m.lock, NULL);
	se = fuse_session_new(&args, &ops, sizeof(ops), &m);
	if (!se) {
		ret = silo_error_set(SILO_ERROR, "cannot start a FUSE session");
		goto out;
	}
	if (fuse_set_signal_handlers(se) != 0) {
		ret = silo_error_set(SILO_ERROR, "cannot set signal handlers");
		goto destroy;
	}
	if (fuse_session_mount(se, mountpoint) != 0) {
		ret = silo_error_set(SILO_EIO, "cannot mount on '%s' (is /dev/fuse usable?)",
				     mountpoint);
		goto handlers;
	}
	if (fuse_daemonize(opts->foreground) != 0) {
		ret = silo_error_set(SILO_ERROR, "cannot detach from the terminal");
		goto unmount;
	}
	if (!(cfg = fuse_loop_cfg_create())) {
		ret = silo_error_oom();
		goto unmount;
	}
	fuse_loop_cfg_set_clone_fd(cfg, 0);
	fuse_loop_cfg_set_max_threads(cfg, 8);
	if (fuse_session_loop_mt(se, cfg) != 0)
		ret = silo_error_set(SILO_EIO, "the FUSE session of '%s' failed", mountpoint);
	fuse_loop_cfg_destroy(cfg);
unmount:
	fuse_session_unmount(se);
handlers:
	fuse_remove_signal_handlers(se);
destroy:
	fuse_session_destroy(se);
out:
	fuse_opt_free_args(&args);
	pthread_mutex_destroy(&m.lock);
	return ret;
}
