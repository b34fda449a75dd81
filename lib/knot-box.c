/*
 * The box a recipe is read and built in, one policy for every caller:
 * bubblewrap in new namespaces (user, mount, pid, network unless the
 * recipe is leaky, ipc, uts), as an unprivileged user (uid 1000 in the
 * box; when knot runs as root, the host user 65534), without
 * capabilities; the base system read-only (/usr, /bin, /sbin, /lib*
 * and the pieces of /etc that programs need, with passwd, group, hosts
 * and nsswitch.conf made for the box); nothing else of the host (no
 * /home, /root, /tmp, /run, /etc/shadow, /etc/ssh); a fresh /tmp of a
 * bounded size, and a /dev/shm of the same; the directories knot binds;
 * a clean environment.  And the limits of a build
 * (Documentation/knot-build.1.scd).
 */
#include "knot-box.h"
#include "error-internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x4
#endif

const char *const knot_base_env[] = {
	"LC_ALL=C.UTF-8",
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"SOURCE_DATE_EPOCH=315532800",
	"TZ=UTC",
	NULL
};

/* The version of the box below: bumped when what a recipe sees changes. */
#define KNOT_BOX_VERSION 3

char *knot_box_settings(const struct silo_knot_recipe *r, int unboxed, int based)
{
	char *s;

	if (unboxed)
		return strdup("none");
	if (asprintf(&s, "bwrap %d net=%s %s etc=box dev=ro tmp=fresh paths=fixed user=%d",
		     KNOT_BOX_VERSION, r->leaky ? "host" : "none", based ? "root=base" : "base=ro",
		     KNOT_BOX_UID) < 0)
		return NULL;
	return s;
}

/* ---- limits ---- */

void silo_knot_limits_default(struct silo_knot_limits *l)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

	l->tmp = 1ULL << 30;
	l->disk = 20ULL << 30;
	/* One process may use as much as the machine has, not more. */
	l->memory = pages > 0 && page > 0 ? (unsigned long long)pages * (unsigned long long)page
					  : 16ULL << 30;
	l->pids = 4096;
	l->seconds = 12 * 3600;
}

static const struct {
	const char *name;
	size_t offset;
	int kind;	/* 0 bytes, 1 a count, 2 seconds */
} limit_names[] = {
	{ "tmp", offsetof(struct silo_knot_limits, tmp), 0 },
	{ "disk", offsetof(struct silo_knot_limits, disk), 0 },
	{ "memory", offsetof(struct silo_knot_limits, memory), 0 },
	{ "pids", offsetof(struct silo_knot_limits, pids), 1 },
	{ "time", offsetof(struct silo_knot_limits, seconds), 2 },
};

#define N_LIMITS (sizeof(limit_names) / sizeof(*limit_names))

/* VALUE (LEN bytes) as a number of KIND; -1 when it is not one. */
static int parse_value(unsigned long long *out, const char *value, size_t len, int kind)
{
	unsigned long long n = 0, mult = 1;
	size_t i = 0;

	if (len == 4 && !strncmp(value, "none", 4)) {
		*out = 0;
		return 0;
	}
	if (!len || !isdigit((unsigned char)value[0]))
		return -1;
	for (; i < len && isdigit((unsigned char)value[i]); i++) {
		if (n > (ULLONG_MAX - 9) / 10)
			return -1;
		n = n * 10 + (unsigned long long)(value[i] - '0');
	}
	if (i < len) {
		char u = (char)toupper((unsigned char)value[i]);
		const char *rest = value + i + 1;
		size_t rlen = len - i - 1;

		if (kind == 0 && strchr("KMGT", u) && u) {
			mult = 1ULL << (10 * (strchr("KMGT", u) - "KMGT" + 1));
			if (!(rlen == 0 || (rlen == 1 && *rest == 'B') ||
			      (rlen == 2 && !strncmp(rest, "iB", 2))))
				return -1;
		} else if (kind == 2 && strchr("SMHD", u) && u && rlen == 0) {
			mult = u == 'S' ? 1 : u == 'M' ? 60 : u == 'H' ? 3600 : 86400;
		} else {
			return -1;
		}
	}
	if (n && mult > ULLONG_MAX / n)
		return -1;
	*out = n * mult;
	return 0;
}

