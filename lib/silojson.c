/* SILO.json: finding, reading and resolving it (silo/silojson.h). */
#include "silo/silojson.h"
#include "alloc.h"
#include "error-internal.h"
#include "hex.h"
#include "http.h"
#include "strbuf.h"
#include "fsutil.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SILOJSON_MAX_BYTES (1024 * 1024)

void silo_silojson_release(struct silo_silojson *sj)
{
	size_t i;

	for (i = 0; i < sj->n; i++) {
		free(sj->v[i].spec);
		free(sj->v[i].location);
	}
	free(sj->v);
	free(sj->path);
	memset(sj, 0, sizeof(*sj));
}

/* A directory, not a symlink, or nothing at all (a directory of an
 * older commit, gone from the work tree: the text is all there is). */
static int is_real_dir(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT;
	return S_ISDIR(st.st_mode);
}

/*
 * Tidy PATH: drop "." components and empty ones, and fold "x/.." when x
 * is a real directory or does not exist, not a symlink (through a
 * symlink, ".." leads elsewhere than the text says, so it is left alone).
 */
static char *normalize_path(const char *path)
{
	struct strbuf out = STRBUF_INIT;
	size_t *starts = NULL, n = 0, alloc = 0;	/* where kept components start */
	size_t root = path[0] == '/' ? 1 : 0;
	const char *p = path;

	if (root && strbuf_addch(&out, '/') < 0)
		goto oom;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		int dotdot = len == 2 && p[0] == '.' && p[1] == '.';

		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* nothing */
		} else if (dotdot && n == 0 && root) {
			/* "/.." is "/" */
		} else if (dotdot && n > 0 && strcmp(out.buf + starts[n - 1], "..") &&
			   is_real_dir(out.buf)) {
			n--;
			strbuf_setlen(&out, starts[n] > root ? starts[n] - 1 : root);
		} else {
			if (ALLOC_GROW(starts, n + 1, alloc) < 0)
				goto oom;
			if (out.len > root && strbuf_addch(&out, '/') < 0)
				goto oom;
			starts[n++] = out.len;
			if (strbuf_add(&out, p, len) < 0)
				goto oom;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	free(starts);
	if (!out.len && strbuf_addch(&out, '.') < 0)
		goto oom;
	return strbuf_detach(&out);
oom:
	free(starts);
	strbuf_release(&out);
	return NULL;
}

/* The local path of a file:// URL, percent-decoded; NULL if not one. */
static int file_url_path(char **out, const char *url, const char *name)
{
	const char *p = url + strlen("file://");
	struct strbuf sb = STRBUF_INIT;

	*out = NULL;
	if (!strncmp(p, "localhost/", 10))
		p += 9;
	if (*p != '/')
		return silo__error_set(SILO_EINVALID,
			"'%s': silo '%s': expected file:///absolute/path", name, url);
	for (; *p; p++) {
		if (*p == '%') {
			int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				strbuf_release(&sb);
				return silo__error_set(SILO_EINVALID,
					"'%s': silo '%s': bad percent escape", name, url);
			}
			if (strbuf_addch(&sb, (char)(hi * 16 + lo)) < 0)
				goto oom;
			p += 2;
		} else if (strbuf_addch(&sb, *p) < 0) {
			goto oom;
		}
	}
	*out = strbuf_detach(&sb);
	return 0;
oom:
	strbuf_release(&sb);
	return silo__error_oom();
}

/* Fill E from SPEC; BASE is the directory relative paths start from. */
static int resolve_entry(struct silo_silojson_entry *e, const char *spec,
			 const char *base, const char *name)
{
	memset(e, 0, sizeof(*e));
	if (!(e->spec = strdup(spec)))
		return silo__error_oom();
	if (!strncmp(spec, "http://", 7) || !strncmp(spec, "https://", 8) ||
	    !strncmp(spec, "s3://", 5)) {
		/* Not named: the message would show the password. */
		if (http_url_has_credentials(spec))
			return silo__error_set(SILO_EINVALID, "'%s': field 'silos': a URL may not "
					       "hold credentials: put them in ~/.netrc, or "
					       "SILO_HTTP_USER and SILO_HTTP_PASSWORD (for s3://, "
					       "the AWS_* variables)", name);
		e->kind = SILO_SILOJSON_HTTP;
		e->location = strdup(spec);
		return e->location ? 0 : silo__error_oom();
	}
	e->kind = SILO_SILOJSON_LOCAL;
	if (!strncmp(spec, "file://", 7)) {
		char *path;
		int ret = file_url_path(&path, spec, name);
		if (ret < 0)
			return ret;
		e->location = normalize_path(path);
		free(path);
	} else if (strstr(spec, "://")) {
		return silo__error_set(SILO_EINVALID,
			"'%s': field 'silos': '%s' is not a path or an http://, https://, s3:// or file:// URL",
			name, spec);
	} else if (!*spec) {
		return silo__error_set(SILO_EINVALID,
			"'%s': field 'silos': expected a path or URL, not an empty string", name);
	} else if (spec[0] == '/' || !base) {
		e->location = normalize_path(spec);
	} else {
		char *joined = fs_join(base, spec);
		if (!joined)
			return silo__error_oom();
		e->location = normalize_path(joined);
		free(joined);
	}
	return e->location ? 0 : silo__error_oom();
}

