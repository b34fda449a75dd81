/*
 * Task reports: one row per task in tasks.tsv (appended by each task,
 * possibly from several processes at once), its schema, the graph, and
 * index.html made from them.
 */
#include "knot-internal.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_COLUMNS 12

static const char *const schema[N_COLUMNS][3] = {
	{ "status", "integer", "exit status of the task: 0 for success" },
	{ "elapsed_secs", "number", "wall time of the task, seconds" },
	{ "start_time", "number", "when the task started, seconds since the epoch (UTC)" },
	{ "end_time", "number", "when the task ended, seconds since the epoch (UTC)" },
	{ "user_secs", "number", "CPU time in user mode of the task and its children (getrusage)" },
	{ "sys_secs", "number", "CPU time in the kernel of the task and its children (getrusage)" },
	{ "max_rss_KiB", "integer", "the largest resident set of the task or a child, KiB (getrusage)" },
	{ "wedge", "string", "the wedge's name (WEDGE_NAME)" },
	{ "version", "string", "the version built" },
	{ "key", "string", "the build key (knot-key(1))" },
	{ "cache", "string", "hit (published before: nothing ran), built, or failed" },
	{ "log", "string", "the task's log, relative to the report directory, or - for none" },
};

void silo_knot_row_release(struct silo_knot_row *row)
{
	free(row->wedge);
	free(row->version);
	free(row->key);
	free(row->cache);
	free(row->log);
	memset(row, 0, sizeof(*row));
}

void silo_knot_rows_free(struct silo_knot_row *rows, size_t n)
{
	size_t i;

	for (i = 0; rows && i < n; i++)
		silo_knot_row_release(&rows[i]);
	free(rows);
}

static int write_if_missing(const char *dir, const char *name, const char *text)
{
	char *path = fs_join(dir, name);
	int ret;

	if (!path)
		return silo_error_oom();
	ret = fs_exists(path);
	if (ret == 0)
		ret = fs_write_file_atomic(path, text, strlen(text));
	free(path);
	return ret < 0 ? ret : 0;
}

int silo_knot_report_init(const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	char *logs = fs_join(dir, "logs");
	size_t i;
	int ret;

	if (!logs)
		return silo_error_oom();
	ret = fs_mkdir_p(logs, 0777);
	free(logs);
	if (ret < 0)
		return ret;
	ret = strbuf_adds(&sb, "column_name\ttype\tdescription\n");
	for (i = 0; !ret && i < N_COLUMNS; i++)
		ret = strbuf_addf(&sb, "%s\t%s\t%s\n", schema[i][0], schema[i][1], schema[i][2]);
	if (!ret)
		ret = write_if_missing(dir, "tasks.schema.tsv", sb.buf);
	if (!ret)
		ret = write_if_missing(dir, "tasks.tsv", SILO_KNOT_REPORT_COLUMNS "\n");
	strbuf_release(&sb);
	return ret;
}

int silo_knot_report_append(const char *dir, const struct silo_knot_row *r)
{
	char *path = fs_join(dir, "tasks.tsv"), *line = NULL;
	int fd, len, ret;

	if (!path)
		return silo_error_oom();
	len = asprintf(&line, "%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%ld\t%s\t%s\t%s\t%s\t%s\n",
		       r->status, r->elapsed, r->start, r->end, r->user, r->sys, r->max_rss_kib,
		       r->wedge, r->version, r->key, r->cache, r->log ? r->log : "-");
	if (len < 0) {
		free(path);
		return silo_error_oom();
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		ret = silo_error_errno("cannot open '%s'", path);
	else {
		ret = fs_write_all(fd, line, (size_t)len, path);
		if (close(fd) < 0 && !ret)
			ret = silo_error_errno("cannot write '%s'", path);
	}
	free(line);
	free(path);
	return ret;
}

int silo_knot_report_graph(silo_knot_set *set, const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, j, n = silo_knot_set_count(set);
	char *path = fs_join(dir, "graph.tsv");
	int ret;

	if (!path)
		return silo_error_oom();
	ret = strbuf_adds(&sb, "key\twedge\tversion\tdeps\n");
	for (i = 0; !ret && i < n; i++) {
		const struct silo_knot_task *t = silo_knot_set_task(set, i);
		ret = strbuf_addf(&sb, "%s\t%s\t%s\t", t->key, t->recipe->name, t->version);
		for (j = 0; !ret && j < t->n_deps; j++)
			ret = strbuf_addf(&sb, "%s%s", j ? "," : "", t->deps[j]->key);
		if (!ret)
			ret = strbuf_adds(&sb, t->n_deps ? "\n" : "-\n");
	}
	if (!ret)
		ret = fs_write_file_atomic(path, sb.buf, sb.len);
	strbuf_release(&sb);
	free(path);
	return ret;
}

/* Split LINE at tabs into at most MAX fields; the number found. */
static size_t split_tabs(char **fields, size_t max, char *line)
{
	size_t n = 0;

	while (n < max) {
		char *tab = strchr(line, '\t');
		fields[n++] = line;
		if (!tab)
			break;
		*tab = '\0';
		line = tab + 1;
	}
	return n;
}

static int parse_num(double *out, const char *s)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return !*s || *end || errno ? -1 : 0;
}

