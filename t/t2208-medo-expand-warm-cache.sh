#!/bin/sh
test_description='medo expand from a warm cache asks no server, and works with the servers down'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=2
SILO_CACHE_DIR=$TRASH_DIRECTORY/cache && export SILO_CACHE_DIR

start_httpd || test_skip_all HTTPD "nginx does not start"

requests() {
	wc -l <"$HTTPD_DIR/access.log"
}

test_expect_success 'setup: a tree of the tar kind served by nginx' '
	silo init "$HTTPD_ROOT/deps.silo" &&
	mkdir -p src/sub m && test_seeded_file src/a 200000 1 &&
	echo hello >src/sub/b &&
	medo add -q --silo "$HTTPD_ROOT/deps.silo" src m/src.treeptr &&
	echo "{ \"silos\": [\"$HTTPD_URL/deps.silo\"] }" >m/SILO.json
'

test_expect_success 'a cold expand fetches the object' '
	before=$(requests) &&
	medo expand m/src.treeptr cold &&
	test $(requests) -gt $before &&
	grep "GET /deps.silo/objects/" "$HTTPD_DIR/access.log" &&
	medo verify m/src.treeptr cold
'

test_expect_success 'a warm expand makes no request' '
	before=$(requests) &&
	medo expand m/src.treeptr warm 2>err &&
	test_must_be_empty err &&
	test $(requests) -eq $before &&
	medo verify m/src.treeptr warm &&
	diff -r src warm
'

test_expect_success 'a warm expand works with no server to ask' '
	mkdir down &&
	cp m/src.treeptr down/ &&
	echo "{ \"silos\": [\"http://127.0.0.1:1/deps.silo\"] }" >down/SILO.json &&
	medo expand down/src.treeptr offline 2>err &&
	test_must_be_empty err &&
	diff -r src offline
'

test_expect_success 'with an empty cache and no server, the error names the server' '
	test_expect_code 7 env SILO_CACHE_DIR=$PWD/empty-cache medo expand down/src.treeptr none 2>err &&
	grep "127.0.0.1:1" err &&
	! test -e none
'

test_expect_success 'with an empty cache, a second treeptr of a skipped server fails the same way' '
	mkdir two &&
	cp down/SILO.json two/ &&
	cp m/src.treeptr two/a.treeptr &&
	echo other >src/sub/c &&
	medo add -q --silo "$HTTPD_ROOT/deps.silo" src two/b.treeptr &&
	test_expect_code 7 env SILO_CACHE_DIR=$PWD/empty-cache medo expand -j 1 two out 2>err &&
	test $(grep -c "^medo: error: .*cannot read object .*127.0.0.1:1" err) -eq 2 &&
	! test -e out/a && ! test -e out/b
'

test_expect_success 'a damaged cached object is refused, not used' '
	id=$(sed -n "s/.*\"object\": *\"\([0-9a-f]*\)\".*/\1/p" m/src.treeptr) &&
	test -n "$id" &&
	f=$SILO_CACHE_DIR/sha1/objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).gz &&
	test -f "$f" &&
	chmod u+w "$f" && printf "\037\213garbage" >"$f" &&
	test_expect_code 4 medo expand down/src.treeptr damaged 2>err &&
	grep "$(echo $id | cut -c3-)" err &&
	! test -e damaged
'

test_done
