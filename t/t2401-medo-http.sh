#!/bin/sh
test_description='medo against silos served by a real nginx: expand, verify, url-for, add URL'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=5
start_httpd || test_skip_all HTTPD "nginx does not start"
export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache

make_tree() {
	mkdir -p "$1/sub/deeper" &&
	echo "one $1" >"$1/a.txt" &&
	echo "two $1" >"$1/sub/b.txt" &&
	printf "#!/bin/sh\necho $1\n" >"$1/sub/run.sh" && chmod +x "$1/sub/run.sh" &&
	ln -s ../a.txt "$1/sub/deeper/link" &&
	: >"$1/empty"
}

test_expect_success 'setup: trees stored in the served silo, treeptrs naming it by URL' '
	silo init "$HTTPD_ROOT/deps.silo" &&
	make_tree t1 && make_tree t2 && make_tree t3 &&
	mkdir -p deps.medo/x &&
	echo "{ \"silos\": [\"$HTTPD_URL/deps.silo\"] }" >deps.medo/SILO.json &&
	for t in t1 t2 t3; do
		medo add --silo "$HTTPD_ROOT/deps.silo" $t deps.medo/x/$t.treeptr || return 1
	done
'

test_expect_success 'expand a treeptr from the web server' '
	medo expand deps.medo/x/t1.treeptr out1 &&
	diff -r --no-dereference t1 out1 &&
	medo tree-id out1 >got && medo tree-id t1 >want && test_cmp want got
'

test_expect_success 'the object went through the cache: a second expand needs no object transfer' '
	before=$(grep -c "GET /deps.silo/objects/" "$HTTPD_DIR/access.log") &&
	medo expand deps.medo/x/t1.treeptr out1b &&
	diff -r --no-dereference t1 out1b &&
	after=$(grep -c "GET /deps.silo/objects/" "$HTTPD_DIR/access.log") &&
	test $before -eq $after
'

test_expect_success 'expand a medo directory in parallel from the web server' '
	medo expand -j 2 deps.medo out-all &&
	diff -r --no-dereference t1 out-all/x/t1 && diff -r --no-dereference t2 out-all/x/t2 && diff -r --no-dereference t3 out-all/x/t3
'

test_expect_success 'verify names the differing paths, reading the object over HTTP' '
	cp -r t2 changed && echo edited >changed/sub/b.txt && rm changed/a.txt &&
	test_expect_code 1 medo verify deps.medo/x/t2.treeptr changed >out &&
	printf "removed changed/a.txt\nchanged changed/sub/b.txt\n" >expect &&
	test_cmp expect out
'

test_expect_success 'a silo that refuses connections is skipped for the next one' '
	port=$(free_port) &&
	mkdir -p fb.medo &&
	echo "{ \"silos\": [\"http://127.0.0.1:$port/deps.silo\", \"$HTTPD_URL/deps.silo\"] }" >fb.medo/SILO.json &&
	cp deps.medo/x/t3.treeptr fb.medo/ &&
	SILO_CACHE_DIR=$PWD/cache-fb medo expand fb.medo/t3.treeptr out3 2>err &&
	diff -r --no-dereference t3 out3 &&
	grep "^medo: warning: skipping silo .http://127.0.0.1:$port/deps.silo. of .fb.medo/SILO.json.: " err
'

test_expect_success 'a silo that lacks the object (404) is skipped for the next one' '
	silo init "$HTTPD_ROOT/empty.silo" &&
	mkdir -p nf.medo &&
	echo "{ \"silos\": [\"$HTTPD_URL/empty.silo\", \"$HTTPD_URL/deps.silo\"] }" >nf.medo/SILO.json &&
	cp deps.medo/x/t2.treeptr nf.medo/ &&
	SILO_CACHE_DIR=$PWD/cache-nf medo expand nf.medo/t2.treeptr out2 &&
	diff -r --no-dereference t2 out2
'

test_expect_success 'no silo has it: exit 3 and what each silo said' '
	mkdir -p none.medo &&
	echo "{ \"silos\": [\"$HTTPD_URL/empty.silo\"] }" >none.medo/SILO.json &&
	cp deps.medo/x/t2.treeptr none.medo/ &&
	SILO_CACHE_DIR=$PWD/cache-none test_expect_code 3 medo expand none.medo/t2.treeptr nowhere 2>err &&
	echo "medo: error: object $(sed -n "s/.*\"object\": \"\([0-9a-f]*\)\".*/\1/p" none.medo/t2.treeptr) is not in any silo of '\''none.medo/SILO.json'\''; '\''$HTTPD_URL/empty.silo'\'': not there" >expect &&
	test_cmp expect err &&
	! test -e nowhere
