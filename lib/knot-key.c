/*
 * Sets of tasks (one per recipe and version) and their build keys: a
 * SHA-256 over a text naming everything that goes into a build and
 * nothing about when, where or by whom (Documentation/knot-key.1.scd).
 */
#include "knot-internal.h"
#include "alloc.h"
#include "error-internal.h"
#include "strbuf.h"
#include "silo/tree.h"
#include "silo/treeptr.h"

#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct silo_knot_set {
	char *domain;
	/* where wedges are installed (Documentation/knot-build.1.scd,
	 * --layout): NULL, the default /wedge/<domain>/pkg/<name>/<version>;
	 * the directory holding ~/wedge (a relative wedge goes into
	 * <home>/wedge/<domain>/pkg/<name>/<version>) when home; else the
	 * base of <base>/<name>/<version>, an absolute path */
	char *layout_dir;
	int layout_home;
	char *layout;		/* as silo_knot_set_layout() gives it */
	int unboxed;
	char *derived;		/* from the configuration, or NULL */
	char *silo;		/* from the configuration, or NULL */
	char *recipe_cache;	/* from the configuration, or NULL */
	int recipe_cache_read;
	struct silo_knot_limits limits;
	struct knot_reading reading;	/* how recipes are read: points into the set */
	struct silo_knot_platform platform;
	struct silo_knot_recipe **recipes;
	size_t n_recipes, alloc_recipes;
	struct silo_knot_task **tasks;
	size_t n_tasks, alloc_tasks;
	int keep_going;
	struct silo_knot_absent *absent;
	size_t n_absent, alloc_absent;
	char *base;		/* --base, or NULL */
	struct knot_base **bases;	/* those the tasks name, each read once */
	size_t n_bases, alloc_bases;
};

/* The absolute path P without empty, "." and ".." components, in place:
 * the path a build is told and the key holds is one spelling of the
 * place ("/w/./x/../y//" is "/w/y", "/.." is "/").  ".." is taken
 * lexically, as a shell's cd does. */
static void clean_path(char *p)
{
	size_t i = 0, o = 1;

	while (p[i]) {
		size_t n;
		while (p[i] == '/')
			i++;
		n = strcspn(p + i, "/");
		if (!n || (n == 1 && p[i] == '.')) {
			/* nothing */
		} else if (n == 2 && p[i] == '.' && p[i + 1] == '.') {
			while (o > 1 && p[o - 1] != '/')
				o--;
			if (o > 1)
				o--;
		} else {
			if (o > 1)
				p[o++] = '/';
			memmove(p + o, p + i, n);
			o += n;
		}
		i += n;
	}
	p[0] = '/';
	p[o] = '\0';
}

/* The layout SPEC (NULL: $KNOT_LAYOUT, else "wedge") into SET. */
static int layout_parse(silo_knot_set *set, const char *spec)
{
	const char *home = getenv("HOME");
	char *cwd = NULL;
	int ret = 0;

	if (!spec || !*spec)
		spec = getenv(SILO_KNOT_LAYOUT_ENV);
	if (!spec || !*spec || !strcmp(spec, "wedge"))
		return 0;
	if (!strcmp(spec, "home") || !strncmp(spec, "~/", 2)) {
		if (!home || home[0] != '/')
			return silo__error_set(SILO_EINVALID, "the layout '%s' needs HOME, "
					      "an absolute path, which is %s", spec,
					      home ? home : "not set");
		set->layout_home = !strcmp(spec, "home");
		if (set->layout_home)
			ret = asprintf(&set->layout_dir, "%s", home);
		else
			ret = asprintf(&set->layout_dir, "%s/%s", home, spec + 2);
	} else if (spec[0] == '/') {
		ret = asprintf(&set->layout_dir, "%s", spec);
	} else if (strchr(spec, '/') || !strcmp(spec, ".") || !strcmp(spec, "..")) {
		if (!(cwd = getcwd(NULL, 0)))
			return silo__error_errno("cannot get the current directory");
		ret = asprintf(&set->layout_dir, "%s/%s", cwd, spec);
		free(cwd);
	} else {
		return silo__error_set(SILO_EINVALID, "'%s' is not a layout: wedge, home, or the "
				      "directory of <dir>/<name>/<version> (a path with a '/')", spec);
	}
	if (ret < 0) {
		set->layout_dir = NULL;
		return silo__error_oom();
	}
	/* one spelling of the place: it goes into the key */
	clean_path(set->layout_dir);
	if (strchr(set->layout_dir, '\n'))
		return silo__error_set(SILO_EINVALID, "the layout '%s' holds a newline", spec);
	if (set->layout_home)
		set->layout = strdup("home");
	else
		set->layout = strdup(set->layout_dir);
	return set->layout ? 0 : silo__error_oom();
}