int silo_knot_limits_parse(struct silo_knot_limits *l, const char *spec, const char *what)
{
	static const char *const forms[] = {
		"a size in bytes, with K, M, G or T", "a number", "seconds, or a number with s, m, h or d"
	};
	const char *p = spec;

	while (p && *p) {
		size_t len, nlen, i;
		const char *eq;

		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (!len)
			break;
		eq = memchr(p, '=', len);
		nlen = eq ? (size_t)(eq - p) : len;
		for (i = 0; i < N_LIMITS; i++)
			if (strlen(limit_names[i].name) == nlen && !strncmp(p, limit_names[i].name, nlen))
				break;
		if (i == N_LIMITS || !eq)
			return silo__error_set(SILO_EINVALID,
					       "%s: '%.*s' is not a limit (tmp=, disk=, memory=, pids= or time=)",
					       what, (int)len, p);
		if (parse_value((unsigned long long *)((char *)l + limit_names[i].offset), eq + 1,
				len - nlen - 1, limit_names[i].kind) < 0)
			return silo__error_set(SILO_EINVALID, "%s: '%.*s': the value is not %s, or 'none'",
					       what, (int)len, p, forms[limit_names[i].kind]);
		p += len;
	}
	return 0;
}

/* N as silo_knot_limits_parse() reads it, with the largest exact unit. */
static void format_value(char buf[64], unsigned long long n, int kind)
{
	static const char units[] = "KMGT";
	int u = -1;

	if (!n) {
		strcpy(buf, "none");
		return;
	}
	if (kind == 0)
		while (u < 3 && !(n & 1023)) {
			n >>= 10;
			u++;
		}
	if (kind == 2 && !(n % 3600)) {
		snprintf(buf, 64, "%lluh", n / 3600);
		return;
	}
	if (kind == 2 && !(n % 60)) {
		snprintf(buf, 64, "%llum", n / 60);
		return;
	}
	snprintf(buf, 64, "%llu%s", n, kind == 2 ? "s" : "");
	if (u >= 0)
		snprintf(buf + strlen(buf), 64 - strlen(buf), "%c", units[u]);
}

char *silo_knot_limits_format(const struct silo_knot_limits *l)
{
	char *s = NULL, buf[64];
	size_t i, len = 0;

	for (i = 0; i < N_LIMITS; i++) {
		char *n;
		format_value(buf, *(const unsigned long long *)((const char *)l + limit_names[i].offset),
			     limit_names[i].kind);
		if (!(n = realloc(s, len + strlen(limit_names[i].name) + strlen(buf) + 3))) {
			free(s);
			return NULL;
		}
		s = n;
		len += (size_t)sprintf(s + len, "%s%s=%s", i ? "," : "", limit_names[i].name, buf);
	}
	return s;
}

const char *knot_box_limit_text(char buf[64], const struct silo_knot_limits *l, const char *name)
{
	size_t i;

	for (i = 0; i < N_LIMITS; i++)
		if (!strcmp(name, limit_names[i].name)) {
			char v[64];
			format_value(v, *(const unsigned long long *)((const char *)l +
								       limit_names[i].offset),
				     limit_names[i].kind);
			snprintf(buf, 64, "%s=%.40s", name, v);
			return buf;
		}
	snprintf(buf, 64, "%s", name);
	return buf;
}

/* Lines of a failed build's log that show a limit the kernel enforces;
 * "knot: the box's /tmp is full" is what the driver writes ("shm": the
 * tmp limit, reached in /dev/shm). */
static const struct {
	const char *text, *limit;
} limit_signs[] = {
	{ "knot: the box's /tmp is full", "tmp" },
	{ "knot: the box's /dev/shm is full", "shm" },
	{ "File size limit exceeded", "disk" },
	{ "Resource temporarily unavailable", "pids" },
	{ "fork: retry", "pids" },
	{ "Cannot fork", "pids" },
	{ "cannot fork", "pids" },
	{ "Cannot allocate memory", "memory" },
	{ "cannot allocate", "memory" },
	{ "memory exhausted", "memory" },
	{ "out of memory", "memory" },
	{ "Out of memory", "memory" },
	{ "MemoryError", "memory" },
	{ "std::bad_alloc", "memory" },
};

const char *knot_box_limit_in_log(const char *log, size_t len)
{
	/* The end of the log says how the build ended. */
	const char *tail = len > 65536 ? log + len - 65536 : log;
	size_t i;

	for (i = 0; i < sizeof(limit_signs) / sizeof(*limit_signs); i++)
		if (memmem(tail, len - (size_t)(tail - log), limit_signs[i].text,
			   strlen(limit_signs[i].text)))
			return limit_signs[i].limit;
	return NULL;
}

/* ---- what goes into the box ---- */

