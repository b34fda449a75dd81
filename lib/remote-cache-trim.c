/*
 * The size of the cache that silos read over HTTP(S) share, and its
 * trimming to a bound, least recently used first.
 *
 * What is removed, by unit: a loose object of a cache silo; a pack of a
 * cache silo (its .idx, then its .pack, then pack/packs rewritten); the
 * index of a remote pack kept beside the cache, with its .size.  A unit's
 * last use is the latest access or modification time of its files: a
 * read through the cache sets the access time explicitly (fs_mark_used()),
 * so that it holds on noatime and relatime mounts.  Everything fetched
 * again is checked against its id, so removing too much costs only
 * transfers.  A reader that has a file open keeps reading it (unlink
 * removes the name only); one that finds it gone fetches it again.
 * Temporary files are removed only when their writer is gone (it holds
 * them locked) and they are older than SILO_CACHE_TEMP_AGE.  Trimmers
 * take turns through a lock on "<cache>/trim.lock" (flock: a killed
 * trimmer leaves no lock behind).
 */
#include "remote-internal.h"
#include "pack.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A temporary file untouched for this long, and unlocked, is a killed
 * writer's: a download in progress writes to it all along. */
#define SILO_CACHE_TEMP_AGE (60 * 60)

#define TRIM_LOCK "trim.lock"

enum unit_kind { UNIT_OBJECT, UNIT_PACK, UNIT_INDEX };

/* Files removed together, the first first; paths relative to the cache
 * directory. */
struct unit {
	enum unit_kind kind;
	char *rel[2];		/* rel[1] may be NULL */
	uint64_t bytes;
	struct timespec used;
	int silo;		/* index in struct scan's silos (UNIT_PACK) */
};

struct scan {
	const char *dir;
	struct silo_cache_usage usage;
	struct unit *units;
	size_t n, alloc;
	char **silos;		/* the cache silos met, relative ("sha1") */
	size_t n_silos, alloc_silos;
	/* trimming: remove stale temporary files as they are met */
	int trim;
	time_t temp_expire;
	struct silo_cache_trim_result *result;
	const struct silo_cache_trim_options *opts;
};

int silo_parse_size(uint64_t *out, const char *text)
{
	static const char units[] = "kmgt";
	const char *p = text, *u;
	uint64_t n = 0;
	unsigned shift = 0;

	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			goto bad;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (*p && (u = strchr(units, *p | 0x20)) && *p != ' ') {
		shift = 10 * (unsigned)(u - units + 1);
		p++;
		if (*p == 'i' && p[1] == 'B')
			p += 2;
		else if (*p == 'B')
			p++;
	} else if (*p == 'B') {
		p++;
	}
	if (*p || (shift && n > (UINT64_MAX >> shift)))
		goto bad;
	*out = n << shift;
	return 0;
bad:
	return silo__error_set(SILO_EINVALID, "invalid size '%s': expected a number of bytes, "
			       "optionally with k, M, G or T (powers of 1024), as 500M or 2G", text);
}

int silo_cache_max_size(uint64_t *max)
{
	const char *text = getenv(SILO_ENV_CACHE_MAX_SIZE);

	*max = UINT64_MAX;
	if (!text || !*text)
		return 0;
	if (silo_parse_size(max, text) < 0)
		return silo__error_wrap("%s", SILO_ENV_CACHE_MAX_SIZE);
	return 1;
}

static struct timespec later(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec) ? a : b;
}

static struct timespec last_use(const struct stat *st)
{
	return later(st->st_atim, st->st_mtim);
}

static char *rel_join(const char *a, const char *b, const char *c)
{
	size_t len = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 3;
	char *s = malloc(len);

	if (s)
		snprintf(s, len, "%s/%s%s%s", a, b, c ? "/" : "", c ? c : "");
	return s;
}

static int add_unit(struct scan *sc, enum unit_kind kind, char *rel0, char *rel1,
		    uint64_t bytes, struct timespec used)
{
	struct unit *u;

	if (!rel0 || ALLOC_GROW(sc->units, sc->n + 1, sc->alloc) < 0) {
		free(rel0);
		free(rel1);
		return silo__error_oom();
	}
	u = &sc->units[sc->n++];
	u->kind = kind;
	u->rel[0] = rel0;
	u->rel[1] = rel1;
	u->bytes = bytes;
	u->used = used;
	u->silo = sc->n_silos ? (int)sc->n_silos - 1 : -1;
	return 0;
}

/* A temporary file NAME of the directory D (REL relative to the cache):
 * counted, or when trimming removed if stale. */