int silo_knot_set_new(silo_knot_set **out, const struct silo_knot_config *cfg)
{
	silo_knot_set *set = calloc(1, sizeof(*set));
	const char *domain = cfg->domain;
	int ret;

	if (!set)
		return silo__error_oom();
	if (!domain || !*domain)
		domain = getenv(SILO_KNOT_DOMAIN_ENV);
	if (!domain || !*domain)
		domain = SILO_KNOT_DEFAULT_DOMAIN;
	if (strchr(domain, '/') || !strcmp(domain, ".") || !strcmp(domain, "..")) {
		free(set);
		return silo__error_set(SILO_EINVALID, "'%s' is not a domain name", domain);
	}
	if ((ret = layout_parse(set, cfg->layout)) < 0) {
		silo_knot_set_free(set);
		return ret;
	}
	set->unboxed = cfg->unboxed;
	set->keep_going = cfg->keep_going;
	/* an absolute path, for the tasks */
	if (cfg->base && !(set->base = realpath(cfg->base, NULL))) {
		ret = silo__error_errno("cannot read the base '%s'", cfg->base);
		silo_knot_set_free(set);
		return ret;
	}
	set->recipe_cache_read = cfg->recipe_cache_read;
	if (cfg->limits) {
		set->limits = *cfg->limits;
	} else {
		silo_knot_limits_default(&set->limits);
		if ((ret = silo_knot_limits_parse(&set->limits, getenv(SILO_KNOT_LIMITS_ENV),
						  SILO_KNOT_LIMITS_ENV)) < 0) {
			free(set);
			return ret;
		}
	}
	set->reading.unboxed = set->unboxed;
	set->reading.limits = &set->limits;
	if (!(set->domain = strdup(domain)) ||
	    (cfg->derived && !(set->derived = strdup(cfg->derived))) ||
	    (cfg->silo && !(set->silo = strdup(cfg->silo))) ||
	    (cfg->recipe_cache && !(set->recipe_cache = strdup(cfg->recipe_cache)))) {
		silo_knot_set_free(set);
		return silo__error_oom();
	}
	if ((ret = silo_knot_platform_detect(&set->platform)) < 0) {
		silo_knot_set_free(set);
		return ret;
	}
	*out = set;
	return 0;
}

static void task_free(struct silo_knot_task *t)
{
	if (!t)
		return;
	free(t->key_text);
	free(t->source_treeptr);
	free(t->deps);
	free(t->wedge_path);
	free(t->derived_medo);
	free(t->derived_treeptr);
	free(t->box);
	free(t->build_deps);
	free(t->missing_build_deps);
	free(t->base);
	free(t);
}

void silo_knot_set_free(silo_knot_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->n_tasks; i++)
		task_free(set->tasks[i]);
	free(set->tasks);
	for (i = 0; i < set->n_recipes; i++) {
		silo_knot_recipe_release(set->recipes[i]);
		free(set->recipes[i]);
	}
	free(set->recipes);
	for (i = 0; i < set->n_absent; i++) {
		free(set->absent[i].dir);
		free(set->absent[i].name);
		free(set->absent[i].version);
		free(set->absent[i].reason);
	}
	free(set->absent);
	for (i = 0; i < set->n_bases; i++) {
		knot_base_release(set->bases[i]);
		free(set->bases[i]);
	}
	free(set->bases);
	free(set->base);
	silo_knot_platform_release(&set->platform);
	free(set->domain);
	free(set->layout_dir);
	free(set->layout);
	free(set->derived);
	free(set->silo);
	free(set->recipe_cache);
	free(set);
}

size_t silo_knot_set_count(const silo_knot_set *set)
{
	return set->n_tasks;
}

struct silo_knot_task *silo_knot_set_task(silo_knot_set *set, size_t i)
{
	return set->tasks[i];
}

size_t silo_knot_set_absent_count(const silo_knot_set *set)
{
	return set->n_absent;
}

const struct silo_knot_absent *silo_knot_set_absent(const silo_knot_set *set, size_t i)
{
	return &set->absent[i];
}

static int add_absent(silo_knot_set *set, int kind, const char *dir, const char *name,
		      const char *version, const char *reason)
{
	struct silo_knot_absent *a;
	size_t i;

	for (i = 0; i < set->n_absent; i++)
		if (!strcmp(set->absent[i].dir, dir) &&
		    !strcmp(set->absent[i].version ? set->absent[i].version : "", version ? version : ""))
			return 0;
	if (ALLOC_GROW(set->absent, set->n_absent + 1, set->alloc_absent) < 0)
		return silo__error_oom();
	a = &set->absent[set->n_absent];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	if (!(a->dir = strdup(dir)) || !(a->name = strdup(name)) ||
	    (version && !(a->version = strdup(version))) || !(a->reason = strdup(reason))) {
		free(a->dir);
		free(a->name);
		free(a->version);
		return silo__error_oom();
	}
	set->n_absent++;
	return 0;
}

