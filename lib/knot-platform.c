/* The platform a wedge is built on: distribution, version, architecture,
 * and a digest of the installed packages. */
#include "knot-internal.h"
#include "strbuf.h"
#include "error-internal.h"
#include "medo-internal.h"
#include "fsutil.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

void silo_knot_platform_release(struct silo_knot_platform *p)
{
	free(p->id);
	free(p->version_id);
	free(p->codename);
	free(p->arch);
	memset(p, 0, sizeof(*p));
}

/* The value of KEY in os-release TEXT, unquoted; NULL if absent. */
static char *os_release_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			const char *v = p + klen + 1;
			size_t len = strcspn(v, "\n");
			if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
				v++;
				len -= 2;
			}
			return strndup(v, len);
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int silo_knot_platform_detect(struct silo_knot_platform *out)
{
	return knot_platform_of(out, "/");
}

int knot_platform_of(struct silo_knot_platform *out, const char *root)
{
	struct stat st;
	char *text = NULL, *path;
	size_t len;
	int ret;

	memset(out, 0, sizeof(*out));
	/* In another root, a symlink is not followed (it may lead out of
	 * it): base-files' own file is read instead. */
	if (!(path = fs_join(root, "etc/os-release")))
		return silo__error_oom();
	if (strcmp(root, "/") ? lstat(path, &st) != 0 || !S_ISREG(st.st_mode) : access(path, F_OK) != 0) {
		free(path);
		if (!(path = fs_join(root, "usr/lib/os-release")))
			return silo__error_oom();
	}
	ret = fs_read_file(&text, &len, path, 1 << 20);
	free(path);
	if (ret < 0)
		return silo__error_wrap("cannot tell the platform of '%s'", root);
	ret = knot_platform_parse(out, text);
	free(text);
	return ret;
}

int knot_platform_parse(struct silo_knot_platform *out, const char *text)
{
	struct utsname u;
	int ret;

	memset(out, 0, sizeof(*out));
	out->id = os_release_value(text, "ID");
	out->version_id = os_release_value(text, "VERSION_ID");
	out->codename = os_release_value(text, "VERSION_CODENAME");
	if (!out->id && !(out->id = strdup("linux")))
		goto oom;
	if (!out->version_id && !(out->version_id = strdup("unknown")))
		goto oom;
	if ((!out->codename || !*out->codename)) {
		free(out->codename);
		if (!(out->codename = strdup(out->version_id)))
			goto oom;
	}
	if (uname(&u) < 0) {
		ret = silo__error_errno("cannot tell the architecture");
		silo_knot_platform_release(out);
		return ret;
	}
	if (!(out->arch = strdup(u.machine)))
		goto oom;
	return 0;
oom:
	silo_knot_platform_release(out);
	return silo__error_oom();
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int silo_knot_base_digest(char out[65], size_t *count)
{
	static char *const envp[] = { "LC_ALL=C", "PATH=/usr/bin:/bin", NULL };
	struct strvec argv = STRVEC_INIT, lines = STRVEC_INIT;
	char *dpkg = NULL, *text = NULL, *line, *save = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;
	int fd = -1, status, ret;
	EVP_MD_CTX *ctx = NULL;
	size_t len, k;

	strcpy(out, "none");
	*count = 0;
	if (knot_which(&dpkg, "dpkg-query") < 0) {
		silo_error_clear();
		return 0;
	}
	if ((ret = knot_memfd(&fd)) < 0 ||
	    (ret = knot_strv_push(&argv, dpkg)) < 0 ||
	    (ret = knot_strv_push(&argv, "-W")) < 0 ||
	    (ret = knot_strv_push(&argv, "-f")) < 0 ||
	    (ret = knot_strv_push(&argv, "${Package}:${Architecture} ${Version} ${db:Status-Abbrev}\\n")) < 0 ||
	    (ret = knot_run(&status, argv.v, envp, "/", fd, -1)) < 0 ||
	    (ret = knot_read_back(&text, &len, fd)) < 0)
		goto out;
	if (status) {
		ret = silo__error_set(SILO_ERROR, "dpkg-query failed with exit status %d", status);
		goto out;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t l = strlen(line);
		/* installed packages only ("ii ") */
		if (l > 3 && !strcmp(line + l - 3, "ii ") && (ret = knot_strv_push(&lines, line)) < 0)
			goto out;
	}
	if (lines.n)
		qsort(lines.v, lines.n, sizeof(*lines.v), cmp_lines);
	if (!(ctx = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		ret = silo__error_set(SILO_ERROR, "libcrypto: cannot start sha256");
		goto out;
	}
	for (k = 0; k < lines.n; k++)
		if (!EVP_DigestUpdate(ctx, lines.v[k], strlen(lines.v[k])) ||
		    !EVP_DigestUpdate(ctx, "\n", 1)) {
			ret = silo__error_set(SILO_ERROR, "libcrypto: sha256 failed");
			goto out;
		}
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen)) {
		ret = silo__error_set(SILO_ERROR, "libcrypto: sha256 failed");
		goto out;
	}
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	*count = lines.n;
out:
	EVP_MD_CTX_free(ctx);
	strvec_clear(&argv);
	strvec_clear(&lines);
	if (fd >= 0)
		close(fd);
	free(dpkg);
	free(text);
	return ret;
}

