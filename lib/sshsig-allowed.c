/*
 * The allowed signers file of ssh-keygen(1): which keys may sign, for
 * which namespaces and when.  Keys are kept as their wire blobs and
 * matched byte for byte, as the blob a signature carries.
 */
#include "sshsig-internal.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIGNERS_MAX_BYTES (16 * 1024 * 1024)

struct signer {
	char *principals;
	int anyone;		/* some identity can match PRINCIPALS */
	char *namespaces;	/* a pattern list, or NULL for any */
	time_t valid_after;	/* 0: no limit */
	time_t valid_before;	/* 0: no limit */
	unsigned char *key;	/* the public key blob */
	size_t key_len;
};

struct silo_sshsig_signers {
	char *name;
	struct signer *list;
	size_t n, alloc;
};

void silo_sshsig_signers_free(struct silo_sshsig_signers *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->list[i].principals);
		free(s->list[i].namespaces);
		free(s->list[i].key);
	}
	free(s->list);
	free(s->name);
	free(s);
}

const char *sshsig_signers_name(const struct silo_sshsig_signers *signers)
{
	return signers->name;
}

/* One line being parsed: its text, where we are, and for messages. */
struct line {
	char *p;
	const char *file;
	size_t number;
};

static int line_error(const struct line *l, const char *what)
{
	return silo__error_set(SILO_EINVALID, "malformed allowed signers '%s', line %zu: %s",
			       l->file, l->number, what);
}

static void skip_blanks(struct line *l)
{
	while (*l->p == ' ' || *l->p == '\t')
		l->p++;
}

/*
 * The next field, up to a blank outside double quotes; NUL-terminated in
 * place.  A field that is all quoted ("a b") loses its quotes.
 */
static char *next_field(struct line *l)
{
	char *start, *end;
	int quoted = 0;

	skip_blanks(l);
	start = l->p;
	if (!*start)
		return NULL;
	if (*start == '"') {
		if (!(end = strchr(start + 1, '"')))
			return NULL;
		*end = '\0';
		l->p = end + 1;
		if (*l->p && *l->p != ' ' && *l->p != '\t')
			return NULL;
		if (*l->p)
			*l->p++ = '\0';
		return start + 1;
	}
	for (end = start; *end && (quoted || (*end != ' ' && *end != '\t')); end++)
		if (*end == '"')
			quoted = !quoted;
	if (quoted)
		return NULL;
	l->p = *end ? end + 1 : end;
	*end = '\0';
	return start;
}

static int digits_of(const char *s, int n)
{
	int v = 0;

	while (n--)
		v = v * 10 + (*s++ - '0');
	return v;
}

/* A time in YYYYMMDD[Z] or YYYYMMDDHHMM[SS][Z]: local, or UTC with Z. */
static int parse_time(time_t *out, const char *s)
{
	struct tm tm;
	size_t n = strlen(s), i;
	int utc = 0;
	time_t t;

	if (n && (s[n - 1] == 'Z' || s[n - 1] == 'z')) {
		utc = 1;
		n--;
	}
	if (n != 8 && n != 12 && n != 14)
		return -1;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = digits_of(s, 4) - 1900;
	tm.tm_mon = digits_of(s + 4, 2) - 1;
	tm.tm_mday = digits_of(s + 6, 2);
	if (n >= 12) {
		tm.tm_hour = digits_of(s + 8, 2);
		tm.tm_min = digits_of(s + 10, 2);
	}
	if (n == 14)
		tm.tm_sec = digits_of(s + 12, 2);
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1 || t <= 0)
		return -1;
	*out = t;
	return 0;
}

/* "name=" at *P, case-insensitively; moves *P past it. */
static int option_is(char **p, const char *name)
{
	size_t n = strlen(name);

	if (strncasecmp(*p, name, n) || (*p)[n] != '=')
		return 0;
	*p += n + 1;
	return 1;
}

/* A double-quoted option value at *P (a backslash may quote a '"'), as a
 * new string; *P moves past it. */
static char *option_value(char **p)
{
	char *s = *p, *out, *o;

	if (*s != '"' || !(out = malloc(strlen(s))))
		return NULL;
	for (o = out, s++; *s && *s != '"'; s++) {
		if (*s == '\\' && s[1] == '"')
			s++;
		*o++ = *s;
	}
	if (*s != '"') {
		free(out);
		return NULL;
	}
	*o = '\0';
	*p = s + 1;
	return out;
}

/*
 * The options field OPTS into S.  1 when the line is to be skipped
 * (cert-authority), 0 when kept, negative on an error.
 */
static int parse_options(struct signer *s, char *opts, const struct line *l)
{
	int ca = 0;

	while (*opts) {
		char *value = NULL;
		time_t *limit = NULL;

		if (!strncasecmp(opts, "cert-authority", 14) &&
		    (opts[14] == ',' || opts[14] == '\0')) {
			ca = 1;
			opts += 14;
		} else if (option_is(&opts, "namespaces")) {
			if (s->namespaces)
				return line_error(l, "more than one namespaces option");
			if (!(s->namespaces = option_value(&opts)))
				return line_error(l, "namespaces needs a value in double quotes");
		} else if (option_is(&opts, "valid-after")) {
			limit = &s->valid_after;
		} else if (option_is(&opts, "valid-before")) {
			limit = &s->valid_before;
		} else {
			return line_error(l, "unknown option");
		}
		if (limit) {
			int bad;

			if (*limit)
				return line_error(l, "an option given twice");
			if (!(value = option_value(&opts)))
				return line_error(l, "valid-after and valid-before need a value in double quotes");
			bad = parse_time(limit, value) < 0;
			free(value);
			if (bad)
				return line_error(l, "a time is not YYYYMMDD[Z] or YYYYMMDDHHMM[SS][Z]");
		}
		if (*opts == ',' && opts[1])
			opts++;
		else if (*opts)
			return line_error(l, "unknown option");
	}
	return ca;
}

