#!/bin/sh
test_description='medo gc: reachable --all, prune and fsck of a local silo in one process'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gc.sh"
. "$TEST_DIRECTORY/lib-json.sh"

commit_at() {
	git add -A && GIT_AUTHOR_DATE="$1" GIT_COMMITTER_DATE="$1" git commit -q -m "$2"
}

# Three commits, each a new version of a tar-kind and a tree-kind tree;
# the silo inside the work tree, ignored by git.
test_expect_success 'setup: a history of both kinds of tree, and garbage' '
	git init -q repo && cd repo &&
	echo deps.silo >.gitignore &&
	silo init deps.silo && mkdir deps.medo &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >deps.medo/SILO.json &&
	mkdir -p t k/sub &&
	for v in 1 2 3; do
		seq $v 2000 >t/f && echo "v$v" >k/sub/f && seq 1 500 >k/shared &&
		medo add --force t deps.medo/t.treeptr &&
		medo add --force --kind=tree k deps.medo/k.treeptr &&
		commit_at "202$v-01-01T00:00:00Z" v$v || return 1
	done &&
	silo ls --silo deps.silo >../kept &&
	for i in 1 2 3; do echo "garbage $i" >../g$i; done &&
	silo put --silo deps.silo ../g1 ../g2 ../g3 >../garbage &&
	age_silo deps.silo &&
	silo ls --silo deps.silo >../all
'

test_expect_success '--dry-run names the garbage alone, removes nothing' '
	(cd repo && medo gc --silo deps.silo --dry-run) >out &&
	sed "s|^\(..\)\(.*\)|would remove objects/\1/\2.gz|" garbage | sort >expect &&
	sed "\$d" out >lines && test_cmp expect lines &&
	tail -n 1 out | grep "^[0-9]* kept, 0 too young, 3 to remove, 0 temporary files; packed: [0-9]* kept, 0 to remove from 0 packs, 0 packs too young; [0-9]* bytes$" &&
	silo ls --silo repo/deps.silo >left &&
	test_cmp all left
'

test_expect_success 'gc removes the garbage, quietly; every commit still expands' '
	(cd repo && medo gc --silo deps.silo >../out 2>../err) &&
	test_must_be_empty out && test_must_be_empty err &&
	silo ls --silo repo/deps.silo >left &&
	test_cmp kept left &&
	branch=$(git -C repo symbolic-ref --short HEAD) &&
	git -C repo rev-parse HEAD~2 HEAD~1 HEAD >revs &&
	for v in 1 2 3; do
		rev=$(sed -n ${v}p revs) &&
		rm -rf x-t x-k &&
		(cd repo && git checkout -q $rev &&
		 medo expand deps.medo/t.treeptr ../x-t && medo expand deps.medo/k.treeptr ../x-k) &&
		echo v$v >expect && test_cmp expect x-k/sub/f &&
		seq $v 2000 >expect && test_cmp expect x-t/f || return 1
	done &&
	git -C repo checkout -q $branch &&
	silo verify --silo repo/deps.silo
'

test_expect_success '-v: what went, and the check' '
	silo put --silo repo/deps.silo g1 >/dev/null && age_silo repo/deps.silo &&
	SILO_DIR=deps.silo && export SILO_DIR &&
	(cd repo && medo gc -v) >out &&
	cat >expect <<-EOF &&
	removed objects/$(head -n 1 garbage | cut -c1-2)/$(head -n 1 garbage | cut -c3-).gz
	EOF
	sed -n 1p out >actual && test_cmp expect actual &&
	sed -n 2p out | grep "^[0-9]* kept, 0 too young, 1 removed, 0 temporary files; " &&
	sed -n 3p out >actual &&
	echo "6 treeptrs checked, 21 objects; 0 incomplete" >expect &&
	test_cmp expect actual
'

test_expect_success 'the grace period, the guard and --force, as silo prune has them' '
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22; do
		echo "more $i" >m$i || return 1
	done &&
	silo put --silo repo/deps.silo m* >more &&
	(cd repo && medo gc --silo deps.silo) &&
	silo ls --silo repo/deps.silo >left && test_line_count 39 left &&
	age_silo repo/deps.silo &&
	(cd repo && test_expect_code 8 medo gc --silo deps.silo 2>../err) &&
	grep "^medo: error: the history.s keep list would remove 22 of 41 objects, more than 50%: check it, or use --force$" err &&
	silo ls --silo repo/deps.silo >left && test_line_count 39 left &&
	(cd repo && medo gc --silo deps.silo --force --expire=1.day) &&
	silo ls --silo repo/deps.silo >left && test_cmp kept left
