#!/bin/sh
test_description='the exit status table: one table in fe.h and silo(1), and each command held to it'
. "$(dirname "$0")/test-lib.sh"

. "$TEST_DIRECTORY/lib-httpd.sh"

test_expect_success 'fe.h and the EXIT STATUS of silo(1) list the same statuses' '
	sed -n "s/^	FE_EXIT_[A-Z]* = \([0-9]*\).*/\1/p" \
		"$TEST_DIRECTORY/../cmd/fe.h" >expect &&
	test_line_count 10 expect &&
	sed -n "/^# EXIT STATUS/,/^# /s/^\*\([0-9]*\)\*\$/\1/p" \
		"$TEST_DIRECTORY/../Documentation/silo.1.scd" >actual &&
	test_cmp expect actual &&
	for p in medo knot; do
		sed -n "/^# EXIT STATUS/,/^# /p" "$TEST_DIRECTORY/../Documentation/$p.1.scd" >sec &&
		grep -q "silo\*(1)" sec || { echo "$p(1) does not refer to the table"; return 1; }
	done
'

test_expect_success 'setup: a silo, a tar-kind and a tree-kind treeptr, a silo that is down' '
	silo init s.silo &&
	mkdir -p m.medo src/sub &&
	echo "{ \"silos\": [\"../s.silo\"] }" >m.medo/SILO.json &&
	echo hello >src/sub/f &&
	medo add src m.medo/a.treeptr &&
	medo add --kind=tree src m.medo/t.treeptr &&
	down="http://127.0.0.1:$(free_port)/s.silo" &&
	mkdir h.medo && cp m.medo/*.treeptr h.medo/ &&
	echo "{ \"silos\": [\"$down\"] }" >h.medo/SILO.json &&
	echo "$down" >down &&
	sed -n "s/^  \"object\": \"\(.*\)\",/\1/p" m.medo/a.treeptr >tar-id &&
	SILO_CACHE_DIR=$PWD/cache && export SILO_CACHE_DIR
'

# Each line: the status, then the command.
run_table() {
	while read -r want cmd; do
		rc=0 && $cmd >out 2>err || rc=$?
		test "$rc" = "$want" || {
			echo "\"$cmd\" exited $rc, not $want:"; cat err; return 1
		}
		test $rc = 0 || grep -q "^[a-z]*: error: " err || {
			echo "\"$cmd\": no error message"; cat err; return 1
		}
	done
}

test_expect_success 'usage 2, not found 3, invalid 5, refused 8' '
	echo "{ not json" >bad.treeptr &&
	mkdir -p in-the-way/a && echo x >in-the-way/a/other &&
	run_table <<-EOF
	2 silo cat --silo=s.silo 12345
	2 silo ls --no-such-option
	2 medo expand m.medo
	2 knot list a b
	3 silo cat --silo=s.silo 0000000000000000000000000000000000000000
	3 silo ls --silo=no.silo
	3 medo expand m.medo/no.treeptr d
	3 medo ls m.medo/no.treeptr
	3 knot show m.medo/no.treeptr
	5 medo expand bad.treeptr d
	5 medo ls bad.treeptr
	5 medo show bad.treeptr
	8 medo expand m.medo in-the-way
	EOF
'

test_expect_success 'corrupt data is 4 for every command that reads it' '
	id=$(cat tar-id) &&
	f=s.silo/objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).gz &&
	cp $f good.gz && chmod u+w $f &&
	{ gzip -dc good.gz | head -c 600 && printf X && gzip -dc good.gz | tail -c +602; } | gzip >$f &&
	run_table <<-EOF &&
	4 silo cat --silo=s.silo $id
	4 medo expand m.medo/a.treeptr d1
	4 medo cat m.medo/a.treeptr sub/f
	4 medo ls m.medo/a.treeptr
	4 medo diff m.medo/a.treeptr m.medo/t.treeptr
	EOF
	cp good.gz $f
'

test_expect_success 'a transfer that fails is 7 for every command that fetches' '
	down=$(cat down) && id=$(cat tar-id) &&
	run_table <<-EOF
	7 silo cat --silo=$down $id
	7 silo fetch --silo=s.silo --from=$down $id
	7 medo expand h.medo/a.treeptr d2
	7 medo expand h.medo/t.treeptr d3
	7 medo cat h.medo/t.treeptr sub/f
	7 medo ls h.medo/a.treeptr
	7 medo diff h.medo/a.treeptr h.medo/t.treeptr
	7 medo fsck h.medo
	7 medo add --opaque $down/x.deb m.medo/x.treeptr
	EOF
'

test_done