'

test_expect_success 'a flipped byte on the server: exit 4, destination untouched, cache clean' '
	cp -r "$HTTPD_ROOT/deps.silo" "$HTTPD_ROOT/bad.silo" && chmod -R u+w "$HTTPD_ROOT/bad.silo" &&
	id=$(sed -n "s/.*\"object\": \"\([0-9a-f]*\)\".*/\1/p" deps.medo/x/t1.treeptr) &&
	obj="$HTTPD_ROOT/bad.silo/objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).gz" &&
	size=$(stat -c %s "$obj") &&
	printf "\377" | dd of="$obj" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null &&
	mkdir -p bad.medo && cp deps.medo/x/t1.treeptr bad.medo/ &&
	echo "{ \"silos\": [\"$HTTPD_URL/bad.silo\"] }" >bad.medo/SILO.json &&
	mkdir keep && echo precious >keep/file &&
	SILO_CACHE_DIR=$PWD/cache-bad test_expect_code 4 medo expand --force bad.medo/t1.treeptr keep 2>err &&
	grep "corrupt object .$HTTPD_URL/bad.silo/objects/" err &&
	echo precious >expect && test_cmp expect keep/file &&
	silo ls --silo cache-bad/sha1 >cached && test_must_be_empty cached
'

test_expect_success 'url-for prints URLs that curl fetches and that decompress to the object' '
	medo url-for deps.medo/x/t1.treeptr >urls &&
	test_line_count 1 urls &&
	curl -sf "$(cat urls)" | gzip -dc >fetched &&
	id=$(sed -n "s/.*\"object\": \"\([0-9a-f]*\)\".*/\1/p" deps.medo/x/t1.treeptr) &&
	echo $id >expect &&
	git hash-object fetched >actual &&
	test_cmp expect actual
'

test_expect_success 'setup: an upstream tarball on the web server' '
	tar -czf "$HTTPD_ROOT/upstream-1.0.tar.gz" t1 &&
	sha256sum "$HTTPD_ROOT/upstream-1.0.tar.gz" | cut -d" " -f1 >sum &&
	silo init local.silo && mkdir -p src.medo &&
	echo "{ \"silos\": [\"../local.silo\"] }" >src.medo/SILO.json
'

test_expect_success 'add URL with the right sha256 stores it byte for byte with its provenance' '
	medo add --sha256 $(cat sum) "$HTTPD_URL/upstream-1.0.tar.gz" src.medo/upstream.treeptr &&
	grep "\"url\": \"$HTTPD_URL/upstream-1.0.tar.gz\"" src.medo/upstream.treeptr &&
	grep "\"sha256\": \"$(cat sum)\"" src.medo/upstream.treeptr &&
	grep "\"kind\": \"archive\"" src.medo/upstream.treeptr &&
	id=$(sed -n "s/.*\"object\": \"\([0-9a-f]*\)\".*/\1/p" src.medo/upstream.treeptr) &&
	silo cat --silo local.silo $id | cmp - "$HTTPD_ROOT/upstream-1.0.tar.gz" &&
	medo expand src.medo/upstream.treeptr up && diff -r --no-dereference t1 up/t1
'

test_expect_success 'add URL with the wrong sha256 is exit 4 and stores nothing' '
	silo init l2.silo &&
	test_expect_code 4 medo add --silo l2.silo \
		--sha256 0000000000000000000000000000000000000000000000000000000000000000 \
		"$HTTPD_URL/upstream-1.0.tar.gz" src.medo/wrong.treeptr 2>err &&
	grep "has sha256 $(cat sum), not the expected 0000" err &&
	silo ls --silo l2.silo >objs && test_must_be_empty objs &&
	find l2.silo -name "tmp_*" >tmps && test_must_be_empty tmps &&
	! test -e src.medo/wrong.treeptr
'

test_expect_success 'add URL of a missing file is exit 3' '
	test_expect_code 3 medo add --silo l2.silo "$HTTPD_URL/nope.tar.gz" src.medo/nope.treeptr 2>err &&
	grep "cannot download .$HTTPD_URL/nope.tar.gz.: HTTP 404" err &&
	! test -e src.medo/nope.treeptr
'

test_expect_success 'a malformed --sha256 is a usage error' '
	test_expect_code 2 medo add --sha256 abc "$HTTPD_URL/upstream-1.0.tar.gz" src.medo/x.treeptr 2>err &&
	grep "expects 64 hex digits" err
'

test_done