'

test_expect_success '--json: the prune of silo prune, the check of medo fsck' '
	silo put --silo repo/deps.silo g2 >/dev/null && age_silo repo/deps.silo &&
	(cd repo && medo gc --silo deps.silo --json) >out.json &&
	json_check out.json "
p, f = d[\"prune\"], d[\"fsck\"]
assert sorted(d) == [\"exit\", \"fsck\", \"prune\"], d
assert p[\"removed\"] == 1 and p[\"dry_run\"] is False and len(p[\"paths\"]) == 1, p
assert f == {\"treeptrs\": 6, \"objects\": 21, \"incomplete\": 0, \"unchecked\": 0, \"problems\": []}, f"
'

test_expect_success '--since keeps what recent commits and every tip name' '
	cp -R repo repo2 &&
	(cd repo2 && medo reachable --rev HEAD) >head-ids &&
	(cd repo2 && medo reachable --rev HEAD~2) | comm -13 head-ids - >old &&
	test_line_count 3 old &&
	echo v1 | git hash-object --stdin >>old &&
	(cd repo2 && medo gc --silo deps.silo --since=2023-01-01 --expire=now --force) &&
	silo ls --silo repo2/deps.silo | sort >left &&
	sort old | comm -12 - left >kept-old &&
	test_must_be_empty kept-old &&
	(cd repo2 && medo fsck --rev HEAD && medo expand deps.medo/k.treeptr ../x2-k) &&
	diff -r repo2/k x2-k
'

test_expect_success 'an uncommitted treeptr is kept when its directory is named' '
	mkdir new && echo new >new/f &&
	(cd repo && medo add --kind=tree ../new deps.medo/new.treeptr &&
	 medo gc --silo deps.silo --expire=now --force deps.medo &&
	 medo expand deps.medo/new.treeptr ../x-new && rm deps.medo/new.treeptr) &&
	diff -r new x-new
'

test_expect_success 'a malformed treeptr in history stops gc before it removes anything' '
	(cd repo && echo "{}" >deps.medo/bad.treeptr && git add -A && git commit -q -m bad) &&
	silo put --silo repo/deps.silo g3 >/dev/null && age_silo repo/deps.silo &&
	silo ls --silo repo/deps.silo >before &&
	(cd repo && test_expect_code 5 medo gc --silo deps.silo --expire=now 2>../err) &&
	grep "^medo: error: .deps.medo/bad.treeptr (git blob [0-9a-f]*).: missing field .treeptr." err &&
	silo ls --silo repo/deps.silo >after && test_cmp before after &&
	(cd repo && git reset -q --hard HEAD~1 &&
	 git reflog expire --expire-unreachable=now --all)
'

test_expect_success 'a tree the silo lost before is named by the check: exit 1' '
	shared=$(git hash-object repo/k/shared) &&
	(cd repo && medo gc --silo deps.silo --expire=now) &&
	copy_without repo/deps.silo lost.silo $shared &&
	rm -rf repo/deps.silo && mv lost.silo repo/deps.silo &&
	(cd repo && test_expect_code 1 medo gc --silo deps.silo 2>../err) &&
	grep "^medo: error: .deps.medo/k.treeptr (git blob [0-9a-f]*). in silo .deps.silo.: blob $shared of .shared. is missing$" err >errors &&
	test_line_count 3 errors && test_line_count 3 err
'

test_expect_success 'usage: a local silo is needed' '
	(cd repo && test_expect_code 2 env -u SILO_DIR medo gc 2>../err) &&
	grep "^medo: error: no silo: give --silo or set SILO_DIR" err &&
	(cd repo && test_expect_code 2 medo gc --silo https://example.invalid/deps.silo 2>../err) &&
	grep "^medo: error: .https://example.invalid/deps.silo. is not a local silo" err &&
	(cd repo && test_expect_code 2 medo gc --silo deps.silo --expire=soon 2>../err) &&
	(cd repo && test_expect_code 3 medo gc --silo no.silo 2>../err)
'

test_done