const struct silo_knot_platform *silo_knot_set_platform(const silo_knot_set *set)
{
	return &set->platform;
}

static struct silo_knot_recipe *find_recipe(silo_knot_set *set, const char *real_dir)
{
	size_t i;

	for (i = 0; i < set->n_recipes; i++)
		if (!strcmp(set->recipes[i]->dir, real_dir))
			return set->recipes[i];
	return NULL;
}

/* The recipe in DIR, loaded into SET once.  With LENIENT (and the set's
 * keep_going), one that cannot be read is absent: 0 and *out NULL. */
static int load_recipe(struct silo_knot_recipe **out, silo_knot_set *set, const char *dir,
		       const struct knot_sourced *pre, int lenient)
{
	struct silo_knot_recipe *r;
	char *real = realpath(dir, NULL);
	size_t i;
	int ret;

	*out = NULL;
	if (!real)
		return silo__error_errno("cannot read the recipe '%s'", dir);
	r = find_recipe(set, real);
	free(real);
	if (r) {
		*out = r;
		return 0;
	}
	if (!(r = calloc(1, sizeof(*r))))
		return silo__error_oom();
	ret = knot_recipe_load(r, dir, set->recipe_cache, set->recipe_cache_read, pre,
			       &set->reading);
	if (ret == 0 && r->n_problems) {
		struct strbuf sb = STRBUF_INIT;
		for (i = 0; i < r->n_problems; i++)
			if (strbuf_addf(&sb, "%s%s", i ? "; " : "", r->problems[i]) < 0)
				break;
		ret = silo__error_set(SILO_EINVALID, "'%s': %s (see knot validate)", dir,
				      sb.buf ? sb.buf : "invalid");
		strbuf_release(&sb);
		silo_knot_recipe_release(r);
	}
	if (ret < 0) {
		free(r);
		if (ret == SILO_EINVALID && lenient && set->keep_going) {
			const char *base = strrchr(dir, '/');
			return add_absent(set, SILO_KNOT_INVALID, dir, base ? base + 1 : dir, NULL,
					  silo_error_message());
		}
		return ret;
	}
	if (ALLOC_GROW(set->recipes, set->n_recipes + 1, set->alloc_recipes) < 0) {
		silo_knot_recipe_release(r);
		free(r);
		return silo__error_oom();
	}
	set->recipes[set->n_recipes++] = r;
	*out = r;
	return 0;
}

static struct silo_knot_task *find_task(silo_knot_set *set, const struct silo_knot_recipe *r,
					const char *version)
{
	size_t i;

	for (i = 0; i < set->n_tasks; i++)
		if (set->tasks[i]->recipe == r && !strcmp(set->tasks[i]->version, version))
			return set->tasks[i];
	return NULL;
}

/* The index of VERSION in R's list, or SILO_ENOTFOUND naming the versions
 * there are (and USER, who asked for it). */
static int version_index(size_t *out, const struct silo_knot_recipe *r, const char *version,
			 const char *user)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int ret;

	for (i = 0; i < r->n_versions; i++)
		if (!strcmp(r->versions[i], version)) {
			*out = i;
			return 0;
		}
	for (i = 0; i < r->n_versions; i++)
		if (strbuf_addf(&sb, "%s%s", i ? " " : "", r->versions[i]) < 0)
			break;
	ret = silo__error_set(SILO_ENOTFOUND, "%s%sthe recipe '%s' has no version '%s' (it has %s)",
			     user ? user : "", user ? ": " : "", r->dir, version,
			     sb.buf ? sb.buf : "none");
	strbuf_release(&sb);
	return ret;
}

/* The task of version I of R (made once); REQUESTED marks it so. */
static int ensure_task(struct silo_knot_task **out, silo_knot_set *set,
		       const struct silo_knot_recipe *r, size_t i, int requested)
{
	struct silo_knot_task *t = find_task(set, r, r->versions[i]);

	if (!t) {
		if (ALLOC_GROW(set->tasks, set->n_tasks + 1, set->alloc_tasks) < 0 ||
		    !(t = calloc(1, sizeof(*t))))
			return silo__error_oom();
		t->recipe = r;
		t->version = r->versions[i];
		set->tasks[set->n_tasks++] = t;
	}
	t->requested |= requested;
	if (out)
		*out = t;
	return 0;
}

