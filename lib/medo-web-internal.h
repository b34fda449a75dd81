/*
 * What the files of medo web share: HTML text, writing pages, and the
 * pages of trees and of differences (medo-web-tree.c), which depend on
 * trees alone and are written once.
 */
#ifndef SILO_MEDO_WEB_INTERNAL_H
#define SILO_MEDO_WEB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "silo/medo-tree.h"
#include "silo/medo-web.h"
#include "strbuf.h"

/* The version of the pages of trees and differences: kept pages of
 * another version are written again. */
#define WEB_FORMAT 1

/* Rows on one page of a listing or a difference: the largest page of any
 * tree stays near 150 KB, whatever the tree holds. */
#define WEB_PAGE_ROWS 500

/* The assets built into the program from lib/web/ (web-assets.c, made
 * by the Makefile). */
extern const unsigned char silo_web_css[], silo_web_js[];
extern const size_t silo_web_css_len, silo_web_js_len;

/* ---- HTML (medo-web-html.c) ---- */

/* S with &, <, >, " and ' escaped, for text and attribute values. */
int html_esc(struct strbuf *sb, const char *s);
/* The same for LEN bytes. */
int html_esc_len(struct strbuf *sb, const char *s, size_t len);
/* S percent-encoded for a URL path or fragment value ('/' kept when
 * KEEP_SLASH), then escaped for an attribute. */
int html_url(struct strbuf *sb, const char *s, int keep_slash);
/* "12,345" */
void web_fmt_count(char *buf, size_t n, uint64_t v);
/* "1.5 MiB", "812 bytes" */
void web_fmt_size(char *buf, size_t n, uint64_t bytes);
/* The start of a page at depth DEPTH below the site (ROOT: "../"
 * DEPTH times), up to and with the opening of <main>; CRUMBS (HTML,
 * may be NULL) follow the site's name in the navigation. */
int html_head(struct strbuf *sb, const char *root, const char *title, const char *crumbs,
	      const char *main_attrs);
/* The end of a page, from </main>. */
int html_foot(struct strbuf *sb);
/* "../" N times, in a static-size buffer of at least 3 * N + 1 bytes. */
char *web_root(char *buf, size_t size, unsigned depth);

/* A page or file written by this run: counted in RES. */
struct web_writer {
	struct silo_medo_web_result *res;
};
/* mkdtemp(TEMPLATE), the directory then readable by all as the umask
 * allows (mkdtemp makes it 0700): a web server serves what it holds. */
int web_mkdtemp(char *template);
/* Write SB at PATH, a new file (O_EXCL): the pages of a staging
 * directory. */
int web_write_new(struct web_writer *w, const char *path, const struct strbuf *sb, int page);
/* Replace PATH with DATA: a temporary file beside it, renamed over it. */
int web_replace(struct web_writer *w, const char *path, const void *data, size_t len,
		int page);

/* ---- trees and differences (medo-web-tree.c) ---- */

/* What the pages of one tree say of it, and where they are. */
struct web_tree_info {
	char key[SILO_OID_MAX_HEXSZ + 1];	/* t/<key>/ */
	uint64_t files, bytes;
	char archive[16];	/* kinds tar and archive: "tar", "tar.gz", "zip",
				 * "xz", ...: what the object is */
};

/* The key of TP's pages: its tree for kind tree, else its object. */
void web_tree_key(char *key, const struct silo_treeptr *tp);

/* Read t/<key>/tree.json of OUT if it was written by this version:
 * 1 and *info filled, or 0. */
int web_tree_kept(const char *out, struct web_tree_info *info);

/* Write the pages of T into OUT/t/<key>/ and fill *info. */
int web_tree_write(struct web_writer *w, const char *out, silo_medo_tree *t,
		   struct web_tree_info *info);

/* The link to the viewer of leaf E, after PREFIX (the tree's directory):
 * f.html#p=PATH&b=BLOB&s=SIZE, and &m=x (executable) or &m=l (symlink);
 * escaped for an attribute. */
int web_file_link(struct strbuf *sb, const char *prefix, const struct silo_medo_tree_node *e);

/* The pages of a difference, OUT/d/<key a>-<key b>/. */
struct web_diff_info {
	char dir[2 * SILO_OID_MAX_HEXSZ + 2];
	uint64_t added, removed, changed;
};
void web_diff_dir(char *dir, const char *key_a, const char *key_b);
int web_diff_kept(const char *out, struct web_diff_info *info);
int web_diff_write(struct web_writer *w, const char *out, silo_medo_tree *a,
		   silo_medo_tree *b, const char *label_a, const char *label_b,
		   struct web_diff_info *info);

#endif