/* The base system, read-only; symlinks (merged /usr) stay symlinks. */
static const char *const base_dirs[] = {
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", NULL
};

/* What programs need of /etc: the dynamic linker's cache, the
 * alternatives (cc, c++, ...), the distribution's name, certificates,
 * protocol and service names, and the configuration of interpreters.
 * No secrets: not shadow, ssh, sudoers, ssl/private, machine-id. */
static const char *const etc_entries[] = {
	"/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
	"/etc/os-release", "/etc/debian_version", "/etc/lsb-release", "/etc/issue",
	"/etc/ssl/certs", "/etc/ssl/openssl.cnf", "/etc/ca-certificates", "/etc/ca-certificates.conf",
	"/etc/pki", "/etc/protocols", "/etc/services", "/etc/rpc", "/etc/ethertypes",
	"/etc/gai.conf", "/etc/mime.types", "/etc/magic", "/etc/magic.mime", "/etc/locale.alias",
	"/etc/localtime", "/etc/timezone", "/etc/perl", "/etc/python3", "/etc/R", "/etc/texmf",
	"/etc/fonts", "/etc/xml", "/etc/sgml", "/etc/dpkg/origins", "/etc/java-17-openjdk",
	NULL
};

/* Files made for the box. */
static const char box_passwd[] =
	"root:x:0:0:root:/root:/usr/sbin/nologin\n"
	KNOT_BOX_USER ":x:1000:1000:knot build:/tmp:/bin/sh\n"
	"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
static const char box_group[] =
	"root:x:0:\n"
	KNOT_BOX_USER ":x:1000:\n"
	"nogroup:x:65534:\n";
static const char box_hosts[] =
	"127.0.0.1\tlocalhost knot\n"
	"::1\tlocalhost ip6-localhost ip6-loopback\n";
static const char box_nsswitch[] =
	"passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
	"networks: files\nprotocols: files\nservices: files\nethers: files\nrpc: files\n";
static const char box_hostname[] = "knot\n";

/* Where the child mounts the directories bwrap binds, when knot runs
 * as root (in a mount namespace of its own; bwrap runs as the
 * unprivileged user, who could not reach them where they are). */
#define STAGE_DIR "/tmp"

static int uid_mapped(const char *map, unsigned id)
{
	char line[256];
	FILE *f = fopen(map, "re");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long inside, outside, count;
		if (sscanf(line, "%lu %lu %lu", &inside, &outside, &count) == 3 &&
		    id >= inside && id - inside < count)
			found = 1;
	}
	fclose(f);
	return found;
}

int knot_box_as_root(void)
{
	/* Root in a user namespace where the box's user does not exist is
	 * not the host's root: the box runs as this user then. */
	return geteuid() == 0 && uid_mapped("/proc/self/uid_map", KNOT_BOX_HOST_UID) &&
	       uid_mapped("/proc/self/gid_map", KNOT_BOX_HOST_UID);
}

/* Bind the PATHS that exist read-only at the same place in the box; a
 * symlink stays a symlink (merged /usr).  DIRS_ONLY: leave files out. */
static int push_host_paths(struct strvec *argv, const char *const *paths, int dirs_only)
{
	size_t i;
	int ret = 0;

	for (i = 0; paths[i] && !ret; i++) {
		char target[PATH_MAX];
		struct stat st;
		ssize_t n;

		if (lstat(paths[i], &st) < 0 || (dirs_only && !S_ISLNK(st.st_mode) && !S_ISDIR(st.st_mode)))
			continue;
		if (S_ISLNK(st.st_mode)) {
			if ((n = readlink(paths[i], target, sizeof(target) - 1)) <= 0)
				continue;
			target[n] = '\0';
			if ((ret = knot_strv_push(argv, "--symlink")) == 0)
				ret = knot_strv_push(argv, target);
		} else if ((ret = knot_strv_push(argv, "--ro-bind")) == 0) {
			ret = knot_strv_push(argv, paths[i]);
		}
		if (!ret)
			ret = knot_strv_push(argv, paths[i]);
	}
	return ret;
}

/* What of a base's top level the box does not take: bwrap makes these
 * (/dev, /proc, /tmp) or knot does (/etc, entry by entry), and nothing
 * of them is for a build (/run, /sys, /boot, /home, /root, /media, /mnt,
 * /srv, and lost+found). */
static const char *const root_skipped[] = {
	"dev", "proc", "sys", "tmp", "run", "etc", "boot", "home", "root", "media", "mnt", "srv",
	"lost+found", NULL
};