/* SILO_ENOTFOUND: version I of R has no source treeptr. */
static int no_source(const struct silo_knot_recipe *r, size_t i, const char *user)
{
	char *path = silo_knot_recipe_source(r, r->versions[i]);
	int ret;

	if (!path)
		return silo__error_oom();
	ret = silo__error_set(SILO_ENOTFOUND, "%s%s%s/%s: its source treeptr '%s' is missing",
			     user ? user : "", user ? ": " : "", r->name, r->versions[i], path);
	free(path);
	return ret;
}

/* Add the recipe in DIR to SET as asked for: VERSION (NULL: each version
 * whose source is there, the others absent); LENIENT as load_recipe(). */
static int add_recipe(silo_knot_set *set, const char *dir, const char *version,
		      const struct knot_sourced *pre, int lenient)
{
	struct silo_knot_recipe *r;
	size_t i;
	int ret;

	if ((ret = load_recipe(&r, set, dir, pre, lenient)) < 0 || !r)
		return ret;
	if (version) {
		if ((ret = version_index(&i, r, version, NULL)) < 0)
			return ret;
		return r->has_source[i] ? ensure_task(NULL, set, r, i, 1) : no_source(r, i, NULL);
	}
	for (i = 0; i < r->n_versions; i++) {
		if (r->has_source[i]) {
			ret = ensure_task(NULL, set, r, i, 1);
		} else if ((ret = no_source(r, i, NULL)) == SILO_ENOTFOUND) {
			ret = add_absent(set, SILO_KNOT_NO_SOURCE, r->dir, r->name, r->versions[i],
					 silo_error_message());
			silo_error_clear();
		}
		if (ret < 0)
			return ret;
	}
	return 0;
}

int silo_knot_set_add(silo_knot_set *set, const char *path)
{
	struct strvec subs = STRVEC_INIT;
	struct knot_sourced *pre = NULL;
	struct dirent *de;
	size_t i;
	DIR *d;
	int ret = 0;

	if (silo_knot_is_recipe(path))
		return add_recipe(set, path, NULL, NULL, 0);
	if (!knot_is_dir(path)) {
		/* <recipe-dir>/<version> */
		const char *slash = strrchr(path, '/');
		char *dir = slash ? strndup(path, (size_t)(slash - path)) : NULL;
		if (slash && !dir)
			return silo__error_oom();
		if (dir && slash[1] && silo_knot_is_recipe(dir))
			ret = add_recipe(set, dir, slash + 1, NULL, 0);
		else
			ret = silo__error_set(SILO_ENOTFOUND, "'%s' is neither a recipe, nor a version "
					     "of one (<recipe-dir>/<version>), nor a source medo", path);
		free(dir);
		return ret;
	}
	if (!(d = opendir(path)))
		return silo__error_errno("cannot read '%s'", path);
	while ((de = readdir(d))) {
		char *sub;
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&sub, "%s/%s", path, de->d_name) < 0) {
			ret = silo__error_oom();
			break;
		}
		if (silo_knot_is_recipe(sub))
			ret = knot_strv_push(&subs, sub);
		free(sub);
		if (ret < 0)
			break;
	}
	closedir(d);
	if (!ret && !subs.n)
		ret = silo__error_set(SILO_ENOTFOUND,
				      "'%s' is neither a recipe (no WEDGE file) nor a source medo holding recipes",
				      path);
	if (subs.n)
		qsort(subs.v, subs.n, sizeof(*subs.v), knot_cmp_strings);
	/* One bash sources them all, unless the tasks' cache has them. */
	if (!ret && subs.n > 1 && !set->recipe_cache_read) {
		struct strvec real = STRVEC_INIT;
		for (i = 0; !ret && i < subs.n; i++) {
			char *r = realpath(subs.v[i], NULL);
			ret = r ? knot_strv_push(&real, r) : silo__error_errno("cannot read the recipe '%s'", subs.v[i]);
			free(r);
		}
		if (!ret && !(pre = calloc(subs.n, sizeof(*pre))))
			ret = silo__error_oom();
		if (!ret && (ret = knot_recipes_source(pre, real.v, subs.n, &set->reading)) != 0) {
			free(pre);
			pre = NULL;
			ret = ret > 0 ? 0 : ret;
		}
		strvec_clear(&real);
	}
	for (i = 0; !ret && i < subs.n; i++)
		ret = add_recipe(set, subs.v[i], NULL, pre ? &pre[i] : NULL, 1);
	if (pre) {
		knot_sourced_release(pre, subs.n);
		free(pre);
	}
	strvec_clear(&subs);
	return ret;
}

/* ---- keys ---- */

