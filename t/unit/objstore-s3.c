/*
 * The objstore of a silo in an S3 bucket (lib/objstore-s3.c) and the
 * s3:// URLs under it (lib/s3-auth.c).  Without arguments: what needs no
 * server, as TAP.  With arguments, one operation against the server of
 * the environment (t/t1515-s3-objstore.sh runs it against radosgw):
 *
 *	objstore-s3 put-new URL REL FILE	prints "stored 1" or "stored 0"
 *	objstore-s3 put-if URL REL FILE [ETAG]	prints "done 1" or "done 0"
 *	objstore-s3 get URL REL			prints the ETag, then the data
 *	objstore-s3 remove URL REL
 *	objstore-s3 list URL DIR [PAGE]		prints "REL SIZE MTIME" a line
 *
 * Exit status: 0, or 3 for SILO_ENOTFOUND, 1 for any other error (the
 * message on stderr).
 */
#include "tap.h"
#include "../../lib/objstore-s3.h"
#include "../../lib/s3-auth.h"
#include "silo/error.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *mapped(struct s3_auth *a, const char *url)
{
	static char buf[512];
	char *u;

	if (s3_http_url(&u, a, url) < 0)
		return silo_error_message();
	snprintf(buf, sizeof(buf), "%s", u);
	free(u);
	return buf;
}

static const char *described(struct s3_auth *a, long status, const char *body)
{
	static char buf[512];

	s3_describe_status(buf, sizeof(buf), a, status, body, body ? strlen(body) : 0);
	return buf;
}

static int unit_tests(void)
{
	struct s3_auth a = { 0 };
	struct objstore *st;

	a.region = "eu-west-3";
	is_str(mapped(&a, "s3://bkt/deps.silo/objects/ab/cd.gz"),
	       "https://bkt.s3.eu-west-3.amazonaws.com/deps.silo/objects/ab/cd.gz",
	       "AWS itself: the bucket in the host name");
	is_str(mapped(&a, "s3://my.bkt/a b+c"), "https://s3.eu-west-3.amazonaws.com/my.bkt/a%20b%2Bc",
	       "a bucket with dots goes in the path; the key is percent-encoded");
	a.endpoint = "http://127.0.0.1:9000";
	is_str(mapped(&a, "s3://bkt/x/config.json"), "http://127.0.0.1:9000/bkt/x/config.json",
	       "an endpoint: path style");
	is_str(mapped(&a, "s3://bkt/?list-type=2&prefix=x%2F"),
	       "http://127.0.0.1:9000/bkt/?list-type=2&prefix=x%2F", "a query is kept as it is");
	is_str(mapped(&a, "s3://bkt"), "http://127.0.0.1:9000/bkt", "the bucket alone");
	is_str(mapped(&a, "s3:///x"),
	       "'s3:///x': expected s3://BUCKET/PATH, with a bucket name of letters, digits, '.', '-' and '_'",
	       "no bucket is an error");

	is_str(described(&a, 404, "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Key>k</Key></Error>"),
	       "HTTP 404 (NoSuchKey)", "an S3 error names its code");
	is_str(described(&a, 502, "<html>bad gateway</html>"), "HTTP 502",
	       "an answer that is no S3 error: the status alone");
	is_str(described(&a, 403, "<Error><Code>Access Denied<script></Code>"),
	       "HTTP 403, and no AWS credentials were found (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)",
	       "a code that is not a word is not repeated; no keys: says where they go");
	a.access_key = "AKID";
	a.from = "AWS_ACCESS_KEY_ID";
	is_str(described(&a, 403, "<Error><Code>SignatureDoesNotMatch</Code><StringToSign>x</StringToSign>"),
	       "HTTP 403 (SignatureDoesNotMatch), signed with the keys of AWS_ACCESS_KEY_ID",
	       "a refused signature says where the keys came from, nothing of the body else");

	ok(objstore_s3_open(&st, "s3://bkt/deps.silo") == 0, "open s3://bkt/deps.silo");
	is_str(st->base_url, "s3://bkt/deps.silo/", "its base URL ends in '/'");
	is_str(st->ops->kind, "s3", "its kind");
	st->ops->free(st);
	ok(objstore_s3_open(&st, "s3://bkt//a/b//") == 0, "open with extra slashes");
	is_str(st->base_url, "s3://bkt/a/b/", "they are dropped");
	st->ops->free(st);
	ok(objstore_s3_open(&st, "s3://bkt") == 0, "open a whole bucket");
	is_str(st->base_url, "s3://bkt/", "its base URL");
	st->ops->free(st);
	is_int(objstore_s3_open(&st, "https://example.org/x"), SILO_EINVALID, "https:// is no s3:// URL");
	is_str(silo_error_message(), "'https://example.org/x': expected s3://BUCKET/PREFIX",
	       "and says so");
	is_int(objstore_s3_open(&st, "s3:///x"), SILO_EINVALID, "no bucket");
	return done_testing();
}

