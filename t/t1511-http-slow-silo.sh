#!/bin/sh
test_description='a silo too slow to be useful is left for the next one in SILO.json'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

# The bound, made small here: at least 1000 bytes a second in every 2 s.
export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=2 SILO_HTTP_MIN_RATE=1000
start_httpd || { echo "1..0 # SKIP nginx does not start"; exit 0; }
# The same silo, its objects and pack ranges sent one byte a second.
start_fault_server trickle "$HTTPD_ROOT" && SLOW_URL=$FAULT_URL ||
	{ echo "1..0 # SKIP python3 fault server does not start"; exit 0; }

# Each command is stopped after 60 s, so that a regression fails
# instead of waiting for the trickle: 10 KB take hours.
limited() {
	timeout 60 "$@"
}

# The requests the slow server answered for objects and packs.
slow_requests() {
	grep -c "^GET .*/\(objects/\|pack/.*\.pack\)" "$TRASH_DIRECTORY/fault-trickle.log"
}

test_expect_success 'setup: two trees loose and one of the tree kind; the slow silo first' '
	silo init "$HTTPD_ROOT/deps.silo" &&
	mkdir -p deps.medo tree.medo a b c &&
	echo "{ \"silos\": [\"$SLOW_URL/deps.silo\", \"$HTTPD_URL/deps.silo\"] }" >deps.medo/SILO.json &&
	cp deps.medo/SILO.json tree.medo/ &&
	test_seeded_file a/f 10000 1 && test_seeded_file b/f 10000 2 && test_seeded_file c/f 10000 3 &&
	medo add -q --silo "$HTTPD_ROOT/deps.silo" a deps.medo/a.treeptr &&
	medo add -q --silo "$HTTPD_ROOT/deps.silo" b deps.medo/b.treeptr &&
	medo add -q --kind=tree --silo "$HTTPD_ROOT/deps.silo" c tree.medo/c.treeptr
'

test_expect_success 'expand leaves the slow silo after the bound, once a run, with a warning' '
	SILO_CACHE_DIR=$PWD/c1 limited medo expand -j 1 deps.medo out 2>err &&
	medo verify deps.medo out &&
	id=$(sed -n "s/^ *\"object\": \"\([0-9a-f]*\)\",$/\1/p" deps.medo/a.treeptr) &&
	obj=objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).gz &&
	echo "medo: warning: skipping silo '\''$SLOW_URL/deps.silo'\'' of '\''deps.medo/SILO.json'\'': cannot fetch '\''$SLOW_URL/deps.silo/$obj'\'': slower than 1000 bytes/s (SILO_HTTP_MIN_RATE) for 2 s (SILO_HTTP_TIMEOUT), after N bytes" >expect &&
	sed "s/after [0-9]* bytes$/after N bytes/" err >actual &&
	test_cmp expect actual &&
	echo 1 >expect && slow_requests >actual && test_cmp expect actual
'

test_expect_success 'a range of a pack that trickles is left the same way' '
	SILO_CACHE_DIR=$PWD/c2 limited medo expand tree.medo/c.treeptr out-c 2>err &&
	diff -r c out-c &&
	grep "^medo: warning: skipping silo .$SLOW_URL/deps.silo. of .tree.medo/SILO.json.: .*\.pack.: slower than 1000 bytes/s (SILO_HTTP_MIN_RATE) for 2 s (SILO_HTTP_TIMEOUT), after [0-9]* bytes$" err &&
	test_line_count 1 err
'

test_expect_success 'with no other silo, the slow one is a transfer failure: 7' '
	silo init l &&
	SILO_CACHE_DIR=$PWD/c3 test_expect_code 7 limited silo fetch --silo l --from "$SLOW_URL/deps.silo" \
		$(sed -n "s/^ *\"object\": \"\([0-9a-f]*\)\",$/\1/p" deps.medo/b.treeptr) 2>err &&
	grep "^silo: error: cannot fetch .*: slower than 1000 bytes/s (SILO_HTTP_MIN_RATE)" err
'

test_done
