/*
 * What the store's modules share and the public header hides: the silo
 * handle, the stream interface every kind of object implements (loose
 * objects in loose-read.c, packed ones in pack-read.c), and the loose
 * object format.  Where objects come from is source.h.
 */
#ifndef SILO_STORE_INTERNAL_H
#define SILO_STORE_INTERNAL_H

#include "silo/store.h"

struct silo_source;

struct silo {
	char *root;		/* as given to silo_open() */
	char *objects_dir;	/* root + "/objects" */
	char *pack_dir;		/* root + "/pack" */
	int format;		/* enum silo_oid_format */
	/* Where objects come from, tried in order (source.h): the loose
	 * objects and the packs under root, then for a silo read over HTTP
	 * its server (remote-source.c). */
	struct silo_source **sources;
	size_t n_sources, alloc_sources;
	/* The packs of the pack source, which repack uses directly
	 * (pack.h). */
	struct pack_set *packs;
};

/* silo_has_object() without asking a remote: this silo's own files. */
int silo__has_object_local(silo *s, const silo_oid *id);

/* Parse the text of a silo's config.json (LEN bytes; NAME names it in
 * messages): its layout version must be ours, *format is its object
 * format.  SILO_EINVALID otherwise. */
int silo__config_parse(int *format, const char *text, size_t len, const char *name);

/* The name of the file in the silo root that records its format. */
#define SILO_CONFIG_FILE "config.json"

/* Temporary files of writers start with this; verify knows them. */
#define SILO_TMP_PREFIX "tmp_"

/*
 * A scratch file for content that must be at hand whole before it is put
 * (a download to check first): a new temporary file of W's silo, named
 * tmp_WHAT_..., so that verify and prune know it, mode 0600.  *fd is
 * open for reading and writing; *path is owned by the caller, who closes
 * the file and removes it.
 */
int silo__writer_tmpfile(silo_writer *w, int *fd, char **path, const char *what);

struct silo_stream_ops {
	int (*read)(silo_stream *st, const void **data, size_t *len);
	void (*free)(silo_stream *st);
};

/* Every stream starts with this header. */
struct silo_stream {
	const struct silo_stream_ops *ops;
	int type;
	uint64_t size;
	silo_oid id;
};

/*
 * Open the loose object at PATH and check it against EXPECTED as it is
 * read.  DISPLAY names it in messages.  A missing file is SILO_ENOTFOUND.
 */
int silo__loose_stream_open(silo_stream **out, const char *path,
			    const char *display, const silo_oid *expected);

/*
 * The same for an object the caller itself checked against ID moments
 * ago (a download it checked before naming it): read without hashing it
 * a second time.  Sizes and gzip's CRC-32s are still checked.  DEV and
 * INO are the file that was checked: if PATH is another file now (the
 * object was removed and stored again meanwhile), SILO_ENOTFOUND.
 */
int silo__loose_stream_open_checked(silo_stream **out, const char *path,
				    const char *display, const silo_oid *id,
				    uint64_t dev, uint64_t ino);

/*
 * The gzip header of a loose object carries the content size in an extra
 * field (RFC 1952, 2.3.1.1), so that a reader can start hashing before it
 * has seen the end.  gzip and zcat ignore it.  Files without it (written
 * by plain gzip) are still read, with one more pass to count their size.
 */
#define SILO_GZ_EXTRA_ID1 'S'
#define SILO_GZ_EXTRA_ID2 'z'
#define SILO_GZ_EXTRA_LEN 12	/* id (2) + length (2) + size (8, little-endian) */

/*
 * The content size the gzip header at the start of a loose object's file
 * (the first LEN bytes of it, in BUF) records: 1 and *size set, 0 if more
 * bytes are needed to tell, -1 if the header records none or is no gzip
 * header.
 */
int silo__loose_declared_size(const unsigned char *buf, size_t len, uint64_t *size);

/*
 * The most bytes a loose object file of SIZE content bytes can take as
 * silo writes it (gzip members of deflate data, stored blocks at worst),
 * with room to spare: a download may not grow past it.
 */
static inline uint64_t silo_loose_max_file_size(uint64_t size)
{
	return size > UINT64_MAX / 2 ? UINT64_MAX : size + size / 64 + (1 << 20);
}

/*
 * What a scan of objects/ finds.  Every file is one of these, so that
 * verify can name the files that do not belong.
 */
enum loose_entry_kind {
	LOOSE_OBJECT,	/* objects/xx/<rest>.gz, named like an id */
	LOOSE_TEMP,	/* a writer's temporary file */
	LOOSE_STRAY	/* anything else */
};

struct loose_entry {
	enum loose_entry_kind kind;
	silo_oid id;		/* for LOOSE_OBJECT */
	char *relpath;		/* "objects/xx/..." */
};

/*
 * Scan objects/ into a new array sorted by relpath, which for objects is
 * id order.  The caller frees it with loose_entries_free().
 */
int loose_scan(struct loose_entry **out, size_t *count, silo *s);
/* The same for the silo at ROOT holding ids in FORMAT. */
int loose_scan_dir(struct loose_entry **out, size_t *count, const char *root, int format);
void loose_entries_free(struct loose_entry *entries, size_t count);

#endif
