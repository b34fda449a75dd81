/* Downloads over libcurl's multi interface (see http.h). */
#include "http.h"
#include "error-internal.h"
#include "fsutil.h"
#include "s3-auth.h"
#include "strbuf.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ready;

/* What the requests of http_request_run() share, one after another and
 * across threads: connections (a push sends many small requests to one
 * server), DNS answers and TLS sessions. */
static CURLSH *share;
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

static void share_lock(CURL *e, curl_lock_data data, curl_lock_access access, void *p)
{
	(void)e;
	(void)access;
	(void)p;
	pthread_mutex_lock(&share_locks[data]);
}

static void share_unlock(CURL *e, curl_lock_data data, void *p)
{
	(void)e;
	(void)p;
	pthread_mutex_unlock(&share_locks[data]);
}

static void init_curl(void)
{
	int i;

	curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	if (!curl_ready || !(share = curl_share_init()))
		return;
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&share_locks[i], NULL);
	if (curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
	    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
	    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
	    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
	    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
		/* Each request on its own connection, as before. */
		curl_share_cleanup(share);
		share = NULL;
	}
}

static long env_long(const char *name, long dflt, long min, long max)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return dflt;
	v = strtol(s, &end, 10);
	if (*end || v < min || v > max)
		return dflt;
	return v;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The wait before retry N (from 0): 250 ms, 500 ms, 1 s, ... at most 30 s. */
static int64_t backoff_ms(int n)
{
	return n >= 7 ? 30000 : 250LL << n;
}

/* Wait before retry N (from 0) of a single transfer. */
static void sleep_backoff(int n)
{
	int64_t ms = backoff_ms(n);
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int http_is_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8) || s3_is_url(s);
}

/*
 * What one call needs to sign its requests: for s3:// URLs, the keys and
 * the endpoint, read at the call's first such URL (s3-auth.h).
 */
struct auth {
	struct s3_auth s3;
	int s3_loaded;
};

#define AUTH_INIT { { 0 }, 0 }

/* Read what requests for URL need, if not yet read, and check URL. */
static int auth_load(struct auth *au, const char *url)
{
	char *http_url;
	int ret;

	if (!s3_is_url(url))
		return 0;
	if (!au->s3_loaded) {
		if ((ret = s3_auth_load(&au->s3)) < 0)
			return ret;
		au->s3_loaded = 1;
	}
	if ((ret = s3_http_url(&http_url, &au->s3, url)) < 0)
		return ret;
	free(http_url);
	return 0;
}

static void auth_release(struct auth *au)
{
	s3_auth_release(&au->s3);
}

/* What an answer of STATUS says, with the start of its body (BODY, LEN
 * bytes), where the server explains (S3's error code). */
static void describe_status(char *buf, size_t size, const struct auth *au, const char *url,
			    long status, const char *body, size_t len)
{
	if (s3_is_url(url) && au->s3_loaded)
		s3_describe_status(buf, size, &au->s3, status, body, len);
	else
		snprintf(buf, size, "HTTP %ld", status);
}

/* The start of an error page, kept for describe_status(). */
struct error_body {
	char text[512];
	size_t len;
};

static void keep_error_body(struct error_body *eb, const char *buf, size_t len)
{
	size_t room = sizeof(eb->text) - 1 - eb->len;

	if (len > room)
		len = room;
	memcpy(eb->text + eb->len, buf, len);
	eb->len += len;
	eb->text[eb->len] = '\0';
}

int http_url_has_credentials(const char *url)
{
	CURLU *u = curl_url();
	char *user = NULL;
	int found;

	if (!u)
		return 0;
	found = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK;
	curl_free(user);
	curl_url_cleanup(u);
	return found;
}

/* How fast every transfer of one call must go (see http.h). */
struct limits {
	long timeout;		/* SILO_HTTP_TIMEOUT, seconds */
	long min_rate;		/* SILO_HTTP_MIN_RATE, bytes a second; 0: none */
	int retries;		/* SILO_HTTP_RETRIES */
};

static void get_limits(struct limits *lim)
{
	lim->timeout = env_long("SILO_HTTP_TIMEOUT", 30, 1, 86400);
	lim->min_rate = env_long("SILO_HTTP_MIN_RATE", 1024, 0, 1L << 30);
	lim->retries = (int)env_long("SILO_HTTP_RETRIES", 3, 0, 100);
}

/*
 * The pace of one transfer, watched by on_progress(): in every window of
 * TIMEOUT seconds at least MIN_RATE bytes a second must come, and the
 * whole transfer must end within TIMEOUT seconds plus its size at
 * MIN_RATE.  curl's own low-speed check averages over a window of its
 * choosing, so that a stall or a trickle would be noticed seconds late.
 */