int knot_sha256_hex(char out[65], const void *text, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;

	if (!EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return silo__error_set(SILO_ERROR, "libcrypto: sha256 failed");
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Find (loading as needed) the tasks T depends on. */
static int link_deps(silo_knot_set *set, struct silo_knot_task *t)
{
	const struct silo_knot_recipe *r = t->recipe;
	size_t i;
	int ret;

	if (!r->n_deps)
		return 0;
	if (!(t->deps = calloc(r->n_deps, sizeof(*t->deps))))
		return silo__error_oom();
	for (i = 0; i < r->n_deps; i++) {
		char *name = strdup(r->deps[i]), *version, *dir = NULL;
		struct silo_knot_recipe *dr;

		if (!name)
			return silo__error_oom();
		if ((version = strchr(name, '/')))
			*version++ = '\0';
		if (asprintf(&dir, "%s/%s", r->source_medo, name) < 0) {
			free(name);
			return silo__error_oom();
		}
		if (!silo_knot_is_recipe(dir))
			ret = silo__error_set(SILO_EINVALID,
					     "'%s': dependency '%s' has no recipe '%s'",
					     r->dir, r->deps[i], dir);
		else if ((ret = load_recipe(&dr, set, dir, NULL, 0)) < 0)
			silo__error_wrap("'%s': dependency '%s'", r->dir, r->deps[i]);
		if (!ret && !version && dr->n_versions != 1)
			ret = silo__error_set(SILO_EINVALID,
					      "'%s': dependency '%s': the recipe '%s' has %zu versions; name one as %s/VERSION",
					      r->dir, r->deps[i], dir, dr->n_versions, name);
		else if (!ret && !version)
			version = dr->versions[0];
		if (!ret) {
			char *user = knot_format("'%s': dependency '%s'", r->dir, r->deps[i]);
			size_t vi;
			if (!user)
				ret = silo__error_oom();
			else if ((ret = version_index(&vi, dr, version, user)) == 0)
				ret = dr->has_source[vi] ? ensure_task(&t->deps[i], set, dr, vi, 0)
							 : no_source(dr, vi, user);
			free(user);
			if (ret == SILO_ENOTFOUND) {	/* the recipe is what is wrong */
				char *m = strdup(silo_error_message());
				ret = m ? silo__error_set(SILO_EINVALID, "%s", m) : silo__error_oom();
				free(m);
			}
		}
		free(dir);
		free(name);
		if (ret < 0)
			return ret;
		t->n_deps++;
	}
	return 0;
}

int knot_env_passed(const char *name)
{
	const char *p = getenv(SILO_KNOT_PASS_ENV_ENV);
	size_t n = strlen(name);

	while (p && *p) {
		size_t len;

		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (len == n && !strncmp(p, name, n))
			return 1;
		p += len;
	}
	return 0;
}

const char *knot_env_value(const char *name)
{
	return knot_env_passed(name) ? getenv(name) : NULL;
}

/* The absolute PATH with the symbolic links of its longest existing
 * head resolved (the rest, which does not exist yet, as it is). */
static char *resolved(const char *path)
{
	size_t n = strlen(path);
	char *head, *r = NULL, *out = NULL;

	if (!(head = strdup(path)))
		return NULL;
	while (n > 1 && !(r = realpath(head, NULL))) {
		while (n > 1 && head[n - 1] != '/')
			n--;
		head[n > 1 ? --n : n] = '\0';
	}
	if (!r)
		r = strdup("/");
	if (r && asprintf(&out, "%s%s", strcmp(r, "/") || path[n] != '/' ? r : "",
			  path + n) < 0)
		out = NULL;
	free(head);
	free(r);
	return out;
}

static int path_inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n] || !strcmp(dir, "/"));
}

/* A layout must not put T's wedge into its source medo or its derived
 * medo: installed there, it would change the recipe it was built from
 * (a new key at each build) or the medo knot publishes into. */
static int check_wedge_place(const silo_knot_set *set, const struct silo_knot_task *t)
{
	char *dir = resolved(set->layout_dir), *wedge = NULL, *medo = NULL;
	const char *which = NULL, *rest = t->wedge_path + (strcmp(set->layout_dir, "/") ?
							   strlen(set->layout_dir) : 0);
	int ret = 0;

	if (!dir || asprintf(&wedge, "%s%s", strcmp(dir, "/") ? dir : "", rest) < 0) {
		free(dir);
		return silo__error_oom();
	}
	if (!(medo = resolved(t->recipe->source_medo)))
		ret = silo__error_oom();
	else if (path_inside(wedge, medo))
		which = "source";
	if (!ret && !which) {
		free(medo);
		if (!(medo = resolved(t->derived_medo)))
			ret = silo__error_oom();
		else if (path_inside(wedge, medo))
			which = "derived";
	}
	if (!ret && which)
		ret = silo__error_set(SILO_EINVALID, "the layout '%s' puts %s/%s at '%s', inside the "
				      "%s medo '%s'", set->layout, t->recipe->name, t->version,
				      wedge, which, medo);
	free(dir);
	free(wedge);
	free(medo);
	return ret;
}

