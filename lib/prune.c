/* Pruning unreferenced loose objects (silo/prune.h). */
#include "silo/prune.h"
#include "alloc.h"
#include "store-internal.h"
#include "repack-internal.h"
#include "error-internal.h"
#include "fsutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int silo_oid_set_add(struct silo_oid_set *set, const silo_oid *id)
{
	if (ALLOC_GROW(set->v, set->n + 1, set->alloc) < 0)
		return silo_error_oom();
	set->v[set->n++] = *id;
	return 0;
}

static int cmp_oid(const void *a, const void *b)
{
	return silo_oid_cmp(a, b);
}

void silo_oid_set_sort(struct silo_oid_set *set)
{
	size_t i, out = 0;

	if (!set->n)
		return;
	qsort(set->v, set->n, sizeof(*set->v), cmp_oid);
	for (i = 1; i < set->n; i++)
		if (!silo_oid_equal(&set->v[out], &set->v[i]))
			set->v[++out] = set->v[i];
	set->n = out + 1;
}

int silo_oid_set_contains(const struct silo_oid_set *set, const silo_oid *id)
{
	return set->n && bsearch(id, set->v, set->n, sizeof(*set->v), cmp_oid) != NULL;
}

void silo_oid_set_release(struct silo_oid_set *set)
{
	free(set->v);
	set->v = NULL;
	set->n = set->alloc = 0;
}

/* An id or "objects/xx/rest.gz" in LINE; 0, or -1 when it is neither. */
static int parse_keep_line(silo_oid *out, int format, const char *line, size_t len)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	size_t hexsz = silo_oid_hexsz(format), i;

	if (len >= 2 && line[0] == '.' && line[1] == '/') {
		line += 2;
		len -= 2;
	}
	if (len == hexsz) {
		memcpy(hex, line, len);
	} else if (len == strlen("objects/xx/") + hexsz - 2 + 3 &&
		   !strncmp(line, "objects/", 8) && line[10] == '/' &&
		   !strncmp(line + len - 3, ".gz", 3)) {
		memcpy(hex, line + 8, 2);
		memcpy(hex + 2, line + 11, hexsz - 2);
	} else {
		return -1;
	}
	hex[hexsz] = '\0';
	for (i = 0; i < hexsz; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return -1;
	return silo_oid_from_hex(out, format, hex) < 0 ? -1 : 0;
}

int silo_oid_set_read(struct silo_oid_set *set, int format, const char *path)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	int is_stdin = !strcmp(path, "-"), ret = 0;

	f = is_stdin ? stdin : fopen(path, "r");
	if (!f)
		return silo_error_errno("cannot open '%s'", path);
	/* Lines end in newline or NUL, so that -z output works too. */
	for (;;) {
		size_t len = 0;
		int c;
		silo_oid id;

		while ((c = getc(f)) != EOF && c != '\n' && c != '\0') {
			if (len + 2 > 4096) {
				ret = silo_error_set(SILO_EINVALID,
					"'%s': line %zu: too long for an id or object path",
					path, lineno + 1);
				goto out;
			}
			if (ALLOC_GROW(line, len + 2, cap) < 0) {
				ret = silo_error_oom();
				goto out;
			}
			line[len++] = (char)c;
		}
		if (c == EOF && len == 0)
			break;
		lineno++;
		if (len == 0)
			continue;
		line[len] = '\0';
		if (parse_keep_line(&id, format, line, len) < 0) {
			ret = silo_error_set(SILO_EINVALID,
				"'%s': line %zu: expected a %s id or an objects/xx/....gz path, not '%.100s'",
				path, lineno, silo_oid_format_name(format), line);
			goto out;
		}
		if ((ret = silo_oid_set_add(set, &id)) < 0)
			goto out;
		if (c == EOF)
			break;
	}
	if (ferror(f))
		ret = silo_error_errno("cannot read '%s'", path);
out:
	free(line);
	if (!is_stdin)
		fclose(f);
	silo_oid_set_sort(set);
	return ret;
}

