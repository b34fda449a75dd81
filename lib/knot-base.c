/*
 * Bases: Debian root file systems made by mmdebstrap from a Debian
 * archive, stored as trees of kind tree with what made them in the
 * provenance (Documentation/knot-base.1.scd), and expanded once into
 * the cache to be the root of boxes.
 *
 * A base is reproducible: the archive's Release file (InRelease, else
 * Release) is fetched first, its Date becomes SOURCE_DATE_EPOCH, and
 * the file apt used is compared with it afterwards, so that the tree
 * named is the one that archive state gives.
 */
#include "knot-internal.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"
#include "http.h"
#include "strbuf.h"
#include "silo/medo.h"
#include "silo/medo-tree.h"
#include "silo/remote.h"
#include "silo/store.h"
#include "silo/tree.h"
#include "silo/treeptr.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* The variants of mmdebstrap(1). */
static const char *const variants[] = {
	"extract", "custom", "essential", "apt", "required", "minbase", "buildd",
	"important", "debootstrap", "standard", NULL
};

static int valid_word(const char *s, const char *extra)
{
	if (!*s || !isalnum((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return 0;
	return 1;
}

/* PACKAGES ("a,b c") as one sorted list without repeats, "a,b,c". */
static int package_list(char **out, const char *packages)
{
	struct strvec words = STRVEC_INIT;
	struct strbuf sb = STRBUF_INIT;
	char *copy, *p;
	size_t i;
	int ret = 0;

	*out = NULL;
	if (!(copy = strdup(packages ? packages : "")))
		return silo__error_oom();
	for (p = copy; *p; p++)
		if (*p == ',')
			*p = ' ';
	if ((ret = knot_strv_split(&words, copy)) < 0)
		goto out;
	for (i = 0; i < words.n; i++)
		if (!valid_word(words.v[i], "+-.") || isupper((unsigned char)words.v[i][0])) {
			ret = silo__error_set(SILO_EINVALID, "'%s' is not the name of a Debian package",
					      words.v[i]);
			goto out;
		}
	if (words.n)
		qsort(words.v, words.n, sizeof(*words.v), knot_cmp_strings);
	for (i = 0; i < words.n && !ret; i++)
		if (!i || strcmp(words.v[i], words.v[i - 1]))
			ret = strbuf_addf(&sb, "%s%s", sb.len ? "," : "", words.v[i]);
	if (!ret && !(ret = strbuf_grow(&sb, 0)))
		*out = strbuf_detach(&sb);
out:
	strbuf_release(&sb);
	strvec_clear(&words);
	free(copy);
	return ret;
}

/* The value of FIELD in the Release file TEXT (its first line), or NULL. */
static char *release_field(const char *text, const char *field)
{
	size_t flen = strlen(field);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, field, flen) && p[flen] == ':') {
			const char *v = p + flen + 1;
			v += strspn(v, " \t");
			return strndup(v, strcspn(v, "\r\n"));
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* A Release file's Date ("Sat, 11 Jul 2026 10:16:37 UTC") as seconds. */
static int release_epoch(long long *out, const char *date)
{
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	end = strptime(date, "%a, %d %b %Y %H:%M:%S", &tm);
	if (!end || (*end && strcmp(end, " UTC") && strcmp(end, " GMT") && strcmp(end, " +0000")))
		return -1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*out = (long long)t;
	return 0;
}

struct release {
	char *url;
	char *text;
	size_t len;
	char sha256[65];
	char *date;
	long long epoch;
};

static void release_free(struct release *r)
{
	free(r->url);
	free(r->text);
	free(r->date);
}

/* The Release file of SUITE at MIRROR: InRelease, else Release. */
static int release_fetch(struct release *r, const char *mirror, const char *suite)
{
	static const char *const names[] = { "InRelease", "Release" };
	enum http_result res = HTTP_FAILED;
	char error[512] = "";
	size_t i;
	int ret;

	for (i = 0; i < 2; i++) {
		free(r->url);
		if (!(r->url = knot_format("%s/dists/%s/%s", mirror, suite, names[i])))
			return silo__error_oom();
		if ((ret = http_get_buffer(r->url, &r->text, &r->len, &res, error, sizeof(error))) < 0)
			return ret;
		if (res != HTTP_NOT_FOUND)
			break;
	}
	if (res == HTTP_NOT_FOUND)
		return silo__error_set(SILO_ENOTFOUND, "the Debian archive '%s' has no suite '%s' "
				       "(no %s): %s", mirror, suite, r->url, error);
	if (res != HTTP_OK)
		return silo__error_set(SILO_ENET, "cannot reach the Debian archive: '%s': %s",
				       r->url, error);
	if ((ret = knot_sha256_hex(r->sha256, r->text, r->len)) < 0)
		return ret;
	if (!(r->date = release_field(r->text, "Date")) || release_epoch(&r->epoch, r->date) < 0)
		return silo__error_set(SILO_ECORRUPT, "'%s': no Date field a base can take its "
				       "time from (%s)", r->url, r->date ? r->date : "missing");
	return 0;
}

/* "mmdebstrap 1.3.5" -> "1.3.5" */
static int mmdebstrap_version(char **out, const char *prog)
{
	static char *const envp[] = { "LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	char *argv[] = { (char *)prog, "--version", NULL }, *text = NULL, *v;
	int fd = -1, status, ret;
	size_t len;

	*out = NULL;
	if ((ret = knot_memfd(&fd)) < 0 || (ret = knot_run(&status, argv, envp, "/", fd, -1)) < 0 ||
	    (ret = knot_read_back(&text, &len, fd)) < 0)
		goto out;
	v = strrchr(text, ' ');
	if (status || !v) {
		ret = silo__error_set(SILO_ERROR, "'%s --version' failed", prog);
		goto out;
	}
	if (!(*out = strndup(v + 1, strcspn(v + 1, "\n"))))
		ret = silo__error_oom();
out:
	if (fd >= 0)
		close(fd);
	free(text);
	return ret;
}

/* The last lines of mmdebstrap's output TEXT that say why it failed. */
static const char *failure_line(const char *text)
{
	const char *p = text, *found = NULL;

	for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, "E: ", 3) && strncmp(p, "E: mmdebstrap failed", 20))
			found = p;
	return found;
}

/* Run mmdebstrap: the tar of the root at WORK/root.tar, the Release
 * file apt used at WORK/release. */
static int run_mmdebstrap(const char *prog, const char *work, const char *suite,
			  const char *variant, const char *packages, const char *mirror,
			  long long epoch)
{
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
	char *text = NULL;
	const char *why;
	size_t len;
	int fd = -1, status, ret;

	if (strchr(work, '\''))
		return silo__error_set(SILO_EINVALID, "'%s': a work directory with a quote", work);
	if ((ret = knot_strv_push(&argv, prog)) < 0 ||
	    (ret = knot_strv_pushf(&argv, "--variant=%s", variant)) < 0 ||
	    (packages[0] && (ret = knot_strv_pushf(&argv, "--include=%s", packages)) < 0) ||
	    (geteuid() != 0 && (ret = knot_strv_push(&argv, "--mode=unshare")) < 0) ||
	    (ret = knot_strv_push(&argv, "--format=tar")) < 0 ||
	    /* devices are bwrap's /dev in the box; a tree holds none */
	    (ret = knot_strv_push(&argv, "--skip=output/dev")) < 0 ||
	    (ret = knot_strv_pushf(&argv, "--extract-hook=for f in \"$1\"/var/lib/apt/lists/"
				   "*_InRelease \"$1\"/var/lib/apt/lists/*_Release; do "
				   "if [ -e \"$f\" ]; then cp \"$f\" '%s/release'; break; fi; done",
				   work)) < 0 ||
	    (ret = knot_strv_push(&argv, suite)) < 0 ||
	    (ret = knot_strv_pushf(&argv, "%s/root.tar", work)) < 0 ||
	    (ret = knot_strv_push(&argv, mirror)) < 0 ||
	    (ret = knot_strv_push(&env, "LC_ALL=C.UTF-8")) < 0 ||
	    (ret = knot_strv_push(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")) < 0 ||
	    (ret = knot_strv_pushf(&env, "SOURCE_DATE_EPOCH=%lld", epoch)) < 0 ||
	    (ret = knot_strv_pushf(&env, "TMPDIR=%s", work)) < 0 ||
	    (ret = knot_strv_pushf(&env, "HOME=%s", work)) < 0)
		goto out;
	if (getenv("http_proxy") && (ret = knot_strv_pushf(&env, "http_proxy=%s", getenv("http_proxy"))) < 0)
		goto out;
	if ((ret = knot_memfd(&fd)) < 0 || (ret = knot_run(&status, argv.v, env.v, work, fd, fd)) < 0 ||
	    (ret = knot_read_back(&text, &len, fd)) < 0)
		goto out;
	if (status) {
		why = failure_line(text);
		ret = silo__error_set(strstr(text, "Temporary failure resolving") ||
				      strstr(text, "Could not connect") || strstr(text, "Failed to fetch")
				      ? SILO_ENET : SILO_ERROR,
				      "mmdebstrap failed with exit status %d: %.*s", status,
				      why ? (int)strcspn(why, "\n") : 40,
				      why ? why : "(no message; its output follows)");
	}
out:
	if (fd >= 0)
		close(fd);
	free(text);
	strvec_clear(&argv);
	strvec_clear(&env);
	return ret;
}

/* Whether the base TP was made from these inputs. */
static int same_inputs(const struct silo_treeptr *tp, const char *suite, const char *variant,
		       const char *packages, const char *mirror)
{
	const char *const want[][2] = {
		{ "suite", suite }, { "variant", variant }, { "packages", packages },
		{ "mirror", mirror },
	};
	size_t i;

	if (!silo_treeptr_provenance(tp, "base-format"))
		return 0;
	for (i = 0; i < sizeof(want) / sizeof(*want); i++) {
		const char *v = silo_treeptr_provenance(tp, want[i][0]);
		if (!v || strcmp(v, want[i][1]))
			return 0;
	}
	return 1;
}

static int set_prov(struct silo_treeptr *tp, const char *key, const char *value)
{
	return silo_treeptr_set_provenance(tp, key, value);
}

int silo_knot_base_make(struct silo_treeptr *out, const char *treeptr_path,
			const struct silo_knot_base_options *o)
{
	struct silo_medo_add_options ao = { 0 };
	struct silo_treeptr tp = SILO_TREEPTR_INIT, old = SILO_TREEPTR_INIT;
	struct silo_knot_platform pl = { 0 };
	struct release rel = { 0 };
	struct silo_fd_reader *reader = NULL;
	const char *variant = o->variant ? o->variant : "minbase";
	const char *mirror = o->mirror ? o->mirror : SILO_KNOT_BASE_MIRROR;
	char *prog = NULL, *version = NULL, *packages = NULL, *tmpdir = NULL, *work = NULL;
	char *path = NULL, *used = NULL, *dir = NULL, *mirror_clean = NULL, epoch[32];
	silo *s = NULL;
	silo_oid tree;
	size_t i, len;
	int ret = 0, fd = -1;

	for (i = 0; variants[i] && strcmp(variants[i], variant); i++)
		;
	if (!variants[i])
		return silo__error_set(SILO_EINVALID, "'%s' is not a variant of mmdebstrap (extract, "
				       "custom, essential, apt, required, minbase, buildd, important, "
				       "debootstrap, standard)", variant);
	if (!valid_word(o->suite, "-._"))
		return silo__error_set(SILO_EINVALID, "'%s' is not the name of a suite", o->suite);
	if (!http_is_url(mirror) || strpbrk(mirror, " \t\n'\""))
		return silo__error_set(SILO_EINVALID, "'%s' is not the URL of a Debian archive", mirror);
	if (!(mirror_clean = strdup(mirror)))
		return silo__error_oom();
	for (len = strlen(mirror_clean); len > 8 && mirror_clean[len - 1] == '/'; len--)
		mirror_clean[len - 1] = '\0';
	if ((ret = package_list(&packages, o->packages)) < 0)
		goto out;
	if ((ret = knot_which(&prog, "mmdebstrap")) < 0) {
		silo__error_wrap("a base is made by mmdebstrap (Debian's package mmdebstrap)");
		goto out;
	}
	if ((ret = mmdebstrap_version(&version, prog)) < 0)
		goto out;
	/* The treeptr's place first: nothing is made for a silo that is not there. */
	if (!(dir = fs_dirname(treeptr_path))) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = fs_mkdir_p(dir, 0777)) < 0 ||
	    (ret = silo_medo_open_writing(&s, treeptr_path, o->silo)) < 0)
		goto out;
	/* A treeptr there that is no base of these inputs is refused before
	 * any work; one that is may name the same tree (checked at the end). */
	ret = silo_treeptr_load(&old, treeptr_path);
	if (ret == SILO_ENOTFOUND) {
		silo_error_clear();
		ret = 0;
	} else if (!o->force && ret < 0) {
		goto out;
	} else if (!o->force && !same_inputs(&old, o->suite, variant, packages, mirror_clean)) {
		ret = silo__error_set(SILO_EEXISTS, "'%s' names another tree (%s); --force replaces it",
				      treeptr_path, silo_treeptr_provenance(&old, "base-format") ?
				      "a base of other inputs" : "not a base");
		goto out;
	}
	ret = 0;
	if ((ret = release_fetch(&rel, mirror_clean, o->suite)) < 0)
		goto out;
	tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : strdup("/tmp");
	if (!tmpdir || !(work = fs_join(tmpdir, "knot-base-XXXXXX"))) {
		ret = silo__error_oom();
		goto out;
	}
	if (!mkdtemp(work)) {
		ret = silo__error_errno("cannot create a work directory in '%s'", tmpdir);
		free(work);
		work = NULL;
		goto out;
	}
	if ((ret = run_mmdebstrap(prog, work, o->suite, variant, packages, mirror_clean, rel.epoch)) < 0)
		goto out;
	/* The archive must not have changed between our look and apt's. */
	free(path);
	if (!(path = fs_join(work, "release"))) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = fs_read_file(&used, &len, path, 64 << 20)) < 0) {
		silo__error_wrap("mmdebstrap left no Release file of '%s'", o->suite);
		goto out;
	}
	{
		char h[65];
		if ((ret = knot_sha256_hex(h, used, len)) < 0)
			goto out;
		if (strcmp(h, rel.sha256)) {
			ret = silo__error_set(SILO_ERROR, "the archive '%s' changed while the base was "
					      "made (its Release file was %s, apt read %s): try again",
					      mirror_clean, rel.sha256, h);
			goto out;
		}
	}
	free(path);
	if (!(path = fs_join(work, "root.tar")) || !(reader = malloc(sizeof(*reader)))) {
		ret = silo__error_oom();
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		ret = silo__error_errno("cannot open '%s'", path);
		goto out;
	}
	reader->fd = fd;
	reader->name = path;
	free(dir);
	if (!(dir = fs_join(work, "root"))) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = silo_tree_extract(&tree, dir, silo_fd_reader_read, reader, "mmdebstrap's tar",
				     silo_object_format(s))) < 0)
		goto out;
	close(fd);
	fd = -1;
	unlink(path);
	if ((ret = knot_platform_of(&pl, dir)) < 0)
		goto out;
	free(path);
	if (!(path = fs_join(work, "base.treeptr"))) {
		ret = silo__error_oom();
		goto out;
	}
	ao.silo = silo_root(s);
	ao.kind = SILO_TREEPTR_TREE;
	ao.force = 1;
	ao.tool = o->tool;
	if ((ret = silo_medo_add(&tp, dir, path, &ao)) < 0)
		goto out;
	snprintf(epoch, sizeof(epoch), "%lld", rel.epoch);
	if ((ret = silo_treeptr_clear_provenance(&tp)) < 0 ||
	    (ret = set_prov(&tp, "base-format", "1")) < 0 ||
	    (ret = set_prov(&tp, "suite", o->suite)) < 0 ||
	    (ret = set_prov(&tp, "variant", variant)) < 0 ||
	    (ret = set_prov(&tp, "packages", packages)) < 0 ||
	    (ret = set_prov(&tp, "mirror", mirror_clean)) < 0 ||
	    (ret = set_prov(&tp, "release", rel.url)) < 0 ||
	    (ret = set_prov(&tp, "release-sha256", rel.sha256)) < 0 ||
	    (ret = set_prov(&tp, "release-date", rel.date)) < 0 ||
	    (ret = set_prov(&tp, "source-date-epoch", epoch)) < 0 ||
	    (ret = set_prov(&tp, "mmdebstrap", version)) < 0)
		goto out;
	{
		char *plat = knot_format("%s %s %s", pl.id, pl.version_id, pl.arch);
		if (!plat) {
			ret = silo__error_oom();
			goto out;
		}
		ret = set_prov(&tp, "platform", plat);
		free(plat);
		if (ret < 0 || (ret = set_prov(&tp, "codename", pl.codename)) < 0 ||
		    (ret = set_prov(&tp, "tool", o->tool ? o->tool : "knot")) < 0)
			goto out;
	}
	if (old.doc && !o->force && !silo_treeptr_same_data(&old, &tp)) {
		ret = silo__error_set(SILO_EEXISTS, "'%s' names another tree, of the archive as its "
				      "Release file %s was; --force replaces it", treeptr_path,
				      silo_treeptr_provenance(&old, "release-sha256"));
		goto out;
	}
	if ((ret = silo_treeptr_save(&tp, treeptr_path)) < 0)
		goto out;
	if (out) {
		*out = tp;
		tp = (struct silo_treeptr)SILO_TREEPTR_INIT;
	}
