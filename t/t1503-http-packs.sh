#!/bin/sh
test_description='packed objects read from a static server with range requests'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

export SILO_HTTP_RETRIES=1 SILO_HTTP_TIMEOUT=5

start_httpd || test_skip_all HTTPD "nginx does not start"
start_fault_server ignore-range "$HTTPD_ROOT" && NORANGE_URL=$FAULT_URL ||
	test_skip_all FAULT_SERVER "the python3 fault server does not start"

# N versions of a file, each a little longer: good delta candidates.
make_versions() {
	i=1 && while [ $i -le $1 ]; do
		{ seq 1 $((5000 + i * 50)); echo "version $i"; } >v$i || return 1
		i=$((i + 1))
	done
}

test_expect_success 'setup: a packed silo served by nginx' '
	make_versions 8 &&
	silo init "$HTTPD_ROOT/deps.silo" &&
	silo put --silo "$HTTPD_ROOT/deps.silo" v1 v2 v3 v4 v5 v6 v7 v8 >ids &&
	silo repack --silo "$HTTPD_ROOT/deps.silo" -q -a -d &&
	test -f "$HTTPD_ROOT/deps.silo/pack/packs" &&
	ls "$HTTPD_ROOT/deps.silo/objects/" >loose && test_must_be_empty loose &&
	git verify-pack -v "$HTTPD_ROOT"/deps.silo/pack/pack-*.idx >vp &&
	grep -c " 1 [0-9a-f]*$\| [2-9] [0-9a-f]*$" vp >deltas &&
	test $(cat deltas) -ge 1
'

test_expect_success 'pack/packs lists the pack, in git objects/info/packs format' '
	(cd "$HTTPD_ROOT/deps.silo/pack" && ls pack-*.pack | sed "s/^/P /" && echo) >expect &&
	test_cmp expect "$HTTPD_ROOT/deps.silo/pack/packs"
'

test_expect_success 'every packed object reads back through the cache, verified' '
	export SILO_CACHE_DIR=$PWD/cache &&
	i=1 && for id in $(cat ids); do
		silo cat --silo "$HTTPD_URL/deps.silo" $id >out &&
		cmp v$i out || return 1
		i=$((i + 1))
	done
'

test_expect_success 'they were read with range requests, not whole packs' '
	grep "GET /deps.silo/pack/pack-.*\.pack " "$HTTPD_DIR/access.log" >pack-gets &&
	! grep -v " 206 " pack-gets &&
	grep "GET /deps.silo/pack/pack-.*\.idx " "$HTTPD_DIR/access.log" >idx-gets &&
	test_line_count 1 idx-gets
'

test_expect_success 'a second read needs no pack transfer' '
	export SILO_CACHE_DIR=$PWD/cache &&
	before=$(grep -c "\.pack " "$HTTPD_DIR/access.log") &&
	silo cat --silo "$HTTPD_URL/deps.silo" $(sed -n 5p ids) | cmp - v5 &&
	after=$(grep -c "\.pack " "$HTTPD_DIR/access.log") &&
	test $before -eq $after &&
	silo verify cache/sha1
'

test_expect_success 'a server that ignores ranges still works: only ranges are kept' '
	export SILO_CACHE_DIR=$PWD/cache-norange &&
	silo cat --silo "$NORANGE_URL/deps.silo" $(sed -n 3p ids) | cmp - v3 &&
	silo cat --silo "$NORANGE_URL/deps.silo" $(sed -n 7p ids) | cmp - v7 &&
	! ls cache-norange/sha1/pack/pack-*.pack 2>/dev/null &&
	find cache-norange -name "tmp_*" >tmps && test_must_be_empty tmps &&
	silo verify cache-norange/sha1
'

test_expect_success 'packs written by git are read too (REF_DELTA, long chains)' '
	git init -q --bare g.git &&
	make_versions 30 &&
	for i in $(seq 1 30); do git --git-dir=g.git hash-object -w v$i; done >gids &&
	silo init "$HTTPD_ROOT/git.silo" &&
	git --git-dir=g.git pack-objects -q --window=50 --depth=50 "$HTTPD_ROOT/git.silo/pack/pack" <gids >/dev/null &&
	(cd "$HTTPD_ROOT/git.silo/pack" && ls pack-*.pack | sed "s/^/P /" && echo) >"$HTTPD_ROOT/git.silo/pack/packs" &&
	export SILO_CACHE_DIR=$PWD/cache-git &&
	i=1 && for id in $(cat gids); do
		silo cat --silo "$HTTPD_URL/git.silo" $id | cmp - v$i || return 1
		i=$((i + 1))
	done
'

test_expect_success 'a damaged pack entry is exit 4 and nothing is cached for it' '
	cp -r "$HTTPD_ROOT/deps.silo" "$HTTPD_ROOT/bad.silo" && chmod -R u+w "$HTTPD_ROOT/bad.silo" &&
	pack=$(ls "$HTTPD_ROOT"/bad.silo/pack/pack-*.pack) &&
	size=$(stat -c %s $pack) &&
	printf "\377\377\377\377" | dd of=$pack bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null &&
	export SILO_CACHE_DIR=$PWD/cache-bad &&
	fails=0 && for id in $(cat ids); do
		silo cat --silo "$HTTPD_URL/bad.silo" $id >/dev/null 2>err
		rc=$?
		if [ $rc -ne 0 ]; then
			test $rc -eq 4 || { cat err; exit 1; }
			fails=$((fails + 1))
		fi
	done &&
	test $fails -ge 1 &&
	silo verify cache-bad/sha1
'

test_done