int silo_knot_report_read(struct silo_knot_row **rows_out, size_t *n_out, const char *dir)
{
	char *path = fs_join(dir, "tasks.tsv"), *text = NULL, *line, *next;
	struct silo_knot_row *rows = NULL;
	size_t len, n = 0, alloc = 0, lineno = 0;
	int ret;

	*rows_out = NULL;
	*n_out = 0;
	if (!path)
		return silo_error_oom();
	if ((ret = fs_read_file(&text, &len, path, (size_t)256 << 20)) < 0)
		goto out;
	for (line = text; !ret && line && *line; line = next) {
		char *f[N_COLUMNS + 1];
		struct silo_knot_row *r;
		double st, rss;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (++lineno == 1)
			continue;	/* the header */
		if (split_tabs(f, N_COLUMNS + 1, line) != N_COLUMNS) {
			ret = silo_error_set(SILO_EINVALID, "'%s' line %zu: expected %d columns",
					     path, lineno, N_COLUMNS);
			break;
		}
		if (ALLOC_GROW(rows, n + 1, alloc) < 0) {
			ret = silo_error_oom();
			break;
		}
		r = &rows[n];
		memset(r, 0, sizeof(*r));
		if (parse_num(&st, f[0]) < 0 || parse_num(&r->elapsed, f[1]) < 0 ||
		    parse_num(&r->start, f[2]) < 0 || parse_num(&r->end, f[3]) < 0 ||
		    parse_num(&r->user, f[4]) < 0 || parse_num(&r->sys, f[5]) < 0 ||
		    parse_num(&rss, f[6]) < 0) {
			ret = silo_error_set(SILO_EINVALID, "'%s' line %zu: a number is malformed",
					     path, lineno);
			break;
		}
		r->status = (int)st;
		r->max_rss_kib = (long)rss;
		n++;
		if (!(r->wedge = strdup(f[7])) || !(r->version = strdup(f[8])) ||
		    !(r->key = strdup(f[9])) || !(r->cache = strdup(f[10])) ||
		    !(r->log = strdup(f[11])))
			ret = silo_error_oom();
	}
out:
	if (ret < 0)
		silo_knot_rows_free(rows, n);
	else {
		*rows_out = rows;
		*n_out = n;
	}
	free(text);
	free(path);
	return ret;
}

/* ---- index.html ---- */

static int add_html(struct strbuf *sb, const char *s)
{
	int ret = 0;

	for (; *s && !ret; s++) {
		switch (*s) {
		case '<': ret = strbuf_adds(sb, "&lt;"); break;
		case '>': ret = strbuf_adds(sb, "&gt;"); break;
		case '&': ret = strbuf_adds(sb, "&amp;"); break;
		case '"': ret = strbuf_adds(sb, "&quot;"); break;
		default: ret = strbuf_addch(sb, *s);
		}
	}
	return ret;
}

struct node {
	char *key, *deps;	/* deps: comma-separated keys, or "-" */
	double weight, best;	/* elapsed; longest path ending here */
	int next;		/* the previous task on that path, or -1 */
	int done;
};

static int find_node(struct node *nodes, size_t n, const char *key, size_t key_len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(nodes[i].key) == key_len && !strncmp(nodes[i].key, key, key_len))
			return (int)i;
	return -1;
}

/* The longest path (by elapsed time) ending at node I; the graph has no
 * cycles (knot refuses them), and DEPTH bounds a damaged file. */