static int fail(int ret)
{
	fprintf(stderr, "objstore-s3: %s\n", silo_error_message());
	return ret == SILO_ENOTFOUND ? 3 : 1;
}

static int print_entry(void *payload, const struct objstore_entry *e)
{
	(void)payload;
	printf("%s %llu %lld\n", e->rel, (unsigned long long)e->size, (long long)e->mtime);
	return 0;
}

/* The whole of FILE, for put-if. */
static int slurp(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
	    !(*data = malloc((size_t)n + 1)) || fread(*data, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	*len = (size_t)n;
	return 0;
}

static int operation(int argc, char **argv)
{
	struct objstore *st;
	int ret = 0, flag = 0, local = 0;	/* local: 1 a file, 2 usage */

	if (argc < 4 || objstore_s3_open(&st, argv[2]) < 0) {
		fprintf(stderr, "usage: objstore-s3 OP URL ARG...\n");
		return 2;
	}
	if (!strcmp(argv[1], "put-new") && argc == 5) {
		int fd = open(argv[4], O_RDONLY);
		struct stat sb;
		if (fd < 0 || fstat(fd, &sb) < 0) {
			perror(argv[4]);
			local = 1;
		} else if ((ret = st->ops->put_new(st, argv[3], fd, (uint64_t)sb.st_size, &flag)) == 0) {
			printf("stored %d\n", flag);
		}
		if (fd >= 0)
			close(fd);
	} else if (!strcmp(argv[1], "put-if") && (argc == 5 || argc == 6)) {
		char *data;
		size_t len;
		if (slurp(argv[4], &data, &len) < 0) {
			local = 1;
		} else {
			if ((ret = st->ops->put_if(st, argv[3], data, len,
						   argc == 6 ? argv[5] : NULL, &flag)) == 0)
				printf("done %d\n", flag);
			free(data);
		}
	} else if (!strcmp(argv[1], "get") && argc == 4) {
		char *data, *etag;
		size_t len;
		if ((ret = st->ops->get(st, argv[3], &data, &len, &etag)) == 0) {
			printf("%s\n", etag);
			fwrite(data, 1, len, stdout);
			free(data);
			free(etag);
		}
	} else if (!strcmp(argv[1], "remove") && argc == 4) {
		ret = st->ops->remove(st, argv[3]);
	} else if (!strcmp(argv[1], "list") && (argc == 4 || argc == 5)) {
		if (argc == 5)
			objstore_s3_page_size(st, (unsigned)atoi(argv[4]));
		ret = st->ops->list(st, argv[3], print_entry, NULL);
	} else {
		fprintf(stderr, "objstore-s3: unknown operation or wrong arguments\n");
		local = 2;
	}
	st->ops->free(st);
	if (local)
		return local;
	return ret < 0 ? fail(ret) : 0;
}

int main(int argc, char **argv)
{
	return argc > 1 ? operation(argc, argv) : unit_tests();
}
