#!/bin/sh
test_description='silo init: layout, recorded id format, idempotence'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'init makes the documented layout' '
	silo init deps.silo &&
	test -d deps.silo/objects && test -d deps.silo/pack && test -d deps.silo/derived &&
	cat >expect <<-\EOT &&
	{
	  "object-format": "sha1",
	  "silo": 1
	}
	EOT
	test_cmp expect deps.silo/config.json
'

test_expect_success 'init is quiet on success' '
	silo init quiet.silo >out 2>err &&
	test_must_be_empty out && test_must_be_empty err
'

test_expect_success 'init without a directory uses the current one' '
	mkdir here && (cd here && silo init) && test -f here/config.json
'

test_expect_success 'init --object-format=sha256 records sha256' '
	silo init --object-format=sha256 s256 &&
	grep "\"object-format\": \"sha256\"" s256/config.json
'

test_expect_success 'init again with the same format changes nothing' '
	cp deps.silo/config.json before &&
	silo init deps.silo &&
	test_cmp before deps.silo/config.json
'

test_expect_success 'init again with another format is refused (exit 8)' '
	test_expect_code 8 silo init --object-format=sha256 deps.silo 2>err &&
	grep "^silo: error: .deps.silo. is already a silo with sha1 ids$" err
'

test_expect_success 'an unknown format is a usage error' '
	test_expect_code 2 silo init --object-format=md5 x 2>err &&
	grep "unknown object format .md5." err &&
	test ! -e x
'

test_expect_success 'a directory that is not a silo is named (exit 3)' '
	mkdir plain &&
	test_expect_code 3 silo ls --silo plain 2>err &&
	echo "silo: error: '\''plain'\'' is not a silo: it has no config.json" >expect &&
	test_cmp expect err
'

test_expect_success 'a malformed config.json is named (exit 5)' '
	silo init bad && chmod u+w bad/config.json && echo "{ nope" >bad/config.json &&
	test_expect_code 5 silo ls --silo bad 2>err &&
	grep "^silo: error: .bad/config.json.: line 1: " err
'

test_expect_success 'the silo is found from --silo, then SILO_DIR, then .' '
	silo init a && silo init b && silo init c &&
	echo one >f &&
	id=$(git hash-object f) &&
	(cd c && SILO_DIR=../b silo put --silo ../a ../f) &&
	test -f a/objects/${id%${id#??}}/${id#??}.gz &&
	test ! -e b/objects/${id%${id#??}} && test ! -e c/objects/${id%${id#??}} &&
	(cd c && SILO_DIR=../b silo put ../f) &&
	test -f b/objects/${id%${id#??}}/${id#??}.gz &&
	test ! -e c/objects/${id%${id#??}} &&
	(cd c && SILO_DIR= silo put ../f) &&
	test -f c/objects/${id%${id#??}}/${id#??}.gz
'

test_done