/* The base T's box is rooted in: --base, else its recipe's WEDGE_BASE
 * (relative to the recipe directory), else none (the host's system). */
static int resolve_base(silo_knot_set *set, struct silo_knot_task *t)
{
	const struct silo_knot_recipe *r = t->recipe;
	const char *name = set->base ? set->base : r->base;
	struct knot_base *b = NULL;
	char *path, *real;
	size_t i;
	int ret;

	t->platform = &set->platform;
	if (!name)
		return 0;
	if (set->unboxed)
		return silo__error_set(SILO_EINVALID, "recipe '%s': its base '%s' is the root of its "
				       "box, and builds without the box (--unboxed) have none",
				       r->dir, name);
	path = set->base || name[0] == '/' ? strdup(name) : knot_format("%s/%s", r->dir, name);
	if (!path)
		return silo__error_oom();
	if (!(real = realpath(path, NULL))) {
		ret = silo__error_errno("recipe '%s': cannot read its base '%s'", r->dir, path);
		free(path);
		return ret;
	}
	free(path);
	for (i = 0; i < set->n_bases && !b; i++)
		if (!strcmp(set->bases[i]->treeptr, real))
			b = set->bases[i];
	if (!b) {
		if (ALLOC_GROW(set->bases, set->n_bases + 1, set->alloc_bases) < 0 ||
		    !(b = calloc(1, sizeof(*b)))) {
			free(real);
			return silo__error_oom();
		}
		if ((ret = knot_base_open(b, real)) < 0) {
			free(b);
			free(real);
			return silo__error_wrap("recipe '%s'", r->dir);
		}
		set->bases[set->n_bases++] = b;
	}
	free(real);
	if (!(t->base = strdup(b->treeptr)))
		return silo__error_oom();
	memcpy(t->base_tree, b->tree, sizeof(t->base_tree));
	t->platform = &b->platform;
	return 0;
}

