#!/bin/sh
test_description='garbage collection keeps trees of both kinds whole: the README recipe, --force, du, repacked and mirrored silos'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gc.sh"
. "$TEST_DIRECTORY/lib-json.sh"

# N garbage objects put into silo $1, ids in $2.
put_garbage() {
	i=0 && while [ $i -lt $3 ]; do
		echo "garbage $2 $i" >g.$i && i=$((i + 1))
	done &&
	silo put --silo "$1" g.* >"$2" && rm -f g.*
}

# Expand both treeptrs of HEAD in repo/ into $1 and compare them with
# their sources.
expand_head() {
	(cd repo && medo expand deps.medo/k.treeptr ../$1-k && medo expand deps.medo/t.treeptr ../$1-t) &&
	diff -r src-k $1-k && diff -r src-t $1-t
}

# A repository whose history names eight tar-kind trees, and whose HEAD
# names one tree of each kind: k (kind tree) and t (kind tar).
test_expect_success 'setup: a repository, its silo, both kinds of tree' '
	git init -q repo && cd repo &&
	echo deps.silo >.gitignore &&
	silo init deps.silo && mkdir deps.medo &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >deps.medo/SILO.json &&
	mkdir v && for i in 1 2 3 4 5 6 7 8; do
		seq $i 3000 >v/f && medo add --force v deps.medo/t.treeptr &&
		git add -A && git commit -q -m v$i || return 1
	done &&
	mkdir -p ../src-k/sub ../src-t &&
	seq 1 2000 >../src-k/big && echo small >../src-k/sub/small &&
	ln -s big ../src-k/link && printf "#!/bin/sh\n" >../src-k/run && chmod +x ../src-k/run &&
	medo add --kind=tree ../src-k deps.medo/k.treeptr &&
	echo head >../src-t/f && medo add --force ../src-t deps.medo/t.treeptr &&
	git add -A && git commit -q -m head &&
	silo ls --silo deps.silo >../all && test_line_count 17 ../all
'

test_expect_success 'reachable --all names the root tree of a tree-kind treeptr' '
	(cd repo && medo reachable --all) >reachable &&
	field tree repo/deps.medo/k.treeptr >root &&
	grep -x -f root reachable &&
	field object repo/deps.medo/k.treeptr >table &&
	grep -x -f table reachable &&
	(cd repo && medo reachable --rev HEAD) >rev &&
	grep -x -f root rev &&
	(cd repo && medo reachable --all --since=2000-01-01) >since &&
	grep -x -f root since &&
	(cd repo && medo reachable deps.medo) >dir &&
	grep -x -f root dir
'

test_expect_success 'the README recipe keeps both trees of HEAD whole' '
	put_garbage repo/deps.silo garbage1 2 &&
	age_silo repo/deps.silo &&
	(cd repo && medo reachable --all >keep && silo prune --silo deps.silo --keep keep) &&
	silo ls --silo repo/deps.silo >left &&
	test_cmp all left &&
	expand_head readme &&
	silo verify --silo repo/deps.silo &&
	(cd repo && medo fsck --all)
'

test_expect_success 'the guard, then --force as its hint says, keeps them whole too' '
	put_garbage repo/deps.silo garbage2 20 &&
	age_silo repo/deps.silo &&
	(cd repo && medo reachable --all >keep &&
	 test_expect_code 8 silo prune --silo deps.silo --keep keep 2>../err) &&
	grep "would remove 20 of 37 objects, more than 50%: check it, or use --force" err &&
	(cd repo && silo prune --silo deps.silo --keep keep --force) &&
	silo ls --silo repo/deps.silo >left &&
	test_cmp all left &&
	expand_head force &&
	(cd repo && medo fsck --all)
'

test_expect_success 'du --keep counts exactly what prune removes: one set, one function' '
	put_garbage repo/deps.silo garbage3 3 &&
	silo repack --silo repo/deps.silo -q &&
	put_garbage repo/deps.silo garbage4 2 &&
	age_silo repo/deps.silo &&
	put_garbage repo/deps.silo young 1 &&
	echo leftover >repo/deps.silo/objects/tmp_obj_old && touch -d 2020-01-01 repo/deps.silo/objects/tmp_obj_old &&
	(cd repo && medo reachable --all >keep) &&
	silo du --silo repo/deps.silo --keep repo/keep --expire 1.day --json >du.json &&
	silo prune --silo repo/deps.silo --keep repo/keep --expire 1.day --dry-run --json >dry.json &&
	silo prune --silo repo/deps.silo --keep repo/keep --expire 1.day --json >prune.json &&
	python3 - <<-\EOF &&
	import json
	du, dry, pr = (json.load(open(f)) for f in ("du.json", "dry.json", "prune.json"))
	for p in (dry, pr):
	    # garbage3 is loose and packed (repack without -d): 3 + 2 loose
	    # files go, and 3 pack entries.
	    assert p["removed"] == 5 and p["packed_removed"] == 3, p
	    assert p["temporary_files"] == 1 and p["too_young"] == 1, p
	assert dry["bytes"] == pr["bytes"] > 0, (dry, pr)
	assert du["prunable"] == {"objects": 8, "temporary_files": 1, "bytes": pr["bytes"], "expire": "1.day"}, du
	assert du["unreferenced"]["objects"] == 9, du
	EOF
	silo ls --silo repo/deps.silo >left &&
	{ cat all && cat young; } | sort >expect &&
	test_cmp expect left &&
	expand_head du
