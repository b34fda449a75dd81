/*
 * silo push: copy a silo's new files to another silo with rsync, in
 * passes ordered so that a reader of the destination never finds a file
 * naming one that is not there yet.  pack/packs, the one file a silo
 * replaces, is not copied: the destination's is made from the packs the
 * destination holds, which other silos may have pushed there too.  A
 * file both hold that was made young here (a writer stored its object
 * again, which a prune's grace period counts on) is made as young there.
 */
#include "push-internal.h"
#include "objstore-open.h"
#include "silo/error.h"
#include "silo/store.h"
#include "error-internal.h"
#include "fsutil.h"
#include "pack.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* What a run of rsync does to the files it is given. */
enum rsync_mode {
	RSYNC_NEW,	/* copy those DEST lacks */
	RSYNC_REPLACE,	/* copy them, replacing DEST's */
	RSYNC_DIRS,	/* make the directories DEST lacks, change none */
	RSYNC_FRESHEN	/* make DEST's as young as ours, never older */
};

int silo_push_is_remote(const char *dest)
{
	const char *colon = strchr(dest, ':'), *slash = strchr(dest, '/');

	/* "http://host/path" is no host "http" */
	return colon && colon != dest && (!slash || colon < slash) && !objstore_is_url(dest);
}

static int skipped(const char *name)
{
	return name[0] == '.' || !strncmp(name, "tmp_", 4);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* 1 if the local destination DEST (NULL: a remote one) has REL: files
 * never change, so it need not be copied (and the pass may be skipped);
 * 2 if it has it, older than SRC_ST says ours is. */
static int at_dest(const char *dest, const char *rel, const struct stat *src_st)
{
	struct stat st;
	char *path;
	int there;

	if (!dest || !(path = fs_join(dest, rel)))
		return 0;
	there = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	if (there && (st.st_mtim.tv_sec < src_st->st_mtim.tv_sec ||
		      (st.st_mtim.tv_sec == src_st->st_mtim.tv_sec &&
		       st.st_mtim.tv_nsec < src_st->st_mtim.tv_nsec)))
		there = 2;
	return there;
}

/* 0 if FULL, a file of pack/ named as an index, is one whose pack is
 * beside it (or no index); else an error: an index without its pack
 * would reach the destination before (and without) its pack, and what
 * the silo lacks would look stored there. */
static int has_its_pack(const char *full)
{
	size_t len = strlen(full);
	char *pack;
	int ret;

	if (!ends_with(full, ".idx"))
		return 0;
	if (asprintf(&pack, "%.*s.pack", (int)(len - 4), full) < 0)
		return silo__error_oom();
	ret = fs_exists(pack);
	free(pack);
	if (ret < 0)
		return ret;
	return ret ? 0 : silo__error_set(SILO_ECORRUPT, "'%s': an index without its pack: the "
					 "silo is damaged (see silo verify); nothing is pushed",
					 full);
}

/* Loose objects and packs DEST may hold older go to PASS_FRESHEN too:
 * for a local DEST those it holds older, for a remote one every one
 * (rsync compares). */
int silo__push_collect(struct strbuf lists[N_PASSES], const char *src, const char *rel,
		       const char *dest)
{
	struct dirent *de;
	char *path = rel[0] ? fs_join(src, rel) : strdup(src);
	DIR *d;
	int ret = 0;

	if (!path)
		return silo__error_oom();
	if (!(d = opendir(path))) {
		ret = silo__error_errno("cannot read '%s'", path);
		free(path);
		return ret;
	}
	while (!ret && (de = readdir(d))) {
		struct stat st;
		char *sub, *full;
		int pass;

		if (skipped(de->d_name))
			continue;
		if (asprintf(&sub, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name) < 0) {
			ret = silo__error_oom();
			break;
		}
		if (!(full = fs_join(src, sub))) {
			free(sub);
			ret = silo__error_oom();
			break;
		}
		if (lstat(full, &st) < 0) {
			if (errno != ENOENT)	/* replaced while we looked */
				ret = silo__error_errno("cannot stat '%s'", full);
		} else if (S_ISDIR(st.st_mode)) {
			ret = silo__push_collect(lists, src, sub, dest);
		} else if (S_ISREG(st.st_mode) && strcmp(sub, PACK_LIST)) {
			int there = at_dest(dest, sub, &st);
			if (!rel[0])
				pass = PASS_TOP;
			else if (!strncmp(sub, "pack/", 5))
				pass = ends_with(sub, ".pack") ? PASS_PACKS :
				       !strncmp(sub, "pack/pack-", 10) ? PASS_INDEXES : PASS_LISTS;
			else
				pass = PASS_OBJECTS;
			if (pass == PASS_INDEXES)
				ret = has_its_pack(full);
			if (!ret && (pass == PASS_OBJECTS || pass == PASS_PACKS) && (!dest || there == 2))
				ret = strbuf_addf(&lists[PASS_FRESHEN], "%s\n", sub);
			if (!ret && !there)
				ret = strbuf_addf(&lists[pass], "%s\n", sub);
		}
		free(full);
		free(sub);
	}
	closedir(d);
	free(path);
	return ret;
}

static const char *tmp_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	return tmp && *tmp == '/' ? tmp : "/tmp";
}