int silo_knot_base_packages(char **out)
{
	char digest[65];
	size_t count;
	int ret;

	*out = NULL;
	if ((ret = silo_knot_base_digest(digest, &count)) < 0)
		return ret;
	if (asprintf(out, "%s (%zu packages)", digest, count) < 0) {
		*out = NULL;
		return silo__error_oom();
	}
	return 0;
}

int silo_knot_base_packages_valid(const char *s)
{
	size_t d;

	if (strspn(s, "0123456789abcdef") == 64)
		s += 64;
	else if (!strncmp(s, "none", 4))
		s += 4;
	else
		return 0;
	if (strncmp(s, " (", 2))
		return 0;
	s += 2;
	d = strspn(s, "0123456789");
	return d > 0 && d < 20 && !strcmp(s + d, " packages)");
}

int knot_package_versions(char **versions, char **missing, char *const *names, size_t n)
{
	static char *const envp[] = { "LC_ALL=C", "PATH=/usr/bin:/bin", NULL };
	struct strvec argv = STRVEC_INIT;
	struct strbuf have = STRBUF_INIT, lack = STRBUF_INIT;
	char *dpkg = NULL, *text = NULL;
	int fd = -1, status, ret;
	size_t i, len;

	*versions = *missing = NULL;
	if ((ret = knot_which(&dpkg, "dpkg-query")) < 0) {
		silo__error_wrap("WEDGE_BUILD_DEPS needs dpkg");
		goto out;
	}
	if ((ret = knot_memfd(&fd)) < 0 || (ret = knot_strv_push(&argv, dpkg)) < 0 ||
	    (ret = knot_strv_push(&argv, "-W")) < 0 || (ret = knot_strv_push(&argv, "-f")) < 0 ||
	    (ret = knot_strv_push(&argv, "${Package}\t${db:Status-Abbrev}\t${Version}\n")) < 0 ||
	    (ret = knot_strv_push(&argv, "--")) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((ret = knot_strv_push(&argv, names[i])) < 0)
			goto out;
	/* 1: some name is not known at all (not installed either) */
	if ((ret = knot_run(&status, argv.v, envp, "/", fd, -1)) < 0 ||
	    (ret = knot_read_back(&text, &len, fd)) < 0)
		goto out;
	if (status > 1) {
		ret = silo__error_set(SILO_ERROR, "dpkg-query failed with exit status %d", status);
		goto out;
	}
	for (i = 0; i < n && !ret; i++) {
		const char *line, *version = NULL;
		size_t l = strlen(names[i]);
		for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
			if (!strncmp(line, names[i], l) && !strncmp(line + l, "\tii \t", 5))
				version = line + l + 5;
		if (version)
			ret = strbuf_addf(&have, "%s%s=%.*s", i ? " " : "", names[i],
					  (int)strcspn(version, "\n"), version);
		else if (!(ret = strbuf_addf(&have, "%s%s=none", i ? " " : "", names[i])))
			ret = strbuf_addf(&lack, "%s%s", lack.len ? " " : "", names[i]);
	}
	if (!ret && !(ret = strbuf_grow(&have, 0))) {
		*versions = strbuf_detach(&have);
		if (lack.len)
			*missing = strbuf_detach(&lack);
	}
out:
	strvec_clear(&argv);
	strbuf_release(&have);
	strbuf_release(&lack);
	if (fd >= 0)
		close(fd);
	free(dpkg);
	free(text);
	return ret;
}
