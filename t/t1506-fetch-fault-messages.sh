#!/bin/sh
test_description='broken, slow and truncated transfers say what happened'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

export SILO_HTTP_TIMEOUT=2

start_fault_server truncate "$TRASH_DIRECTORY/root" && TRUNCATE_URL=$FAULT_URL &&
start_fault_server truncate-pack "$TRASH_DIRECTORY/root" && TRUNCPACK_URL=$FAULT_URL &&
start_fault_server stall-pack "$TRASH_DIRECTORY/root" && STALLPACK_URL=$FAULT_URL ||
	test_skip_all FAULT_SERVER "the python3 fault server does not start"

test_expect_success 'setup: a loose object; a tree in a pack' '
	mkdir -p root && silo init root/deps.silo && silo init root/packed.silo &&
	test_seeded_file a 300000 1 &&
	silo put --silo root/deps.silo a >id &&
	mkdir -p deps/x.medo src && test_seeded_file src/big 300000 2 &&
	medo add --silo root/packed.silo src deps/x.medo/src.treeptr &&
	silo repack --silo root/packed.silo -d -q
'

# Before, a truncated transfer retried with a range request that this
# server ignores ended with curl'"'"'s "Requested range was not delivered
# by the server", hiding that the transfer had broken off.
test_expect_success 'a truncated transfer, retried, says it broke off and why it could not resume' '
	silo init l1 &&
	SILO_HTTP_RETRIES=1 test_expect_code 7 silo fetch --silo l1 --from "$TRUNCATE_URL/deps.silo" $(cat id) 2>err &&
	grep "the server closed the transfer after [0-9]* bytes, before the end it announced; resuming at byte [0-9]* failed: the server does not send ranges" err &&
	! grep "Requested range" err
'

test_expect_success 'a truncated range of a pack says how much came' '
	echo "{ \"silos\": [\"$TRUNCPACK_URL/packed.silo\"] }" >deps/x.medo/SILO.json &&
	SILO_CACHE_DIR=$PWD/c1 && export SILO_CACHE_DIR &&
	SILO_HTTP_RETRIES=0 test_expect_code 7 medo expand deps/x.medo/src.treeptr dest 2>err &&
	grep "pack-[0-9a-f]*\.pack.: the server closed the transfer after [0-9]* bytes, before the end it announced" err &&
	! test -e dest
'

test_expect_success 'a stalled range of a pack names the timeout' '
	echo "{ \"silos\": [\"$STALLPACK_URL/packed.silo\"] }" >deps/x.medo/SILO.json &&
	SILO_CACHE_DIR=$PWD/c2 && export SILO_CACHE_DIR &&
	SILO_HTTP_RETRIES=0 test_expect_code 7 medo expand deps/x.medo/src.treeptr dest 2>err &&
	grep "pack-[0-9a-f]*\.pack.: no data for 2 s after 4 bytes (SILO_HTTP_TIMEOUT)" err &&
	! test -e dest
'

test_done
