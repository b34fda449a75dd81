#!/bin/sh
test_description='medo: -q prints nothing on success, --json parses and has its fields'
. "$(dirname "$0")/test-lib.sh"

. "$TEST_DIRECTORY/lib-json.sh"

test_expect_success 'setup' '
	silo init deps.silo &&
	mkdir -p m.medo/sub src/a src/b &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >m.medo/SILO.json &&
	echo a >src/a/f && echo b >src/b/g &&
	medo add src/a m.medo/a.treeptr &&
	medo add src/b m.medo/sub/b.treeptr &&
	medo tree-id src/a >tree-a && medo tree-id src/b >tree-b
'

test_expect_success 'every medo command lists -q in its help' '
	for c in add expand reachable tree-id url-for verify; do
		medo $c --help >help &&
		grep -q "^    -q, --quiet " help || { echo "$c: no -q"; return 1; }
	done
'

test_expect_success 'add -q, expand -q, verify -q, reachable -q, url-for -q, tree-id -q print nothing' '
	mkdir -p src/c && echo c >src/c/h &&
	medo add -q src/c m.medo/c.treeptr >out 2>err &&
	medo expand -q m.medo dest >>out 2>>err &&
	medo verify -q m.medo dest >>out 2>>err &&
	medo reachable -q m.medo >>out 2>>err &&
	medo url-for -q m.medo/a.treeptr >>out 2>>err &&
	medo tree-id -q src/a >>out 2>>err &&
	test_must_be_empty out && test_must_be_empty err &&
	test -f dest/c/h && rm m.medo/c.treeptr && rm -r dest
'

test_expect_success 'verify -q still says "differs" through its exit status' '
	medo expand m.medo d2 && echo x >>d2/a/f &&
	test_expect_code 1 medo verify -q m.medo d2 >out 2>err &&
	test_must_be_empty out && test_must_be_empty err
'

test_expect_success 'add --json describes the treeptr written' '
	medo add --json src/a m.medo/a2.treeptr >out &&
	json_check out "
assert d[\"result\"] == \"written\" and d[\"treeptr\"] == \"m.medo/a2.treeptr\", d
assert d[\"kind\"] == \"tar\" and d[\"tree\"] == open(\"tree-a\").read().strip(), d
assert len(d[\"object\"]) == 40 and d[\"size\"] > 0, d
" &&
	medo add --json src/a m.medo/a2.treeptr >out &&
	json_check out "assert d[\"result\"] == \"unchanged\", d" &&
	echo opaque >file && medo add --opaque --json file m.medo/o.treeptr >out &&
	json_check out "
assert d[\"kind\"] == \"opaque\" and d[\"tree\"] is None and d[\"size\"] == 7, d
" &&
	rm m.medo/a2.treeptr m.medo/o.treeptr
'

test_expect_success 'expand --json gives each treeptr its result' '
	medo expand --json m.medo d3 >out &&
	json_check out "
t = d[\"trees\"]
assert [x[\"treeptr\"] for x in t] == [\"m.medo/a.treeptr\", \"m.medo/sub/b.treeptr\"], t
assert [x[\"dest\"] for x in t] == [\"d3/a\", \"d3/sub/b\"], t
assert all(x[\"result\"] == \"expanded\" and \"error\" not in x for x in t), t
" &&
	medo expand --json m.medo/a.treeptr d3/a >out &&
	json_check out "
assert d == {\"exit\": 0, \"trees\": [{\"treeptr\": \"m.medo/a.treeptr\", \"dest\": \"d3/a\", \"result\": \"present\"}]}, d
" &&
	echo other >d3/a/f &&
	test_expect_code 8 medo expand --json m.medo d3 >out 2>err &&
	json_check out "
t = d[\"trees\"]
assert t[0][\"result\"] == \"error\" and \"d3/a\" in t[0][\"error\"], t
assert t[1][\"result\"] == \"present\", t
"
'

test_expect_success 'reachable --json lists ids and paths' '
	medo reachable --json m.medo >out &&
	medo reachable m.medo >ids &&
	json_check out "
ids = open(\"ids\").read().split()
assert [x[\"id\"] for x in d[\"objects\"]] == ids and len(ids) == 2, d
assert all(x[\"path\"] == \"objects/%s/%s.gz\" % (x[\"id\"][:2], x[\"id\"][2:]) for x in d[\"objects\"])
"
'

test_expect_success 'tree-id --json' '
	medo tree-id --json src/a >out &&
	json_check out "
assert d == {\"exit\": 0, \"tree\": open(\"tree-a\").read().strip(), \"object_format\": \"sha1\", \"entries\": 1}, d
"
'

test_expect_success 'url-for takes many treeptrs and directories' '
	medo reachable m.medo/a.treeptr >id-a && medo reachable m.medo/sub/b.treeptr >id-b &&
	for f in id-a id-b; do
		echo "deps.silo/objects/$(cut -c1-2 $f)/$(cut -c3- $f).gz"
	done >expect &&
	medo url-for m.medo >actual && test_cmp expect actual &&
	medo url-for m.medo/a.treeptr m.medo/sub >actual && test_cmp expect actual
'

test_expect_success 'url-for --json' '
	medo url-for --json m.medo >out &&
	json_check out "
t = d[\"treeptrs\"]
assert [x[\"treeptr\"] for x in t] == [\"m.medo/a.treeptr\", \"m.medo/sub/b.treeptr\"], t
a = open(\"id-a\").read().strip()
assert t[0][\"object\"] == a and t[0][\"urls\"] == [\"deps.silo/objects/%s/%s.gz\" % (a[:2], a[2:])], t
"
'

test_expect_success 'url-for reports a bad treeptr and prints the others' '
	test_expect_code 3 medo url-for m.medo/none.treeptr m.medo/a.treeptr >out 2>err &&
	test_line_count 1 out && grep "none.treeptr" err
'

test_expect_success 'verify --json: same, differs with the paths, missing' '
	medo expand m.medo d4 && echo changed >d4/a/f && rm -r d4/sub &&
	test_expect_code 1 medo verify --json m.medo d4 >out &&
	json_check out "
t = d[\"trees\"]
assert t[0] == {\"treeptr\": \"m.medo/a.treeptr\", \"dir\": \"d4/a\", \"state\": \"differs\",
                \"differences\": [{\"change\": \"changed\", \"path\": \"d4/a/f\"}]}, t
assert t[1][\"state\"] == \"missing\" and t[1][\"dir\"] == \"d4/sub/b\", t
" &&
	medo expand m.medo d5 &&
	medo verify --json m.medo/a.treeptr d5/a >out &&
	json_check out "
assert d == {\"exit\": 0, \"trees\": [{\"treeptr\": \"m.medo/a.treeptr\", \"dir\": \"d5/a\", \"state\": \"same\", \"differences\": []}]}, d
"
'

test_done