out:
	if (fd >= 0)
		close(fd);
	if (work) {
		int saved = ret;
		if (silo_tree_remove(work) < 0 && !saved)
			ret = silo__error_wrap("cannot remove '%s'", work);
		else if (saved < 0)
			ret = saved;
	}
	silo_knot_platform_release(&pl);
	silo_treeptr_release(&tp);
	silo_treeptr_release(&old);
	release_free(&rel);
	silo_free(s);
	free(reader);
	free(prog);
	free(version);
	free(packages);
	free(tmpdir);
	free(work);
	free(path);
	free(used);
	free(dir);
	free(mirror_clean);
	return ret;
}

/* ---- a base as the root of boxes ---- */

/* A name the platform puts in a path (<distro>/<codename>). */
static int path_word(const char *s)
{
	return valid_word(s, "-._+~") && strcmp(s, ".") && strcmp(s, "..");
}

/* The os-release of the tree TREEPTR_PATH names, read from the tree:
 * etc/os-release when it is a file, else usr/lib/os-release. */
static int tree_platform(struct silo_knot_platform *out, const char *treeptr_path)
{
	static const char *const paths[] = { "etc/os-release", "usr/lib/os-release" };
	struct silo_medo_tree_node node;
	silo_medo_tree *t = NULL;
	char *text = NULL;
	size_t i, len;
	int fd = -1, ret;

	if ((ret = silo_medo_tree_open(&t, treeptr_path, NULL, NULL, NULL)) < 0)
		return ret;
	for (i = 0; i < 2; i++) {
		ret = silo_medo_tree_lookup(t, paths[i], &node);
		if (ret == 0 && node.mode != SILO_MODE_FILE && node.mode != SILO_MODE_EXEC)
			ret = SILO_ENOTFOUND;
		if (ret != SILO_ENOTFOUND)
			break;
		silo_error_clear();
	}
	if (ret == SILO_ENOTFOUND)
		ret = silo__error_set(SILO_EINVALID, "'%s': the base has no os-release "
				      "(etc/os-release, usr/lib/os-release)", treeptr_path);
	if (ret < 0 || (ret = knot_memfd(&fd)) < 0 ||
	    (ret = silo_medo_tree_cat(t, node.node, fd, paths[i])) < 0 ||
	    (ret = knot_read_back(&text, &len, fd)) < 0)
		goto out;
	if ((ret = knot_platform_parse(out, text)) < 0)
		goto out;
	if (!path_word(out->id) || !path_word(out->codename) || !path_word(out->version_id)) {
		ret = silo__error_set(SILO_EINVALID, "'%s': the base's %s names the platform "
				      "'%s %s %s', which is no name of a directory", treeptr_path,
				      paths[i], out->id, out->version_id, out->codename);
		silo_knot_platform_release(out);
	}
out:
	if (fd >= 0)
		close(fd);
	free(text);
	silo_medo_tree_free(t);
	return ret;
}

