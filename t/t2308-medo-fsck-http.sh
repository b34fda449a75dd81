#!/bin/sh
test_description='medo fsck of treeptrs whose silo a real nginx serves: tree objects read, blobs looked up in the indexes'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gc.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=5
start_httpd || { echo "1..0 # SKIP nginx does not start"; exit 0; }
start_fault_server error500 "$HTTPD_ROOT" ||
	{ echo "1..0 # SKIP python3 fault server does not start"; exit 0; }
export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache

# The requests nginx logged since mark $1, as "METHOD PATH".
requests_since() {
	tail -n +$(($1 + 1)) "$HTTPD_DIR/access.log" | sed -n 's/^[^"]*"\([A-Z]*\) \([^ ]*\) .*/\1 \2/p'
}

test_expect_success 'setup: a tree of each kind in the served silo' '
	silo init "$HTTPD_ROOT/deps.silo" &&
	mkdir -p k/sub t && seq 1 3000 >k/big && echo small >k/sub/small && ln -s big k/link &&
	echo tar >t/f && mkdir deps.medo &&
	echo "{ \"silos\": [\"$HTTPD_URL/deps.silo\"] }" >deps.medo/SILO.json &&
	medo add --kind=tree --silo "$HTTPD_ROOT/deps.silo" k deps.medo/k.treeptr &&
	medo add --silo "$HTTPD_ROOT/deps.silo" t deps.medo/t.treeptr
'

test_expect_success 'a complete silo over HTTP: exit 0, no blob downloaded' '
	m=$(wc -l <"$HTTPD_DIR/access.log") &&
	medo fsck -v deps.medo >out &&
	echo "2 treeptrs checked, 8 objects; 0 incomplete" >expect &&
	test_cmp expect out &&
	requests_since $m >log &&
	! grep "GET /deps.silo/objects/" log &&
	grep "GET /deps.silo/pack/pack-[0-9a-f]*.idx" log
'

test_expect_success 'a blob the server lacks is named, with the silo URL' '
	small=$(git hash-object k/sub/small) &&
	copy_without "$HTTPD_ROOT/deps.silo" lost.silo $small &&
	rm -rf "$HTTPD_ROOT/deps.silo" cache && mv lost.silo "$HTTPD_ROOT/deps.silo" &&
	test_expect_code 1 medo fsck deps.medo 2>err &&
	echo "medo: error: '\''deps.medo/k.treeptr'\'' in silo '\''$HTTPD_URL/deps.silo'\'': blob $small of '\''sub/small'\'' is missing" >expect &&
	test_cmp expect err
'

test_expect_success 'a silo that answers 500 or nothing was not checked: exit 7, not 1' '
	mkdir -p down.medo e500.medo &&
	cp deps.medo/k.treeptr deps.medo/t.treeptr down.medo/ &&
	cp deps.medo/k.treeptr deps.medo/t.treeptr e500.medo/ &&
	echo "{ \"silos\": [\"http://127.0.0.1:$(free_port)/deps.silo\"] }" >down.medo/SILO.json &&
	echo "{ \"silos\": [\"$FAULT_URL/deps.silo\"] }" >e500.medo/SILO.json &&
	for m in down e500; do
		rm -rf cache &&
		test_expect_code 7 medo fsck $m.medo 2>err &&
		grep "^medo: error: .$m.medo/k.treeptr.: could not be checked: " err &&
		grep "^medo: error: .$m.medo/t.treeptr.: could not be checked: " err || return 1
	done
'

test_done
