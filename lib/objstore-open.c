/* Choosing the operations for a silo written behind HTTP (objstore-open.h). */
#include "objstore-open.h"
#include "objstore-s3.h"
#include "error-internal.h"
#include "http.h"

#include <string.h>

/* The one table of kinds: a URL prefix, its constructor, and where its
 * credentials belong (http.h). */
static const struct {
	const char *prefix;
	int (*open)(struct objstore **out, const char *url);
	const char *credentials;
} kinds[] = {
	{ "http://", objstore_webdav_open, "~/.netrc or SILO_HTTP_USER and SILO_HTTP_PASSWORD" },
	{ "https://", objstore_webdav_open, "~/.netrc or SILO_HTTP_USER and SILO_HTTP_PASSWORD" },
	{ "s3://", objstore_s3_open,
	  "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or ~/.aws/credentials" },
};

int objstore_is_url(const char *url)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
		if (!strncmp(url, kinds[i].prefix, strlen(kinds[i].prefix)))
			return 1;
	return 0;
}

int objstore_open(struct objstore **out, const char *url)
{
	size_t i;

	*out = NULL;
	for (i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		if (strncmp(url, kinds[i].prefix, strlen(kinds[i].prefix)))
			continue;
		if (http_url_has_credentials(url))
			return silo__error_set(SILO_EINVALID,
				"a URL to push to may not hold credentials: put them in %s",
				kinds[i].credentials);
		return kinds[i].open(out, url);
	}
	return silo__error_set(SILO_EINVALID, "'%s': no silo can be written at such a URL", url);
}
