#!/bin/sh
test_description='medo with a sha256 silo: add, expand, verify, reachable, prune'
. "$(dirname "$0")/test-lib.sh"

field() {
	sed -n "s/^  \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$2"
}

test_expect_success 'setup: a sha256 silo and a tree' '
	silo init --object-format=sha256 deps.silo &&
	mkdir -p deps/x.medo src/sub &&
	echo "{ \"silos\": [\"https://example.org/s/\", \"../../deps.silo\"] }" >deps/x.medo/SILO.json &&
	echo a >src/a && echo b >src/sub/b && chmod 755 src/sub/b && ln -s a src/l
'

test_expect_success 'add writes sha256 ids into the first local silo' '
	medo add src deps/x.medo/src.treeptr &&
	test "$(field object-format deps/x.medo/src.treeptr)" = sha256 &&
	test $(field object deps/x.medo/src.treeptr | wc -c) -eq 65 &&
	medo tree-id --object-format=sha256 src >expect &&
	field tree deps/x.medo/src.treeptr >actual &&
	test_cmp expect actual &&
	silo cat --silo deps.silo $(field object deps/x.medo/src.treeptr) >/dev/null
'

test_expect_success 'the tree id is git'\''s in a sha256 repository' '
	git init -q --bare --object-format=sha256 g.git &&
	git --git-dir=g.git --work-tree=src add -A &&
	git --git-dir=g.git write-tree >expect &&
	field tree deps/x.medo/src.treeptr >actual &&
	test_cmp expect actual
'

test_expect_success 'expand and verify' '
	medo expand deps/x.medo/src.treeptr out 2>err &&
	grep "skipping silo .https://example.org/s/." err &&
	diff -r --no-dereference src out &&
	medo verify deps/x.medo/src.treeptr out 2>err &&
	echo c >out/sub/c &&
	test_expect_code 1 medo verify deps/x.medo/src.treeptr out >actual 2>err &&
	echo "added out/sub/c" >expect && test_cmp expect actual
'

test_expect_success 'reachable and prune with sha256 ids' '
	echo junk >junk && silo put --silo deps.silo junk >junk-id &&
	medo reachable --paths deps/x.medo >keep &&
	silo prune --silo deps.silo --keep keep --expire now &&
	silo ls --silo deps.silo >after &&
	field object deps/x.medo/src.treeptr >expect &&
	test_cmp expect after
'

test_expect_success 'a sha1 id in a sha256 treeptr is refused' '
	sed "s/^  \"object\": \"\(.\{40\}\).*\"/  \"object\": \"\1\"/" deps/x.medo/src.treeptr >deps/x.medo/bad.treeptr &&
	test_expect_code 5 medo url-for deps/x.medo/bad.treeptr 2>err &&
	grep "field .object.: expected a sha256 id of 64 lowercase hex digits, not 40 characters" err
'

test_done