static double longest(struct node *nodes, size_t n, size_t i, size_t depth)
{
	const char *p;

	if (nodes[i].done || depth > n)
		return nodes[i].best;
	nodes[i].done = 1;
	nodes[i].best = nodes[i].weight;
	nodes[i].next = -1;
	for (p = nodes[i].deps; strcmp(p, "-") && *p;) {
		size_t len = strcspn(p, ",");
		int d = find_node(nodes, n, p, len);
		if (d >= 0) {
			double l = longest(nodes, n, (size_t)d, depth + 1) + nodes[i].weight;
			if (l > nodes[i].best) {
				nodes[i].best = l;
				nodes[i].next = d;
			}
		}
		p += len + (p[len] == ',');
	}
	return nodes[i].best;
}

/* The critical path as HTML: "a/1 (2.0 s) → b/1 (1.0 s)", total. */
static int critical_path(struct strbuf *sb, const char *dir, const struct silo_knot_row *rows,
			 size_t n_rows)
{
	char *path = fs_join(dir, "graph.tsv"), *text = NULL, *line, *next;
	struct node *nodes = NULL;
	size_t len, n = 0, i, lineno = 0;
	int ret, end = -1, *order = NULL;
	double best = -1;

	if (!path)
		return silo_error_oom();
	ret = fs_read_file(&text, &len, path, (size_t)64 << 20);
	free(path);
	if (ret == SILO_ENOTFOUND) {
		silo_error_clear();
		return strbuf_adds(sb, "<p>No graph.tsv: the critical path is not known.</p>\n");
	}
	if (ret < 0)
		return ret;
	for (line = text; line && *line; line = next)
		n += (next = strchr(line, '\n')) ? (next++, 1) : 1;
	if (!(nodes = calloc(n ? n : 1, sizeof(*nodes))) || !(order = calloc(n ? n : 1, sizeof(int)))) {
		ret = silo_error_oom();
		goto out;
	}
	n = 0;
	for (line = text; line && *line; line = next) {
		char *f[4];
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (++lineno == 1 || split_tabs(f, 4, line) != 4)
			continue;
		nodes[n].key = f[0];
		nodes[n].deps = f[3];
		for (i = 0; i < n_rows; i++)
			if (!strcmp(rows[i].key, f[0]))
				nodes[n].weight = rows[i].elapsed;
		n++;
	}
	for (i = 0; i < n; i++) {
		double l = longest(nodes, n, i, 0);
		if (l > best) {
			best = l;
			end = (int)i;
		}
	}
	ret = strbuf_adds(sb, "<p id=\"critical-path\">Critical path");
	if (!ret && end >= 0) {
		size_t k = 0, m;
		int at;
		for (at = end; at >= 0 && k < n; at = nodes[at].next)
			order[k++] = at;
		ret = strbuf_addf(sb, " (%.3f s):", best);
		for (m = k; !ret && m-- > 0;) {
			const char *name = "?";
			for (i = 0; i < n_rows; i++)
				if (!strcmp(rows[i].key, nodes[order[m]].key))
					name = rows[i].wedge;
			ret = strbuf_adds(sb, m + 1 == k ? " " : " &rarr; ");
			if (!ret)
				ret = add_html(sb, name);
			if (!ret)
				ret = strbuf_addf(sb, " <span class=\"key\">%.12s</span> (%.3f s)",
						  nodes[order[m]].key, nodes[order[m]].weight);
		}
	}
	if (!ret)
		ret = strbuf_adds(sb, "</p>\n");
out:
	free(nodes);
	free(order);
	free(text);
	return ret;
}

static const char html_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	"<title>knot tasks</title>\n<style>\n"
	"body { font-family: sans-serif; margin: 1em; }\n"
	"table { border-collapse: collapse; }\n"
	"th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; font-size: 90%; }\n"
	"th { background: #eee; cursor: pointer; }\n"
	"td.num { text-align: right; }\n"
	"tr.failed td { background: #fdd; }\n"
	".key { font-family: monospace; }\n"
	"</style>\n</head>\n<body>\n<h1>knot tasks</h1>\n";

/* Sorting without a framework: a click on a header sorts by its column,
 * numerically where the column is numeric; a second click reverses. */
static const char html_script[] =
	"<script>\n"
	"document.querySelectorAll('#tasks th').forEach(function (th, col) {\n"
	"  th.addEventListener('click', function () {\n"
	"    var body = document.querySelector('#tasks tbody');\n"
	"    var rows = Array.prototype.slice.call(body.rows);\n"
	"    var num = th.dataset.type === 'number';\n"
	"    var dir = th.dataset.dir === 'asc' ? -1 : 1;\n"
	"    th.dataset.dir = dir === 1 ? 'asc' : 'desc';\n"
	"    rows.sort(function (a, b) {\n"
	"      var x = a.cells[col].textContent, y = b.cells[col].textContent;\n"
	"      if (num) return dir * (parseFloat(x) - parseFloat(y));\n"
	"      return dir * x.localeCompare(y);\n"
	"    });\n"
	"    rows.forEach(function (r) { body.appendChild(r); });\n"
	"  });\n"
	"});\n"
	"</script>\n";

