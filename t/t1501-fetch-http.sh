#!/bin/sh
test_description='silo fetch from a silo served by a real nginx, and its faults'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

export SILO_HTTP_RETRIES=1 SILO_HTTP_TIMEOUT=2

start_httpd || test_skip_all HTTPD "nginx does not start"
start_fault_server truncate "$HTTPD_ROOT" && TRUNCATE_URL=$FAULT_URL &&
start_fault_server stall "$HTTPD_ROOT" && STALL_URL=$FAULT_URL &&
start_fault_server ignore-range "$HTTPD_ROOT" && NORANGE_URL=$FAULT_URL ||
	test_skip_all FAULT_SERVER "the python3 fault server does not start"

test_expect_success 'setup: nginx serving a silo' '
	silo init "$HTTPD_ROOT/deps.silo" &&
	test_seeded_file a 300000 1 && test_seeded_file b 1000 2 && : >empty &&
	silo put --silo "$HTTPD_ROOT/deps.silo" a b empty >ids &&
	silo init local
'

test_expect_success 'fetch copies objects, verified, into a local silo' '
	silo fetch --silo local --from "$HTTPD_URL/deps.silo" $(cat ids) >out 2>err &&
	test_must_be_empty out && test_must_be_empty err &&
	silo ls --silo local >actual && sort ids >expect && test_cmp expect actual &&
	silo cat --silo local $(sed -n 1p ids) | cmp - a &&
	silo verify local
'

test_expect_success 'a second fetch needs no transfer' '
	before=$(wc -l <"$HTTPD_DIR/access.log") &&
	silo fetch --silo local --from "$HTTPD_URL/deps.silo/" $(cat ids) &&
	after=$(wc -l <"$HTTPD_DIR/access.log") &&
	test $after -eq $((before + 1)) &&
	tail -n 1 "$HTTPD_DIR/access.log" | grep "GET /deps.silo/config.json "
'

test_expect_success 'ids can come from standard input' '
	silo init l2 &&
	silo fetch --silo l2 --from "$HTTPD_URL/deps.silo" --stdin <ids &&
	silo ls --silo l2 >actual && test_cmp expect actual
'

test_expect_success '--cache fetches into the cache, laid out as a silo' '
	SILO_CACHE_DIR=$PWD/cache silo fetch --cache --from "$HTTPD_URL/deps.silo" $(cat ids) &&
	silo ls --silo cache/sha1 >actual && test_cmp expect actual &&
	silo verify cache/sha1
'

test_expect_success 'a missing object (404) is exit 3 naming the URL' '
	silo init l3 &&
	test_expect_code 3 silo fetch --silo l3 --from "$HTTPD_URL/deps.silo" \
		0123456789012345678901234567890123456789 2>err &&
	echo "silo: error: '\''$HTTPD_URL/deps.silo/objects/01/23456789012345678901234567890123456789.gz'\'': HTTP 404" >expect &&
	test_cmp expect err &&
	find l3 -name "tmp_*" >tmps && test_must_be_empty tmps
'

test_expect_success 'a URL that is not a silo is exit 3' '
	test_expect_code 3 silo fetch --silo l3 --from "$HTTPD_URL/nothing" $(sed -n 1p ids) 2>err &&
	grep "is not a silo: .$HTTPD_URL/nothing/config.json.: HTTP 404" err
'

test_expect_success 'a server error (500) is exit 7 after retries' '
	mkdir -p "$HTTPD_ROOT/err500" && cp -r "$HTTPD_ROOT/deps.silo/config.json" "$HTTPD_ROOT/err500/" &&
	test_expect_code 7 silo fetch --silo l3 --from "$HTTPD_URL/err500" $(sed -n 1p ids) 2>err &&
	grep "cannot fetch .$HTTPD_URL/err500/config.json.: HTTP 500" err
'

test_expect_success 'connection refused is exit 7' '
	port=$(free_port) &&
	test_expect_code 7 silo fetch --silo l3 --from "http://127.0.0.1:$port/deps.silo" $(sed -n 1p ids) 2>err &&
	grep "cannot fetch .http://127.0.0.1:$port/deps.silo/config.json.: Could not connect to server\|Couldn.t connect to server" err
'

test_expect_success 'an object with one flipped byte on the server is exit 4, nothing stored' '
	cp -r "$HTTPD_ROOT/deps.silo" "$HTTPD_ROOT/bad.silo" && chmod -R u+w "$HTTPD_ROOT/bad.silo" &&
	id=$(sed -n 1p ids) && obj=objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).gz &&
	printf "\001" | dd of="$HTTPD_ROOT/bad.silo/$obj" bs=1 seek=20000 conv=notrunc 2>/dev/null &&
	silo init l4 &&
	test_expect_code 4 silo fetch --silo l4 --from "$HTTPD_URL/bad.silo" $id 2>err &&
	grep "^silo: error: corrupt object .$HTTPD_URL/bad.silo/$obj.: " err &&
	silo ls --silo l4 >out && test_must_be_empty out &&
	find l4 -name "tmp_*" >tmps && test_must_be_empty tmps
'

test_expect_success 'a truncated body is exit 7 and leaves no partial file' '
	FAULT_URL=$TRUNCATE_URL &&
	silo init l5 && id=$(sed -n 1p ids) &&
	SILO_HTTP_RETRIES=0 test_expect_code 7 silo fetch --silo l5 --from "$FAULT_URL/deps.silo" $id 2>err &&
	grep "cannot fetch .$FAULT_URL/deps.silo/objects/" err &&
	silo ls --silo l5 >out && test_must_be_empty out &&
	find l5 -name "tmp_*" >tmps && test_must_be_empty tmps