'

test_expect_success 'du and prune agree with the grace period too, and in text' '
	(cd repo && silo du --silo deps.silo --keep keep) >du.txt &&
	grep "^unreferenced    1 objects, [0-9]* B ([0-9]* bytes)$" du.txt &&
	grep "^prunable        0 objects, 0 temporary files, 0 B (0 bytes) older than 2.weeks$" du.txt &&
	test_expect_code 2 silo du --silo repo/deps.silo --expire 1.day 2>err &&
	grep "^silo: error: --expire needs --keep" err
'

test_expect_success 'a repacked silo (repack -a, .moved files): prune, fsck, expand' '
	silo repack --silo repo/deps.silo -a -d -q &&
	ls repo/deps.silo/pack/*.moved >moved && test -s moved &&
	put_garbage repo/deps.silo garbage5 2 &&
	silo repack --silo repo/deps.silo -q &&
	age_silo repo/deps.silo &&
	(cd repo && medo reachable --all >keep &&
	 silo prune --silo deps.silo --keep keep --expire 1.day -v >../out) &&
	grep "^0 kept, 0 too young, 2 removed, 0 temporary files; packed: [0-9]* kept, 3 removed from 2 packs, 0 packs too young; [0-9]* bytes$" out &&
	silo ls --silo repo/deps.silo >left &&
	test_cmp all left &&
	(cd repo && medo fsck -v --all >../fsck.out) &&
	echo "10 treeptrs checked, 17 objects; 0 incomplete" >expect &&
	test_cmp expect fsck.out &&
	git verify-pack repo/deps.silo/pack/*.idx &&
	silo verify --silo repo/deps.silo &&
	expand_head repacked
'

test_expect_success 'a bug in choosing what to remove is caught before anything goes' '
	age_silo repo/deps.silo &&
	silo ls --silo repo/deps.silo >before &&
	test_expect_code 9 env SILO_TEST_PRUNE_PLAN_WITHOUT_CLOSURE=1 \
		silo prune --silo repo/deps.silo --keep repo/keep --expire 1.day --force 2>err &&
	grep "^silo: error: BUG: the objects chosen for removal include [0-9a-f]*, which the keep list keeps; nothing was removed$" err &&
	silo ls --silo repo/deps.silo >after &&
	test_cmp before after &&
	find repo/deps.silo -newer repo/keep -type f >changed &&
	test_must_be_empty changed
'

test_expect_success 'a kept tree naming a tree the silo lacks stops the prune: nothing goes' '
	sub=$(medo tree-id src-k/sub) &&
	test -n "$sub" &&
	copy_without repo/deps.silo cut.silo $sub &&
	put_garbage cut.silo garbage7 2 && age_silo cut.silo &&
	silo ls --silo cut.silo >before &&
	test_expect_code 4 silo prune --silo cut.silo --keep repo/keep --expire 1.day --force 2>err &&
	echo "silo: error: kept tree $(field tree repo/deps.medo/k.treeptr): cannot read tree $sub of '\''sub'\'': object $sub is not in silo '\''cut.silo'\'': what is below it cannot be known" >expect &&
	test_cmp expect err &&
	silo ls --silo cut.silo >after && test_cmp before after
'

test_expect_success 'mirrored silos: each one pruned stays whole, fsck names a broken one' '
	cp -R repo/deps.silo repo/mirror.silo && echo mirror.silo >>repo/.gitignore &&
	echo "{ \"silos\": [\"../deps.silo\", \"../mirror.silo\"] }" >repo/deps.medo/SILO.json &&
	(cd repo && git commit -q -a -m mirror) &&
	put_garbage repo/mirror.silo garbage6 2 &&
	age_silo repo/mirror.silo &&
	(cd repo && medo reachable --all >keep &&
	 silo prune --silo mirror.silo --keep keep --expire 1.day &&
	 medo fsck --all) &&
	silo ls --silo repo/mirror.silo >left && test_cmp all left &&
	# A keep list without the root tree breaks the mirror: it keeps
	# the size table only.
	grep -v -x "$(field tree repo/deps.medo/k.treeptr)" repo/keep >partial &&
	silo prune --silo repo/mirror.silo --keep partial --expire 1.day --force &&
	(cd repo && test_expect_code 1 medo fsck --all 2>../err) &&
	echo "medo: error: '\''deps.medo/k.treeptr (git blob $(cd repo && git rev-parse --short=12 HEAD:deps.medo/k.treeptr))'\'' in silo '\''../mirror.silo'\'': root tree $(field tree repo/deps.medo/k.treeptr) is missing" >expect &&
	test_cmp expect err &&
	(cd repo && test_expect_code 1 medo fsck --silo mirror.silo deps.medo 2>../err2) &&
	grep "^medo: error: .deps.medo/k.treeptr. in silo .mirror.silo.: root tree $(field tree repo/deps.medo/k.treeptr) is missing$" err2 &&
	(cd repo && medo fsck --silo deps.silo --all)
'

test_done
