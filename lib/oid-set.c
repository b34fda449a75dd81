/* A sorted set of ids (silo/oid-set.h), and reading one from a file. */
#include "silo/oid-set.h"
#include "alloc.h"
#include "error-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int silo_oid_set_add(struct silo_oid_set *set, const silo_oid *id)
{
	if (ALLOC_GROW(set->v, set->n + 1, set->alloc) < 0)
		return silo__error_oom();
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
		return silo__error_errno("cannot open '%s'", path);
	/* Lines end in newline or NUL, so that -z output works too. */
	for (;;) {
		size_t len = 0;
		int c;
		silo_oid id;

		while ((c = getc(f)) != EOF && c != '\n' && c != '\0') {
			if (len + 2 > 4096) {
				ret = silo__error_set(SILO_EINVALID,
					"'%s': line %zu: too long for an id or object path",
					path, lineno + 1);
				goto out;
			}
			if (ALLOC_GROW(line, len + 2, cap) < 0) {
				ret = silo__error_oom();
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
			ret = silo__error_set(SILO_EINVALID,
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
		ret = silo__error_errno("cannot read '%s'", path);
out:
	free(line);
	if (!is_stdin)
		fclose(f);
	silo_oid_set_sort(set);
	return ret;
}