int knot_base_open(struct knot_base *b, const char *treeptr_path)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	char *cache = NULL;
	int ret;

	memset(b, 0, sizeof(*b));
	if ((ret = silo_treeptr_load(&tp, treeptr_path)) < 0)
		return silo__error_wrap("the base '%s'", treeptr_path);
	if (!silo_treeptr_is_tree(&tp) || !silo_treeptr_provenance(&tp, "base-format")) {
		ret = silo__error_set(SILO_EINVALID, "'%s' is no base: a base is a tree made by "
				      "knot base (its provenance has no base-format)", treeptr_path);
		goto out;
	}
	if ((ret = tree_platform(&b->platform, treeptr_path)) < 0) {
		silo__error_wrap("the base '%s'", treeptr_path);
		goto out;
	}
	silo_oid_to_hex(b->tree, &tp.tree);
	if (!(b->treeptr = realpath(treeptr_path, NULL))) {
		ret = silo__error_errno("cannot read '%s'", treeptr_path);
		goto out;
	}
	if ((ret = silo_cache_dir(&cache)) < 0)
		goto out;
	if (!(b->dir = knot_format("%s/bases/%s", cache, b->tree))) {
		ret = silo__error_oom();
		goto out;
	}
out:
	free(cache);
	silo_treeptr_release(&tp);
	if (ret < 0)
		knot_base_release(b);
	return ret;
}

