#!/bin/sh
test_description='a server sending endlessly cannot fill the disk; failed downloads leave nothing'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=5

# The fault server sends each object, then zeros without end, with no
# Content-Length.  Before downloads were bounded, silo fetch wrote them
# to cache/tmp_fetch_<id> until the disk was full.  Each command runs
# under a limit on the size of files it may write (ulimit -f, in blocks
# of 1024 bytes), so that a regression fails instead of filling the disk.
start_fault_server endless "$TRASH_DIRECTORY/root" && ENDLESS_URL=$FAULT_URL ||
	test_skip_all FAULT_SERVER "the python3 fault server does not start"
# The same, answering range requests with 200 and the endless file.
start_fault_server endless-200 "$TRASH_DIRECTORY/root" && ENDLESS200_URL=$FAULT_URL ||
	test_skip_all FAULT_SERVER "the python3 fault server does not start"

limited() {
	(ulimit -f 20000 && "$@")
}

test_expect_success 'setup: a silo with a loose and a packed object' '
	mkdir -p root && silo init root/deps.silo &&
	test_seeded_file a 215000 1 &&
	silo put --silo root/deps.silo a >id &&
	mkdir -p src && test_seeded_file src/big 100000 2 && echo small >src/small &&
	silo init p.silo &&
	mkdir -p deps/x.medo &&
	echo "{ \"silos\": [\"$ENDLESS_URL/deps.silo\"] }" >deps/x.medo/SILO.json &&
	medo add --silo root/deps.silo src deps/x.medo/src.treeptr
'

# What the server sends past the end of the object is not the object:
# corrupt (4), not a failed transfer (7) that a script would retry.
test_expect_success 'silo fetch stops an endless object at its size, exit 4, no temporary file' '
	silo init l1 &&
	test_expect_code 4 limited silo fetch --silo l1 --from "$ENDLESS_URL/deps.silo" $(cat id) 2>err &&
	grep "corrupt object .$ENDLESS_URL/deps.silo/objects/.*: the server sent more than the [0-9]* bytes expected" err &&
	find l1 -name "tmp_*" >tmps && test_must_be_empty tmps &&
	silo ls --silo l1 >out && test_must_be_empty out
'

test_expect_success 'medo expand through an endless server fails, nothing left in the cache' '
	SILO_CACHE_DIR=$PWD/cache && export SILO_CACHE_DIR &&
	test_expect_code 4 limited medo expand deps/x.medo/src.treeptr dest 2>err &&
	grep "more than the [0-9]* bytes expected" err &&
	! test -e dest &&
	find cache -name "tmp_*" >tmps && test_must_be_empty tmps
'

test_expect_success 'a range of an endless pack stops at the range' '
	silo repack --silo root/deps.silo -d -q &&
	SILO_CACHE_DIR=$PWD/cache2 && export SILO_CACHE_DIR &&
	test_must_fail limited medo expand deps/x.medo/src.treeptr dest 2>err &&
	grep "more than the [0-9]* bytes asked for" err &&
	! test -e dest &&
	find cache2 -name "tmp_*" >tmps && test_must_be_empty tmps
'

# Before, a 200 answer to a range request was written whole from offset
# 0: here, until the limit on file size killed the command (SIGXFSZ).
test_expect_success 'a range answered by an endless 200 stops at the range' '
	sed "s|$ENDLESS_URL|$ENDLESS200_URL|" deps/x.medo/SILO.json >json &&
	mkdir -p deps/y.medo && mv json deps/y.medo/SILO.json &&
	cp deps/x.medo/src.treeptr deps/y.medo/ &&
	SILO_CACHE_DIR=$PWD/cache3 && export SILO_CACHE_DIR &&
	test_expect_code 7 limited timeout 60 medo expand deps/y.medo/src.treeptr dest 2>err &&
	grep "cannot fetch .$ENDLESS200_URL/deps.silo/pack/pack-[0-9a-f]*\.pack.: the server sent neither the range asked for nor the file.s size" err &&
	! test -e dest &&
	find cache3 -name "tmp_*" >tmps && test_must_be_empty tmps
'

test_done