static int compute_key(silo_knot_set *set, struct silo_knot_task *t)
{
	const struct silo_knot_recipe *r = t->recipe;
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	const char *base;
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int ret;

	if (r->tree[0])
		memcpy(t->recipe_tree, r->tree, sizeof(t->recipe_tree));
	else if ((ret = knot_recipe_tree_id(t->recipe_tree, r->dir)) < 0)
		return silo__error_wrap("recipe '%s'", r->dir);
	if (r->sourceless) {
		/* an empty source directory */
		strcpy(t->source_object, "none");
		strcpy(t->source_tree, "none");
	} else if (!(t->source_treeptr = silo_knot_recipe_source(r, t->version))) {
		return silo__error_oom();
	} else if ((ret = knot_recipe_own_file(t->source_treeptr)) < 0 ||
		   (ret = silo_treeptr_load(&tp, t->source_treeptr)) < 0) {
		return ret;
	} else {
		silo_oid_to_hex(t->source_object, &tp.object);
		silo_oid_to_hex(t->source_tree, &tp.tree);
		silo_treeptr_release(&tp);
	}
	if ((ret = resolve_base(set, t)) < 0)
		return ret;
	if (!(t->box = knot_box_settings(r, set->unboxed, t->base != NULL)))
		return silo__error_oom();
	/* In a base, the host's packages decide nothing: the build runs in
	 * a layer, the base and these packages (knot-base.c). */
	if (r->n_build_deps && t->base) {
		struct strbuf words = STRBUF_INIT;
		char **sorted = calloc(r->n_build_deps, sizeof(*sorted));
		if (!sorted)
			return silo__error_oom();
		memcpy(sorted, r->build_deps, r->n_build_deps * sizeof(*sorted));
		qsort(sorted, r->n_build_deps, sizeof(*sorted), knot_cmp_strings);
		for (i = 0, ret = 0; !ret && i < r->n_build_deps; i++)
			if (!i || strcmp(sorted[i], sorted[i - 1]))
				ret = strbuf_addf(&words, "%s%s", words.len ? " " : "", sorted[i]);
		free(sorted);
		if (ret < 0) {
			strbuf_release(&words);
			return ret;
		}
		t->build_deps = strbuf_detach(&words);
	} else if (r->n_build_deps &&
	    (ret = knot_package_versions(&t->build_deps, &t->missing_build_deps, r->build_deps,
					 r->n_build_deps)) < 0)
		return silo__error_wrap("recipe '%s'", r->dir);
	/* the layout "/" (a HOME of "/") joins without a slash of its own */
	base = set->layout_dir && strcmp(set->layout_dir, "/") ? set->layout_dir : "";
	if (!set->layout_dir || (set->layout_home && r->is_absolute))
		ret = asprintf(&t->wedge_path, "/wedge/%s/pkg/%s/%s", set->domain, r->name,
			       t->version);
	else if (set->layout_home)
		ret = asprintf(&t->wedge_path, "%s/wedge/%s/pkg/%s/%s", base, set->domain, r->name, t->version);
	else
		ret = asprintf(&t->wedge_path, "%s/%s/%s", base, r->name, t->version);
	if (ret < 0) {
		t->wedge_path = NULL;
		return silo__error_oom();
	}
	t->wedge_path_moved = set->layout_dir && !(set->layout_home && r->is_absolute);
	if (set->derived)
		t->derived_medo = strdup(set->derived);
	else if (asprintf(&t->derived_medo, "%.*s/derived.medo",
			  (int)(strrchr(r->source_medo, '/') - r->source_medo),
			  r->source_medo) < 0)
		t->derived_medo = NULL;
	if (!t->derived_medo)
		return silo__error_oom();
	if (t->wedge_path_moved && (ret = check_wedge_place(set, t)) < 0)
		return ret;
	if (asprintf(&t->derived_treeptr, "%s/%s/%s/%s-%s" SILO_TREEPTR_SUFFIX,
		     t->derived_medo, t->platform->id, t->platform->codename,
		     r->name, t->version) < 0) {
		t->derived_treeptr = NULL;
		return silo__error_oom();
	}

	ret = strbuf_addf(&sb, "knot-key %d\nname %s\nversion %s\ndomain %s\nabsolute %d\n"
			  "recipe-tree %s\nsource-object %s\n",
			  SILO_KNOT_KEY_FORMAT, r->name, t->version, set->domain,
			  r->is_absolute, t->recipe_tree, t->source_object);
	/* where it is built and installed, when not /wedge/<domain>/pkg */
	if (!ret && t->wedge_path_moved)
		ret = strbuf_addf(&sb, "wedge-path %s\n", t->wedge_path);
	for (i = 0; !ret && i < t->n_deps; i++)
		ret = strbuf_addf(&sb, "dep %s/%s %s\n", t->deps[i]->recipe->name,
				  t->deps[i]->version, t->deps[i]->key);
	if (!ret)
		ret = strbuf_addf(&sb, "platform %s %s %s\n", t->platform->id,
				  t->platform->version_id, t->platform->arch);
	if (!ret && t->base)
		ret = strbuf_addf(&sb, "base %s\n", t->base_tree);
	if (!ret)
		ret = strbuf_addf(&sb, "box %s\n", t->box);
	for (i = 0; !ret && knot_base_env[i]; i++)
		ret = strbuf_addf(&sb, "env %s\n", knot_base_env[i]);
	for (i = 0; !ret && i < r->n_env; i++) {
		const char *v = getenv(r->env[i]);
		if (v && !knot_env_passed(r->env[i])) {
			strbuf_release(&sb);
			return silo__error_set(SILO_EINVALID,
					       "recipe %s: WEDGE_ENV asks for %s, which is set here: knot "
					       "passes a variable only when " SILO_KNOT_PASS_ENV_ENV
					       " names it (its value goes into the key, the provenance and "
					       "the build)", r->dir, r->env[i]);
		}
		ret = v ? strbuf_addf(&sb, "declared-env %s=%s\n", r->env[i], v)
			: strbuf_addf(&sb, "declared-env-unset %s\n", r->env[i]);
	}
	/* The host packages the recipe declares, as installed here. */
	if (!ret && t->build_deps)
		ret = strbuf_addf(&sb, t->base ? "layer %s\n" : "build-deps %s\n", t->build_deps);
	if (!ret)
		ret = knot_sha256_hex(t->key, sb.buf, sb.len);
	if (ret < 0) {
		strbuf_release(&sb);
		return ret;
	}
	t->key_text = strbuf_detach(&sb);
	return 0;
}

/* Keys in dependency order; STATE 1 marks a task being keyed.  PATH
 * holds the chain of tasks being keyed, to name a cycle. */
