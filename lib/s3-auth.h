/*
 * Silos in S3 buckets: s3://BUCKET/PREFIX URLs, what they are over HTTP,
 * and AWS Signature Version 4 on libcurl's handles (CURLOPT_AWS_SIGV4).
 *
 * Everything else keeps the s3:// URL: it is what messages, treeptrs
 * and SILO.json name, and it holds no credential.  Only a libcurl handle
 * sees the HTTP URL and the keys, set up by s3_easy_setup().
 *
 * Where things come from, as AWS's own tools read them:
 *	credentials	AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with
 *			AWS_SESSION_TOKEN), else the profile AWS_PROFILE
 *			(default "default") of the credentials file
 *			AWS_SHARED_CREDENTIALS_FILE (default
 *			~/.aws/credentials): aws_access_key_id,
 *			aws_secret_access_key, aws_session_token.  None:
 *			requests go unsigned, as for a public bucket.
 *	region		AWS_REGION, AWS_DEFAULT_REGION, the profile's region
 *			in AWS_CONFIG_FILE (default ~/.aws/config), else
 *			us-east-1
 *	endpoint	AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL: requests
 *			go to ENDPOINT/BUCKET/KEY (path style); else to
 *			https://BUCKET.s3.REGION.amazonaws.com/KEY
 */
#ifndef SILO_S3_AUTH_H
#define SILO_S3_AUTH_H

#include <curl/curl.h>
#include <stddef.h>

/* 1 if S is an s3:// URL. */
int s3_is_url(const char *s);

/* What requests to S3 need, read once for a batch of requests. */
struct s3_auth {
	char *access_key;	/* NULL: no credentials, requests go unsigned */
	char *secret_key;
	char *session_token;	/* NULL if none */
	char *region;
	char *endpoint;		/* without a trailing '/'; NULL: AWS itself */
	const char *from;	/* where the keys came from, for messages */
	char from_buf[300];
};

/*
 * Fill A from the environment and the AWS files.  0, or SILO_ENOTFOUND
 * (a credentials file or profile named that does not exist),
 * SILO_EINVALID (a half-given key pair, a malformed file) or SILO_EIO,
 * with a message naming the variable or the file, never a key.
 * s3_auth_release() in every case.
 */
int s3_auth_load(struct s3_auth *a);
void s3_auth_release(struct s3_auth *a);	/* wipes the keys */

/*
 * The HTTP URL of the s3:// URL URL (which may end in "?QUERY", kept as
 * it is): *out owned by the caller.  SILO_EINVALID for a URL without a
 * bucket name or with a bad one.
 */
int s3_http_url(char **out, const struct s3_auth *a, const char *url);

/*
 * Make E a request for the s3:// URL URL: its HTTP URL, and with
 * credentials, the signature and the headers it needs appended to
 * *HEADERS (which the caller frees after the transfer; E uses it as
 * CURLOPT_HTTPHEADER, so headers of the caller's go in first).  0, or a
 * negative code with a message.
 */
int s3_easy_setup(CURL *e, const struct s3_auth *a, const char *url,
		  struct curl_slist **headers);

/*
 * Say what an S3 error answer means: "HTTP STATUS (CODE)" with the
 * <Code> of BODY (the start of the answer, LEN bytes) when it has one,
 * and for a 403 without credentials where to put them.  Nothing else of
 * the body is repeated: some servers echo the request in it.
 */
void s3_describe_status(char *buf, size_t size, const struct s3_auth *a, long status,
			const char *body, size_t len);

/* Append S (LEN bytes) to SB percent-encoded as SigV4 wants a URI or a
 * query value: every byte but A-Z a-z 0-9 - _ . ~ (and '/' with
 * KEEP_SLASH) as %XX.  0 or SILO_ENOMEM. */
struct strbuf;
int s3_uri_encode(struct strbuf *sb, const char *s, size_t len, int keep_slash);

#endif
