/* Creating, opening and describing a silo. */
#include "store-internal.h"
#include "pack.h"
#include "http.h"
#include "silo/remote.h"
#include "error-internal.h"
#include "fsutil.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SILO_LAYOUT_VERSION 1

static int write_config(const char *root, int format)
{
	char *dest = fs_join(root, SILO_CONFIG_FILE), *text = NULL;
	json_t *obj;
	int ret;

	if (!dest)
		return silo_error_oom();
	obj = json_pack("{s:i, s:s}", "silo", SILO_LAYOUT_VERSION,
			"object-format", silo_oid_format_name(format));
	if (obj)
		text = json_dumps(obj, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(obj);
	if (!text) {
		free(dest);
		return silo_error_oom();
	}
	{
		/* json_dumps() ends without a newline; files end with one. */
		size_t len = strlen(text);
		char *line = realloc(text, len + 2);
		if (!line) {
			ret = silo_error_oom();
			goto out;
		}
		text = line;
		memcpy(text + len, "\n", 2);
	}
	/* Written once, like every file of a silo: a concurrent init that
	 * wrote it first wins, with the same content. */
	ret = fs_write_file(root, SILO_TMP_PREFIX "config_", dest, text, strlen(text), 0444, 0);
out:
	free(text);
	free(dest);
	return ret;
}

/* Read the format recorded in ROOT/config.json. */
static int read_config(int *format, const char *root)
{
	char *path = fs_join(root, SILO_CONFIG_FILE);
	json_error_t jerr;
	json_t *obj, *fmt;
	int ret = 0;

	if (!path)
		return silo_error_oom();
	obj = json_load_file(path, 0, &jerr);
	if (!obj) {
		struct stat st;
		if (stat(root, &st) < 0 && errno == ENOENT)
			ret = silo_error_set(SILO_ENOTFOUND, "'%s' does not exist", root);
		else if (access(path, F_OK) < 0 && (errno == ENOENT || errno == ENOTDIR))
			ret = silo_error_set(SILO_ENOTFOUND,
				"'%s' is not a silo: it has no %s", root, SILO_CONFIG_FILE);
		else
			ret = silo_error_set(SILO_EINVALID, "'%s': line %d: %s",
					     path, jerr.line, jerr.text);
		goto out;
	}
	fmt = json_object_get(obj, "object-format");
	if (!json_is_string(fmt) ||
	    !(*format = silo_oid_format_from_name(json_string_value(fmt))))
		ret = silo_error_set(SILO_EINVALID,
			"'%s': field 'object-format' must be \"sha1\" or \"sha256\"", path);
	json_decref(obj);
out:
	free(path);
	return ret;
}

int silo_init(const char *path, int format)
{
	static const char *const subdirs[] = { "objects", "pack", "derived" };
	char *config = NULL;
	size_t i;
	int ret, existing;

	if (!silo_oid_format_name(format))
		return silo_error_set(SILO_EINVALID, "unknown object format %d", format);
	if ((ret = fs_mkdir_p(path, 0777)) < 0)
		return ret;
	if (!(config = fs_join(path, SILO_CONFIG_FILE)))
		return silo_error_oom();
	existing = fs_exists(config);
	free(config);
	if (existing < 0)
		return existing;
	if (existing) {
		int have;
		if ((ret = read_config(&have, path)) < 0)
			return ret;
		if (have != format)
			return silo_error_set(SILO_EEXISTS,
				"'%s' is already a silo with %s ids", path,
				silo_oid_format_name(have));
	}
	for (i = 0; i < sizeof(subdirs) / sizeof(*subdirs); i++) {
		char *dir = fs_join(path, subdirs[i]);
		if (!dir)
			return silo_error_oom();
		ret = fs_mkdir_p(dir, 0777);
		free(dir);
		if (ret < 0)
			return ret;
	}
	/* The config is written last: its presence marks a complete silo. */
	return existing ? 0 : write_config(path, format);
}

int silo_open(silo **out, const char *path)
{
	silo *s;
	int ret;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return silo_error_oom();
	s->root = strdup(path);
	s->objects_dir = fs_join(path, "objects");
	s->pack_dir = fs_join(path, "pack");
	if (!s->root || !s->objects_dir || !s->pack_dir) {
		silo_free(s);
		return silo_error_oom();
	}
	if ((ret = read_config(&s->format, path)) < 0) {
		silo_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

int silo_open_default(silo **out, const char *explicit_path)
{
	const char *env = getenv(SILO_ENV_DIR);
	const char *spec = explicit_path ? explicit_path : env && *env ? env : NULL;

	if (spec && http_is_url(spec))
		return silo_open_remote(out, spec);
	if (spec)
		return silo_open(out, spec);
	return silo_open(out, ".");
}

void silo_free(silo *s)
{
	if (!s)
		return;
	free(s->root);
	free(s->objects_dir);
	free(s->pack_dir);
	silo_packs_free(s);
	silo_remote_free(s->remote);
	free(s);
}

const char *silo_root(const silo *s)
{
	return s->root;
}

int silo_object_format(const silo *s)
{
	return s->format;
}

void silo_loose_relpath(char out[SILO_LOOSE_PATH_MAX], const silo_oid *id)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];

	silo_oid_to_hex(hex, id);
	memcpy(out, "objects/", 8);
	out[8] = hex[0];
	out[9] = hex[1];
	out[10] = '/';
	strcpy(out + 11, hex + 2);
	strcat(out + 11, ".gz");
}

/*
 * Find ID in the packs, loading them on first use.  A miss rescans
 * pack/ once: a repack may have moved the object from its loose file
 * into a pack this handle has not seen yet.
 */
static int find_packed(silo *s, const silo_oid *id, struct pack **pack,
		       uint64_t *offset)
{
	int ret;

	if ((ret = silo_packs_load(s, 0)) < 0)
		return ret;
	if (silo_packs_find(s, id, pack, offset))
		return 1;
	if ((ret = silo_packs_load(s, 1)) < 0)
		return ret;
	return silo_packs_find(s, id, pack, offset);
}

int silo_has_object_local(silo *s, const silo_oid *id)
{
	char rel[SILO_LOOSE_PATH_MAX];
	struct pack *p;
	uint64_t offset;
	char *path;
	int ret;

	if (id->format != s->format)
		return 0;
	silo_loose_relpath(rel, id);
	if (!(path = fs_join(s->root, rel)))
		return silo_error_oom();
	ret = fs_exists(path);
	free(path);
	if (ret)
		return ret;
	return find_packed(s, id, &p, &offset);
}

int silo_has_object(silo *s, const silo_oid *id)
{
	int ret = silo_has_object_local(s, id);

	if (ret != 0 || !s->remote)
		return ret;
	/* A remote silo has it if it can be fetched. */
	ret = silo_remote_fetch_one(s, id);
	return ret == SILO_ENOTFOUND ? 0 : ret < 0 ? ret : 1;
}

/* Open ID from this silo's own files: loose, then packed. */
static int stream_open_local(silo_stream **out, silo *s, const silo_oid *id)
{
	char rel[SILO_LOOSE_PATH_MAX], hex[SILO_OID_MAX_HEXSZ + 1];
	struct pack *p;
	uint64_t offset;
	char *path;
	int ret;

	silo_loose_relpath(rel, id);
	if (!(path = fs_join(s->root, rel)))
		return silo_error_oom();
	ret = silo_loose_stream_open(out, path, path, id);
	free(path);
	if (ret != SILO_ENOTFOUND)
		return ret;
	if ((ret = find_packed(s, id, &p, &offset)) < 0)
		return ret;
	if (ret)
		return pack_stream_open(out, p, s->pack_cache, offset, id);
	/* A damaged pack may be where the object was: say so.  A handle on
	 * a URL fetches the object instead: its cache may hold a damaged pack
	 * and still be refilled. */
	if (s->pack_error && !s->remote)
		return silo_error_set(s->pack_error, "object %s is not in silo '%s': %s",
				      silo_oid_to_hex(hex, id), s->root, s->pack_error_msg);
	return silo_error_set(SILO_ENOTFOUND, "object %s is not in silo '%s'",
			      silo_oid_to_hex(hex, id), s->root);
}

int silo_stream_open(silo_stream **out, silo *s, const silo_oid *id)
{
	int ret;

	*out = NULL;
	if (id->format != s->format)
		return silo_error_set(SILO_EINVALID,
			"'%s' holds %s ids, not %s", s->root,
			silo_oid_format_name(s->format),
			silo_oid_format_name(id->format));
	ret = stream_open_local(out, s, id);
	if (ret != SILO_ENOTFOUND || !s->remote)
		return ret;
	/* A silo named by URL: fetch into the cache (as a loose object, or
	 * as a whole pack from a server without ranges), then read. */
	if ((ret = silo_remote_fetch_one(s, id)) < 0)
		return ret;
	return stream_open_local(out, s, id);
}

int silo_stream_type(const silo_stream *st)
{
	return st->type;
}

uint64_t silo_stream_size(const silo_stream *st)
{
	return st->size;
}

int silo_stream_read(silo_stream *st, const void **data, size_t *len)
{
	return st->ops->read(st, data, len);
}

void silo_stream_free(silo_stream *st)
{
	if (st)
		st->ops->free(st);
}

int silo_cat_to_fd(silo *s, const silo_oid *id, int fd, const char *name)
{
	silo_stream *st;
	const void *data;
	size_t len;
	int ret;

	if ((ret = silo_stream_open(&st, s, id)) < 0)
		return ret;
	while ((ret = silo_stream_read(st, &data, &len)) > 0)
		if ((ret = fs_write_all(fd, data, len, name)) < 0)
			break;
	silo_stream_free(st);
	return ret;
}
