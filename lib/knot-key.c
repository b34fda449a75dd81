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

struct silo_knot_set {
	char *domain;
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
};

int silo_knot_set_new(silo_knot_set **out, const struct silo_knot_config *cfg)
{
	silo_knot_set *set = calloc(1, sizeof(*set));
	const char *domain = cfg->domain;
	int ret;

	if (!set)
		return silo_error_oom();
	if (!domain || !*domain)
		domain = getenv(SILO_KNOT_DOMAIN_ENV);
	if (!domain || !*domain)
		domain = SILO_KNOT_DEFAULT_DOMAIN;
	if (strchr(domain, '/') || !strcmp(domain, ".") || !strcmp(domain, "..")) {
		free(set);
		return silo_error_set(SILO_EINVALID, "'%s' is not a domain name", domain);
	}
	set->unboxed = cfg->unboxed;
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
		return silo_error_oom();
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
	silo_knot_platform_release(&set->platform);
	free(set->domain);
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

/* Load the recipe in DIR into SET (once); its tasks are marked
 * requested when REQUESTED. */
static int add_recipe(struct silo_knot_recipe **out, silo_knot_set *set, const char *dir,
		      int requested, const struct knot_sourced *pre)
{
	struct silo_knot_recipe *r;
	char *real = realpath(dir, NULL);
	size_t i;
	int ret;

	if (!real)
		return silo_error_errno("cannot read the recipe '%s'", dir);
	r = find_recipe(set, real);
	free(real);
	if (r) {
		for (i = 0; i < set->n_tasks; i++)
			if (set->tasks[i]->recipe == r && requested)
				set->tasks[i]->requested = 1;
		if (out)
			*out = r;
		return 0;
	}
	if (!(r = calloc(1, sizeof(*r))))
		return silo_error_oom();
	if ((ret = knot_recipe_load(r, dir, set->recipe_cache, set->recipe_cache_read, pre,
				    &set->reading)) < 0) {
		free(r);
		return ret;
	}
	if (r->n_problems) {
		struct strbuf sb = STRBUF_INIT;
		for (i = 0; i < r->n_problems; i++)
			if (strbuf_addf(&sb, "%s%s", i ? "; " : "", r->problems[i]) < 0)
				break;
		ret = silo_error_set(SILO_EINVALID, "'%s': %s (see knot validate)", dir,
				     sb.buf ? sb.buf : "invalid");
		strbuf_release(&sb);
		silo_knot_recipe_release(r);
		free(r);
		return ret;
	}
	if (ALLOC_GROW(set->recipes, set->n_recipes + 1, set->alloc_recipes) < 0) {
		silo_knot_recipe_release(r);
		free(r);
		return silo_error_oom();
	}
	set->recipes[set->n_recipes++] = r;
	if (ALLOC_GROW(set->tasks, set->n_tasks + r->n_versions, set->alloc_tasks) < 0)
		return silo_error_oom();
	for (i = 0; i < r->n_versions; i++) {
		struct silo_knot_task *t = calloc(1, sizeof(*t));
		if (!t)
			return silo_error_oom();
		t->recipe = r;
		t->version = r->versions[i];
		t->requested = requested;
		set->tasks[set->n_tasks++] = t;
	}
	if (out)
		*out = r;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int silo_knot_set_add(silo_knot_set *set, const char *path)
{
	struct knot_strv subs = KNOT_STRV_INIT;
	struct knot_sourced *pre = NULL;
	struct dirent *de;
	size_t i;
	DIR *d;
	int ret = 0;

	if (silo_knot_is_recipe(path))
		return add_recipe(NULL, set, path, 1, NULL);
	if (!(d = opendir(path)))
		return silo_error_errno("cannot read '%s'", path);
	while ((de = readdir(d))) {
		char *sub;
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&sub, "%s/%s", path, de->d_name) < 0) {
			ret = silo_error_oom();
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
		ret = silo_error_set(SILO_ENOTFOUND,
				     "'%s' is neither a recipe (no WEDGE file) nor a source medo holding recipes",
				     path);
	if (subs.n)
		qsort(subs.v, subs.n, sizeof(*subs.v), cmp_names);
	/* One bash sources them all, unless the tasks' cache has them. */
	if (!ret && subs.n > 1 && !set->recipe_cache_read) {
		struct knot_strv real = KNOT_STRV_INIT;
		for (i = 0; !ret && i < subs.n; i++) {
			char *r = realpath(subs.v[i], NULL);
			ret = r ? knot_strv_push(&real, r) : silo_error_errno("cannot read the recipe '%s'", subs.v[i]);
			free(r);
		}
		if (!ret && !(pre = calloc(subs.n, sizeof(*pre))))
			ret = silo_error_oom();
		if (!ret && (ret = knot_recipes_source(pre, real.v, subs.n, &set->reading)) != 0) {
			free(pre);
			pre = NULL;
			ret = ret > 0 ? 0 : ret;
		}
		knot_strv_clear(&real);
	}
	for (i = 0; !ret && i < subs.n; i++)
		ret = add_recipe(NULL, set, subs.v[i], 1, pre ? &pre[i] : NULL);
	if (pre) {
		knot_sourced_release(pre, subs.n);
		free(pre);
	}
	knot_strv_clear(&subs);
	return ret;
}

/* ---- keys ---- */

static int sha256_hex(char out[65], const char *text, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;

	if (!EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return silo_error_set(SILO_ERROR, "libcrypto: sha256 failed");
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
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

/* Find (loading as needed) the tasks T depends on. */
static int link_deps(silo_knot_set *set, struct silo_knot_task *t)
{
	const struct silo_knot_recipe *r = t->recipe;
	size_t i;
	int ret;

	if (!r->n_deps)
		return 0;
	if (!(t->deps = calloc(r->n_deps, sizeof(*t->deps))))
		return silo_error_oom();
	for (i = 0; i < r->n_deps; i++) {
		char *name = strdup(r->deps[i]), *version, *dir = NULL;
		struct silo_knot_recipe *dr;

		if (!name)
			return silo_error_oom();
		if ((version = strchr(name, '/')))
			*version++ = '\0';
		if (asprintf(&dir, "%s/%s", r->source_medo, name) < 0) {
			free(name);
			return silo_error_oom();
		}
		if (!silo_knot_is_recipe(dir))
			ret = silo_error_set(SILO_EINVALID,
					     "'%s': dependency '%s' has no recipe '%s'",
					     r->dir, r->deps[i], dir);
		else
			ret = add_recipe(&dr, set, dir, 0, NULL);
		if (!ret && !version && dr->n_versions != 1)
			ret = silo_error_set(SILO_EINVALID,
					     "'%s': dependency '%s': the recipe '%s' has %zu versions; name one as %s/VERSION",
					     r->dir, r->deps[i], dir, dr->n_versions, name);
		else if (!ret && !version)
			version = dr->versions[0];
		if (!ret && !(t->deps[i] = find_task(set, dr, version)))
			ret = silo_error_set(SILO_EINVALID,
					     "'%s': dependency '%s': the recipe '%s' has no version '%s'",
					     r->dir, r->deps[i], dir, version);
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

static int compute_key(silo_knot_set *set, struct silo_knot_task *t)
{
	const struct silo_knot_recipe *r = t->recipe;
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int ret;

	if (r->tree[0])
		memcpy(t->recipe_tree, r->tree, sizeof(t->recipe_tree));
	else if ((ret = knot_recipe_tree_id(t->recipe_tree, r->dir)) < 0)
		return silo_error_wrap("recipe '%s'", r->dir);
	if (!(t->source_treeptr = silo_knot_recipe_source(r, t->version)))
		return silo_error_oom();
	if ((ret = knot_recipe_own_file(t->source_treeptr)) < 0 ||
	    (ret = silo_treeptr_load(&tp, t->source_treeptr)) < 0)
		return ret;
	silo_oid_to_hex(t->source_object, &tp.object);
	silo_oid_to_hex(t->source_tree, &tp.tree);
	silo_treeptr_release(&tp);
	if (!(t->box = knot_box_settings(r, set->unboxed)))
		return silo_error_oom();
	if (asprintf(&t->wedge_path, "/wedge/%s/pkg/%s/%s", set->domain, r->name, t->version) < 0) {
		t->wedge_path = NULL;
		return silo_error_oom();
	}
	if (set->derived)
		t->derived_medo = strdup(set->derived);
	else if (asprintf(&t->derived_medo, "%.*s/derived.medo",
			  (int)(strrchr(r->source_medo, '/') - r->source_medo),
			  r->source_medo) < 0)
		t->derived_medo = NULL;
	if (!t->derived_medo)
		return silo_error_oom();
	if (asprintf(&t->derived_treeptr, "%s/%s/%s/%s-%s" SILO_TREEPTR_SUFFIX,
		     t->derived_medo, set->platform.id, set->platform.codename,
		     r->name, t->version) < 0) {
		t->derived_treeptr = NULL;
		return silo_error_oom();
	}

	ret = strbuf_addf(&sb, "knot-key %d\nname %s\nversion %s\ndomain %s\nabsolute %d\n"
			  "recipe-tree %s\nsource-object %s\n",
			  SILO_KNOT_KEY_FORMAT, r->name, t->version, set->domain,
			  r->is_absolute, t->recipe_tree, t->source_object);
	for (i = 0; !ret && i < t->n_deps; i++)
		ret = strbuf_addf(&sb, "dep %s/%s %s\n", t->deps[i]->recipe->name,
				  t->deps[i]->version, t->deps[i]->key);
	if (!ret)
		ret = strbuf_addf(&sb, "platform %s %s %s\nbox %s\n", set->platform.id,
				  set->platform.version_id, set->platform.arch, t->box);
	for (i = 0; !ret && knot_base_env[i]; i++)
		ret = strbuf_addf(&sb, "env %s\n", knot_base_env[i]);
	for (i = 0; !ret && i < r->n_env; i++) {
		const char *v = getenv(r->env[i]);
		if (v && !knot_env_passed(r->env[i])) {
			strbuf_release(&sb);
			return silo_error_set(SILO_EINVALID,
					      "recipe %s: WEDGE_ENV asks for %s, which is set here: knot "
					      "passes a variable only when " SILO_KNOT_PASS_ENV_ENV
					      " names it (its value goes into the key, the provenance and "
					      "the build)", r->dir, r->env[i]);
		}
		ret = v ? strbuf_addf(&sb, "declared-env %s=%s\n", r->env[i], v)
			: strbuf_addf(&sb, "declared-env-unset %s\n", r->env[i]);
	}
	if (!ret)
		ret = sha256_hex(t->key, sb.buf, sb.len);
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
		return silo_error_set(SILO_EINVALID, "'%s': the dependencies form a cycle: %s",
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

int silo_knot_set_resolve(silo_knot_set *set)
{
	size_t i;
	int ret;

	/* The list grows as dependencies are read. */
	for (i = 0; i < set->n_tasks; i++)
		if (!set->tasks[i]->deps && (ret = link_deps(set, set->tasks[i])) < 0)
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