int silo_prune_parse_age(int64_t *seconds, const char *text)
{
	static const struct { const char *name; int64_t secs; } units[] = {
		{ "second", 1 }, { "minute", 60 }, { "hour", 3600 },
		{ "day", 86400 }, { "week", 7 * 86400 }, { "month", 30 * 86400 },
		{ "year", 365 * 86400 },
	};
	const char *p = text;
	char *end;
	unsigned long long n;
	size_t i, ulen;

	if (!strcmp(text, "now")) {
		*seconds = 0;
		return 0;
	}
	if (!strcmp(text, "never")) {
		*seconds = INT64_MAX;
		return 0;
	}
	if (*p < '0' || *p > '9')
		goto bad;
	errno = 0;
	n = strtoull(p, &end, 10);
	if (errno || n > (unsigned long long)INT64_MAX)
		goto bad;
	if (!*end) {
		*seconds = (int64_t)n;
		return 0;
	}
	if (*end != '.')
		goto bad;
	p = end + 1;
	for (i = 0; i < sizeof(units) / sizeof(*units); i++) {
		ulen = strlen(units[i].name);
		if (strncmp(p, units[i].name, ulen))
			continue;
		end = (char *)p + ulen;
		if (*end == 's')
			end++;
		if (*end && strcmp(end, ".ago"))
			continue;
		if (n > (unsigned long long)(INT64_MAX / units[i].secs))
			goto bad;
		*seconds = (int64_t)n * units[i].secs;
		return 0;
	}
bad:
	return silo_error_set(SILO_EINVALID,
		"'%s' is not an age: expected seconds, 'now', 'never' or <n>.<unit> "
		"such as '2.weeks' or '3.days'", text);
}

int silo_prune(struct silo_prune_result *result, silo *s,
	       const struct silo_oid_set *keep_list,
	       const struct silo_prune_options *opts)
{
	struct silo_oid_set closure = SILO_OID_SET_INIT;
	const struct silo_oid_set *keep = &closure;
	struct loose_entry *v;
	size_t n, i;
	int ret;

	memset(result, 0, sizeof(*result));
	/* A kept tree keeps every object below it. */
	if ((ret = prune_keep_closure(&closure, s, keep_list)) < 0 ||
	    (ret = loose_scan(&v, &n, s)) < 0) {
		silo_oid_set_release(&closure);
		return ret;
	}
	for (i = 0; i < n && !ret; i++) {
		struct loose_entry *e = &v[i];
		struct stat st;
		char *path;
		int what;

		if (e->kind == LOOSE_STRAY)
			continue;	/* not ours to remove; verify names them */
		if (e->kind == LOOSE_OBJECT && silo_oid_set_contains(keep, &e->id)) {
			result->kept++;
			continue;
		}
		what = e->kind == LOOSE_OBJECT ? SILO_PRUNE_OBJECT : SILO_PRUNE_TEMP;
		if (!(path = fs_join(s->root, e->relpath))) {
			ret = silo_error_oom();
			break;
		}
		if (lstat(path, &st) < 0) {
			/* Removed by someone else meanwhile: fine. */
			if (errno != ENOENT)
				ret = silo_error_errno("cannot stat '%s'", path);
			free(path);
			continue;
		}
		if (st.st_mtime >= opts->expire) {
			if (what == SILO_PRUNE_OBJECT)
				result->young++;
			free(path);
			continue;
		}
		if (!opts->dry_run && unlink(path) < 0 && errno != ENOENT) {
			ret = silo_error_errno("cannot remove '%s'", path);
			free(path);
			break;
		}
		free(path);
		if (what == SILO_PRUNE_OBJECT)
			result->removed++;
		else
			result->temps++;
		result->bytes += (uint64_t)st.st_size;
		if (opts->on_remove)
			opts->on_remove(opts->payload, what, e->relpath);
	}
	loose_entries_free(v, n);
	if (!ret)
		ret = prune_packs(result, s, keep, opts);
	if (!ret)
		result->objects_before += result->kept + result->young + result->removed;
	silo_oid_set_release(&closure);
	return ret;
}