int knot_base_expand(struct knot_base *b, const char *silo_option)
{
	struct silo_medo_expand_options eo = { 0 };
	char *parent;
	int ret;

	struct stat st;

	/* The cache holds a base only once it was verified (renamed into
	 * place by medo expand): there, it is used as it is. */
	if (b->expanded || (lstat(b->dir, &st) == 0 && S_ISDIR(st.st_mode))) {
		b->expanded = 1;
		return 0;
	}
	if (!(parent = fs_dirname(b->dir)))
		return silo__error_oom();
	ret = fs_mkdir_p(parent, 0755);
	free(parent);
	eo.silo = silo_option;
	/* A cached base holding the tree is verified and left as it is. */
	if (ret < 0 || (ret = silo_medo_expand(b->treeptr, b->dir, &eo)) < 0)
		return silo__error_wrap("cannot expand the base '%s'", b->treeptr);
	b->expanded = 1;
	return 0;
}

void knot_base_release(struct knot_base *b)
{
	silo_knot_platform_release(&b->platform);
	free(b->treeptr);
	free(b->dir);
	memset(b, 0, sizeof(*b));
}

/* ---- layers: a base and more packages ---- */

int knot_layer_ensure(char **out, const struct knot_base *base, const char *packages,
		      const char *medo_dir, const char *silo_option, const char *tool)
{
	struct silo_knot_base_options o = { 0 };
	struct silo_treeptr bt = SILO_TREEPTR_INIT, lt = SILO_TREEPTR_INIT;
	char *deps = NULL, *all = NULL, *both = NULL, *path = NULL, *text = NULL, hash[65];
	const char *v, *w, *release;
	int ret;

	*out = NULL;
	if ((ret = silo_treeptr_load(&bt, base->treeptr)) < 0 ||
	    (ret = package_list(&deps, packages)) < 0)
		goto out;
	o.suite = silo_treeptr_provenance(&bt, "suite");
	o.variant = silo_treeptr_provenance(&bt, "variant");
	o.mirror = silo_treeptr_provenance(&bt, "mirror");
	release = silo_treeptr_provenance(&bt, "release-sha256");
	if (!o.suite || !o.variant || !o.mirror || !release ||
	    !(v = silo_treeptr_provenance(&bt, "packages"))) {
		ret = silo__error_set(SILO_EINVALID, "'%s': its provenance does not say how it was "
				      "made (suite, variant, mirror, packages, release-sha256): no "
				      "layer can be made of it", base->treeptr);
		goto out;
	}
	if (!(both = knot_format("%s,%s", v, deps)) ||
	    !(text = knot_format("knot-layer 1\nbase %s\npackages %s\n", base->tree, deps))) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = package_list(&all, both)) < 0 || (ret = knot_sha256_hex(hash, text, strlen(text))) < 0)
		goto out;
	if (!(path = knot_format("%s/layers/%s/%s/%.16s" SILO_TREEPTR_SUFFIX, medo_dir,
				 base->platform.id, base->platform.codename, hash))) {
		ret = silo__error_oom();
		goto out;
	}
	/* Made already (by this build or another): used as it is. */
	if (silo_treeptr_load(&lt, path) == 0 && (v = silo_treeptr_provenance(&lt, "layer-base")) &&
	    !strcmp(v, base->tree) && (w = silo_treeptr_provenance(&lt, "layer-packages")) &&
	    !strcmp(w, deps)) {
		*out = path;
		path = NULL;
		goto out;
	}
	silo_error_clear();
	silo_treeptr_release(&lt);
	o.packages = all;
	o.silo = silo_option;
	o.tool = tool;
	o.force = 1;
	if ((ret = silo_knot_base_make(&lt, path, &o)) < 0) {
		silo__error_wrap("cannot make the layer of the base '%s' with %s", base->treeptr, deps);
		goto out;
	}
	/* The same archive as the base's, or the layer would not be that
	 * base and these packages. */
	if (strcmp(silo_treeptr_provenance(&lt, "release-sha256"), release)) {
		unlink(path);
		ret = silo__error_set(SILO_ERROR, "cannot make the layer of the base '%s' with %s: the "
				      "archive %s changed since the base was made (its Release file "
				      "was %s, is %s): make the base again (knot base)",
				      base->treeptr, deps, o.mirror, release,
				      silo_treeptr_provenance(&lt, "release-sha256"));
		goto out;
	}
	if ((ret = silo_treeptr_set_provenance(&lt, "layer-base", base->tree)) < 0 ||
	    (ret = silo_treeptr_set_provenance(&lt, "layer-packages", deps)) < 0 ||
	    (ret = silo_treeptr_save(&lt, path)) < 0)
		goto out;
	*out = path;
	path = NULL;
out:
	silo_treeptr_release(&bt);
	silo_treeptr_release(&lt);
	free(deps);
	free(all);
	free(both);
	free(path);
	free(text);
	return ret;
}