static void temp_file(struct scan *sc, DIR *d, const char *rel, const char *name,
		      const struct stat *st)
{
	uint64_t bytes = 0;

	if (sc->trim && fs_remove_temp_if_stale(dirfd(d), name, sc->temp_expire, &bytes)) {
		char *path = rel_join(rel, name, NULL);
		sc->result->removed++;
		sc->result->removed_bytes += bytes;
		if (path && sc->opts->on_remove)
			sc->opts->on_remove(sc->opts->payload, path);
		free(path);
		return;
	}
	sc->usage.temps++;
	sc->usage.temp_bytes += (uint64_t)st->st_size;
	sc->usage.bytes += (uint64_t)st->st_size;
}

static int is_temp(const char *name)
{
	return !strncmp(name, "tmp_", 4);
}

/* The regular files of REL (relative to the cache directory); FN is
 * called for each that is not a temporary file. */
static int each_file(struct scan *sc, const char *rel,
		     int (*fn)(struct scan *sc, const char *rel, const char *name,
			       const struct stat *st, DIR *d))
{
	char *path = fs_join(sc->dir, rel);
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (!path)
		return silo__error_oom();
	if (!(d = opendir(path))) {
		ret = errno == ENOENT ? 0 : silo__error_errno("cannot read directory '%s'", path);
		free(path);
		return ret;
	}
	while (!ret && (errno = 0, de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;	/* gone meanwhile, or no file of ours */
		if (is_temp(de->d_name))
			temp_file(sc, d, rel, de->d_name, &st);
		else
			ret = fn(sc, rel, de->d_name, &st, d);
	}
	if (!ret && errno)
		ret = silo__error_errno("cannot read directory '%s'", path);
	closedir(d);
	free(path);
	return ret;
}

static int other_file(struct scan *sc, const char *rel, const char *name,
		      const struct stat *st, DIR *d)
{
	(void)rel;
	(void)name;
	(void)d;
	sc->usage.bytes += (uint64_t)st->st_size;
	return 0;
}

static int loose_file(struct scan *sc, const char *rel, const char *name,
		      const struct stat *st, DIR *d)
{
	size_t len = strlen(name);

	if (len < 4 || strcmp(name + len - 3, ".gz"))
		return other_file(sc, rel, name, st, d);
	sc->usage.objects++;
	sc->usage.object_bytes += (uint64_t)st->st_size;
	sc->usage.bytes += (uint64_t)st->st_size;
	return add_unit(sc, UNIT_OBJECT, rel_join(rel, name, NULL), NULL,
			(uint64_t)st->st_size, last_use(st));
}

/* NAME ends in SUFFIX after "pack-": the length of its base, else 0. */
static size_t pack_base(const char *name, const char *suffix)
{
	size_t len = strlen(name), slen = strlen(suffix);

	if (strncmp(name, "pack-", 5) || len <= 5 + slen || strcmp(name + len - slen, suffix))
		return 0;
	return len - slen;
}

/* A unit of two files: BASE + FIRST (removed first) and BASE + SECOND,
 * from the .pack or the .idx met in the directory D; counted once, when
 * the name met is NAME_SUFFIX. */
static int pair_file(struct scan *sc, enum unit_kind kind, const char *rel, const char *name,
		     const struct stat *st, DIR *d, const char *first, const char *second,
		     uint64_t *count, uint64_t *bytes)
{
	size_t base = pack_base(name, second);
	char other[160];
	struct stat ost;
	uint64_t size = (uint64_t)st->st_size;
	struct timespec used = last_use(st);
	int have_first;

	*bytes += size;
	sc->usage.bytes += size;
	if (!base) {
		/* the first file: counted with its pair, or alone */
		size_t b = pack_base(name, first);
		if (!b || b + 10 > sizeof(other))
			return 0;
		snprintf(other, sizeof(other), "%.*s%s", (int)b, name, second);
		if (fstatat(dirfd(d), other, &ost, AT_SYMLINK_NOFOLLOW) == 0)
			return 0;	/* counted with it */
		(*count)++;
		return add_unit(sc, kind, rel_join(rel, name, NULL), NULL, size, used);
	}
	if (base + strlen(first) + 1 > sizeof(other))
		return 0;
	(*count)++;
	snprintf(other, sizeof(other), "%.*s%s", (int)base, name, first);
	have_first = fstatat(dirfd(d), other, &ost, AT_SYMLINK_NOFOLLOW) == 0 &&
		     S_ISREG(ost.st_mode);
	if (have_first) {
		size += (uint64_t)ost.st_size;
		used = later(used, last_use(&ost));
	}
	return add_unit(sc, kind, rel_join(rel, have_first ? other : name, NULL),
			have_first ? rel_join(rel, name, NULL) : NULL, size, used);
}

static int pack_file(struct scan *sc, const char *rel, const char *name,
		     const struct stat *st, DIR *d)
{
	if (!pack_base(name, ".pack") && !pack_base(name, ".idx"))
		return other_file(sc, rel, name, st, d);
	/* The index goes first: a reader takes a pack without one for a
	 * write in progress. */
	return pair_file(sc, UNIT_PACK, rel, name, st, d, ".idx", ".pack",
			 &sc->usage.packs, &sc->usage.pack_bytes);
}

static int index_file(struct scan *sc, const char *rel, const char *name,
		      const struct stat *st, DIR *d)
{
	if (!pack_base(name, ".idx") && !pack_base(name, ".size"))
		return other_file(sc, rel, name, st, d);
	return pair_file(sc, UNIT_INDEX, rel, name, st, d, ".size", ".idx",
			 &sc->usage.indexes, &sc->usage.index_bytes);
}

static int scan_silo(struct scan *sc, const char *name)
{
	char *objects = rel_join(name, "objects", NULL), *pack = rel_join(name, "pack", NULL);
	char *copy = strdup(name), *objects_path = NULL;
	struct dirent *de;
	DIR *d = NULL;
	int ret = 0;

	if (!objects || !pack || !copy ||
	    ALLOC_GROW(sc->silos, sc->n_silos + 1, sc->alloc_silos) < 0) {
		ret = silo__error_oom();
		free(copy);
		goto out;
	}
	sc->silos[sc->n_silos++] = copy;
	if ((ret = each_file(sc, name, other_file)) < 0 ||
	    (ret = each_file(sc, pack, pack_file)) < 0 ||
	    (ret = each_file(sc, objects, other_file)) < 0)
		goto out;
	if (!(objects_path = fs_join(sc->dir, objects))) {
		ret = silo__error_oom();
		goto out;
	}
	if (!(d = opendir(objects_path))) {
		ret = errno == ENOENT ? 0 : silo__error_errno("cannot read directory '%s'", objects_path);
		goto out;
	}
	while (!ret && (de = readdir(d))) {
		char *fan;
		if (strlen(de->d_name) != 2 || de->d_name[0] == '.')
			continue;
		if (!(fan = rel_join(objects, de->d_name, NULL)))
			ret = silo__error_oom();
		else
			ret = each_file(sc, fan, loose_file);
		free(fan);
	}
out:
	if (d)
		closedir(d);
	free(objects_path);
	free(objects);
	free(pack);
	return ret;
}

static void scan_release(struct scan *sc)
{
	for (size_t i = 0; i < sc->n; i++) {
		free(sc->units[i].rel[0]);
		free(sc->units[i].rel[1]);
	}
	free(sc->units);
	for (size_t i = 0; i < sc->n_silos; i++)
		free(sc->silos[i]);
	free(sc->silos);
}

static int scan_cache(struct scan *sc)
{
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (!(d = opendir(sc->dir)))
		return errno == ENOENT ? 0 : silo__error_errno("cannot read directory '%s'", sc->dir);
	while (!ret && (errno = 0, de = readdir(d))) {
		const char *name = de->d_name;
		struct stat st;

		if (name[0] == '.' || fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode)) {
			if (is_temp(name))
				temp_file(sc, d, ".", name, &st);
			else
				sc->usage.bytes += (uint64_t)st.st_size;
		} else if (S_ISDIR(st.st_mode) && silo_oid_format_from_name(name)) {
			ret = scan_silo(sc, name);
		} else if (S_ISDIR(st.st_mode) && !strncmp(name, "idx-", 4) &&
			   silo_oid_format_from_name(name + 4)) {
			ret = each_file(sc, name, index_file);
		}
	}
	if (!ret && errno)
		ret = silo__error_errno("cannot read directory '%s'", sc->dir);
	closedir(d);
	return ret;
}

