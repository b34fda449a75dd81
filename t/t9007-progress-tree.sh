#!/bin/sh
test_description='progress on a terminal for the tree kind: medo add, medo expand over HTTP, silo prune'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pty.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=5
start_httpd || test_skip_all HTTPD "nginx does not start"
export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache

test_expect_success PTY 'setup' '
	silo init "$HTTPD_ROOT/deps.silo" &&
	mkdir -p src/d &&
	for i in 1 2 3 4 5; do echo $i >src/d/f$i || return 1; done &&
	test_seeded_file src/big 300000 3 &&
	mkdir -p deps.medo &&
	echo "{ \"silos\": [\"$HTTPD_URL/deps.silo\"] }" >deps.medo/SILO.json
'

test_expect_success PTY 'medo add --kind=tree on a terminal ends with a line of files and bytes' '
	on_tty tty medo add --kind=tree --silo "$HTTPD_ROOT/deps.silo" src deps.medo/t.treeptr &&
	grep "^medo add: 100% (6 files), [0-9.]* MiB, [0-9.]* MiB/s.*, done\.$" tty &&
	medo add --kind=tree --silo "$HTTPD_ROOT/deps.silo" --force src deps.medo/t2.treeptr 2>err &&
	test_must_be_empty err
'

test_expect_success PTY 'medo expand of the tree kind over HTTP shows the files fetched and written' '
	on_tty tty medo expand deps.medo/t.treeptr out &&
	grep "^medo expand: ([0-9]* files), [0-9.]* MiB, [0-9.]* MiB/s" tty &&
	grep "^medo expand: 100% (6 files), [0-9.]* MiB, [0-9.]* MiB/s.*, done\.$" tty &&
	diff -r src out &&
	medo expand --progress deps.medo/t.treeptr out2 2>err &&
	grep "medo expand: 100% (6 files), .*, done\.$" err &&
	rm -rf "$SILO_CACHE_DIR" &&
	medo expand deps.medo/t.treeptr out3 2>err &&
	test_must_be_empty err
'

test_expect_success PTY 'silo prune shows its phases on a terminal' '
	echo other >other && medo add --opaque --silo "$HTTPD_ROOT/deps.silo" other old.treeptr &&
	medo reachable deps.medo >keep &&
	on_tty tty silo prune --silo "$HTTPD_ROOT/deps.silo" --keep keep --expire now &&
	grep "^finding kept objects: 100% (3/3).*, done\.$" tty &&
	grep "^removing objects: 100% (1/1).*, done\.$" tty &&
	test_must_fail silo cat --silo "$HTTPD_ROOT/deps.silo" $(sed -n "s/.*\"object\": \"\([0-9a-f]*\)\".*/\1/p" old.treeptr) &&
	silo prune --silo "$HTTPD_ROOT/deps.silo" --keep keep --expire now 2>err &&
	test_must_be_empty err
'

test_done
