#!/bin/sh
test_description='silo prune and silo du with one keep list per repository that uses the silo'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gc.sh"
. "$TEST_DIRECTORY/lib-json.sh"

# loose ID: the path of ID's loose object in a silo.
loose() {
	echo "objects/$(echo $1 | cut -c1-2)/$(echo $1 | cut -c3-).gz"
}

# keep_of REPO: what every commit of REPO names.
keep_of() {
	(cd "$1" && medo reachable --all)
}

# Two repositories use one silo: each names objects the other does not
# (a tar-kind tree, an opaque file, a tree-kind tree in b), both name one
# tree, and b has one in its history only.
test_expect_success 'setup: two repositories, one silo, garbage' '
	silo init deps.silo &&
	for r in a b; do
		git init -q $r && mkdir $r/deps.medo &&
		echo "{ \"silos\": [\"../../deps.silo\"] }" >$r/deps.medo/SILO.json || return 1
	done &&
	mkdir shared only-a only-b kind-tree &&
	echo shared >shared/f && echo "only a" >only-a/f && echo "only b" >only-b/f &&
	echo "tree kind" >kind-tree/f && mkdir kind-tree/sub && echo below >kind-tree/sub/g &&
	medo add shared a/deps.medo/shared.treeptr &&
	medo add shared b/deps.medo/shared.treeptr &&
	medo add only-a a/deps.medo/only-a.treeptr &&
	echo "an opaque file" >opaque && medo add --opaque opaque a/deps.medo/opaque.treeptr &&
	medo add only-b b/deps.medo/only-b.treeptr &&
	medo add --kind=tree kind-tree b/deps.medo/kind-tree.treeptr &&
	(cd a && git add -A && git commit -q -m a) &&
	(cd b && git add -A && git commit -q -m b) &&
	echo "in history" >only-b/old &&
	medo add only-b b/deps.medo/old.treeptr &&
	(cd b && git add -A && git commit -q -m old && git rm -q deps.medo/old.treeptr &&
	 git commit -q -m "without old") &&
	echo garbage >g && silo put --silo deps.silo g >garbage &&
	age_silo deps.silo &&
	for t in a/deps.medo/only-a.treeptr a/deps.medo/opaque.treeptr; do
		field object $t || return 1
	done | sort >only-a.ids &&
	b=$(git -C b rev-parse HEAD~1) &&
	git -C b show $b:deps.medo/old.treeptr >old.treeptr &&
	{ field object b/deps.medo/only-b.treeptr && field object old.treeptr; } | sort >only-b-loose.ids &&
	test_line_count 2 only-a.ids && test_line_count 2 only-b-loose.ids &&
	keep_of a >keep-a && keep_of b >keep-b &&
	silo ls --silo deps.silo >all &&
	cp -a deps.silo fresh.silo
'

test_expect_success 'each list alone misses what the other repository names' '
	field object a/deps.medo/only-a.treeptr >id &&
	! grep -f id keep-b && grep -f id keep-a &&
	field object b/deps.medo/only-b.treeptr >id &&
	! grep -f id keep-a && grep -f id keep-b &&
	field object old.treeptr >id && grep -f id keep-b
'

test_expect_success '--dry-run --json with both lists: the garbage alone would go' '
	silo prune --silo deps.silo --keep keep-a --keep keep-b --dry-run --json >out.json &&
	json_check out.json "assert d[\"dry_run\"] is True and d[\"removed\"] == 1, d