static int key_task(silo_knot_set *set, struct silo_knot_task *t, struct strbuf *path)
{
	size_t i, len = path->len;
	int ret;

	if (t->state == 2)
		return 0;
	if ((ret = strbuf_addf(path, "%s%s/%s", len ? " -> " : "", t->recipe->name,
			       t->version)) < 0)
		return ret;
	if (t->state == 1) {
		char needle[512];
		const char *start;
		snprintf(needle, sizeof(needle), "%s/%s", t->recipe->name, t->version);
		start = strstr(path->buf, needle);
		return silo__error_set(SILO_EINVALID, "'%s': the dependencies form a cycle: %s",
				       t->recipe->dir, start ? start : path->buf);
	}
	t->state = 1;
	for (i = 0; i < t->n_deps; i++)
		if ((ret = key_task(set, t->deps[i], path)) < 0)
			return ret;
	if ((ret = compute_key(set, t)) < 0)
		return ret;
	t->state = 2;
	strbuf_setlen(path, len);
	return 0;
}

/* A task that cannot be built, while resolving. */
#define KNOT_BROKEN 3

/* With keep_going: the tasks whose dependencies cannot be found, and
 * those depending on them, are absent (marked KNOT_BROKEN); drop them. */
static int drop_broken(silo_knot_set *set)
{
	size_t i, j;
	int changed = 1, ret;

	while (changed) {
		changed = 0;
		for (i = 0; i < set->n_tasks; i++) {
			struct silo_knot_task *t = set->tasks[i];
			for (j = 0; t->state != KNOT_BROKEN && j < t->n_deps; j++) {
				if (t->deps[j]->state != KNOT_BROKEN)
					continue;
				silo__error_set(SILO_EINVALID, "'%s': its dependency %s/%s cannot be built",
					       t->recipe->dir, t->deps[j]->recipe->name, t->deps[j]->version);
				if ((ret = add_absent(set, SILO_KNOT_INVALID, t->recipe->dir,
						      t->recipe->name, t->version, silo_error_message())) < 0)
					return ret;
				t->state = KNOT_BROKEN;
				changed = 1;
			}
		}
	}
	for (i = j = 0; i < set->n_tasks; i++) {
		if (set->tasks[i]->state == KNOT_BROKEN)
			task_free(set->tasks[i]);
		else
			set->tasks[j++] = set->tasks[i];
	}
	set->n_tasks = j;
	silo_error_clear();
	return 0;
}

int silo_knot_set_resolve(silo_knot_set *set)
{
	size_t i, n_broken = 0;
	int ret = 0;

	/* The list grows as dependencies are read. */
	for (i = 0; !ret && i < set->n_tasks; i++) {
		struct silo_knot_task *t = set->tasks[i];
		if (t->deps || (ret = link_deps(set, t)) == 0)
			continue;
		if (ret != SILO_EINVALID || !set->keep_going)
			break;
		if (!(ret = add_absent(set, SILO_KNOT_INVALID, t->recipe->dir, t->recipe->name,
				       t->version, silo_error_message()))) {
			t->state = KNOT_BROKEN;
			n_broken++;
		}
	}
	if (!ret && n_broken)
		ret = drop_broken(set);
	if (ret < 0)
		return ret;
	for (i = 0; i < set->n_tasks; i++) {
		struct strbuf path = STRBUF_INIT;
		ret = key_task(set, set->tasks[i], &path);
		strbuf_release(&path);
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < set->n_tasks; i++)
		set->tasks[i]->state = 0;
	return 0;
}

int silo_knot_set_open(silo_knot_set **out, const struct silo_knot_config *cfg,
		       const char *const *paths, size_t n)
{
	silo_knot_set *set;
	size_t i;
	int ret;

	*out = NULL;
	if ((ret = silo_knot_set_new(&set, cfg)) < 0)
		return ret;
	for (i = 0; i < n && !ret; i++)
		ret = silo_knot_set_add(set, paths[i]);
	if (!ret)
		ret = silo_knot_set_resolve(set);
	if (ret < 0) {
		silo_knot_set_free(set);
		return ret;
	}
	*out = set;
	return 0;
}

const char *silo_knot_set_domain(const silo_knot_set *set)
{
	return set->domain;
}

const char *silo_knot_set_layout(const silo_knot_set *set)
{
	return set->layout;
}

const char *silo_knot_set_base(const silo_knot_set *set)
{
	return set->base;
}

const char *silo_knot_set_silo(const silo_knot_set *set)
{
	return set->silo;
}

const struct silo_knot_limits *silo_knot_set_limits(const silo_knot_set *set)
{
	return &set->limits;
}

int silo_knot_published(const struct silo_knot_task *t)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	const char *key;
	int ret;

	ret = silo_treeptr_load(&tp, t->derived_treeptr);
	if (ret == SILO_ENOTFOUND) {
		silo_error_clear();
		return SILO_KNOT_MISSING;
	}
	if (ret < 0)
		return ret;
	key = silo_treeptr_provenance(&tp, "key");
	ret = key && !strcmp(key, t->key) ? SILO_KNOT_PUBLISHED : SILO_KNOT_STALE;
	silo_treeptr_release(&tp);
	return ret;
}