/* ... nor of its /etc: the box's own files, and secrets. */
static const char *const root_etc_skipped[] = {
	"passwd", "group", "shadow", "gshadow", "passwd-", "group-", "shadow-", "gshadow-",
	"hosts", "hostname", "nsswitch.conf", "resolv.conf", "machine-id", "ssh", "sudoers",
	"sudoers.d", "subuid", "subgid", "mtab", NULL
};

static int in_list(const char *name, const char *const *list)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (!strcmp(name, list[i]))
			return 1;
	return 0;
}

/* The entries of the directory FROM/SUB of the base (FROM as bwrap
 * reaches it, HOST as this process does) at /SUB in the box, read-only,
 * symlinks as symlinks, but for those of SKIP; sorted, so that one base
 * gives one command line. */
static int push_root_dir(struct strvec *argv, const char *host, const char *from, const char *sub,
			 const char *const *skip)
{
	struct strvec names = STRVEC_INIT;
	struct dirent *de;
	char *dir = knot_format("%s%s%s", host, *sub ? "/" : "", sub);
	DIR *d;
	size_t i;
	int ret = 0;

	if (!dir)
		return silo__error_oom();
	if (!(d = opendir(dir))) {
		ret = silo__error_errno("cannot read the base's directory '%s'", dir);
		free(dir);
		return ret;
	}
	while (!ret && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && !in_list(de->d_name, skip))
			ret = knot_strv_push(&names, de->d_name);
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(*names.v), knot_cmp_strings);
	for (i = 0; !ret && i < names.n; i++) {
		char target[PATH_MAX], *path = knot_format("%s/%s", dir, names.v[i]);
		struct stat st;
		ssize_t n;

		if (!path) {
			ret = silo__error_oom();
			break;
		}
		if (lstat(path, &st) < 0) {
			ret = silo__error_errno("cannot read '%s'", path);
		} else if (S_ISLNK(st.st_mode)) {
			if ((n = readlink(path, target, sizeof(target) - 1)) < 0)
				ret = silo__error_errno("cannot read the symlink '%s'", path);
			else {
				target[n] = '\0';
				if (!(ret = knot_strv_push(argv, "--symlink")) &&
				    !(ret = knot_strv_push(argv, target)))
					ret = knot_strv_pushf(argv, "%s%s/%s", *sub ? "/" : "", sub, names.v[i]);
			}
		} else if (!(ret = knot_strv_push(argv, "--ro-bind")) &&
			   !(ret = knot_strv_pushf(argv, "%s%s%s/%s", from, *sub ? "/" : "", sub, names.v[i]))) {
			ret = knot_strv_pushf(argv, "%s%s/%s", *sub ? "/" : "", sub, names.v[i]);
		}
		free(path);
	}
	strvec_clear(&names);
	free(dir);
	return ret;
}

/* A memory file holding DATA, kept for bwrap; its number is in *fd. */
static int data_fd(struct knot_box_run *run, const char *data, int *fd)
{
	int f;

	if (run->n_fds >= sizeof(run->fds) / sizeof(*run->fds))
		return silo__error_set(SILO_ERROR, "too many files for the box");
	f = memfd_create("knot-box", MFD_CLOEXEC);
	if (f < 0)
		return silo__error_errno("cannot create a memory file");
	run->fds[run->n_fds++] = f;
	if (write(f, data, strlen(data)) != (ssize_t)strlen(data) || lseek(f, 0, SEEK_SET) < 0)
		return silo__error_errno("cannot write a memory file");
	*fd = f;
	return 0;
}

void knot_box_run_release(struct knot_box_run *run)
{
	size_t i;

	strvec_clear(&run->argv);
	for (i = 0; i < run->n_fds; i++)
		close(run->fds[i]);
	if (run->info_fd >= 0)
		close(run->info_fd);
	for (i = 0; i < run->n_stage; i++) {
		free(run->stage_from[i]);
		free(run->stage_to[i]);
	}
	free(run->stage_from);
	free(run->stage_to);
	memset(run, 0, sizeof(*run));
	run->info_fd = -1;
}