int silo_silojson_load(struct silo_silojson *out, const char *path)
{
	char *text = NULL;
	size_t len;
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = fs_read_file(&text, &len, path, SILOJSON_MAX_BYTES)) < 0)
		return ret;
	ret = silo_silojson_parse(out, text, len, path);
	free(text);
	return ret;
}

int silo_silojson_parse(struct silo_silojson *out, const char *text, size_t len,
			const char *path)
{
	json_error_t jerr;
	json_t *doc = NULL, *silos;
	char *dir = NULL;
	size_t i;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (len > SILOJSON_MAX_BYTES)
		return silo__error_set(SILO_EINVALID, "'%s' is too large: more than %d bytes",
				       path, SILOJSON_MAX_BYTES);
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return silo__error_set(SILO_EINVALID, "'%s': not valid JSON: line %d: %s",
				       path, jerr.line, jerr.text);
	if (!json_is_object(doc)) {
		ret = silo__error_set(SILO_EINVALID, "'%s': expected a JSON object", path);
		goto out;
	}
	silos = json_object_get(doc, "silos");
	if (!json_is_array(silos) || !json_array_size(silos)) {
		ret = silo__error_set(SILO_EINVALID,
			"'%s': %s field 'silos': expected a non-empty array of paths and URLs",
			path, silos ? "bad" : "missing");
		goto out;
	}
	if (!(out->path = strdup(path)) || !(dir = fs_dirname(path)) ||
	    !(out->v = calloc(json_array_size(silos), sizeof(*out->v)))) {
		ret = silo__error_oom();
		goto out;
	}
	for (i = 0; i < json_array_size(silos); i++) {
		json_t *s = json_array_get(silos, i);
		if (!json_is_string(s)) {
			ret = silo__error_set(SILO_EINVALID,
				"'%s': field 'silos': entry %zu: expected a string (a path or URL)",
				path, i + 1);
			goto out;
		}
		out->n++;
		if ((ret = resolve_entry(&out->v[i], json_string_value(s), dir, path)) < 0)
			goto out;
	}
out:
	free(dir);
	json_decref(doc);
	if (ret < 0)
		silo_silojson_release(out);
	return ret;
}

int silo_silojson_from_option(struct silo_silojson *out, const char *spec)
{
	int ret;

	memset(out, 0, sizeof(*out));
	if (!(out->v = calloc(1, sizeof(*out->v))))
		return silo__error_oom();
	out->n = 1;
	if ((ret = resolve_entry(&out->v[0], spec, NULL, "--silo")) < 0)
		silo_silojson_release(out);
	return ret;
}

/* 1 if the last component of PATH ends in ".medo". */
static int is_medo_root(const char *path)
{
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	return len > 5 && !strncmp(path + len - 5, ".medo", 5) &&
	       (len == 5 || path[len - 6] != '/');
}

int silo_silojson_for(struct silo_silojson *out, const char *start)
{
	struct stat st;
	char *dir, *real;
	int depth, ret;

	memset(out, 0, sizeof(*out));
	if (stat(start, &st) == 0 && S_ISDIR(st.st_mode))
		dir = normalize_path(start);
	else {
		char *d = fs_dirname(start);
		dir = d ? normalize_path(d) : NULL;
		free(d);
	}
	if (!dir)
		return silo__error_oom();
	for (depth = 0; depth < 256; depth++) {
		char *candidate = fs_join(dir, SILO_SILOJSON_NAME), *git, *up;
		int top;

		if (!candidate) {
			free(dir);
			return silo__error_oom();
		}
		if (access(candidate, F_OK) == 0) {
			char *shown = normalize_path(candidate);
			free(candidate);
			free(dir);
			if (!shown)
				return silo__error_oom();
			ret = silo_silojson_load(out, shown);
			free(shown);
			return ret;
		}
		free(candidate);
		git = fs_join(dir, ".git");
		real = realpath(dir, NULL);
		/* The search stays within the medo tree: it ends at the
		 * directory named *.medo (the BRIEF's rule), and failing that
		 * at the top of a git work tree or at /, so that a SILO.json
		 * planted above cannot redirect reads and writes. */
		top = (git && access(git, F_OK) == 0) || !real || !strcmp(real, "/") ||
		      is_medo_root(real);
		free(git);
		free(real);
		if (top)
			break;
		up = fs_join(dir, "..");
		free(dir);
		dir = up ? normalize_path(up) : NULL;
		free(up);
		if (!dir)
			return silo__error_oom();
	}
	free(dir);
	return silo__error_set(SILO_ENOTFOUND,
		"no %s found for '%s' in its directory or above", SILO_SILOJSON_NAME, start);
}
