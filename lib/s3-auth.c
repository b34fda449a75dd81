/* s3:// URLs and their signatures over libcurl (see s3-auth.h). */
#include "s3-auth.h"
#include "error-internal.h"
#include "fsutil.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most of an AWS credentials or config file that is read. */
#define AWS_FILE_MAX (1 << 20)

int s3_is_url(const char *s)
{
	return !strncmp(s, "s3://", 5);
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* Forget the string *P, wiping it first: it may be a key. */
static void wipe(char **p)
{
	if (*p) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

void s3_auth_release(struct s3_auth *a)
{
	wipe(&a->access_key);
	wipe(&a->secret_key);
	wipe(&a->session_token);
	free(a->region);
	free(a->endpoint);
	a->region = a->endpoint = NULL;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* S of LEN bytes without the blanks around it, as a new string. */
static char *trimmed(const char *s, size_t len)
{
	while (len && is_blank(*s))
		s++, len--;
	while (len && is_blank(s[len - 1]))
		len--;
	return strndup(s, len);
}

/*
 * The values of the N KEYS in section SECTION of the INI file TEXT (an
 * AWS credentials or config file, named PATH in messages): vals[i] is a
 * new string, or stays NULL when the key is absent or empty.  1 if the
 * section is there, 0 if not, negative on error.  Lines of a nested
 * block (indented) and comments are skipped; messages name the line,
 * never its text, which may hold a key.
 */
static int ini_lookup(const char *text, const char *path, const char *section,
		      const char *const *keys, char **vals, size_t n)
{
	const char *line = text;
	int in_section = 0, found = 0;
	unsigned lineno = 0;

	while (*line) {
		const char *end = strchr(line, '\n'), *eq, *p = line;
		size_t len = end ? (size_t)(end - line) : strlen(line);

		lineno++;
		while (p < line + len && is_blank(*p))
			p++;
		if (p == line + len || *p == '#' || *p == ';') {
			/* blank or a comment */
		} else if (*p == '[') {
			const char *close = memchr(p, ']', (size_t)(line + len - p));
			char *name;
			if (!close)
				return silo__error_set(SILO_EINVALID,
					"'%s': line %u: expected ']'", path, lineno);
			if (!(name = trimmed(p + 1, (size_t)(close - p - 1))))
				return silo__error_oom();
			in_section = !strcmp(name, section);
			found |= in_section;
			free(name);
		} else if (p != line) {
			/* a nested block ("s3 =" then indented lines) */
		} else if (!(eq = memchr(p, '=', len))) {
			return silo__error_set(SILO_EINVALID,
				"'%s': line %u: expected 'name = value'", path, lineno);
		} else if (in_section) {
			char *name = trimmed(p, (size_t)(eq - p));
			size_t i;
			if (!name)
				return silo__error_oom();
			for (i = 0; i < n; i++) {
				if (strcmp(name, keys[i]))
					continue;
				wipe(&vals[i]);
				if (!(vals[i] = trimmed(eq + 1, (size_t)(line + len - eq - 1)))) {
					free(name);
					return silo__error_oom();
				}
				if (!*vals[i])
					wipe(&vals[i]);
			}
			free(name);
		}
		line += len + (end ? 1 : 0);
	}
	return found;
}

/* The file named by the variable VAR, else ~/DEFAULT: *path, or NULL
 * without HOME.  *explicit: VAR named it. */
static int aws_file(char **path, int *explicit, const char *var, const char *dflt)
{
	const char *v = env(var), *home = env("HOME");

	*explicit = v != NULL;
	*path = v ? strdup(v) : home ? fs_join(home, dflt) : NULL;
	return *path || (!v && !home) ? 0 : silo__error_oom();
}

/* Read the AWS file PATH into *text: 1, or 0 when it does not exist. */
static int read_aws_file(char **text, const char *path)
{
	size_t len;
	int ret;

	if ((ret = fs_read_file(text, &len, path, AWS_FILE_MAX)) == 0)
		return 1;
	if (ret == SILO_ENOTFOUND) {
		silo_error_clear();
		return 0;
	}
	return silo__error_wrap("cannot read AWS credentials");
}

/* The keys of the profile AWS_PROFILE in the credentials file. */
static int keys_from_profile(struct s3_auth *a)
{
	static const char *const keys[] = {
		"aws_access_key_id", "aws_secret_access_key", "aws_session_token"
	};
	const char *profile = env("AWS_PROFILE");
	char *path = NULL, *text = NULL, *vals[3] = { NULL, NULL, NULL };
	int explicit_file, ret, i;

	if ((ret = aws_file(&path, &explicit_file, "AWS_SHARED_CREDENTIALS_FILE",
			    ".aws/credentials")) < 0 || !path)
		return ret;
	if ((ret = read_aws_file(&text, path)) == 0 && (profile || explicit_file))
		ret = silo__error_set(SILO_ENOTFOUND,
			"cannot read AWS credentials: '%s' does not exist", path);
	if (ret > 0)
		ret = ini_lookup(text, path, profile ? profile : "default", keys, vals, 3);
	if (ret == 0 && profile)
		ret = silo__error_set(SILO_ENOTFOUND, "AWS profile '%s' is not in '%s'",
				      profile, path);
	if (ret > 0 && (!vals[0] || !vals[1]))
		ret = silo__error_set(SILO_EINVALID, "AWS profile '%s' of '%s' has no %s",
				      profile ? profile : "default", path, keys[vals[0] ? 1 : 0]);
	if (ret > 0) {
		a->access_key = vals[0];
		a->secret_key = vals[1];
		a->session_token = vals[2];
		vals[0] = vals[1] = vals[2] = NULL;
		snprintf(a->from_buf, sizeof(a->from_buf), "profile '%.60s' of '%.200s'",
			 profile ? profile : "default", path);
		a->from = a->from_buf;
		ret = 0;
	}
	for (i = 0; i < 3; i++)
		wipe(&vals[i]);
	if (text) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	free(path);
	return ret;
}

/* The region of the profile in the config file, if it names one. */
static int region_from_config(struct s3_auth *a)
{
	static const char *const keys[] = { "region" };
	const char *profile = env("AWS_PROFILE");
	char *path = NULL, *text = NULL, section[128];
	int explicit_file, ret;

	if ((ret = aws_file(&path, &explicit_file, "AWS_CONFIG_FILE", ".aws/config")) < 0 ||
	    !path)
		return ret;
	if (profile && strcmp(profile, "default"))
		snprintf(section, sizeof(section), "profile %.100s", profile);
	else
		snprintf(section, sizeof(section), "default");
	if ((ret = read_aws_file(&text, path)) > 0)
		ret = ini_lookup(text, path, section, keys, &a->region, 1);
	free(text);
	free(path);
	return ret < 0 ? ret : 0;
}

static int valid_region(const char *r)
{
	size_t n = strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789-");

	return n && !r[n] && n < 64;
}

int s3_auth_load(struct s3_auth *a)
{
	const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
	const char *v, *var;
	int ret = 0;

	memset(a, 0, sizeof(*a));
	a->from = "no credentials";
	if (id && secret) {
		if (!(a->access_key = strdup(id)) || !(a->secret_key = strdup(secret)) ||
		    ((v = env("AWS_SESSION_TOKEN")) && !(a->session_token = strdup(v))))
			return silo__error_oom();
		a->from = "AWS_ACCESS_KEY_ID";
	} else if (id || secret) {
		return silo__error_set(SILO_EINVALID, "%s is set, but %s is not",
				       id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
				       id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	} else if ((ret = keys_from_profile(a)) < 0) {
		return ret;
	}

	var = env("AWS_REGION") ? "AWS_REGION" : "AWS_DEFAULT_REGION";
	if ((v = env(var)) && !(a->region = strdup(v)))
		return silo__error_oom();
	if (!v) {
		var = "the AWS config file";
		if ((ret = region_from_config(a)) < 0)
			return ret;
	}
	if (!a->region && !(a->region = strdup("us-east-1")))
		return silo__error_oom();
	if (!valid_region(a->region))
		return silo__error_set(SILO_EINVALID, "%s: '%.64s' is not an AWS region",
				       var, a->region);

	var = env("AWS_ENDPOINT_URL_S3") ? "AWS_ENDPOINT_URL_S3" : "AWS_ENDPOINT_URL";
	if ((v = env(var))) {
		size_t len;
		if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
			return silo__error_set(SILO_EINVALID,
				"%s: expected an http:// or https:// URL", var);
		if (!(a->endpoint = strdup(v)))
			return silo__error_oom();
		len = strlen(a->endpoint);
		while (len && a->endpoint[len - 1] == '/')
			a->endpoint[--len] = '\0';
	}
	return 0;
}

int s3_uri_encode(struct strbuf *sb, const char *s, size_t len, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int ret;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
		    c == '~' || (c == '/' && keep_slash))
			ret = strbuf_addch(sb, (char)c);
		else
			ret = strbuf_addf(sb, "%%%c%c", hex[c >> 4], hex[c & 15]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int s3_http_url(char **out, const struct s3_auth *a, const char *url)
{
	const char *bucket = url + 5, *key, *query;
	size_t blen;
	struct strbuf sb = STRBUF_INIT;
	int ret;

	*out = NULL;
	blen = strcspn(bucket, "/?");
	key = bucket + blen + (bucket[blen] == '/');
	query = key + strcspn(key, "?");
	if (!blen || blen > 255 ||
	    strspn(bucket, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") < blen)
		return silo__error_set(SILO_EINVALID,
			"'%s': expected s3://BUCKET/PATH, with a bucket name of letters, digits, '.', '-' and '_'",
			url);
	if (a->endpoint)
		ret = strbuf_addf(&sb, "%s/%.*s/", a->endpoint, (int)blen, bucket);
	else if (memchr(bucket, '.', blen))
		/* A name with dots is no host name the certificate of
		 * *.s3.REGION.amazonaws.com covers: path style. */
		ret = strbuf_addf(&sb, "https://s3.%s.amazonaws.com/%.*s/", a->region,
				  (int)blen, bucket);
	else
		ret = strbuf_addf(&sb, "https://%.*s.s3.%s.amazonaws.com/", (int)blen, bucket,
				  a->region);
	if (ret == 0 && !*key && bucket[blen] != '/')
		strbuf_setlen(&sb, sb.len - 1);	/* s3://BUCKET: no '/' */
	if (ret == 0)
		ret = s3_uri_encode(&sb, key, (size_t)(query - key), 1);
	if (ret == 0)
		ret = strbuf_adds(&sb, query);
	if (ret < 0) {
		strbuf_release(&sb);
		return silo__error_oom();
	}
	*out = strbuf_detach(&sb);
	return 0;
}

static int add_header(struct curl_slist **headers, const char *line)
{
	struct curl_slist *l = curl_slist_append(*headers, line);

	if (!l)
		return silo__error_oom();
	*headers = l;
	return 0;
}

int s3_easy_setup(CURL *e, const struct s3_auth *a, const char *url,
		  struct curl_slist **headers)
{
	char *http_url, provider[96];
	int ret;

	if ((ret = s3_http_url(&http_url, a, url)) < 0)
		return ret;
	curl_easy_setopt(e, CURLOPT_URL, http_url);
	free(http_url);	/* libcurl keeps its own copy */
	/* S3 takes no ~/.netrc password: a stray entry for its host is not
	 * sent along. */
	curl_easy_setopt(e, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	if (a->access_key) {
		struct strbuf token = STRBUF_INIT;
		snprintf(provider, sizeof(provider), "aws:amz:%s:s3", a->region);
		curl_easy_setopt(e, CURLOPT_AWS_SIGV4, provider);
		curl_easy_setopt(e, CURLOPT_USERNAME, a->access_key);
		curl_easy_setopt(e, CURLOPT_PASSWORD, a->secret_key);
		/* The body is not part of the signature: it is checked
		 * against its id when read, and hashing a pack before
		 * sending it would read it twice. */
		if ((ret = add_header(headers, "x-amz-content-sha256: UNSIGNED-PAYLOAD")) < 0)
			return ret;
		if (a->session_token) {
			if (strbuf_addf(&token, "x-amz-security-token: %s", a->session_token) < 0)
				return silo__error_oom();
			ret = add_header(headers, token.buf);
			explicit_bzero(token.buf, token.len);
			strbuf_release(&token);
			if (ret < 0)
				return ret;
		}
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, *headers);
	return 0;
}

void s3_describe_status(char *buf, size_t size, const struct s3_auth *a, long status,
			const char *body, size_t len)
{
	const char *code = NULL, *end;
	size_t n = 0;
	int w;

	if (body && (code = memmem(body, len, "<Code>", 6))) {
		code += 6;
		end = memchr(code, '<', len - (size_t)(code - body));
		n = end ? (size_t)(end - code) : 0;
		/* An error code is a word; anything else is not repeated. */
		if (n > 64 || strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.") < n)
			n = 0;
	}
	w = n ? snprintf(buf, size, "HTTP %ld (%.*s)", status, (int)n, code) :
		snprintf(buf, size, "HTTP %ld", status);
	if (status != 403 || w < 0 || (size_t)w >= size)
		return;
	if (a->access_key)
		snprintf(buf + w, size - (size_t)w, ", signed with the keys of %s", a->from);
	else
		snprintf(buf + w, size - (size_t)w,
			 ", and no AWS credentials were found (AWS_ACCESS_KEY_ID and "
			 "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)");
}
