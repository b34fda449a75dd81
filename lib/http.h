/*
 * HTTP(S) downloads over libcurl, made for fetching silo objects from a
 * static server: several transfers at once (the multi interface),
 * retries with backoff on transient failures, resumption of an
 * interrupted download with a range request, a stall timeout, TLS
 * verification, proxies from the environment and credentials from
 * ~/.netrc as curl users expect; http_request_run() for the other
 * methods a writer needs (PUT, DELETE, MKCOL, PROPFIND).
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
 *
 * Credentials, for every request (set in one place, set_credentials()),
 * of one of two kinds chosen by the URL's scheme:
 *	http(s)://	~/.netrc by host, as curl reads it; else
 *			SILO_HTTP_TOKEN (a bearer token) or SILO_HTTP_USER
 *			and SILO_HTTP_PASSWORD (basic auth), sent only to
 *			the host named by SILO_HTTP_AUTH_HOST ("host" or
 *			"host:port") when it is set.
 *	s3://		the AWS keys, region and endpoint of s3-auth.h: the
 *			request goes to the bucket's HTTP URL, signed with
 *			AWS Signature Version 4, and is sent nothing of the
 *			above.
 * They are never part of a URL or a message.
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

/* One request of any method, with headers, a body and a small answer. */
struct http_request {
	const char *method;		/* in: "PUT", "DELETE", "MKCOL", ... */
	const char *url;		/* in */
	const char *const *headers;	/* in: NULL-terminated, or NULL */
	/* in: the body to send, from memory (BODY, BODY_SIZE bytes), else
	 * from BODY_FD (from offset 0, BODY_LEN bytes); BODY NULL and
	 * BODY_FD -1 for none */
	const void *body;
	size_t body_size;
	int body_fd;
	uint64_t body_len;
	size_t max_response;		/* in: answers longer are an error (an
					 * error page, status >= 300, is kept
					 * up to its first 4 KiB instead) */
	long status;			/* out: the HTTP status of the answer */
	char error[512];		/* out: what a status >= 300 means, or
					 * why no answer came: "HTTP 403", with
					 * S3's error code "HTTP 403
					 * (SignatureDoesNotMatch)" */
	char etag[256];			/* out: its ETag header, or "" */
	int64_t last_modified;		/* out: its Last-Modified, or -1 */
	char *response;			/* out: its body (the caller's), or NULL */
	size_t response_len;		/* out */
	uint64_t requests, bytes_sent;	/* out: added to, for counts */
};

/*
 * Send RQ, retried as downloads are on transient failures (a 5xx, 408,
 * 429, a broken connection).  0 when an answer came, whatever its status
 * (rq->status says); SILO_ENET naming the method and URL when none did;
 * another negative code when RQ's body cannot be read or an s3:// URL's
 * keys (s3-auth.h) cannot be.  s3:// URLs are signed as for downloads.
 */
int http_request_run(struct http_request *rq);

/* 1 if S looks like an http://, https:// or s3:// URL. */
int http_is_url(const char *s);

/* 1 if URL carries a user name or password (user:password@host); 0 if
 * not.  Credentials come from ~/.netrc or the environment only, so that
 * no message, cache path or page can show them. */
int http_url_has_credentials(const char *url);

#endif
