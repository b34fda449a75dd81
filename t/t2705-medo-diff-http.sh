#!/bin/sh
test_description='medo diff over a real nginx reads only the tree objects that differ'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=5
export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache
start_httpd || test_skip_all HTTPD "nginx does not start"

# "METHOD PATH STATUS BYTES" of each request since mark $1 but
# config.json, with the packs of v1 and v2 named PA and PB.
requests_since() {
	tail -n +$(($1 + 1)) "$HTTPD_DIR/access.log" | grep -v config.json |
	sed -n 's/^[^"]*"\([A-Z]*\) \([^ ]*\) [^"]*" \([0-9]*\) \([0-9]*\) .*/\1 \2 \3 \4/p' |
	sed -e "s|/$pa\.|/PA.|" -e "s|/$pb\.|/PB.|"
}
mark() {
	wc -l <"$HTTPD_DIR/access.log"
}
# "GET /deps.silo/pack/P.pack 206 N" for tree $2 of pack $1 (PA or PB):
# N is its entry's size, as git verify-pack -v gives it.
tree_request() {
	case $1 in PA) p=$pa ;; PB) p=$pb ;; esac
	git verify-pack -v "$HTTPD_ROOT/deps.silo/pack/$p.pack" |
		awk -v id="$2" -v P="$1" '$1 == id { print "GET /deps.silo/pack/" P ".pack 206", $4 }'
}
idx_request() {
	case $1 in PA) p=$pa ;; PB) p=$pb ;; esac
	echo "GET /deps.silo/pack/$1.idx 200 $(wc -c <"$HTTPD_ROOT/deps.silo/pack/$p.idx")"
}
# The attribute record of treeptr $1, read once: the walk of the tree
# objects that differ is the answer when the records of both say the
# same.
attrs_of() {
	sed -n "s/^  \"attrs\": \"\([0-9a-f]*\)\",$/\1/p" "$1"
}
# The id of tree PATH ($2, "" for the root) of directory $1.
tree_of() {
	git --git-dir=g.git --work-tree="$1" add -A &&
	root=$(git --git-dir=g.git write-tree) &&
	if [ -z "$2" ]; then echo $root; else git --git-dir=g.git rev-parse "$root:$2"; fi
}

test_expect_success 'setup: a changed directory beside unchanged ones, served by nginx' '
	silo init "$HTTPD_ROOT/deps.silo" &&
	mkdir -p v1/same/d1/d2 v1/chg/keep v1/zz && echo f1 >v1/same/d1/d2/f1 &&
	echo g >v1/same/g && echo a >v1/chg/a && echo k >v1/chg/keep/k && echo z >v1/zz/z &&
	cp -R v1 v2 && echo a2 >v2/chg/a && echo new >v2/chg/new &&
	mkdir m && echo "{ \"silos\": [\"$HTTPD_URL/deps.silo\"] }" >m/SILO.json &&
	medo add -q --kind=tree --silo "$HTTPD_ROOT/deps.silo" v1 m/v1.treeptr &&
	medo add -q --kind=tree --silo "$HTTPD_ROOT/deps.silo" v2 m/v2.treeptr &&
	git init -q --bare g.git
'

pa=$(sed -n "/pack-/s/^ *\"\(pack-[0-9a-f]*\)\",*$/\1/p" m/v1.treeptr 2>/dev/null)
pb=$(sed -n "/pack-/s/^ *\"\(pack-[0-9a-f]*\)\",*$/\1/p" m/v2.treeptr 2>/dev/null | grep -v "$pa")

test_expect_success 'diff with a cold cache: both indexes, both roots, both chg, both records, nothing else' '
	m=$(mark) &&
	test_expect_code 1 medo diff m/v1.treeptr m/v2.treeptr >actual &&
	printf "%s\n" "changed chg/a" "added chg/new" >expect &&
	test_cmp expect actual &&
	{
		idx_request PA && idx_request PB &&
		tree_request PA $(tree_of v1 "") && tree_request PB $(tree_of v2 "") &&
		tree_request PA $(tree_of v1 chg) && tree_request PB $(tree_of v2 chg) &&
		tree_request PA $(attrs_of m/v1.treeptr) && tree_request PB $(attrs_of m/v2.treeptr)
	} >expect &&
	requests_since $m >actual &&
	test_cmp expect actual
'

test_expect_success 'diff again: the indexes are kept, the tree objects read again' '
	m=$(mark) &&
	test_expect_code 1 medo diff m/v1.treeptr m/v2.treeptr >actual &&
	printf "%s\n" "changed chg/a" "added chg/new" >expect &&
	test_cmp expect actual &&
	{
		tree_request PA $(tree_of v1 "") && tree_request PB $(tree_of v2 "") &&
		tree_request PA $(tree_of v1 chg) && tree_request PB $(tree_of v2 chg)
	} >expect &&
	requests_since $m >actual &&
	test_cmp expect actual
'

test_expect_success 'with v1 listed once (its tree section cached), only v2'"'"'s trees are read' '
	medo ls -r m/v1.treeptr >/dev/null &&
	m=$(mark) &&
	test_expect_code 1 medo diff --json m/v1.treeptr m/v2.treeptr >actual &&
	cat >expect <<-\EOF &&
	{
	  "changes": [
	    {
	      "change": "changed",
	      "path": "chg/a"
	    },
	    {
	      "change": "added",
	      "path": "chg/new"
	    }
	  ],
	  "differs": true,
	  "exit": 1
	}
	EOF
	test_cmp expect actual &&
	{
		tree_request PB $(tree_of v2 "") && tree_request PB $(tree_of v2 chg)
	} >expect &&
	requests_since $m >actual &&
	test_cmp expect actual
'

test_expect_success 'diff of a tree with itself reads nothing' '
	m=$(mark) &&
	medo diff m/v2.treeptr m/v2.treeptr >actual &&
	test_must_be_empty actual &&
	requests_since $m >actual &&
	test_must_be_empty actual
'

test_expect_success 'a missing tree object is an error naming it and its path' '
	rm -rf "$SILO_CACHE_DIR" &&
	mv "$HTTPD_ROOT/deps.silo/pack/$pb.pack" saved.pack &&
	test_when_finished "mv saved.pack \"$HTTPD_ROOT/deps.silo/pack/$pb.pack\"" &&
	test_must_fail medo diff m/v1.treeptr m/v2.treeptr >out 2>err &&
	test_must_be_empty out &&
	grep "tree $(tree_of v2 "") of '\''\.'\''" err
'

test_done