int knot_box_prepare(struct knot_box_run *run, const struct knot_box *b)
{
	struct strvec *argv = &run->argv;
	int pipefd[2], fd, ret = 0;
	size_t i;

#define PUSH(s) do { if ((ret = knot_strv_push(argv, (s))) < 0) return ret; } while (0)
#define PUSHF(...) do { if ((ret = knot_strv_pushf(argv, __VA_ARGS__)) < 0) return ret; } while (0)
#define DATA(text, dest) do { \
		if ((ret = data_fd(run, (text), &fd)) < 0) return ret; \
		PUSH("--perms"); PUSH("0644"); PUSH("--ro-bind-data"); PUSHF("%d", fd); PUSH(dest); \
	} while (0)

	if (b->n_binds > KNOT_BOX_MAX_BINDS)
		return silo__error_set(SILO_EINVALID, "a box binds at most %d directories, not %zu",
				       KNOT_BOX_MAX_BINDS, b->n_binds);
	run->as_root = knot_box_as_root();
	PUSH(b->bwrap);
	/* Namespaces, and a user namespace that must work: the box's user
	 * is never the host's root. */
	PUSH("--unshare-all");
	PUSH("--unshare-user");
	PUSH("--disable-userns");
	PUSH("--uid");
	PUSHF("%d", KNOT_BOX_UID);
	PUSH("--gid");
	PUSHF("%d", KNOT_BOX_UID);
	if (b->net)
		PUSH("--share-net");
	PUSH("--hostname");
	PUSH("knot");
	PUSH("--die-with-parent");
	PUSH("--new-session");
	PUSH("--cap-drop");
	PUSH("ALL");
	if (b->root) {
		/* As root, bwrap's user reaches the base where the child
		 * mounts it (the last staged directory). */
		const char *from = run->as_root ? STAGE_DIR "/base" : b->root;
		if ((ret = push_root_dir(argv, b->root, from, "", root_skipped)) < 0 ||
		    (ret = push_root_dir(argv, b->root, from, "etc", root_etc_skipped)) < 0)
			return ret;
	} else if ((ret = push_host_paths(argv, base_dirs, 1)) < 0 ||
		   (ret = push_host_paths(argv, etc_entries, 0)) < 0) {
		return ret;
	}
	DATA(box_passwd, "/etc/passwd");
	DATA(box_group, "/etc/group");
	DATA(box_nsswitch, "/etc/nsswitch.conf");
	DATA(box_hostname, "/etc/hostname");
	if (b->net) {
		/* A leaky build resolves names as the host does. */
		static const char *const net_files[] = { "/etc/hosts", "/etc/resolv.conf", NULL };
		for (i = 0; net_files[i]; i++) {
			char *real = realpath(net_files[i], NULL);
			if (real) {
				ret = knot_strv_push(argv, "--ro-bind");
				if (!ret)
					ret = knot_strv_push(argv, real);
				if (!ret)
					ret = knot_strv_push(argv, net_files[i]);
				free(real);
				if (ret < 0)
					return ret;
			}
		}
		if (access("/etc/hosts", F_OK) < 0)
			DATA(box_hosts, "/etc/hosts");
	} else {
		DATA(box_hosts, "/etc/hosts");
	}
	PUSH("--proc");
	PUSH("/proc");
	PUSH("--dev");
	PUSH("/dev");
	/* /tmp and /dev/shm, bounded: nothing else of the box is a tmpfs
	 * it may write (bwrap's /dev, as big as half the memory, is made
	 * read-only; its devices still work). */
	for (i = 0; i < 2; i++) {
		if (b->tmp_size) {
			PUSH("--size");
			PUSHF("%llu", b->tmp_size);
		}
		PUSH("--tmpfs");
		PUSH(i ? "/dev/shm" : "/tmp");
	}
	PUSH("--remount-ro");
	PUSH("/dev");
	if (run->as_root && (b->n_binds || b->root)) {
		if (!(run->stage_from = calloc(b->n_binds + 1, sizeof(char *))) ||
		    !(run->stage_to = calloc(b->n_binds + 1, sizeof(char *))))
			return silo__error_oom();
	}
	for (i = 0; i < b->n_binds; i++) {
		PUSH(b->binds[i].writable ? "--bind" : "--ro-bind");
		if (run->as_root) {
			if (!(run->stage_from[i] = strdup(b->binds[i].host)) ||
			    asprintf(&run->stage_to[i], STAGE_DIR "/%zu", i) < 0) {
				free(run->stage_from[i]);
				run->stage_to[i] = NULL;
				return silo__error_oom();
			}
			run->n_stage++;
			PUSH(run->stage_to[i]);
		} else {
			PUSH(b->binds[i].host);
		}
		PUSH(b->binds[i].box);
	}
	if (run->as_root && b->root) {
		if (!(run->stage_from[run->n_stage] = strdup(b->root)) ||
		    !(run->stage_to[run->n_stage] = strdup(STAGE_DIR "/base"))) {
			free(run->stage_from[run->n_stage]);
			run->stage_from[run->n_stage] = NULL;
			return silo__error_oom();
		}
		run->n_stage++;
	}
	if (b->driver)
		DATA(b->driver, KNOT_BOX_DRIVER);
	/* Nothing else may be written: the box's own root is read-only. */
	PUSH("--remount-ro");
	PUSH("/");
	PUSH("--chdir");
	PUSH(b->chdir ? b->chdir : "/");
	/* The box's pid 1, so that stopping it stops every process of it. */
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return silo__error_errno("cannot create a pipe");
	run->info_fd = pipefd[0];
	if (run->n_fds >= sizeof(run->fds) / sizeof(*run->fds)) {
		close(pipefd[1]);
		return silo__error_set(SILO_ERROR, "too many files for the box");
	}
	run->fds[run->n_fds++] = pipefd[1];
	PUSH("--info-fd");
	PUSHF("%d", pipefd[1]);
	PUSH("--");
