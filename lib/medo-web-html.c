/*
 * HTML text and page files for medo web: escaping, URLs, the frame every
 * page shares, and writing files whole.
 */
#include "medo-web-internal.h"
#include "error-internal.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int html_esc_len(struct strbuf *sb, const char *s, size_t len)
{
	size_t i, start = 0;
	int ret = 0;

	for (i = 0; i < len && !ret; i++) {
		const char *rep;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		if ((ret = strbuf_add(sb, s + start, i - start)) == 0)
			ret = strbuf_adds(sb, rep);
		start = i + 1;
	}
	if (!ret)
		ret = strbuf_add(sb, s + start, len - start);
	return ret;
}

int html_esc(struct strbuf *sb, const char *s)
{
	return html_esc_len(sb, s, strlen(s));
}

int html_url(struct strbuf *sb, const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	int ret = 0;

	for (p = (const unsigned char *)s; *p && !ret; p++) {
		unsigned char c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && keep_slash)) {
			ret = strbuf_addch(sb, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			ret = strbuf_add(sb, e, 3);
		}
	}
	return ret;
}

void web_fmt_count(char *buf, size_t n, uint64_t v)
{
	char digits[32];
	size_t len, i, o = 0;

	len = (size_t)snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	for (i = 0; i < len && o + 2 < n; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

void web_fmt_size(char *buf, size_t n, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, n, "%llu byte%s", (unsigned long long)bytes, bytes == 1 ? "" : "s");
		return;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, n, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

char *web_root(char *buf, size_t size, unsigned depth)
{
	size_t o = 0;

	while (depth-- && o + 3 < size) {
		memcpy(buf + o, "../", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

int html_head(struct strbuf *sb, const char *root, const char *title, const char *crumbs,
	      const char *main_attrs)
{
	int ret;

	if ((ret = strbuf_adds(sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
			       "<meta charset=\"utf-8\">\n"
			       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			       "<meta name=\"generator\" content=\"medo web\">\n"
			       "<link rel=\"icon\" href=\"data:,\">\n<title>")) ||
	    (ret = html_esc(sb, title)) ||
	    (ret = strbuf_addf(sb, "</title>\n<link rel=\"stylesheet\" href=\"%ssilo.css\">\n"
			       "<script src=\"%ssilo.js\" defer></script>\n</head>\n<body>\n"
			       "<a class=\"skip\" href=\"#main\">Skip to content</a>\n"
			       "<header>\n<nav aria-label=\"Breadcrumbs\"><ol class=\"crumbs\">"
			       "<li><a href=\"%sindex.html\">Treeptrs</a></li>", root, root, root)) ||
	    (crumbs && (ret = strbuf_adds(sb, crumbs))) ||
	    (ret = strbuf_addf(sb, "</ol></nav>\n</header>\n<main id=\"main\"%s%s>\n",
			       main_attrs ? " " : "", main_attrs ? main_attrs : "")))
		return ret;
	return 0;
}

int html_foot(struct strbuf *sb)
{
	return strbuf_adds(sb, "</main>\n<footer><p>Written by <code>medo web</code>: "
			   "static pages of trees kept in a silo.</p></footer>\n</body>\n</html>\n");
}

static void count(struct web_writer *w, size_t len, int page)
{
	if (!w->res)
		return;
	w->res->bytes += len;
	if (page)
		w->res->pages++;
}

int web_mkdtemp(char *template)
{
	int ret;

	if (!mkdtemp(template))
		return silo__error_errno("cannot create '%s'", template);
	if (chmod(template, 0777 & ~fs_umask()) < 0) {
		ret = silo__error_errno("cannot chmod '%s'", template);
		rmdir(template);
		return ret;
	}
	return 0;
}

int web_write_new(struct web_writer *w, const char *path, const struct strbuf *sb, int page)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666), ret;

	if (fd < 0)
		return silo__error_errno("cannot create '%s'", path);
	ret = fs_write_all(fd, sb->buf ? sb->buf : "", sb->len, path);
	if (close(fd) < 0 && !ret)
		ret = silo__error_errno("cannot write '%s'", path);
	if (!ret)
		count(w, sb->len, page);
	return ret;
}

int web_replace(struct web_writer *w, const char *path, const void *data, size_t len, int page)
{
	char *dir = fs_dirname(path), *tmp = NULL;
	int fd = -1, ret;

	if (!dir)
		return silo__error_oom();
	/* A site is made again from its sources: no fsync, but never a
	 * half-written page under its name. */
	if ((ret = fs_tmpfile(&fd, &tmp, dir, ".tmp-web-")) < 0)
		goto out;
	if ((ret = fs_write_all(fd, data, len, tmp)) < 0)
		goto out;
	if (fchmod(fd, 0666 & ~fs_umask()) < 0) {
		ret = silo__error_errno("cannot chmod '%s'", tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		ret = silo__error_errno("cannot rename '%s' to '%s'", tmp, path);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	count(w, len, page);
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
	return ret;
}
