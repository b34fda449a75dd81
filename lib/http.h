/*
 * HTTP(S) downloads over libcurl, made for fetching silo objects from a
 * static server: several transfers at once (the multi interface),
 * retries with backoff on transient failures, resumption of an
 * interrupted download with a range request, a stall timeout, TLS
 * verification, proxies from the environment and credentials from
 * ~/.netrc as curl users expect.
 *
 * Tuning comes from the environment, so that every command honours it:
 *	SILO_HTTP_RETRIES	retries of a transient failure (default 3)
 *	SILO_HTTP_TIMEOUT	seconds without progress before giving up on a
 *				transfer (default 30), also the connect timeout
 *	SILO_HTTP_MIN_RATE	bytes a second a transfer must bring in every
 *				SILO_HTTP_TIMEOUT seconds (default 1024; 0 for
 *				no minimum); a transfer of N bytes must also end
 *				within SILO_HTTP_TIMEOUT + N / SILO_HTTP_MIN_RATE
 *				seconds.  A slower one fails as a timeout does.
 */
#ifndef SILO_HTTP_H
#define SILO_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* The outcome of one transfer. */
enum http_result {
	HTTP_OK = 0,
	HTTP_NOT_FOUND,		/* 404 or 410: the server does not have it */
	HTTP_FAILED,		/* the transfer failed, after retries */
	HTTP_BAD_BODY		/* the transfer worked but the body cannot be
				 * what was asked for: the job's check refused
				 * it, or it grew past max_bytes (not retried) */
};

struct http_job {
	const char *url;	/* in */
	int fd;			/* in: appended to, from its current size */
	int head;		/* in: ask for the headers only (FD unused) */
	enum http_result result;	/* out */
	char error[512];	/* out: why, for HTTP_FAILED / HTTP_NOT_FOUND */
	uint64_t bytes;		/* out: bytes received for this job */
	/* in (may be changed by CHECK): the download file may not grow
	 * past this many bytes; 0 for no limit.  Past it the transfer stops
	 * as HTTP_BAD_BODY, saying so; or, with KEEP_START, as HTTP_OK with
	 * the first max_bytes bytes written and TRUNCATED set. */
	uint64_t max_bytes;
	int keep_start;		/* in */
	int truncated;		/* out */
	/* in, optional: sees each piece of the body before it is written,
	 * at offset OFF of the download file; a negative return stops the
	 * transfer as HTTP_BAD_BODY with the message left in job->error. */
	int (*check)(struct http_job *job, uint64_t off, const void *data, size_t len);
	void *check_payload;
	/* private to http.c */
	int attempts;
	int64_t not_before_ms;
	int active;
	void *easy;
	uint64_t start_offset;
};

/*
 * Run JOBS (N of them), at most PARALLEL at once.  PROGRESS, if set, is
 * called now and then with the bytes received so far and the number of
 * jobs finished.  Returns 0 when every job ran to an outcome (look at each
 * job's result), or a negative error if the transfers could not run.
 */
int http_run(struct http_job *jobs, size_t n, int parallel,
	     void (*progress)(void *payload, uint64_t bytes, size_t done),
	     void *payload);

/* Ask whether the server has URL, with a HEAD request: nothing of the
 * file is transferred.  *result says what happened. */
int http_head(const char *url, enum http_result *result, char *error,
	      size_t error_size);

/* Download URL to the end of FD: 0, or SILO_ENOTFOUND or SILO_ENET with
 * the message "cannot download 'URL': why". */
int http_download(const char *url, int fd);

/* Download URL into memory (for small files such as config.json or an
 * index).  *result says what happened; *out is owned by the caller. */
int http_get_buffer(const char *url, char **out, size_t *len,
		    enum http_result *result, char *error, size_t error_size);

/* The same, for no more than the first MAX bytes of URL: the transfer
 * stops there, *len is at most MAX, and a longer file is not an error. */
int http_get_start(const char *url, size_t max, char **out, size_t *len,
		   enum http_result *result, char *error, size_t error_size);

/*
 * Fetch bytes [OFF, OFF + LEN) of URL with a range request and write them
 * at the same offset of FD.  *total receives the size of the whole file
 * as the last answer gave it (from Content-Range, or the Content-Length
 * of a 200; 0 if unknown), also when the transfer failed.  A
 * server that ignores ranges sends the whole file: only the range is
 * written, and the transfer stops at its end, so that no more than asked
 * for is ever written or waited for.  Transient failures are retried as
 * for http_run().
 */
int http_get_range(const char *url, uint64_t off, uint64_t len, int fd,
		   uint64_t *total, enum http_result *result,
		   char *error, size_t error_size);

/* 1 if S looks like an http:// or https:// URL. */
int http_is_url(const char *s);

/*
 * One request of any method, for the writers of object stores (a PUT
 * with a condition, a DELETE, a listing): the answer's status, body and
 * ETag are the caller's to judge.  s3:// URLs are signed as for reads.
 */
struct http_request {
	const char *method;		/* in: "GET", "PUT", "DELETE", ... */
	const char *url;		/* in */
	const char *const *headers;	/* in: "Name: value" lines, NULL-ended;
					 * or NULL */
	int body_fd;			/* in: the body, read from offset 0 with
					 * pread(); -1 for BODY */
	const void *body;		/* in: else the body in memory, or NULL */
	uint64_t body_len;		/* in: the body's length (sent as
					 * Content-Length, never chunked) */
	size_t max_answer;		/* in: the longest answer body taken
					 * (0: 1 MiB); a longer one fails */
	int final_500;			/* in: a 500 is an answer, not retried */
	long status;			/* out: the answer's HTTP status */
	char *answer;			/* out: its body, NUL-ended, or NULL;
					 * free() it */
	size_t answer_len;
	char etag[256];			/* out: its ETag header as sent, or "" */
	char error[512];		/* out: what a status >= 300 means */
};

/*
 * Send REQ, retrying transient failures (no answer, 408, 429, 5xx) as
 * http_run() does.  0 when an answer came (REQ->status), SILO_ENET with
 * the message "cannot METHOD 'URL': why" when none did, or another
 * negative code (keys that cannot be read, the body's file).
 */
int http_request(struct http_request *req);

#endif