int silo_knot_report_html(const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	struct silo_knot_row *rows = NULL;
	size_t n = 0, i, c, counts[3] = { 0, 0, 0 };
	double elapsed = 0, user = 0, sys = 0, first = 0, last = 0;
	char *path = NULL;
	int ret;

	if ((ret = silo_knot_report_read(&rows, &n, dir)) < 0)
		return ret;
	ret = strbuf_adds(&sb, html_head);
	if (!ret)
		ret = strbuf_adds(&sb, "<table id=\"tasks\">\n<thead><tr>");
	for (c = 0; !ret && c < N_COLUMNS; c++)
		ret = strbuf_addf(&sb, "<th data-type=\"%s\">%s</th>",
				  strcmp(schema[c][1], "string") ? "number" : "string", schema[c][0]);
	if (!ret)
		ret = strbuf_adds(&sb, "</tr></thead>\n<tbody>\n");
	for (i = 0; !ret && i < n; i++) {
		const struct silo_knot_row *r = &rows[i];
		int failed = !strcmp(r->cache, "failed");

		counts[!strcmp(r->cache, "hit") ? 0 : failed ? 2 : 1]++;
		elapsed += r->elapsed;
		user += r->user;
		sys += r->sys;
		if (!i || r->start < first)
			first = r->start;
		if (!i || r->end > last)
			last = r->end;
		ret = strbuf_addf(&sb, "<tr class=\"task%s\"><td class=\"num\">%d</td>"
				  "<td class=\"num\">%.3f</td><td class=\"num\">%.3f</td>"
				  "<td class=\"num\">%.3f</td><td class=\"num\">%.3f</td>"
				  "<td class=\"num\">%.3f</td><td class=\"num\">%ld</td><td>",
				  failed ? " failed" : "", r->status, r->elapsed, r->start, r->end,
				  r->user, r->sys, r->max_rss_kib);
		if (!ret && !(ret = add_html(&sb, r->wedge)) && !(ret = strbuf_adds(&sb, "</td><td>")) &&
		    !(ret = add_html(&sb, r->version)) &&
		    !(ret = strbuf_adds(&sb, "</td><td class=\"key\">")) &&
		    !(ret = add_html(&sb, r->key)) && !(ret = strbuf_adds(&sb, "</td><td>")) &&
		    !(ret = add_html(&sb, r->cache)) && !(ret = strbuf_adds(&sb, "</td><td>"))) {
			if (strcmp(r->log, "-")) {
				if (!(ret = strbuf_adds(&sb, "<a href=\"")) && !(ret = add_html(&sb, r->log)) &&
				    !(ret = strbuf_adds(&sb, "\">")) && !(ret = add_html(&sb, r->log)))
					ret = strbuf_adds(&sb, "</a>");
			} else {
				ret = strbuf_adds(&sb, "-");
			}
		}
		if (!ret)
			ret = strbuf_adds(&sb, "</td></tr>\n");
	}
	if (!ret)
		ret = strbuf_addf(&sb, "</tbody>\n</table>\n<p id=\"totals\">%zu tasks: %zu hit, "
				  "%zu built, %zu failed; %.3f s of tasks, %.3f s user, %.3f s sys, "
				  "%.3f s from first start to last end.</p>\n",
				  n, counts[0], counts[1], counts[2], elapsed, user, sys,
				  n ? last - first : 0.0);
	if (!ret)
		ret = critical_path(&sb, dir, rows, n);
	if (!ret)
		ret = strbuf_addf(&sb, "<p>Columns: <a href=\"tasks.tsv\">tasks.tsv</a>, described by "
				  "<a href=\"tasks.schema.tsv\">tasks.schema.tsv</a>.</p>\n%s"
				  "</body>\n</html>\n", html_script);
	if (!ret && !(path = fs_join(dir, "index.html")))
		ret = silo_error_oom();
	if (!ret)
		ret = fs_write_file_atomic(path, sb.buf, sb.len);
	free(path);
	strbuf_release(&sb);
	silo_knot_rows_free(rows, n);
	return ret;
}
