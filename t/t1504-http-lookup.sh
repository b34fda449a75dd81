#!/bin/sh
test_description='asking whether a silo over HTTP has an object transfers nothing'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=5
start_httpd || test_skip_all HTTPD "nginx does not start"
export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache

# Run a command; the requests the server saw meanwhile go to "requests".
requests_of() {
	lines=$(wc -l <"$HTTPD_DIR/access.log") &&
	"$@" &&
	tail -n +$((lines + 1)) "$HTTPD_DIR/access.log" >requests
}

cache_is_empty() {
	silo ls --silo cache/sha1 >cached && test_must_be_empty cached
}

test_expect_success 'setup: a loose and a packed object on the server' '
	silo init "$HTTPD_ROOT/deps.silo" &&
	test_seeded_file a 200000 1 && test_seeded_file b 3000 2 &&
	silo put --silo "$HTTPD_ROOT/deps.silo" a >id-a &&
	silo repack --silo "$HTTPD_ROOT/deps.silo" -q -a -d &&
	silo put --silo "$HTTPD_ROOT/deps.silo" b >id-b &&
	silo ls --silo "$HTTPD_ROOT/deps.silo" --paths >loose &&
	echo "objects/$(cut -c1-2 id-b)/$(cut -c3- id-b).gz" >expect &&
	test_cmp expect loose &&
	ls "$HTTPD_ROOT/deps.silo/pack/"pack-*.pack >packs && test_line_count 1 packs
'

test_expect_success 'cat -e of a loose object asks with HEAD and fetches nothing' '
	requests_of silo cat -e --silo "$HTTPD_URL/deps.silo" $(cat id-b) &&
	grep "\"HEAD /deps.silo/objects/" requests &&
	! grep "\"GET /deps.silo/objects/" requests &&
	cache_is_empty
'

test_expect_success 'cat -e of a packed object reads the index, never the pack' '
	requests_of silo cat -e --silo "$HTTPD_URL/deps.silo" $(cat id-a) &&
	grep "\"GET /deps.silo/pack/pack-[0-9a-f]*\.idx " requests &&
	! grep "\.pack " requests &&
	cache_is_empty
'

test_expect_success 'an object the server lacks is exit 1, and nothing is cached' '
	test_expect_code 1 silo cat -e --silo "$HTTPD_URL/deps.silo" \
		0123456789012345678901234567890123456789 &&
	cache_is_empty
'

test_expect_success 'reading the object is where it is transferred' '
	silo cat --silo "$HTTPD_URL/deps.silo" $(cat id-b) | cmp - b &&
	silo ls --silo cache/sha1 >cached && test_cmp id-b cached
'

test_done