/* 1 if the field is options rather than a key type, which never holds
 * an '=' and is never "cert-authority". */
static int is_options(const char *f)
{
	return strchr(f, '=') || !strncasecmp(f, "cert-authority", 14);
}

static int parse_line(struct silo_sshsig_signers *out, struct line *l)
{
	struct signer s;
	char *principals, *field, *type, *b64;
	struct sshsig_buf blob, blob_type;
	int ret;

	skip_blanks(l);
	if (!*l->p || *l->p == '#')
		return 0;
	memset(&s, 0, sizeof(s));
	if (!(principals = next_field(l)) || !*principals)
		return line_error(l, "no principals");
	if (!(field = next_field(l)))
		return line_error(l, "no key");
	if (is_options(field)) {
		if ((ret = parse_options(&s, field, l)) != 0)
			goto out;	/* an error, or a line to skip */
		if (!(field = next_field(l))) {
			ret = line_error(l, "no key");
			goto out;
		}
	}
	type = field;
	if (!(b64 = next_field(l))) {
		ret = line_error(l, "no base64 key after the key type");
		goto out;
	}
	ret = sshsig_base64_decode(&s.key, &s.key_len, b64, strlen(b64));
	if (ret == SILO_ENOMEM)
		goto out;
	blob.p = s.key;
	blob.len = s.key_len;
	if (ret < 0 || sshsig_get_string(&blob, &blob_type) < 0) {
		ret = line_error(l, "the key is not base64 of an SSH public key");
		goto out;
	}
	if (!sshsig_buf_eq(&blob_type, type)) {
		ret = line_error(l, "the key is not of the type before it");
		goto out;
	}
	if (ALLOC_GROW(out->list, out->n + 1, out->alloc) < 0) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = sshsig_principals_can_match(principals)) < 0)
		goto out;
	s.anyone = ret;
	if (!(s.principals = strdup(principals))) {
		ret = silo__error_oom();
		goto out;
	}
	out->list[out->n++] = s;
	return 0;
out:
	free(s.namespaces);
	free(s.key);
	return ret < 0 ? ret : 0;
}

int silo_sshsig_signers_parse(struct silo_sshsig_signers **out, const char *text,
			      size_t len, const char *name)
{
	struct silo_sshsig_signers *s = calloc(1, sizeof(*s));
	char *copy = malloc(len + 1), *p;
	struct line l;
	int ret = 0;

	*out = NULL;
	if (!s || !copy || !(s->name = strdup(name))) {
		ret = silo__error_oom();
		goto out;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (memchr(text, '\0', len)) {
		ret = silo__error_set(SILO_EINVALID, "malformed allowed signers '%s': a NUL byte", name);
		goto out;
	}
	l.file = name;
	l.number = 0;
	for (p = copy; p && ret == 0;) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		if (nl && nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		l.p = p;
		l.number++;
		ret = parse_line(s, &l);
		p = nl ? nl + 1 : NULL;
	}
	if (!ret) {
		*out = s;
		s = NULL;
	}
out:
	free(copy);
	silo_sshsig_signers_free(s);
	return ret;
}

int silo_sshsig_signers_load(struct silo_sshsig_signers **out, const char *path)
{
	char *text;
	size_t len;
	int ret;

	*out = NULL;
	if ((ret = fs_read_file(&text, &len, path, SIGNERS_MAX_BYTES)) < 0)
		return silo__error_wrap("cannot read allowed signers");
	ret = silo_sshsig_signers_parse(out, text, len, path);
	free(text);
	return ret;
}

int sshsig_signers_allow(const char **principals, const struct silo_sshsig_signers *signers,
			 const struct sshsig_buf *pubkey, const char *namespace, time_t now)
{
	int why = SSHSIG_NOT_LISTED;
	size_t i;

	for (i = 0; i < signers->n; i++) {
		const struct signer *s = &signers->list[i];

		if (s->key_len != pubkey->len || memcmp(s->key, pubkey->p, s->key_len))
			continue;
		if (!s->anyone) {
			if (why == SSHSIG_NOT_LISTED)
				why = SSHSIG_NO_PRINCIPAL;
			continue;
		}
		if (s->namespaces && !sshsig_match_list(namespace, s->namespaces)) {
			if (why == SSHSIG_NOT_LISTED || why == SSHSIG_NO_PRINCIPAL)
				why = SSHSIG_OTHER_NAMESPACE;
			continue;
		}
		if ((s->valid_after && now < s->valid_after) ||
		    (s->valid_before && now > s->valid_before)) {
			why = SSHSIG_NOT_NOW;
			continue;
		}
		*principals = s->principals;
		return 0;
	}
	return why;
}
