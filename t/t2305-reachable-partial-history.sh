#!/bin/sh
test_description='history that is known to be incomplete (shallow, partial, grafted, missing objects) is refused, not taken as the whole'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gc.sh"

# The refusal of a shallow clone, as every command built on history says it.
cat >shallow.err <<\EOF
medo: error: the git repository is a shallow clone: what the commits it lacks name would look unreferenced; deepen it first (git fetch --unshallow)
EOF

# origin: an old release and HEAD, each naming a tree of each kind; the
# silo is beside the clones, as a shared one is.
test_expect_success 'setup: a history of two releases, both kinds of tree' '
	silo init deps.silo &&
	git init -q origin && mkdir origin/deps.medo &&
	echo "{ \"silos\": [\"../../deps.silo\"] }" >origin/deps.medo/SILO.json &&
	mkdir -p t k/sub && echo one >t/f && echo one >k/sub/f &&
	medo add t origin/deps.medo/t.treeptr && medo add --kind=tree k origin/deps.medo/k.treeptr &&
	field object origin/deps.medo/t.treeptr >old-t &&
	(cd origin && git add -A && git commit -q -m release-1 && git tag release-1) &&
	echo two >t/f && echo two >k/sub/f &&
	medo add --force t origin/deps.medo/t.treeptr &&
	medo add --force --kind=tree k origin/deps.medo/k.treeptr &&
	(cd origin && git add -A && git commit -q -m release-2) &&
	git -C origin config uploadpack.allowFilter true &&
	git clone -q --no-local origin full &&
	(cd full && medo reachable --all) >all-keep &&
	grep -x -f old-t all-keep
'

test_expect_success 'a shallow clone: reachable --all, --rev, --since refuse, print nothing' '
	git clone -q --depth 1 file://"$PWD"/origin shallow &&
	test "$(git -C shallow rev-parse --is-shallow-repository)" = true &&
	for args in "--all" "--rev HEAD" "--rev release-1..HEAD" "--all --since=2000-01-01" "--all deps.medo"; do
		(cd shallow && test_expect_code 8 medo reachable $args >../out 2>../err) &&
		test_must_be_empty out &&
		test_cmp shallow.err err || return 1
	done
'

test_expect_success 'a shallow clone: the README recipe deletes nothing' '
	echo garbage >g && silo put --silo deps.silo g >/dev/null &&
	silo ls --silo deps.silo >before &&
	find deps.silo -type f -exec touch -d 2020-01-01 {} + &&
	(cd shallow && test_expect_code 8 sh -c "medo reachable --all >keep && silo prune --silo ../deps.silo --keep keep --force") 2>err &&
	test_cmp shallow.err err &&
	silo ls --silo deps.silo >after &&
	test_cmp before after
'

test_expect_success 'a shallow clone: medo fsck --all and medo gc refuse too' '
	(cd shallow && test_expect_code 8 medo fsck --all 2>../err) &&
	test_cmp shallow.err err &&
	(cd shallow && test_expect_code 8 medo gc --silo ../deps.silo --expire now --force 2>../err) &&
	test_cmp shallow.err err &&
	silo ls --silo deps.silo >after &&
	test_cmp before after &&
	(cd shallow && medo fsck deps.medo)
'

test_expect_success 'deepened (git fetch --unshallow), the same list as a full clone' '
	(cd shallow && git fetch -q --unshallow && medo reachable --all) >keep &&
	test_cmp all-keep keep
'

test_expect_success 'a partial clone (a promisor remote) is refused' '
	git clone -q --filter=blob:none file://"$PWD"/origin partial &&
	test "$(git -C partial config remote.origin.promisor)" = true &&
	(cd partial && test_expect_code 8 medo reachable --all >../out 2>../err) &&
	test_must_be_empty out &&
	echo "medo: error: the git repository is a partial clone ('\''remote.origin.promisor=true'\''): what the objects it lacks name would look unreferenced; use a full clone" >expect &&
	test_cmp expect err
'

test_expect_success 'grafts are refused; replacement refs are seen through' '
	git clone -q --no-local origin grafted &&
	(cd grafted && git rev-parse HEAD >.git/info/grafts &&
	 test_expect_code 8 medo reachable --all >../out 2>../err) &&
	test_must_be_empty out &&
	grep "^medo: error: the git repository has grafts (.*info/grafts.): its history is not the one its commits record; convert or remove them first (git replace --convert-graft-file)$" err &&
	rm grafted/.git/info/grafts &&
	(cd grafted && git replace --graft HEAD && git log --oneline >../log && medo reachable --all) >keep &&
	test_line_count 1 log &&
	test_cmp all-keep keep
'

test_expect_success 'a treeptr whose git blob is missing stops the walk' '
	git clone -q --no-local origin damaged &&
	blob=$(git -C damaged rev-parse release-1:deps.medo/t.treeptr) &&
	git -C origin cat-file --batch-all-objects --batch-check="%(objectname)" >ids &&
	rm -f damaged/.git/objects/pack/* &&
	grep -v -x $blob ids | git -C origin pack-objects -q "$PWD"/damaged/.git/objects/pack/pack >/dev/null &&
	test_must_fail git -C damaged cat-file -e $blob &&
	(cd damaged && test_expect_code 3 medo reachable --all >../out 2>../err) &&
	echo "medo: error: object $blob is not in the git repository" >expect &&
	test_cmp expect err
'

test_done