struct pace {
	const struct limits *lim;
	uint64_t expected;	/* bytes the transfer should bring; 0: unknown */
	int64_t start_ms;
	int64_t window_ms;	/* when the current window began */
	uint64_t window_bytes;	/* bytes received when it began */
	uint64_t got;		/* bytes received so far */
	int data_seen;		/* got was more than 0 before */
	enum { PACE_OK, PACE_STALLED, PACE_SLOW, PACE_LATE } verdict;
	uint64_t deadline_s, late_size;	/* for PACE_LATE */
};

static void pace_start(struct pace *pc, const struct limits *lim, uint64_t expected)
{
	memset(pc, 0, sizeof(*pc));
	pc->lim = lim;
	pc->expected = expected;
	pc->start_ms = pc->window_ms = now_ms();
}

static int on_progress(void *p, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct pace *pc = p;
	const struct limits *lim = pc->lim;
	int64_t now = now_ms(), window = lim->timeout * 1000;
	uint64_t size = pc->expected;

	(void)ultotal;
	/* An upload (a push) moves its bytes the other way: they count. */
	pc->got = (dlnow > 0 ? (uint64_t)dlnow : 0) + (ulnow > 0 ? (uint64_t)ulnow : 0);
	if (pc->got && !pc->data_seen) {
		/* Waiting for the first byte is a window of its own. */
		pc->data_seen = 1;
		pc->window_ms = now;
		pc->window_bytes = pc->got;
	}
	if (now - pc->window_ms >= window) {
		uint64_t came = pc->got - pc->window_bytes;
		uint64_t ms = (uint64_t)(now - pc->window_ms);
		if (!came)
			pc->verdict = PACE_STALLED;
		else if (came * 1000 < (uint64_t)lim->min_rate * ms)
			pc->verdict = PACE_SLOW;
		pc->window_ms = now;
		pc->window_bytes = pc->got;
	}
	if (dltotal > 0 && (uint64_t)dltotal > size)
		size = (uint64_t)dltotal;
	if (pc->got > size)
		size = pc->got;
	if (!pc->verdict && lim->min_rate) {
		/* TIMEOUT + SIZE / MIN_RATE seconds, in whole seconds.  The
		 * windows above mostly decide first; this also bounds a slow
		 * last window. */
		uint64_t allowed = (uint64_t)lim->timeout + size / (uint64_t)lim->min_rate;
		if ((uint64_t)(now - pc->start_ms) / 1000 > allowed) {
			pc->verdict = PACE_LATE;
			pc->deadline_s = allowed;
			pc->late_size = size;
		}
	}
	return pc->verdict != PACE_OK;
}

/* Per-transfer state that curl's callbacks see. */
struct transfer {
	struct pace pace;
	struct http_job *job;
	long status;		/* HTTP status of the last response */
	int write_failed;	/* 1: writing the file failed; BAD_BODY: the body */
	char write_error[256];
	struct curl_slist *headers;	/* of new_easy() */
	struct error_body error_body;
};

#define BAD_BODY 2

/* Copy a header line, which curl does not NUL-terminate, into LINE. */
static void header_line(char line[256], const char *buf, size_t len)
{
	if (len > 255)
		len = 255;
	memcpy(line, buf, len);
	line[len] = '\0';
}

/* The status of LINE if it is a status line, which starts each response
 * (redirects give several): 1 and *code set, else 0. */
static int status_line(const char *line, long *code)
{
	const char *sp;

	if (strncmp(line, "HTTP/", 5) || !(sp = strchr(line, ' ')))
		return 0;
	return sscanf(sp + 1, "%ld", code) == 1;
}

static size_t on_header(char *buf, size_t size, size_t n, void *p)
{
	struct transfer *t = p;
	size_t len = size * n;
	char line[256];
	long code;

	header_line(line, buf, len);
	if (status_line(line, &code))
		t->status = code;
	return len;
}

/* Append LEN bytes of BUF to the job's file: 0, or -1 with T failed. */
static int write_body(struct transfer *t, const char *buf, size_t len)
{
	if (fs_write_all(t->job->fd, buf, len, "download file") < 0) {
		snprintf(t->write_error, sizeof(t->write_error), "%s",
			 silo_error_message());
		t->write_failed = 1;
		return -1;
	}
	t->job->bytes += len;
	return 0;
}

static size_t on_data(char *buf, size_t size, size_t n, void *p)
{
	struct transfer *t = p;
	struct http_job *job = t->job;
	size_t len = size * n;

	if (t->status >= 300) {
		keep_error_body(&t->error_body, buf, len);
		return len;	/* an error page: not the file */
	}
	if (job->check && job->check(job, job->start_offset + job->bytes, buf, len) < 0) {
		snprintf(t->write_error, sizeof(t->write_error), "%.200s", job->error);
		t->write_failed = BAD_BODY;
		return 0;
	}
	if (job->max_bytes && (job->start_offset + job->bytes > job->max_bytes ||
			       len > job->max_bytes - job->start_offset - job->bytes)) {
		if (job->keep_start && job->start_offset + job->bytes <= job->max_bytes) {
			size_t room = (size_t)(job->max_bytes - job->start_offset - job->bytes);
			if (write_body(t, buf, room) == 0)
				job->truncated = 1;
			return 0;	/* enough (or failed): stop here */
		}
		snprintf(t->write_error, sizeof(t->write_error),
			 "the server sent more than the %llu bytes expected",
			 (unsigned long long)job->max_bytes);
		t->write_failed = BAD_BODY;
		return 0;
	}
	return write_body(t, buf, len) < 0 ? 0 : len;
}