'

test_expect_success 'the partial file of a killed fetch is resumed with a range request' '
	id=$(sed -n 1p ids) &&
	obj=objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).gz &&
	head -c 100000 "$HTTPD_ROOT/deps.silo/$obj" >l5/objects/tmp_fetch_$id &&
	silo fetch --silo l5 --from "$HTTPD_URL/deps.silo" $id &&
	silo cat --silo l5 $id | cmp - a &&
	tail -n 1 "$HTTPD_DIR/access.log" | grep " 206 " &&
	find l5 -name "tmp_*" >tmps && test_must_be_empty tmps
'

test_expect_success 'a stalled server times out (exit 7)' '
	FAULT_URL=$STALL_URL &&
	silo init l6 &&
	SILO_HTTP_RETRIES=0 test_expect_code 7 silo fetch --silo l6 --from "$FAULT_URL/deps.silo" $(sed -n 1p ids) 2>err &&
	grep "cannot fetch .*: Timeout was reached" err
'

test_expect_success 'a server that ignores ranges still works for a resumed download' '
	FAULT_URL=$NORANGE_URL &&
	silo init l7 && id=$(sed -n 1p ids) &&
	head -c 1000 /dev/zero >l7/objects/tmp_fetch_$id &&
	silo fetch --silo l7 --from "$FAULT_URL/deps.silo" $id &&
	silo cat --silo l7 $id | cmp - a
'

test_expect_success 'silo cat reads from a URL through the cache' '
	id=$(sed -n 1p ids) &&
	SILO_CACHE_DIR=$PWD/cache2 silo cat --silo "$HTTPD_URL/deps.silo" $id >out &&
	cmp a out &&
	silo ls --silo cache2/sha1 >cached && echo $id >expect && test_cmp expect cached &&
	SILO_CACHE_DIR=$PWD/cache2 SILO_DIR="$HTTPD_URL/deps.silo" silo cat -s $id >size &&
	echo 300000 >expect && test_cmp expect size
'

test_expect_success 'a second cat needs no transfer of the object' '
	id=$(sed -n 1p ids) &&
	SILO_CACHE_DIR=$PWD/cache2 silo cat --silo "$HTTPD_URL/deps.silo" $id >out &&
	cmp a out &&
	tail -n 1 "$HTTPD_DIR/access.log" | grep "GET /deps.silo/config.json "
'

test_expect_success 'cat -e asks the server' '
	SILO_CACHE_DIR=$PWD/cache3 silo cat -e --silo "$HTTPD_URL/deps.silo" $(sed -n 2p ids) &&
	SILO_CACHE_DIR=$PWD/cache3 test_expect_code 1 silo cat -e --silo "$HTTPD_URL/deps.silo" \
		0123456789012345678901234567890123456789
'

test_expect_success 'cat of a missing object on a URL is exit 3' '
	SILO_CACHE_DIR=$PWD/cache3 test_expect_code 3 silo cat --silo "$HTTPD_URL/deps.silo" \
		0123456789012345678901234567890123456789 2>err &&
	grep "HTTP 404" err
'

test_expect_success 'cat of a corrupt object on a URL is exit 4 and caches nothing' '
	id=$(sed -n 1p ids) &&
	SILO_CACHE_DIR=$PWD/cache4 test_expect_code 4 silo cat --silo "$HTTPD_URL/bad.silo" $id >out 2>err &&
	grep "corrupt object .$HTTPD_URL/bad.silo/objects/" err &&
	test_must_be_empty out &&
	silo ls --silo cache4/sha1 >cached && test_must_be_empty cached
'

test_expect_success 'a URL silo cannot be written' '
	SILO_CACHE_DIR=$PWD/cache3 test_expect_code 5 silo put --silo "$HTTPD_URL/deps.silo" a 2>err &&
	grep "cannot write to .$HTTPD_URL/deps.silo.: a silo served over HTTP is written where it is stored" err
'

test_expect_success 'credentials come from ~/.netrc, as with curl' '
	mkdir -p "$HTTPD_ROOT/private" && cp -r "$HTTPD_ROOT/deps.silo" "$HTTPD_ROOT/private/" &&
	silo init l8 && id=$(sed -n 2p ids) &&
	test_expect_code 7 silo fetch --silo l8 --from "$HTTPD_URL/private/deps.silo" $id 2>err &&
	grep "HTTP 401" err &&
	echo "machine 127.0.0.1 login ci password s3cret" >"$HOME/.netrc" &&
	test_when_finished "rm -f \"$HOME/.netrc\"" &&
	silo fetch --silo l8 --from "$HTTPD_URL/private/deps.silo" $id &&
	silo cat --silo l8 $id | cmp - b
'

test_expect_success 'the credentials are gone after that test' '
	! test -e "$HOME/.netrc" &&
	silo init l9 && id=$(sed -n 2p ids) &&
	test_expect_code 7 silo fetch --silo l9 --from "$HTTPD_URL/private/deps.silo" $id 2>err &&
	grep "HTTP 401" err
'

test_expect_success 'fetch needs --from and ids' '
	test_expect_code 2 silo fetch --silo l3 $(sed -n 1p ids) 2>err &&
	grep "from is required" err &&
	test_expect_code 2 silo fetch --silo l3 --from "$HTTPD_URL/deps.silo" 2>err &&
	grep "give ids as arguments or with --stdin" err
'

test_done