#undef PUSH
#undef PUSHF
#undef DATA
	return 0;
}

/*
 * In the child, as root: a mount namespace of its own in which the
 * directories to bind are mounted below STAGE_DIR, where the box's
 * unprivileged user reaches them.  Only system calls.
 */
static const char *stage_mounts(const void *arg)
{
	const struct knot_box_run *run = arg;
	int fds[KNOT_BOX_MAX_BINDS + 1];
	size_t i;

	if (run->n_stage > sizeof(fds) / sizeof(*fds))
		return "too many directories";
	if (unshare(CLONE_NEWNS) < 0)
		return "cannot make a mount namespace";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return "cannot make its mounts private";
	for (i = 0; i < run->n_stage; i++) {
		fds[i] = (int)syscall(SYS_open_tree, AT_FDCWD, run->stage_from[i],
				      OPEN_TREE_CLONE | O_CLOEXEC);
		if (fds[i] < 0)
			return "cannot take a directory in";
	}
	if (mount("tmpfs", STAGE_DIR, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") < 0)
		return "cannot mount its staging directory";
	for (i = 0; i < run->n_stage; i++) {
		if (mkdir(run->stage_to[i], 0755) < 0)
			return "cannot create a staging directory";
		if (syscall(SYS_move_mount, fds[i], "", AT_FDCWD, run->stage_to[i],
			    MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return "cannot mount a directory";
		close(fds[i]);
	}
	return NULL;
}

void knot_box_exec(struct knot_exec *x, const struct knot_box_run *run)
{
	x->keep_fds = run->fds;
	x->n_keep = run->n_fds;
	x->change_user = run->as_root;
	x->uid = x->gid = KNOT_BOX_HOST_UID;
	x->child_setup = run->as_root ? stage_mounts : NULL;
	x->setup_arg = run;
	/* bwrap chooses the directory in the box; the child needs none. */
	x->cwd = "/";
}

const char *knot_box_complaint(char *buf, size_t size, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *found = NULL;
	size_t flen = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if ((l > 7 && !strncmp(p, "bwrap: ", 7)) || (l > 11 && !strncmp(p, "knot: box: ", 11))) {
			found = p;
			flen = l;
		}
		p += l + 1;
	}
	if (!found)
		return NULL;
	snprintf(buf, size, "%.*s", (int)flen, found);
	return buf;
}

int knot_box_refused(const char *line)
{
	return !strstr(line, "Resource temporarily unavailable") &&
	       (strstr(line, "namespace") || strstr(line, "uid map") || strstr(line, "gid map") ||
		strstr(line, "setgroups"));
}

char *knot_box_failure(const char *what, const char *line)
{
	char *s;
	int n;

	if (line && strstr(line, "Resource temporarily unavailable"))
		n = asprintf(&s, "%s: %s: the box reached its limit on processes (pids); raise it "
			     "with --limits or KNOT_LIMITS (knot-build(1))", what, line);
	else if (line && knot_box_refused(line))
		n = asprintf(&s, "%s: this system refuses to make user namespaces (%s); "
			     "knot builds recipes as an unprivileged user in one (bubblewrap): "
			     "allow them (sysctl user.max_user_namespaces, "
			     "kernel.unprivileged_userns_clone; a container run with them), "
			     "or use --unboxed to run the recipes on the host with your own rights",
			     what, line);
	else
		n = asprintf(&s, "%s%s%s", what, line ? ": " : "", line ? line : "");
	return n < 0 ? NULL : s;
}
