#!/bin/sh
test_description='medo: one warning per unusable silo per run, saying why, never over progress'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

test_expect_success 'setup: eleven treeptrs whose first silos are unusable' '
	silo init deps.silo &&
	mkdir -p deps/source.medo plain &&
	echo "{ \"silos\": [\"../../deps.silo\"] }" >deps/source.medo/SILO.json &&
	for i in 1 2 3 4 5 6 7 8 9 10 11; do
		mkdir -p src/t$i && echo $i >src/t$i/f &&
		medo add src/t$i deps/source.medo/t$i.treeptr || return 1
	done &&
	cat >deps/source.medo/SILO.json <<-\EOF
	{ "silos": ["../../../deps.silo", "../../plain", "../../deps.silo"] }
	EOF
'

test_expect_success 'a silo that does not exist and one that is not a silo: one line each' '
	medo expand -j 4 deps/source.medo DEST 2>err &&
	cat >expect <<-\EOF &&
	medo: warning: skipping silo '\''../deps.silo'\'' of '\''deps/source.medo/SILO.json'\'': does not exist
	medo: warning: skipping silo '\''plain'\'' of '\''deps/source.medo/SILO.json'\'': is not a silo: it has no config.json
	EOF
	sort err >actual && sort expect >expect.sorted &&
	test_cmp expect.sorted actual &&
	medo verify deps/source.medo DEST
'

test_expect_success 'the same warnings from ls, cat and diff: one path form, once' '
	for c in "ls -r deps/source.medo/t1.treeptr" "cat deps/source.medo/t2.treeptr f" \
		 "diff deps/source.medo/t1.treeptr deps/source.medo/t2.treeptr"; do
		rc=0 && medo $c >/dev/null 2>err || rc=$? &&
		test $rc -le 1 && sort err >actual &&
		test_cmp expect.sorted actual || { echo "in: medo $c"; return 1; }
	done
'

test_expect_success 'a --silo that does not exist is a missing silo, not a missing object' '
	test_expect_code 3 medo expand --silo=no.silo deps/source.medo d-opt 2>err &&
	test_line_count 11 err &&
	! grep -v "^medo: error: t[0-9]*\.treeptr: silo .no\.silo. of --silo: does not exist\$" err &&
	for c in "expand deps/source.medo/t1.treeptr d-opt" "ls deps/source.medo/t1.treeptr" \
		 "cat deps/source.medo/t1.treeptr f" "add src/t1 deps/source.medo/new.treeptr"; do
		test_expect_code 3 medo $c --silo=no.silo >out 2>err &&
		echo "medo: error: silo '\''no.silo'\'' of --silo: does not exist" >expect &&
		test_cmp expect err || { echo "in: medo $c"; return 1; }
	done &&
	test_expect_code 3 medo ls --silo=plain deps/source.medo/t1.treeptr 2>err &&
	echo "medo: error: silo '\''plain'\'' of --silo: is not a silo: it has no config.json" >expect &&
	test_cmp expect err
'

test_expect_success 'medo verify of changed trees warns once too' '
	for i in 1 2 3; do echo changed >DEST/t$i/f || return 1; done &&
	test_expect_code 1 medo verify deps/source.medo DEST >out 2>err &&
	test_line_count 3 out &&
	test_line_count 2 err
'

test_expect_success '-q silences the warnings, not the work' '
	rm -rf DEST &&
	medo expand -q deps/source.medo DEST >out 2>err &&
	test_must_be_empty out && test_must_be_empty err &&
	medo verify deps/source.medo DEST
'

test_expect_success 'a warning never lands on a progress line' '
	rm -rf DEST &&
	mkdir -p late.medo/a late.medo/z &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >late.medo/SILO.json &&
	echo "{ \"silos\": [\"../../gone.silo\", \"../../deps.silo\"] }" >late.medo/z/SILO.json &&
	cp deps/source.medo/t1.treeptr deps/source.medo/t2.treeptr late.medo/a/ &&
	cp deps/source.medo/t3.treeptr late.medo/z/ &&
	script -qec "medo expand -j 1 late.medo DEST" /dev/null >tty-out </dev/null &&
	grep "expanding treeptrs" tty-out &&
	python3 -c "
import re, sys
data = open(\"tty-out\", \"rb\").read().decode()
lines = data.replace(\"\r\n\", \"\n\").split(\"\n\")
w = [l for l in lines if \"medo: warning:\" in l]
assert len(w) == 1 and \"gone.silo\" in w[0], w
assert data.index(\"expanding treeptrs\") < data.index(\"medo: warning:\"), data
for l in w:
    assert l.startswith(\"medo: warning:\"), repr(l)
"
'

start_httpd >/dev/null 2>&1 && test_set_prereq HTTPD ||
	test_missing_prereq HTTPD "nginx does not start"

test_expect_success HTTPD 'unreachable, HTTP 500 and not-a-silo servers: one line each, saying why' '
	port=$(free_port) &&
	mkdir -p "$HTTPD_ROOT/nosilo" &&
	cat >deps/source.medo/SILO.json <<-EOF &&
	{ "silos": ["http://127.0.0.1:$port/x.silo/", "$HTTPD_URL/err500/x.silo/",
	            "$HTTPD_URL/nosilo/", "../../deps.silo"] }
	EOF
	rm -rf DEST &&
	SILO_HTTP_RETRIES=0 SILO_CACHE_DIR=$PWD/cache medo expand -j 4 deps/source.medo DEST 2>err &&
	test_line_count 3 err &&
	grep -c "^medo: warning: skipping silo " err >count && echo 3 >expect && test_cmp expect count &&
	grep "x.silo/config.json.: Couldn.t connect to server" err &&
	grep "err500/x.silo/config.json.: HTTP 500" err &&
	grep "is not a silo: .$HTTPD_URL/nosilo/config.json.: HTTP 404" err
'

test_done