/* Does the host (and port) of URL match SPEC, "host" or "host:port"? */
static int auth_host_matches(const char *url, const char *spec)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	size_t hlen;
	int ok = 0;

	if (!u)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		hlen = strlen(host);
		ok = !strncasecmp(spec, host, hlen) &&
		     (!spec[hlen] || (spec[hlen] == ':' && !strcmp(spec + hlen + 1, port)));
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ok;
}

/*
 * The credentials of an http(s) URL (see http.h): ~/.netrc is curl's own
 * reading, by host; the environment's are sent only to
 * SILO_HTTP_AUTH_HOST when it is set.  Neither is ever part of a URL, so
 * no message, cache path or treeptr can show them.
 */
static void set_http_credentials(CURL *e, const char *url)
{
	const char *token = getenv("SILO_HTTP_TOKEN");
	const char *user = getenv("SILO_HTTP_USER");
	const char *pass = getenv("SILO_HTTP_PASSWORD");
	const char *only = getenv("SILO_HTTP_AUTH_HOST");

	curl_easy_setopt(e, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
	if (only && *only && !auth_host_matches(url, only))
		return;
	if (token && *token) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, token);
	} else if (user && *user) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, pass ? pass : "");
	}
}

/*
 * Credentials: the one place they are set on a handle, two kinds kept
 * apart by the URL's scheme.  An s3:// URL becomes its HTTP URL, signed
 * with the AWS keys of AU (s3-auth.h), and is sent nothing of
 * SILO_HTTP_* or ~/.netrc; an http(s) URL is sent those only.  HEADERS
 * become E's headers, with those a signature needs appended.
 */
static int set_credentials(CURL *e, const char *url, struct auth *au,
			   struct curl_slist **headers)
{
	int ret;

	if (s3_is_url(url)) {
		if ((ret = auth_load(au, url)) < 0)
			return ret;
		return s3_easy_setup(e, &au->s3, url, headers);
	}
	set_http_credentials(e, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, *headers);
	return 0;
}

/*
 * *out: a handle for URL whose pace PC watches (pace_start() first), sent
 * the headers *HEADERS (the caller's, or NULL; set_credentials() may
 * append to them, and the caller frees them after the transfer).  0, or
 * a negative code with a message.
 */
static int new_easy(CURL **out, const char *url, struct pace *pc, struct auth *au,
		    struct curl_slist **headers)
{
	CURL *e = curl_easy_init();
	int ret;

	*out = NULL;
	if (!e)
		return silo__error_oom();
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, pc->lim->timeout);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, pc);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	/* In case the progress callback is not called: a stalled server,
	 * less than 1 byte/s for TIMEOUT seconds (by curl's measure). */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, pc->lim->timeout);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "silo/" SILO_VERSION);
	/* Objects are already compressed; ask for them as they are. */
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, NULL);
	if ((ret = set_credentials(e, url, au, headers)) < 0) {
		curl_easy_cleanup(e);
		return ret;
	}
	*out = e;
	return 0;
}

static int start_job(CURLM *multi, struct http_job *job, const struct limits *lim,
		     struct auth *au)
{
	struct transfer *t;
	struct stat st;
	CURL *e;

