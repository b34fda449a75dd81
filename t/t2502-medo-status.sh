#!/bin/sh
test_description='medo status and medo expand --delete: same, differs, missing, extra, other'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-json.sh"

test_expect_success 'setup: four treeptrs expanded, then one changed, one removed, one gone' '
	silo init deps.silo &&
	mkdir -p m.medo src/a src/b src/c &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >m.medo/SILO.json &&
	echo a >src/a/f && echo b >src/b/f && echo c >src/c/f && echo o >o &&
	medo add src/a m.medo/a.treeptr &&
	medo add src/b m.medo/sub/b.treeptr &&
	medo add src/c m.medo/old/c.treeptr &&
	medo add --opaque o m.medo/o.treeptr &&
	medo expand m.medo D &&
	test -f D/.medo-expanded.json
'

test_expect_success 'status of a destination in step: exit 0, quiet, -v lists each' '
	medo status m.medo D >out &&
	test_must_be_empty out &&
	medo status -v m.medo D >out &&
	printf "same D/%s\n" a o old/c sub/b >expect &&
	test_cmp expect out
'

test_expect_success 'status -q prints nothing; its exit status answers' '
	medo status -q -v m.medo D >out 2>err &&
	test_must_be_empty out && test_must_be_empty err &&
	mkdir D/stray &&
	test_expect_code 1 medo status -q m.medo D >out 2>err &&
	test_must_be_empty out && test_must_be_empty err &&
	rmdir D/stray
'

test_expect_success 'status of a medo directory that does not exist is exit 3' '
	test_expect_code 3 medo status nowhere.medo D 2>err &&
	grep "^medo: error: .nowhere.medo. is not a medo directory$" err
'

test_expect_success 'status names a changed, a missing, an extra and another tree, and what changed' '
	echo changed >D/a/f && echo new >D/a/g &&
	rm -r D/sub/b &&
	rm m.medo/old/c.treeptr m.medo/o.treeptr &&
	mkdir D/by-hand && echo keep >D/by-hand/file &&
	test_expect_code 1 medo status m.medo D >out &&
	printf "differs D/a\n\tchanged D/a/f\n\tadded D/a/g\n" >expect &&
	cat >>expect <<-\EOF &&
	other D/by-hand
	extra D/o
	extra D/old/c
	missing D/sub/b
	EOF
	test_cmp expect out
'

test_expect_success 'without a silo, status still says which trees differ' '
	mv deps.silo away.silo &&
	test_when_finished "mv away.silo deps.silo" &&
	test_expect_code 1 medo status m.medo D >out 2>err &&
	! grep "^	" out &&
	grep "^differs D/a$" out &&
	test_must_be_empty err
'

test_expect_success 'status --json' '
	test_expect_code 1 medo status --json m.medo D >out &&
	json_check out "
e = {x[\"path\"]: x for x in d[\"entries\"]}
assert sorted(e) == [\"D/a\", \"D/by-hand\", \"D/o\", \"D/old/c\", \"D/sub/b\"], e
assert e[\"D/a\"] == {\"path\": \"D/a\", \"treeptr\": \"m.medo/a.treeptr\", \"state\": \"differs\",
                   \"differences\": [{\"change\": \"changed\", \"path\": \"D/a/f\"},
                                   {\"change\": \"added\", \"path\": \"D/a/g\"}]}, e
assert e[\"D/sub/b\"][\"state\"] == \"missing\" and e[\"D/sub/b\"][\"treeptr\"] == \"m.medo/sub/b.treeptr\"
assert e[\"D/o\"] == {\"path\": \"D/o\", \"treeptr\": None, \"state\": \"extra\"}, e
assert e[\"D/old/c\"][\"state\"] == \"extra\" and e[\"D/by-hand\"][\"state\"] == \"other\"
"
'

test_expect_success 'expand --delete --dry-run says what it would remove, changes nothing' '
	find D | sort >before &&
	medo expand --delete --dry-run m.medo D >out &&
	printf "would remove D/%s\n" o old/c >expect &&
	test_cmp expect out &&
	find D | sort >after && test_cmp before after
'

test_expect_success '--dry-run alone, and --delete with one treeptr, are usage errors' '
	test_expect_code 2 medo expand --dry-run m.medo D &&
	test_expect_code 2 medo expand --delete m.medo/a.treeptr D/a
'

test_expect_success 'an extra tree changed since it was expanded is never removed' '
	cp -r D/old/c saved-c &&
	echo edit >>D/old/c/f &&
	test_expect_code 1 medo status m.medo D >out &&
	grep "^other D/old/c$" out &&
	medo expand --delete --dry-run m.medo D >out &&
	echo "would remove D/o" >expect && test_cmp expect out &&
	rm -r D/old/c && cp -r saved-c D/old/c
'

test_expect_success 'expand --delete removes the extra trees only, and their empty parents' '
	medo expand --force --delete -v m.medo D >out &&
	grep "^removed D/o$" out && grep "^removed D/old/c$" out &&
	test ! -e D/o && test ! -e D/old &&
	test "$(cat D/by-hand/file)" = keep &&
	medo verify m.medo D &&
	test_expect_code 1 medo status m.medo D >out &&
	echo "other D/by-hand" >expect && test_cmp expect out &&
	rm -r D/by-hand && medo status m.medo D
'

test_expect_success '--delete never touches what medo did not expand there' '
	mkdir -p src/x && echo x >src/x/f &&
	medo add src/x m.medo/x.treeptr &&
	medo expand m.medo/x.treeptr D/x &&
	rm m.medo/x.treeptr &&
	echo loose >D/loose-file && ln -s a D/link &&
	medo expand --delete m.medo D &&
	test -f D/x/f && test -f D/loose-file && test -L D/link &&
	test_expect_code 1 medo status m.medo D >out &&
	printf "other D/%s\n" link loose-file x >expect && test_cmp expect out
'

test_expect_success 'a record that is not JSON makes nothing removable' '
	rm -r D/x D/loose-file D/link &&
	medo add src/c m.medo/c.treeptr && medo expand m.medo D && rm m.medo/c.treeptr &&
	chmod u+w D/.medo-expanded.json && echo "not json" >D/.medo-expanded.json &&
	medo expand --delete m.medo D &&
	test -f D/c/f
'

test_expect_success 'expand --delete --json lists what it removed' '
	echo "{}" >D/.medo-expanded.json && rm -r D/c &&
	medo add src/c m.medo/c.treeptr && medo expand m.medo D && rm m.medo/c.treeptr &&
	medo expand --delete --json m.medo D >out &&
	json_check out "
assert d[\"removed\"] == [\"D/c\"], d
assert [t[\"result\"] for t in d[\"trees\"]] == [\"present\", \"present\"], d
" && test ! -e D/c
'

test_expect_success 'a malformed treeptr is reported (exit 5), the others still compared' '
	echo "{" >m.medo/broken.treeptr &&
	test_expect_code 5 medo status --json m.medo D >out 2>err &&
	grep "^medo: error: .*broken.treeptr" err &&
	json_check out "
e = {x[\"path\"]: x for x in d[\"entries\"]}
assert e[\"D/broken\"][\"state\"] == \"error\" and \"broken.treeptr\" in e[\"D/broken\"][\"error\"], e
assert e[\"D/a\"][\"state\"] == \"same\", e
" &&
	rm m.medo/broken.treeptr
'

test_done