/* A new empty directory in $TMPDIR, *DIR its path (the caller's). */
static int make_tmp_dir(char **dir)
{
	int ret;

	if (asprintf(dir, "%s/silo-push-XXXXXX", tmp_dir()) < 0) {
		*dir = NULL;
		return silo__error_oom();
	}
	if (!mkdtemp(*dir)) {
		ret = silo__error_errno("cannot create a directory in '%s'", tmp_dir());
		free(*dir);
		*dir = NULL;
		return ret;
	}
	return 0;
}

/* Run rsync with ARGV, its standard output into OUT; DEST for messages.
 * With PARTIAL, rsync's "some files were not transferred" (23, 24) is
 * no failure, and what it says of them is not shown. */
static int spawn_rsync(char *const argv[], struct strbuf *out, const char *dest, int remote,
		       int partial)
{
	posix_spawn_file_actions_t fa;
	int fds[2], st, ret;
	char buf[4096];
	pid_t pid;
	ssize_t n;

	if (pipe(fds) < 0)
		return silo__error_errno("cannot create a pipe");
	if (posix_spawn_file_actions_init(&fa) != 0) {
		close(fds[0]);
		close(fds[1]);
		return silo__error_oom();
	}
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (partial)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	ret = posix_spawnp(&pid, "rsync", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (ret != 0) {
		close(fds[0]);
		errno = ret;
		return silo__error_errno("cannot run rsync");
	}
	while ((n = read(fds[0], buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		/* Read to the end whatever happens, so rsync is not stopped
		 * by a full pipe; a failure to keep it is told after. */
		if (!ret)
			ret = strbuf_add(out, buf, (size_t)n);
	}
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return silo__error_errno("cannot wait for rsync");
	if (partial && WIFEXITED(st) && (WEXITSTATUS(st) == 23 || WEXITSTATUS(st) == 24))
		return ret;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return silo__error_set(remote ? SILO_ENET : SILO_EIO,
				       "rsync to '%s' failed (%s %d)", dest,
				       WIFEXITED(st) ? "exit status" : "signal",
				       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return ret;
}

/* Run rsync over the files in LIST, from SRC to DEST, as MODE says;
 * count the files it copied. */
static int run_rsync(size_t *copied, const char *src, const char *dest, const struct strbuf *list,
		     int remote, enum rsync_mode mode)
{
	/* Nothing but RSYNC_NEW and RSYNC_REPLACE sets modes, and those only
	 * of files: the directories of a shared silo keep theirs. */
	static const char *const flags[][5] = {
		[RSYNC_NEW] = { "-rlpt", "--ignore-existing", "--no-implied-dirs", NULL },
		[RSYNC_REPLACE] = { "-lpt", "--no-implied-dirs", NULL },
		[RSYNC_DIRS] = { "-r", NULL },
		[RSYNC_FRESHEN] = { "-t", "--existing", "--size-only", "--update",
				    "--no-implied-dirs" },
	};
	struct strbuf out = STRBUF_INIT;
	char *list_path = NULL, *src_slash = NULL, *dest_slash = NULL;
	char files_from[4200];
	int list_fd = -1, ret;
	size_t i;

	if ((ret = fs_tmpfile(&list_fd, &list_path, tmp_dir(), "silo-push-")) < 0)
		return ret;
	if ((ret = fs_write_all(list_fd, list->buf, list->len, list_path)) < 0)
		goto out;
	if (asprintf(&src_slash, "%s/", src) < 0 || asprintf(&dest_slash, "%s/", dest) < 0) {
		ret = silo__error_oom();
		goto out;
	}
	snprintf(files_from, sizeof(files_from), "--files-from=%s", list_path);
	{
		char *argv[16];
		size_t n = 0, k;
		argv[n++] = "rsync";
		for (k = 0; k < 5 && flags[mode][k]; k++)
			argv[n++] = (char *)flags[mode][k];
		argv[n++] = "--out-format=%n";
		argv[n++] = files_from;
		argv[n++] = src_slash;
		argv[n++] = dest_slash;
		argv[n] = NULL;
		/* The times of files another user owns cannot be set: they
		 * stay as they are, as for a local destination. */
		if ((ret = spawn_rsync(argv, &out, dest, remote, mode == RSYNC_FRESHEN)) < 0)
			goto out;
	}
	/* One line per file or directory made; directories end in '/'. */
	for (i = 0; i < out.len; i++)
		if (out.buf[i] == '\n' && (!i || out.buf[i - 1] != '/'))
			(*copied)++;
out:
	if (list_fd >= 0)
		close(list_fd);
	if (list_path)
		unlink(list_path);
	free(list_path);
	free(src_slash);
	free(dest_slash);
	strbuf_release(&out);
	return ret;
}

/* Is NAME a pack of either id format ("pack-<hex>.<EXT>")? */
static int is_pack_name(const char *name, size_t len, const char *ext)
{
	char buf[128];

	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, name, len);
	buf[len] = '\0';
	return pack_name_is(buf, SILO_OID_SHA1, ext) || pack_name_is(buf, SILO_OID_SHA256, ext);
}

/* The text of pack/packs for the remote DEST: the packs its pack/
 * holds with their index, as rsync --list-only names them, sorted. */
static int remote_pack_list(struct strbuf *text, const char *dest)
{
	struct strbuf out = STRBUF_INIT, names = STRBUF_INIT;
	char *pack_dir = NULL;
	const char *p, *end;
	int ret;

	if (asprintf(&pack_dir, "%s/pack/", dest) < 0)
		return silo__error_oom();
	{
		char *argv[] = { "rsync", "--list-only", pack_dir, NULL };
		ret = spawn_rsync(argv, &out, dest, 1, 0);
	}
	/* "-r--r--r--  2,584 2026/12/07 10:43:21 pack-<hex>.idx": the
	 * name is the last field (pack names hold no space). */
	for (p = out.buf ? out.buf : "", end = p + out.len; !ret && p < end; ) {
		size_t len = strcspn(p, "\n"), nlen;
		const char *name = p + len;
		while (name > p && name[-1] != ' ')
			name--;
		nlen = (size_t)(p + len - name);
		if (is_pack_name(name, nlen, "idx"))
			ret = strbuf_addf(&names, "%.*s.pack\n", (int)(nlen - 4), name);
		p += len + (p + len < end);
	}
	/* A pack is listed when its index is there, and the pack too. */
	for (p = names.buf ? names.buf : "", end = p + names.len; !ret && p < end; ) {
		size_t len = strcspn(p, "\n");
		char *at = memmem(out.buf, out.len, p, len);
		if (at && (size_t)(at - out.buf) + len <= out.len &&
		    (at == out.buf || at[-1] == ' ') &&
		    ((size_t)(at - out.buf) + len == out.len || at[len] == '\n'))
			ret = strbuf_addf(text, "P %.*s\n", (int)len, p);
		p += len + 1;
	}
	if (!ret)
		ret = strbuf_addch(text, '\n');
	strbuf_release(&out);
	strbuf_release(&names);
	free(pack_dir);
	return ret;
}

/*
 * Make the pack list of the remote DEST from the packs it holds.  Another
 * push at the same time may write its list last, made before our packs
 * arrived: the list is read again after ours is written, and written
 * again until what it would be is what it is.
 */
static int remote_list_write(const char *dest)
{
	struct strbuf text = STRBUF_INIT, again = STRBUF_INIT, one = STRBUF_INIT;
	char *dir = NULL, *sub = NULL, *path = NULL;
	int ret, round;
	size_t copied = 0;

	if ((ret = make_tmp_dir(&dir)) < 0)
		return ret;
	if (!(sub = fs_join(dir, "pack")) || !(path = fs_join(sub, "packs"))) {
		ret = silo__error_oom();
		goto out;
	}
	if (mkdir(sub, 0755) < 0) {
		ret = silo__error_errno("cannot create '%s'", sub);
		goto out;
	}
	if ((ret = strbuf_adds(&one, PACK_LIST "\n")) < 0 ||
	    (ret = remote_pack_list(&text, dest)) < 0)
		goto out;
	for (round = 0; round < 5; round++) {
		unlink(path);
		if ((ret = fs_write_file_atomic(path, text.buf, text.len)) < 0 ||
		    (ret = chmod(path, 0444) < 0 ? silo__error_errno("cannot chmod '%s'", path) : 0) < 0 ||
		    (ret = run_rsync(&copied, dir, dest, &one, 1, RSYNC_REPLACE)) < 0)
			break;
		strbuf_reset(&again);
		if ((ret = remote_pack_list(&again, dest)) < 0 ||
		    (again.len == text.len && !memcmp(again.buf, text.buf, text.len)))
			break;
		{
			struct strbuf t = text;
			text = again;
			again = t;
		}
	}
	unlink(path);
	rmdir(sub);
out:
	rmdir(dir);
	free(path);
	free(sub);
	free(dir);
	strbuf_release(&text);
	strbuf_release(&again);
	strbuf_release(&one);
	return ret;
}

/* The directories of a silo (as silo init makes them) that DEST lacks:
 * a silo with no loose object (or no pack) has none to copy, and one
 * made by a push must take writes as one made by silo init does. */
static const char *const silo_dirs[] = { "objects", "pack", "derived" };

static int dest_dirs(const char *dest, int remote)
{
	struct strbuf list = STRBUF_INIT;
	char *dir = NULL, *sub;
	size_t i, copied = 0;
	int ret = 0;

	if (!remote) {
		for (i = 0; i < sizeof(silo_dirs) / sizeof(*silo_dirs) && !ret; i++) {
			if (!(sub = fs_join(dest, silo_dirs[i])))
				return silo__error_oom();
			ret = fs_mkdir_p(sub, 0777);
			free(sub);
		}
		return ret;
	}
	if ((ret = make_tmp_dir(&dir)) < 0)
		return ret;
	for (i = 0; i < sizeof(silo_dirs) / sizeof(*silo_dirs) && !ret; i++) {
		if (!(sub = fs_join(dir, silo_dirs[i])))
			ret = silo__error_oom();
		else if (mkdir(sub, 0777) < 0)
			ret = silo__error_errno("cannot create '%s'", sub);
		free(sub);
		if (!ret)
			ret = strbuf_addf(&list, "%s\n", silo_dirs[i]);
	}
	if (!ret)
		ret = run_rsync(&copied, dir, dest, &list, 1, RSYNC_DIRS);
	for (i = 0; i < sizeof(silo_dirs) / sizeof(*silo_dirs); i++)
		if ((sub = fs_join(dir, silo_dirs[i]))) {
			rmdir(sub);
			free(sub);
		}
	rmdir(dir);
	free(dir);
	strbuf_release(&list);
	return ret;
}

/* Make DEST's files of LIST as young as ours, never older. */
static int dest_freshen(const char *src, const char *dest, const struct strbuf *list, int remote)
{
	const char *p, *end;
	size_t copied = 0;
	int ret = 0;

	if (remote)
		return run_rsync(&copied, src, dest, list, 1, RSYNC_FRESHEN);
	for (p = list->buf, end = p + list->len; p < end && !ret; ) {
		size_t len = strcspn(p, "\n");
		char *rel = strndup(p, len), *from = NULL, *to = NULL;
		struct stat st;
		if (!rel || !(from = fs_join(src, rel)) || !(to = fs_join(dest, rel))) {
			ret = silo__error_oom();
		} else if (stat(from, &st) == 0) {
			struct timespec times[2] = { st.st_atim, st.st_mtim };
			/* One we may not touch (another user's) stays as it is:
			 * its owner's writers make it young there. */
			if (utimensat(AT_FDCWD, to, times, 0) < 0 && errno != EPERM &&
			    errno != EACCES && errno != ENOENT)
				ret = silo__error_errno("cannot set the time of '%s'", to);
		}
		free(rel);
		free(from);
		free(to);
		p += len + 1;
	}
	return ret;
}

/* Make the pack list of DEST from the packs it holds. */
static int dest_list_write(const char *dest, int remote)
{
	silo *d;
	int ret;

	if (remote)
		return remote_list_write(dest);
	if ((ret = silo_open(&d, dest)) < 0)
		return ret;
	ret = silo__pack_list_write(d);
	silo_free(d);
	return ret;
}

int silo_push(struct silo_push_result *out, const char *src, const char *dest)
{
	return silo_push_flags(out, src, dest, 0);
}

int silo_push_flags(struct silo_push_result *out, const char *src, const char *dest,
		    unsigned flags)
{
	struct strbuf lists[N_PASSES];
	char *config;
	int i, remote, ret;

	memset(out, 0, sizeof(*out));
	if (objstore_is_url(dest))
		return silo__push_http(out, src, dest, flags);
	remote = silo_push_is_remote(dest);
	if (!(config = fs_join(src, "config.json")))
		return silo__error_oom();
	ret = fs_exists(config);
	free(config);
	if (ret <= 0)
		return ret < 0 ? ret : silo__error_set(SILO_ENOTFOUND, "'%s' is not a silo", src);
	if (!remote && (ret = fs_mkdir_p(dest, 0777)) < 0)
		return ret;
	for (i = 0; i < N_PASSES; i++) {
		struct strbuf empty = STRBUF_INIT;
		lists[i] = empty;
	}
	ret = silo__push_collect(lists, src, "", remote ? NULL : dest);
	for (i = 0; !ret && i < N_PASSES; i++) {
		/* Once the packs and indexes are there: a list made before
		 * (by an older push, which copied ours) is made right too. */
		if (i == PASS_LISTS && (ret = dest_list_write(dest, remote)) < 0)
			break;
		if (i == PASS_FRESHEN && (ret = dest_dirs(dest, remote)) < 0)
			break;
		if (!lists[i].len)
			continue;
		if (i == PASS_FRESHEN) {
			ret = dest_freshen(src, dest, &lists[i], remote);
			continue;
		}
		out->passes++;
		ret = run_rsync(&out->files, src, dest, &lists[i], remote, RSYNC_NEW);
	}
	for (i = 0; i < N_PASSES; i++)
		strbuf_release(&lists[i]);
	return ret;
}