assert d[\"paths\"] == [\"$(loose $(cat garbage))\"], d
assert d[\"packed_removed\"] == 0 and d[\"packed\"] == [], d" &&
	silo ls --silo deps.silo >left && test_cmp all left
'

test_expect_success 'silo du with both lists counts what that prune removes' '
	silo du --silo deps.silo --keep keep-a --keep keep-b --json >du.json &&
	json_check du.json "assert d[\"prunable\"][\"objects\"] == 1, d
assert d[\"unreferenced\"][\"objects\"] == 1, d" &&
	silo du --silo deps.silo --keep keep-a --json >du-a.json &&
	silo prune --silo deps.silo --keep keep-a --dry-run --json >a.json &&
	python3 -c "import json
du = json.load(open(\"du-a.json\")); p = json.load(open(\"a.json\"))
n = p[\"removed\"] + p[\"packed_removed\"]
assert n == du[\"prunable\"][\"objects\"] and n > 1, (n, du)
print(n, du[\"loose\"][\"objects\"] + du[\"packed\"][\"objects\"])" >counts
'

test_expect_success 'the 50% guard counts what the lists keep together' '
	test_expect_code 8 silo prune --silo deps.silo --keep keep-a -v >out 2>err &&
	test_must_be_empty out &&
	read n total <counts &&
	echo "silo: error: the keep list '\''keep-a'\'' would remove $n of $total objects, more than 50%: check it, or use --force" >expect &&
	test_cmp expect err &&
	silo ls --silo deps.silo >left && test_cmp all left
'

test_expect_success 'prune with both lists: the garbage goes, both repositories expand' '
	silo prune --silo deps.silo --keep keep-a --keep keep-b -v >out &&
	loose $(cat garbage) | sed "s/^/removed /" >expect &&
	sed "\$d" out >lines && test_cmp expect lines &&
	grep -v -x -f garbage all >expect && silo ls --silo deps.silo >left &&
	test_cmp expect left &&
	(cd a && medo fsck --all) && (cd b && medo fsck --all) &&
	medo expand b/deps.medo/kind-tree.treeptr x-tree && test_cmp kind-tree/sub/g x-tree/sub/g &&
	medo expand --silo deps.silo old.treeptr x-old && test_cmp only-b/old x-old/old
'

test_expect_success 'a prune run from the other repository, with both lists, keeps the same' '
	(cd b && silo prune --silo ../deps.silo --keep ../keep-b --keep ../keep-a -v) >out &&
	echo "0 removed" >expect &&
	sed -n "s/.* too young, \([0-9]*\) removed,.*/\1 removed/p" out >actual &&
	test_cmp expect actual && test_line_count 1 out
'

test_expect_success 'a forgotten list: what only that repository names is removed' '
	cp -a fresh.silo forgot.silo &&
	silo prune --silo forgot.silo --keep keep-a --force --json >out.json &&
	json_check out.json "print(\"\\n\".join(d[\"paths\"]))
assert d[\"packed_removed\"] > 0, d" >actual &&
	{ loose $(cat garbage) && for id in $(cat only-b-loose.ids); do loose $id || return 1; done; } |
		sort >expect &&
	test_cmp expect actual &&
	test_expect_code 1 sh -c "cd b && medo fsck -q --silo ../forgot.silo --all" 2>err &&
	sed -n "s/^medo: error: .deps.medo\/\([a-z-]*\.treeptr\) (git blob [0-9a-f]*).: object [0-9a-f]* is not in silo .\.\.\/forgot\.silo.$/\1/p" \
		err | sort >actual &&
	printf "%s\n" kind-tree.treeptr old.treeptr only-b.treeptr >expect &&
	test_cmp expect actual && test_line_count 3 err &&
	test_expect_code 3 medo expand -q --silo forgot.silo b/deps.medo/only-b.treeptr x-gone &&
	! test -e x-gone &&
	(cd a && medo fsck -q --silo ../forgot.silo --all)
'

test_expect_success 'the grace period holds with several lists: a young unnamed object stays' '
	echo young >y && silo put --silo deps.silo y >young &&
	silo prune --silo deps.silo --keep keep-a --keep keep-b -v >out &&
	tail -n 1 out | grep "^[0-9]* kept, 1 too young, 0 removed, 0 temporary files; " &&
	silo cat --silo deps.silo -e $(cat young) &&
	silo prune --silo deps.silo --keep keep-a --keep keep-b --expire now -v >out &&
	loose $(cat young) | sed "s/^/removed /" >expect &&
	sed "\$d" out >lines && test_cmp expect lines
'

test_expect_success 'each list must name something; standard input once' '
	: >empty &&
	test_expect_code 8 silo prune --silo deps.silo --keep keep-a --keep empty 2>err &&
	echo "silo: error: the keep list '\''empty'\'' is empty: nothing would be kept; use --allow-empty if that is meant" >expect &&
	test_cmp expect err &&
	test_expect_code 2 silo prune --silo deps.silo --keep - --keep - <keep-a 2>err &&
	echo "silo: error: --keep=- given twice: standard input is one list" >expect &&
	test_cmp expect err &&
	test_expect_code 3 silo prune --silo deps.silo --keep keep-a --keep missing 2>err &&
	grep "^silo: error: cannot open .missing.: No such file or directory$" err &&
	silo prune --silo deps.silo --keep keep-a --keep - --dry-run <keep-b >out &&
	test_line_count 1 out
'

test_expect_success 'medo gc --keep: the history here with the other repository list' '
	cp -a fresh.silo gc.silo &&
	(cd a && medo gc --silo ../gc.silo --keep ../keep-b -v) >out &&
	loose $(cat garbage) | sed "s/^/removed /" >expect &&
	sed -n "/^removed /p" out >lines && test_cmp expect lines &&
	(cd b && medo fsck -q --silo ../gc.silo --all) &&
	(cd a && medo fsck -q --silo ../gc.silo --all)
'

test_expect_success 'medo gc without it: what only the other repository names goes' '
	cp -a fresh.silo gc2.silo &&
	(cd a && test_expect_code 8 medo gc --silo ../gc2.silo) 2>err &&
	grep "^medo: error: the history.s keep list would remove [0-9]* of [0-9]* objects, more than 50%: check it, or use --force$" err &&
	(cd a && medo gc -q --silo ../gc2.silo --force) &&
	test_expect_code 1 sh -c "cd b && medo fsck -q --silo ../gc2.silo --all" 2>err &&
	test_line_count 3 err &&
	: >empty &&
	(cd a && test_expect_code 8 medo gc --silo ../gc.silo --keep ../empty) 2>err &&
	echo "medo: error: the keep list '\''../empty'\'' is empty: nothing would be kept" >expect &&
	test_cmp expect err
'

test_done
