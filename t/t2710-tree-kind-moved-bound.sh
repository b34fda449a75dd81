#!/bin/sh
test_description='.moved files naming thousands of packs, or chains of them, cost a bounded number of requests'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=5
start_httpd || { echo "1..0 # SKIP nginx does not start"; exit 0; }

# A reader follows at most 16 names of a .moved file and spends at most
# 32 requests of an operation on .moved files and the indexes of the
# packs they name (silo-layout(5)), then reads pack/packs, once.  Before,
# each name cost four requests (10,000 names: 40,007 requests), the
# index of a pack that is gone was asked for again and again, and a
# slow server made that minutes: each command runs under a limit of
# 120 s.
limited() {
	timeout 120 "$@"
}

# $1 random pack names, one a line.
pack_names() {
	python3 -c "
import random, sys
r = random.Random(int(sys.argv[1]))
for i in range(int(sys.argv[1])):
    print(\"pack-%040x\" % r.getrandbits(160))" "$1"
}

# The requests since mark $1, the treeptr'"'"'s pack named P1, the pack
# holding the tree now R, every other pack X, counted.
counted_since() {
	requests_since $1 | grep -v config.json |
	sed -e "s|/$(cat p1)\.|/P1.|" -e "s|/$(cat r)\.|/R.|" -e "s|/pack-[0-9a-f]*\.|/X.|" |
	sort | uniq -c | sed "s/^ *//"
}

# What an expand costs when it gives up following .moved files: the
# treeptr'"'"'s pack, its .moved file, 16 indexes and 15 .moved files of
# the packs named (32 lookups), pack/packs, and the pack holding the tree.
bounded() {
	cat <<-\EOF
	1 GET /deps.silo/pack/P1.idx
	1 GET /deps.silo/pack/P1.moved
	1 GET /deps.silo/pack/R.idx
	2 GET /deps.silo/pack/R.pack
	16 GET /deps.silo/pack/X.idx
	15 GET /deps.silo/pack/X.moved
	1 GET /deps.silo/pack/packs
	EOF
}

test_expect_success 'setup: a tree whose pack a repack removed; its .moved file' '
	silo init "$HTTPD_ROOT/deps.silo" &&
	mkdir -p v1/sub deps.medo && echo one >v1/a && echo two >v1/sub/b &&
	echo "{ \"silos\": [\"$HTTPD_URL/deps.silo\"] }" >deps.medo/SILO.json &&
	medo add -q --kind=tree --silo "$HTTPD_ROOT/deps.silo" v1 deps.medo/v1.treeptr &&
	silo repack -q -a -d --silo "$HTTPD_ROOT/deps.silo" &&
	sed -n "/pack-/s/^ *\"\(pack-[0-9a-f]*\)\"$/\1/p" deps.medo/v1.treeptr >p1 &&
	cp "$HTTPD_ROOT/deps.silo/pack/$(cat p1).moved" r &&
	test_line_count 1 r &&
	chmod u+w "$HTTPD_ROOT/deps.silo/pack" &&
	rm "$HTTPD_ROOT/deps.silo/pack/$(cat p1).moved"
'

test_expect_success 'a .moved file of 10,000 names: 16 followed, 32 lookups, pack/packs once' '
	{ pack_names 10000 && cat r; } >"$HTTPD_ROOT/deps.silo/pack/$(cat p1).moved" &&
	m=$(mark) &&
	SILO_CACHE_DIR=$PWD/c1 limited medo expand deps.medo/v1.treeptr out1 &&
	diff -r v1 out1 &&
	counted_since $m >actual &&
	bounded >expect &&
	test_cmp expect actual
'

test_expect_success 'a chain of 100 .moved files: the same bound' '
	pack_names 100 >chain && cat r >>chain &&
	head -n 1 chain >"$HTTPD_ROOT/deps.silo/pack/$(cat p1).moved" &&
	i=1 && while test $i -le 100; do
		sed -n "$((i + 1))p" chain >"$HTTPD_ROOT/deps.silo/pack/$(sed -n "${i}p" chain).moved" &&
		i=$((i + 1)) || return 1
	done &&
	m=$(mark) &&
	SILO_CACHE_DIR=$PWD/c2 limited medo expand deps.medo/v1.treeptr out2 &&
	diff -r v1 out2 &&
	counted_since $m >actual &&
	bounded >expect &&
	test_cmp expect actual
'

test_expect_success 'a .moved file naming the new pack first: no pack/packs' '
	cp r "$HTTPD_ROOT/deps.silo/pack/$(cat p1).moved" &&
	m=$(mark) &&
	SILO_CACHE_DIR=$PWD/c3 limited medo expand deps.medo/v1.treeptr out3 &&
	diff -r v1 out3 &&
	counted_since $m >actual &&
	cat >expect <<-\EOF &&
	1 GET /deps.silo/pack/P1.idx
	1 GET /deps.silo/pack/P1.moved
	1 GET /deps.silo/pack/R.idx
	2 GET /deps.silo/pack/R.pack
	EOF
	test_cmp expect actual
'

test_done