int silo_cache_usage(struct silo_cache_usage *out, const char *dir)
{
	struct scan sc;
	int ret;

	memset(&sc, 0, sizeof(sc));
	sc.dir = dir;
	ret = scan_cache(&sc);
	*out = sc.usage;
	scan_release(&sc);
	return ret;
}

/* Least recently used first; then by path, so that the order is known. */
static int by_use(const void *a, const void *b)
{
	const struct unit *x = a, *y = b;

	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
	if (x->used.tv_nsec != y->used.tv_nsec)
		return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
	return strcmp(x->rel[0], y->rel[0]);
}

/* Remove REL: 1 if this call removed it, 0 if it was gone already. */
static int remove_rel(struct scan *sc, const char *rel)
{
	char *path = fs_join(sc->dir, rel);
	int ret;

	if (!path)
		return silo__error_oom();
	if (unlink(path) == 0)
		ret = 1;
	else if (errno == ENOENT)
		ret = 0;	/* another trimmer's */
	else
		ret = silo__error_errno("cannot remove '%s'", path);
	free(path);
	return ret;
}

/* Rewrite pack/packs of the cache silo REL after packs left it; the
 * usage counts the list as it is now. */
static int relist_packs(struct scan *sc, const char *rel)
{
	char *root = fs_join(sc->dir, rel), *list = NULL;
	struct stat st;
	silo *s = NULL;
	int ret;

	if (!root || !(list = fs_join(root, "pack/packs"))) {
		free(root);
		return silo__error_oom();
	}
	if (stat(list, &st) == 0)
		sc->usage.bytes -= (uint64_t)st.st_size;
	if ((ret = silo_open(&s, root)) == 0)
		ret = silo__pack_list_write(s);
	if (stat(list, &st) == 0)
		sc->usage.bytes += (uint64_t)st.st_size;
	silo_free(s);
	free(list);
	free(root);
	return ret;
}

