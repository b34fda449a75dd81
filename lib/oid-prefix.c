/* Ids from abbreviations: a unique prefix of an object's id (see
 * silo/oid-prefix.h). */
#include "silo/oid-prefix.h"
#include "silo/store.h"
#include "store-internal.h"
#include "pack.h"
#include "source.h"
#include "byteorder.h"
#include "error-internal.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct matches {
	const char *prefix;	/* lowercase */
	size_t len;
	silo_oid found[2];	/* the first two distinct ids */
	size_t n;		/* ids found (one found twice may count twice
				 * after the first two) */
};

static void add_match(struct matches *m, const silo_oid *id)
{
	size_t i;

	for (i = 0; i < m->n && i < 2; i++)
		if (silo_oid_equal(&m->found[i], id))
			return;
	if (m->n < 2)
		m->found[m->n] = *id;
	m->n++;
}

/* Loose objects: objects/<first two digits>/<rest>.gz. */
static int scan_loose(struct matches *m, silo *s, int format)
{
	char sub[3] = { m->prefix[0], m->prefix[1], 0 };
	char *dir = fs_join(s->objects_dir, sub);
	size_t hexsz = silo_oid_hexsz(format);
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (!dir)
		return silo__error_oom();
	if (!(d = opendir(dir))) {
		ret = errno == ENOENT ? 0 : silo__error_errno("cannot read directory '%s'", dir);
		free(dir);
		return ret;
	}
	while ((errno = 0, de = readdir(d))) {
		char hex[SILO_OID_MAX_HEXSZ + 1];
		silo_oid id;

		if (strlen(de->d_name) != hexsz - 2 + 3 ||
		    strcmp(de->d_name + hexsz - 2, ".gz") ||
		    strncmp(de->d_name, m->prefix + 2, m->len - 2))
			continue;
		memcpy(hex, sub, 2);
		memcpy(hex + 2, de->d_name, hexsz - 2);
		hex[hexsz] = '\0';
		if (silo_oid_from_hex(&id, format, hex) < 0) {
			silo_error_clear();
			continue;
		}
		add_match(m, &id);
	}
	if (errno)
		ret = silo__error_errno("cannot read directory '%s'", dir);
	closedir(d);
	free(dir);
	return ret;
}

/* Packs: the ids in the index bucket of the first byte. */
static int scan_packs(struct matches *m, silo *s)
{
	char sub[3] = { m->prefix[0], m->prefix[1], 0 };
	unsigned first = (unsigned)strtoul(sub, NULL, 16);
	size_t i;
	int ret;

	if ((ret = pack_set_load(s->packs, 0)) < 0)
		return ret;
	for (i = 0; i < s->packs->n; i++) {
		const struct pack *p = s->packs->v[i];
		const unsigned char *fan = p->idx + 8;
		uint32_t lo = first ? get_be32(fan + 4 * (first - 1)) : 0;
		uint32_t hi = get_be32(fan + 4 * first);

		for (; lo < hi && lo < p->nr; lo++) {
			char hex[SILO_OID_MAX_HEXSZ + 1];
			silo_oid id;

			pack_oid_at(p, lo, &id);
			if (!strncmp(silo_oid_to_hex(hex, &id), m->prefix, m->len))
				add_match(m, &id);
		}
	}
	return 0;
}

int silo_resolve_id(silo_oid *out, silo *s, const char *hex)
{
	int format = silo_object_format(s);
	size_t len = strlen(hex), hexsz = silo_oid_hexsz(format), i;
	char prefix[SILO_OID_MAX_HEXSZ + 1];
	struct matches m;
	int ret;

	if (len == hexsz)
		return silo_oid_from_hex(out, format, hex);
	if (strspn(hex, "0123456789abcdefABCDEF") != len || len > hexsz)
		return silo__error_set(SILO_EINVALID,
			"'%s' is not an id: expected %zu hex digits, or at least %d of them",
			hex, hexsz, SILO_OID_MIN_PREFIX);
	if (len < SILO_OID_MIN_PREFIX)
		return silo__error_set(SILO_EINVALID,
			"id '%s' is too short: give at least %d hex digits", hex,
			SILO_OID_MIN_PREFIX);
	if (silo__remote_source(s))
		return silo__error_set(SILO_EINVALID,
			"'%s': a silo read over HTTP cannot be searched by prefix: give the whole id",
			hex);
	for (i = 0; i < len; i++)
		prefix[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a' : hex[i]);
	prefix[len] = '\0';
	memset(&m, 0, sizeof(m));
	m.prefix = prefix;
	m.len = len;
	if ((ret = scan_loose(&m, s, format)) < 0 || (ret = scan_packs(&m, s)) < 0)
		return ret;
	if (m.n == 0)
		return silo__error_set(SILO_ENOTFOUND, "no object's id starts with '%s'", hex);
	if (m.n > 1) {
		char a[SILO_OID_MAX_HEXSZ + 1], b[SILO_OID_MAX_HEXSZ + 1];
		return silo__error_set(SILO_EINVALID,
			"id prefix '%s' is ambiguous: %s, %s%s have it", hex,
			silo_oid_to_hex(a, &m.found[0]), silo_oid_to_hex(b, &m.found[1]),
			m.n > 2 ? " and more" : "");
	}
	*out = m.found[0];
	return 0;
}