	if (job->head) {
		job->start_offset = 0;
	} else if (fstat(job->fd, &st) < 0) {
		snprintf(job->error, sizeof(job->error), "cannot stat download file: %s",
			 strerror(errno));
		return -1;
	} else {
		job->start_offset = (uint64_t)st.st_size;
	}
	if (!job->head && lseek(job->fd, 0, SEEK_END) < 0) {
		snprintf(job->error, sizeof(job->error), "cannot seek download file: %s",
			 strerror(errno));
		return -1;
	}
	if (!(t = calloc(1, sizeof(*t)))) {
		snprintf(job->error, sizeof(job->error), "out of memory");
		return -1;
	}
	pace_start(&t->pace, lim, job->max_bytes > job->start_offset ?
		   job->max_bytes - job->start_offset : 0);
	if (new_easy(&e, job->url, &t->pace, au, &t->headers) < 0) {
		curl_slist_free_all(t->headers);
		free(t);
		snprintf(job->error, sizeof(job->error), "%s", silo_error_message());
		return -1;
	}
	t->job = job;
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	if (job->head)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	if (job->start_offset)
		curl_easy_setopt(e, CURLOPT_RESUME_FROM_LARGE,
				 (curl_off_t)job->start_offset);
	if (curl_multi_add_handle(multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		curl_slist_free_all(t->headers);
		free(t);
		snprintf(job->error, sizeof(job->error), "cannot start transfer");
		return -1;
	}
	job->easy = e;
	job->active = 1;
	job->attempts++;
	return 0;
}

/*
 * Say what went wrong with a transfer that got GOT bytes, in words a user
 * can act on: curl's "Transferred a partial file" or "Timeout was reached"
 * alone do not say how far it got or which limit was hit.
 */
static void describe_failure(char *buf, size_t size, CURLcode code, uint64_t got,
			     const struct pace *pc)
{
	const struct limits *lim = pc->lim;

	if (code == CURLE_ABORTED_BY_CALLBACK && pc->verdict == PACE_SLOW)
		snprintf(buf, size, "slower than %ld bytes/s (SILO_HTTP_MIN_RATE) for %ld s "
			 "(SILO_HTTP_TIMEOUT), after %llu bytes", lim->min_rate, lim->timeout,
			 (unsigned long long)got);
	else if (code == CURLE_ABORTED_BY_CALLBACK && pc->verdict == PACE_LATE)
		snprintf(buf, size, "not done within %llu s (SILO_HTTP_TIMEOUT, and %llu bytes "
			 "at SILO_HTTP_MIN_RATE), after %llu bytes",
			 (unsigned long long)pc->deadline_s, (unsigned long long)pc->late_size,
			 (unsigned long long)got);
	else if (code == CURLE_OPERATION_TIMEDOUT ||
		 (code == CURLE_ABORTED_BY_CALLBACK && pc->verdict == PACE_STALLED))
		snprintf(buf, size, "no data for %ld s after %llu bytes (SILO_HTTP_TIMEOUT): %s",
			 lim->timeout, (unsigned long long)got,
			 curl_easy_strerror(CURLE_OPERATION_TIMEDOUT));
	else if (code == CURLE_PARTIAL_FILE)
		snprintf(buf, size, "the server closed the transfer after %llu bytes, "
			 "before the end it announced", (unsigned long long)got);
	else
		snprintf(buf, size, "%s", curl_easy_strerror(code));
}

/* Is this failure worth another try?  PC: the transfer's pace. */
static int transient(CURLcode code, long status, const struct pace *pc)
{
	if (code == CURLE_OK)
		return status >= 500 || status == 408 || status == 429;
	switch (code) {
	case CURLE_ABORTED_BY_CALLBACK:
		return pc->verdict != PACE_OK;	/* as a timeout */
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* A finished transfer: decide its outcome or schedule a retry. */
static void finish_job(CURLM *multi, CURL *e, CURLcode code, int retries,
		       const struct auth *au)
{
	struct transfer *t = NULL;
	struct http_job *job;
	long status = 0;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&t);
	job = t->job;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(multi, e);
	curl_easy_cleanup(e);
	job->easy = NULL;
	job->active = 0;

	if (t->write_failed) {
		job->result = t->write_failed == BAD_BODY ? HTTP_BAD_BODY : HTTP_FAILED;
		snprintf(job->error, sizeof(job->error), "%s", t->write_error);
	} else if (job->truncated && code == CURLE_WRITE_ERROR) {
		job->result = HTTP_OK;	/* stopped after the start it wanted */
	} else if (code == CURLE_OK && (status == 200 || status == 206 ||
					(status == 0 && !strncmp(job->url, "file:", 5)))) {
		job->result = HTTP_OK;
	} else if (job->start_offset &&
		   ((code == CURLE_OK && status == 416) || code == CURLE_RANGE_ERROR ||
		    code == CURLE_BAD_DOWNLOAD_RESUME)) {
		/* Our partial file is no prefix of theirs, or the server
		 * ignores ranges: start over from the first byte.  What
		 * broke the transfer before is the news, if we give up. */
		char prev[200];
		snprintf(prev, sizeof(prev), "%.190s", job->error[0] ? job->error :
			 "an earlier transfer broke off");
		job->result = HTTP_FAILED;
		snprintf(job->error, sizeof(job->error),
			 "%s; resuming at byte %llu failed: %s", prev,
			 (unsigned long long)job->start_offset,
			 code == CURLE_OK ? "range not satisfiable" :
			 "the server does not send ranges");
		if (ftruncate(job->fd, 0) < 0)
			snprintf(job->error, sizeof(job->error),
				 "cannot truncate download file: %s", strerror(errno));
		else if (job->attempts <= retries)
			job->result = -1;	/* run again, at once */
	} else if (code == CURLE_OK && (status == 404 || status == 410)) {
		job->result = HTTP_NOT_FOUND;
		describe_status(job->error, sizeof(job->error), au, job->url, status,
				t->error_body.text, t->error_body.len);
	} else if (code == CURLE_FILE_COULDNT_READ_FILE) {
		job->result = HTTP_NOT_FOUND;
		snprintf(job->error, sizeof(job->error), "no such file");
	} else {
		if (code == CURLE_OK)
			describe_status(job->error, sizeof(job->error), au, job->url, status,
					t->error_body.text, t->error_body.len);
		else
			describe_failure(job->error, sizeof(job->error), code,
					 job->start_offset + job->bytes, &t->pace);
		job->result = HTTP_FAILED;
		if (transient(code, status, &t->pace) && job->attempts <= retries) {
			job->not_before_ms = now_ms() + backoff_ms(job->attempts - 1);
			job->result = -1;
		}
	}
	curl_slist_free_all(t->headers);
	free(t);
}

int http_run(struct http_job *jobs, size_t n, int parallel,
	     void (*progress)(void *payload, uint64_t bytes, size_t done),
	     void *payload)
{
	struct limits lim;
	struct auth au = AUTH_INIT;
	size_t done = 0, i;
	int active = 0, ret;
	CURLM *multi;

	pthread_once(&curl_once, init_curl);
	if (!curl_ready)
		return silo__error_set(SILO_ENET, "cannot initialise libcurl");
	if (parallel < 1)
		parallel = 1;
	get_limits(&lim);
	/* Keys that cannot be read stop every transfer before the first. */
	for (i = 0; i < n; i++)
		if ((ret = auth_load(&au, jobs[i].url)) < 0) {
			auth_release(&au);
			return ret;
		}
	multi = curl_multi_init();
	if (!multi) {
		auth_release(&au);
		return silo__error_oom();
	}
	for (i = 0; i < n; i++) {
		jobs[i].result = -1;	/* pending */
		jobs[i].attempts = 0;
		jobs[i].not_before_ms = 0;
		jobs[i].active = 0;
		jobs[i].bytes = 0;
		jobs[i].error[0] = '\0';
	}
	while (done < n) {
		int64_t now = now_ms(), wait_ms = 1000;
		CURLMsg *msg;
		int left, running;

		/* Start what may start. */
		for (i = 0; i < n && active < parallel; i++) {
			struct http_job *job = &jobs[i];
			if ((int)job->result != -1 || job->active)
				continue;
			if (job->not_before_ms > now) {
				if (job->not_before_ms - now < wait_ms)
					wait_ms = job->not_before_ms - now;
				continue;
			}
			if (start_job(multi, job, &lim, &au) < 0) {
				job->result = HTTP_FAILED;
				done++;
				continue;
			}
			active++;
		}
		if (curl_multi_perform(multi, &running) != CURLM_OK) {
			curl_multi_cleanup(multi);
			auth_release(&au);
			return silo__error_set(SILO_ENET, "libcurl: transfer loop failed");
		}
		while ((msg = curl_multi_info_read(multi, &left))) {
			struct transfer *t = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
			{
				struct http_job *job = t->job;
				finish_job(multi, msg->easy_handle, msg->data.result, lim.retries,
					   &au);
				active--;
				if ((int)job->result != -1)
					done++;
			}
		}
		if (progress) {
			uint64_t bytes = 0;
			for (i = 0; i < n; i++)
				bytes += jobs[i].bytes;
			progress(payload, bytes, done);
		}
		if (done < n && active > 0) {
			if (wait_ms > 100)
				wait_ms = 100;
			curl_multi_poll(multi, NULL, 0, (int)wait_ms, NULL);
		} else if (done < n) {
			/* Everything pending waits for its backoff. */
			struct timespec ts = { 0, (long)(wait_ms > 0 ? wait_ms : 1) * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	curl_multi_cleanup(multi);
	auth_release(&au);
	return 0;
}

int http_head(const char *url, enum http_result *result, char *error,
	      size_t error_size)
{
	struct http_job job;
	int ret;

	memset(&job, 0, sizeof(job));
	job.url = url;
	job.fd = -1;
	job.head = 1;
	ret = http_run(&job, 1, 1, NULL, NULL);
	*result = job.result;
	snprintf(error, error_size, "%s", job.error);
	return ret;
}

int http_download(const char *url, int fd)
{
	struct http_job job;
	int ret;

	memset(&job, 0, sizeof(job));
	job.url = url;
	job.fd = fd;
	if ((ret = http_run(&job, 1, 1, NULL, NULL)) < 0)
		return ret;
	if (job.result == HTTP_NOT_FOUND)
		return silo__error_set(SILO_ENOTFOUND, "cannot download '%s': %s", url, job.error);
	if (job.result != HTTP_OK)
		return silo__error_set(SILO_ENET, "cannot download '%s': %s", url, job.error);
	return 0;
}

int http_get_buffer(const char *url, char **out, size_t *len,
		    enum http_result *result, char *error, size_t error_size)
{
	return http_get_start(url, 0, out, len, result, error, error_size);
}

int http_get_start(const char *url, size_t max, char **out, size_t *len,
		   enum http_result *result, char *error, size_t error_size)
{
	struct http_job job;
	char *tmpl = NULL;
	int fd, ret;
	struct stat st;
	const char *tmpdir = getenv("TMPDIR");

	*out = NULL;
	*len = 0;
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	if ((ret = fs_tmpfile(&fd, &tmpl, tmpdir, "silo-http-")) < 0)
		return ret;
	unlink(tmpl);
	free(tmpl);
	memset(&job, 0, sizeof(job));
	job.url = url;
	job.fd = fd;
	job.max_bytes = max;
	job.keep_start = 1;
	ret = http_run(&job, 1, 1, NULL, NULL);
	*result = job.result;
	snprintf(error, error_size, "%s", job.error);
	if (ret == 0 && job.result == HTTP_OK) {
		if (fstat(fd, &st) < 0) {
			ret = silo__error_errno("cannot stat download of '%s'", url);
		} else if (lseek(fd, 0, SEEK_SET) < 0) {
			ret = silo__error_errno("cannot seek in download of '%s'", url);
		} else if (!(*out = malloc((size_t)st.st_size + 1))) {
			ret = silo__error_oom();
		} else if (fs_read_full(fd, *out, (size_t)st.st_size, url) !=
			   (ssize_t)st.st_size) {
			ret = silo__error_set(SILO_EIO, "short read of the download of '%s'", url);
		} else {
			(*out)[st.st_size] = '\0';
			*len = (size_t)st.st_size;
		}
	}
	if (ret && *out) {
		free(*out);
		*out = NULL;
	}
	close(fd);
	return ret;
}

/* State of one range request. */
struct range_transfer {
	int fd;
	uint64_t pos;		/* where the next byte goes */
	long status;
	uint64_t total;		/* from Content-Range, or Content-Length of a 200 */
	int write_failed;
	uint64_t start;		/* the range asked for: [start, end) */
	uint64_t end;		/* a 206 may not write past this offset */
	int enough;		/* a 200 reached the end of the range: stopped */
	struct error_body error_body;
};

static size_t on_range_header(char *buf, size_t size, size_t n, void *p)
{
	struct range_transfer *t = p;
	size_t len = size * n;
	unsigned long long a, b, total;
	char line[256];
	long code;

	header_line(line, buf, len);
	if (status_line(line, &code)) {
		t->status = code;
		/* A 200 answers with the whole file: it goes from offset 0. */
		if (t->status == 200)
			t->pos = 0;
	} else if (!strncasecmp(line, "Content-Range:", 14) &&
		   (sscanf(line + 14, " bytes %llu-%llu/%llu", &a, &b, &total) == 3 ||
		    sscanf(line + 14, " bytes */%llu", &total) == 1)) {
		/* The second form comes with 416: the range is past the end. */
		t->total = total;
	} else if (!strncasecmp(line, "Content-Length:", 15) &&
		   t->status == 200 && sscanf(line + 15, " %llu", &total) == 1) {
		t->total = total;
	}
	return len;
}

static size_t on_range_data(char *buf, size_t size, size_t n, void *p)
{
	struct range_transfer *t = p;
	size_t len = size * n, done = 0;

	if (t->status != 200 && t->status != 206) {
		keep_error_body(&t->error_body, buf, len);
		return len;	/* an error page */
	}
	if (t->status == 206 && (t->pos > t->end || len > t->end - t->pos)) {
		t->write_failed = 2;	/* more than the range asked for */
		return 0;
	}
	if (t->status == 200) {
		/* The whole file, from its first byte: only the range is
		 * written, and the transfer stops at its end, however much
		 * more the server would send. */
		uint64_t a = t->pos, b = t->pos + len;
		if (a < t->start) {
			done = t->start - a < len ? (size_t)(t->start - a) : len;
			t->pos += done;
		}
		if (b > t->end)
			len -= (size_t)(b - t->end);
	}
	while (done < len) {
		ssize_t w = pwrite(t->fd, buf + done, len - done, (off_t)t->pos);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			t->write_failed = 1;
			return 0;
		}
		done += (size_t)w;
		t->pos += (uint64_t)w;
	}
	if (t->status == 200 && t->pos >= t->end) {
		t->enough = 1;
		return 0;
	}
	return len;
}

static int get_range(struct auth *au, const char *url, uint64_t off, uint64_t len, int fd,
		     uint64_t *total, enum http_result *result,
		     char *error, size_t error_size)
{
	struct limits lim;
	char range[64];
	int attempt, ret;

	get_limits(&lim);
	snprintf(range, sizeof(range), "%llu-%llu", (unsigned long long)off,
		 (unsigned long long)(off + len - 1));
	for (attempt = 0; ; attempt++) {
		struct range_transfer t = { fd, off, 0, 0, 0, off, off + len, 0, { "", 0 } };
		struct curl_slist *headers = NULL;
		struct pace pc;
		CURL *e;
		CURLcode code;

		pace_start(&pc, &lim, len);
		if ((ret = new_easy(&e, url, &pc, au, &headers)) < 0) {
			curl_slist_free_all(headers);
			return ret;
		}
		curl_easy_setopt(e, CURLOPT_RANGE, range);
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_range_header);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_range_data);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
		code = curl_easy_perform(e);
		curl_easy_cleanup(e);
		curl_slist_free_all(headers);
		*total = t.total;	/* what this answer said, even if it failed */
		if (t.write_failed == 2)
			return silo__error_set(SILO_ENET,
				"cannot fetch '%s': the server sent more than the %llu bytes asked for",
				url, (unsigned long long)len);
		if (t.write_failed)
			return silo__error_errno("cannot write the download of '%s'", url);
		if (code == CURLE_OK && t.status == 206 && t.pos == off + len) {
			*total = t.total;
			*result = HTTP_OK;
			return 0;
		}
		if ((code == CURLE_OK || (code == CURLE_WRITE_ERROR && t.enough)) &&
		    t.status == 200 && t.pos >= off + len) {
			/* No ranges here: the file came from its first byte,
			 * and the range was kept.  Its size is the length the
			 * server announced, if it did. */
			*total = t.total;
			*result = HTTP_OK;
			return 0;
		}
		if (code == CURLE_OK && (t.status == 404 || t.status == 410)) {
			*result = HTTP_NOT_FOUND;
			describe_status(error, error_size, au, url, t.status, t.error_body.text,
					t.error_body.len);
			return 0;
		}
		if (code == CURLE_OK && t.status == 200)
			snprintf(error, error_size,
				 "the server sent the whole file, of %llu bytes, ending before the %llu bytes asked for at %llu",
				 (unsigned long long)t.pos, (unsigned long long)len,
				 (unsigned long long)off);
		else if (code == CURLE_OK && t.status == 206)
			snprintf(error, error_size, "the server sent %llu of the %llu bytes asked for",
				 (unsigned long long)(t.pos - off), (unsigned long long)len);
		else if (code == CURLE_OK)
			describe_status(error, error_size, au, url, t.status, t.error_body.text,
					t.error_body.len);
		else
			describe_failure(error, error_size, code, t.pos > off ? t.pos - off : 0, &pc);
		if (!transient(code, t.status, &pc) || attempt >= lim.retries)
			return 0;
		sleep_backoff(attempt);
	}
}

int http_get_range(const char *url, uint64_t off, uint64_t len, int fd,
		   uint64_t *total, enum http_result *result,
		   char *error, size_t error_size)
{
	struct auth au = AUTH_INIT;
	int ret;

	pthread_once(&curl_once, init_curl);
	if (!curl_ready)
		return silo__error_set(SILO_ENET, "cannot initialise libcurl");
	*total = 0;
	*result = HTTP_FAILED;
	ret = get_range(&au, url, off, len, fd, total, result, error, error_size);
	auth_release(&au);
	return ret;
}

/* The most of an error page (a status >= 300) http_request_run() keeps:
 * enough for what S3 says, whatever rq->max_response is. */
#define REQUEST_ERROR_PAGE 4096

/* State of one http_request_run() attempt. */
struct request_transfer {
	struct http_request *rq;
	uint64_t sent;		/* body bytes handed to curl */
	struct strbuf body;	/* the response body kept */
	int too_big;		/* it was longer than rq->max_response */
	int read_failed;	/* reading the body to send failed (errno) */
};

static size_t on_request_header(char *buf, size_t size, size_t n, void *p)
{
	struct request_transfer *t = p;
	struct http_request *rq = t->rq;
	size_t len = size * n;
	char line[256], *v, *end;
	long code;

	header_line(line, buf, len);
	if (status_line(line, &code)) {
		/* Each response (a redirect gives several) has its own
		 * headers and body. */
		rq->status = code;
		rq->etag[0] = '\0';
		rq->last_modified = -1;
		strbuf_reset(&t->body);
		t->too_big = 0;
		return len;
	}
	if (!(v = strchr(line, ':')))
		return len;
	*v++ = '\0';
	v += strspn(v, " \t");
	end = v + strlen(v);
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	if (!strcasecmp(line, "ETag"))
		snprintf(rq->etag, sizeof(rq->etag), "%s", v);
	else if (!strcasecmp(line, "Last-Modified"))
		rq->last_modified = (int64_t)curl_getdate(v, NULL);
	return len;
}

static size_t on_request_data(char *buf, size_t size, size_t n, void *p)
{
	struct request_transfer *t = p;
	size_t len = size * n;

	if (t->rq->status >= 300) {
		/* an error page: its start says why, the rest is dropped */
		size_t room = t->body.len < REQUEST_ERROR_PAGE ?
			REQUEST_ERROR_PAGE - t->body.len : 0;
		return strbuf_add(&t->body, buf, len < room ? len : room) < 0 ? 0 : len;
	}
	if (t->body.len + len > t->rq->max_response) {
		t->too_big = 1;
		return 0;
	}
	return strbuf_add(&t->body, buf, len) < 0 ? 0 : len;
}

static size_t on_request_read(char *buf, size_t size, size_t n, void *p)
{
	struct request_transfer *t = p;
	struct http_request *rq = t->rq;
	uint64_t total = rq->body ? rq->body_size : rq->body_len;
	size_t want = size * n;
	ssize_t got;

	if (t->sent >= total)
		return 0;
	if (want > total - t->sent)
		want = (size_t)(total - t->sent);
	if (rq->body) {
		memcpy(buf, (const char *)rq->body + t->sent, want);
		got = (ssize_t)want;
	} else {
		got = fs_pread_full(rq->body_fd, buf, want, (off_t)t->sent, "upload");
		if (got <= 0) {
			t->read_failed = got < 0 ? errno : EIO;
			return CURL_READFUNC_ABORT;
		}
	}
	t->sent += (uint64_t)got;
	return (size_t)got;
}

static int on_request_seek(void *p, curl_off_t off, int origin)
{
	struct request_transfer *t = p;

	if (origin != SEEK_SET || off < 0)
		return CURL_SEEKFUNC_CANTSEEK;
	t->sent = (uint64_t)off;
	return CURL_SEEKFUNC_OK;
}

/* One try of RQ: *code is libcurl's, T filled. */
static int request_once(struct http_request *rq, struct auth *au, struct pace *pc,
			struct request_transfer *t, CURLcode *code)
{
	int has_body = rq->body || rq->body_fd >= 0;
	uint64_t body_len = rq->body ? rq->body_size : rq->body_len;
	struct curl_slist *hdrs = NULL, *h;
	size_t i;
	CURL *e;
	int ret;

	for (i = 0; rq->headers && rq->headers[i]; i++) {
		if (!(h = curl_slist_append(hdrs, rq->headers[i]))) {
			curl_slist_free_all(hdrs);
			return silo__error_oom();
		}
		hdrs = h;
	}
	if ((ret = new_easy(&e, rq->url, pc, au, &hdrs)) < 0) {
		curl_slist_free_all(hdrs);
		return ret;
	}
	if (share)
		curl_easy_setopt(e, CURLOPT_SHARE, share);
	if (strcmp(rq->method, "GET"))
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, rq->method);
	if (has_body) {
		/* Always with its length (Content-Length), never chunked:
		 * S3 refuses a PUT without one. */
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body_len);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_request_read);
		curl_easy_setopt(e, CURLOPT_READDATA, t);
		curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_request_seek);
		curl_easy_setopt(e, CURLOPT_SEEKDATA, t);
	}
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_request_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_request_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	*code = curl_easy_perform(e);
	curl_easy_cleanup(e);
	curl_slist_free_all(hdrs);
	return 0;
}

