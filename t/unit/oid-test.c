/* Unit tests of object ids, hashing and the error state. */
#include "tap.h"
#include "silo/oid.h"
#include "silo/error.h"
#include "../../lib/strbuf.h"

#include <stdlib.h>

static void test_known_ids(void)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	silo_oid id;

	ok(silo_oid_hash_buffer(&id, SILO_OID_SHA1, SILO_OBJ_BLOB, "", 0) == 0,
	   "hash the empty blob (sha1)");
	is_str(silo_oid_to_hex(hex, &id), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
	       "empty blob id is git's (sha1)");
	ok(silo_oid_hash_buffer(&id, SILO_OID_SHA256, SILO_OBJ_BLOB, "", 0) == 0,
	   "hash the empty blob (sha256)");
	is_str(silo_oid_to_hex(hex, &id),
	       "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813",
	       "empty blob id is git's (sha256)");
	ok(silo_oid_hash_buffer(&id, SILO_OID_SHA1, SILO_OBJ_TREE, "", 0) == 0,
	   "hash the empty tree");
	is_str(silo_oid_to_hex(hex, &id), "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
	       "empty tree id is git's");
	ok(silo_oid_hash_buffer(&id, SILO_OID_SHA1, SILO_OBJ_BLOB, "hello\n", 6) == 0,
	   "hash 'hello\\n'");
	is_str(silo_oid_to_hex(hex, &id), "ce013625030ba8dba906f756967f9e9ca394464a",
	       "'hello\\n' id is git's");
}

static void test_incremental_equals_whole(void)
{
	silo_hasher *h;
	silo_oid a, b;

	ok(silo_hasher_new(&h, SILO_OID_SHA1) == 0, "new hasher");
	silo_hasher_begin(h, SILO_OBJ_BLOB, 6);
	silo_hasher_update(h, "hel", 3);
	silo_hasher_update(h, "lo\n", 3);
	silo_hasher_final(&a, h);
	silo_oid_hash_buffer(&b, SILO_OID_SHA1, SILO_OBJ_BLOB, "hello\n", 6);
	ok(silo_oid_equal(&a, &b), "pieces hash as the whole");
	/* The same hasher serves a second object. */
	silo_hasher_begin(h, SILO_OBJ_BLOB, 6);
	silo_hasher_update(h, "hello\n", 6);
	silo_hasher_final(&a, h);
	ok(silo_oid_equal(&a, &b), "a hasher can be reused");
	silo_hasher_free(h);
}

static void test_hex_parsing(void)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	silo_oid id, upper;

	ok(silo_oid_from_hex(&id, SILO_OID_SHA1, "ce013625030ba8dba906f756967f9e9ca394464a") == 0,
	   "parse a sha1 id");
	is_str(silo_oid_to_hex(hex, &id), "ce013625030ba8dba906f756967f9e9ca394464a",
	       "hex round trip");
	ok(silo_oid_from_hex(&upper, SILO_OID_SHA1, "CE013625030BA8DBA906F756967F9E9CA394464A") == 0 &&
	   silo_oid_equal(&id, &upper), "uppercase hex is accepted");
	is_int(silo_oid_from_hex(&id, SILO_OID_SHA1, "ce01"), SILO_EINVALID, "short id refused");
	is_str(silo_error_message(),
	       "'ce01' is not a sha1 object id: expected 40 hex digits", "short id message");
	is_int(silo_oid_from_hex(&id, SILO_OID_SHA1, "ce013625030ba8dba906f756967f9e9ca394464z"),
	       SILO_EINVALID, "non-hex refused");
	is_int(silo_oid_from_hex_any(&id,
	       "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813"), 0,
	       "a 64-digit id is sha256");
	is_int(id.format, SILO_OID_SHA256, "its format is sha256");
	is_int(silo_oid_rawsz(SILO_OID_SHA1), 20, "sha1 raw size");
	is_int(silo_oid_hexsz(SILO_OID_SHA256), 64, "sha256 hex size");
	is_int(silo_oid_format_from_name("sha256"), SILO_OID_SHA256, "format by name");
	is_int(silo_oid_format_from_name("md5"), 0, "unknown format name");
}

static void test_strbuf(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *p;
	int i;

	for (i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%d,", i);
	is_int(sb.len, 3890, "strbuf grows over many appends");
	ok(sb.buf[sb.len] == '\0', "strbuf stays NUL-terminated");
	strbuf_setlen(&sb, 4);
	is_str(sb.buf, "0,1,", "strbuf_setlen shortens");
	p = strbuf_detach(&sb);
	is_str(p, "0,1,", "detach hands over the buffer");
	ok(sb.buf == NULL && sb.len == 0, "detach resets");
	free(p);
	p = strbuf_detach(&sb);
	is_str(p, "", "detach of an empty buffer gives an empty string");
	free(p);
}

int main(void)
{
	test_known_ids();
	test_incremental_equals_whole();
	test_hex_parsing();
	test_strbuf();
	return done_testing();
}