static int trim_units(struct scan *sc, uint64_t max)
{
	struct silo_cache_trim_result *res = sc->result;
	char *relisted = NULL;
	int ret = 0;

	if (sc->n_silos && !(relisted = calloc(sc->n_silos, 1)))
		return silo__error_oom();
	if (sc->n)
		qsort(sc->units, sc->n, sizeof(*sc->units), by_use);
	for (size_t i = 0; i < sc->n && !ret && sc->usage.bytes > max; i++) {
		struct unit *u = &sc->units[i];
		int removed = 0;

		for (int k = 0; k < 2 && u->rel[k] && ret >= 0; k++)
			if ((ret = remove_rel(sc, u->rel[k])) > 0) {
				removed = 1;
				res->removed++;
				if (sc->opts->on_remove)
					sc->opts->on_remove(sc->opts->payload, u->rel[k]);
			}
		if (ret < 0)
			break;
		ret = 0;
		if (removed)
			res->removed_bytes += u->bytes;
		sc->usage.bytes -= u->bytes;
		switch (u->kind) {
		case UNIT_OBJECT:
			sc->usage.objects--;
			sc->usage.object_bytes -= u->bytes;
			break;
		case UNIT_PACK:
			sc->usage.packs--;
			sc->usage.pack_bytes -= u->bytes;
			if (u->silo >= 0)
				relisted[u->silo] = 1;
			break;
		case UNIT_INDEX:
			sc->usage.indexes--;
			sc->usage.index_bytes -= u->bytes;
			break;
		}
	}
	for (size_t i = 0; i < sc->n_silos; i++)
		if (relisted[i]) {
			int r = relist_packs(sc, sc->silos[i]);
			if (!ret)
				ret = r;
		}
	free(relisted);
	return ret;
}

int silo_cache_trim(struct silo_cache_trim_result *result, const char *dir,
		    const struct silo_cache_trim_options *opts)
{
	struct scan sc;
	char *lock_path;
	int fd, ret;

	memset(result, 0, sizeof(*result));
	memset(&sc, 0, sizeof(sc));
	sc.dir = dir;
	sc.trim = 1;
	sc.temp_expire = time(NULL) - SILO_CACHE_TEMP_AGE;
	sc.result = result;
	sc.opts = opts;
	if (!(lock_path = fs_join(dir, TRIM_LOCK)))
		return silo__error_oom();
	fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0) {
		ret = errno == ENOENT ? 0 :	/* no cache yet: nothing to trim */
			silo__error_errno("cannot open '%s'", lock_path);
		free(lock_path);
		return ret;
	}
	while ((ret = flock(fd, opts->wait ? LOCK_EX : LOCK_EX | LOCK_NB)) < 0 && errno == EINTR)
		;
	if (ret < 0) {
		if (errno == EWOULDBLOCK) {
			result->skipped = 1;
			ret = 0;
		} else {
			ret = silo__error_errno("cannot lock '%s'", lock_path);
		}
		goto out;
	}
	if ((ret = scan_cache(&sc)) == 0)
		ret = trim_units(&sc, opts->max_bytes);
	result->after = sc.usage;
out:
	close(fd);	/* the lock goes with it */
	free(lock_path);
	scan_release(&sc);
	return ret;
}

void remote_cache_trim_auto(void)
{
	struct silo_cache_trim_options opts = { 0 };
	struct silo_cache_trim_result res;
	char *dir = NULL, *saved = NULL;
	int code = silo_error_last();

	/* The caller's failure, if any, is still what it reports. */
	if (code && !(saved = strdup(silo_error_message())))
		return;
	if (silo_cache_max_size(&opts.max_bytes) > 0 && silo_cache_dir(&dir) == 0)
		(void)silo_cache_trim(&res, dir, &opts);
	free(dir);
	if (saved)
		silo__error_set(code, "%s", saved);
	else
		silo_error_clear();
	free(saved);
}