int http_request_run(struct http_request *rq)
{
	struct auth au = AUTH_INIT;
	struct limits lim;
	int attempt, ret;
	uint64_t body_len = rq->body ? rq->body_size : rq->body_len;

	pthread_once(&curl_once, init_curl);
	if (!curl_ready)
		return silo__error_set(SILO_ENET, "cannot initialise libcurl");
	get_limits(&lim);
	rq->response = NULL;
	rq->response_len = 0;
	for (attempt = 0; ; attempt++) {
		struct request_transfer t = { rq, 0, STRBUF_INIT, 0, 0 };
		struct pace pc;
		CURLcode code = CURLE_OK;

		rq->status = 0;
		rq->etag[0] = rq->error[0] = '\0';
		rq->last_modified = -1;
		pace_start(&pc, &lim, body_len);
		ret = request_once(rq, &au, &pc, &t, &code);
		rq->bytes_sent += t.sent;
		rq->requests += !ret;
		if (!ret && t.read_failed) {
			errno = t.read_failed;
			ret = silo__error_errno("cannot read what to send to '%s'", rq->url);
		} else if (!ret && t.too_big) {
			ret = silo__error_set(SILO_ENET, "cannot %s '%s': the answer is longer than %zu bytes",
					      rq->method, rq->url, rq->max_response);
		}
		if (ret) {
			strbuf_release(&t.body);
			break;
		}
		if (code == CURLE_OK && rq->status >= 300)
			describe_status(rq->error, sizeof(rq->error), &au, rq->url, rq->status,
					t.body.buf, t.body.len);
		if (code == CURLE_OK && !transient(code, rq->status, &pc)) {
			rq->response_len = t.body.len;
			rq->response = t.body.len ? strbuf_detach(&t.body) : NULL;
			strbuf_release(&t.body);
			break;
		}
		strbuf_release(&t.body);
		if (code != CURLE_OK)
			describe_failure(rq->error, sizeof(rq->error), code, pc.got, &pc);
		if (!transient(code, rq->status, &pc) || attempt >= lim.retries) {
			ret = silo__error_set(SILO_ENET, "cannot %s '%s': %s", rq->method, rq->url,
					      rq->error);
			break;
		}
		sleep_backoff(attempt);
	}
	auth_release(&au);
	return ret;
}
