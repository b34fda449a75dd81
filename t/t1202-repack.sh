#!/bin/sh
test_description='silo repack: git-compatible packs, deltas, -a, -d, sha256'
. "$(dirname "$0")/test-lib.sh"

# Versions of one file, each changing 20 more bytes of the one before.
make_versions() {
	test_seeded_file base "$2" 1 &&
	cp base prev &&
	i=1 &&
	while [ $i -le "$1" ]; do
		test_seeded_file patch 20 $((i + 100)) &&
		{ head -c $((i * 300)) prev; cat patch; tail -c +$((i * 300 + 21)) prev; } >v$i &&
		cp v$i prev || return 1
		i=$((i + 1))
	done
}

# The ids git reports for the pack $1, sorted.
git_pack_ids() {
	git verify-pack -v "$1" | grep -E "^[0-9a-f]{40,64} " | cut -d" " -f1 | sort
}

test_expect_success 'repack of an empty silo does nothing' '
	silo init empty &&
	silo repack --silo empty >out &&
	test_must_be_empty out &&
	ls empty/pack >out && test_must_be_empty out
'

test_expect_success 'repack -d packs loose objects and removes them' '
	make_versions 20 20000 &&
	silo init s &&
	silo put --silo s base v* >ids &&
	sort ids >ids.sorted &&
	silo repack --silo s -d >out &&
	grep -E "^pack/pack-[0-9a-f]{40}\.pack: 21 objects, [0-9]+ deltas; removed 21 loose objects, 0 packs$" out &&
	deltas=$(sed -E "s/.* ([0-9]+) deltas.*/\1/" out) &&
	test "$deltas" -ge 15 &&
	silo ls --silo s --paths >paths && test_must_be_empty paths &&
	ls s/objects >dirs && test_must_be_empty dirs &&
	silo ls --silo s >listed && test_cmp ids.sorted listed &&
	for f in base v*; do
		silo cat --silo s $(git hash-object $f) >out && cmp $f out || return 1
	done
'

test_expect_success 'the pack is named by its trailing checksum' '
	p=$(ls s/pack/*.pack) &&
	name=$(basename $p .pack) &&
	tail -c 20 $p | od -An -tx1 | tr -d " \n" >sum &&
	test "pack-$(cat sum)" = "$name" &&
	test -f s/pack/$name.idx
'

test_expect_success 'git verify-pack accepts the pack and lists the same ids' '
	git verify-pack s/pack/*.idx &&
	git_pack_ids s/pack/*.idx >git-ids &&
	test_cmp ids.sorted git-ids
'

test_expect_success 'git index-pack rebuilds a byte-identical index' '
	cp s/pack/*.pack copy.pack &&
	git index-pack -o copy.idx copy.pack >out &&
	test "$(basename s/pack/*.pack .pack | cut -c6-)" = "$(cat out)" &&
	cmp copy.idx s/pack/*.idx
'

test_expect_success 'silo verify checks the pack' '
	silo verify -v s >out &&
	echo "21 objects, 0 bad, 0 warnings" >expect &&
	test_cmp expect out
'

test_expect_success 'repack without -a leaves packs alone, and new loose objects are packed' '
	echo extra >extra && silo put --silo s extra >eid &&
	silo repack --silo s -d -q &&
	ls s/pack/*.pack >packs && test_line_count 2 packs &&
	silo ls --silo s >all && test_line_count 22 all &&
	silo verify -q s
'

test_expect_success 'repack -a -d merges every pack into one and removes the old' '
	silo repack --silo s -a -d >out &&
	grep "22 objects, .* removed 0 loose objects, 2 packs$" out &&
	ls s/pack/pack-*.pack s/pack/pack-*.idx >files && test_line_count 2 files &&
	ls s/pack/pack-*.moved >moved && test_line_count 2 moved &&
	new=$(basename s/pack/*.pack .pack) &&
	for f in $(cat moved); do echo $new | test_cmp - $f || return 1; done &&
	echo "P $(basename s/pack/*.pack)" >expect && echo >>expect && test_cmp expect s/pack/packs &&
	silo ls --silo s >all && test_line_count 22 all &&
	git verify-pack s/pack/*.idx &&
	silo verify -v s >out && grep "^22 objects, 0 bad, 0 warnings" out
'

test_expect_success 'repack -a again gives the same pack and removes nothing' '
	before=$(ls s/pack) &&
	silo repack --silo s -a -d >out &&
	grep "removed 0 loose objects, 0 packs$" out &&
	test "$before" = "$(ls s/pack)"
'

test_expect_success 'a pack made by git (REF_DELTA) is repacked with -a' '
	git init -q repo &&
	for f in base v*; do git -C repo hash-object -w "../$f" || return 1; done >gids &&
	(cd repo && git pack-objects --no-delta-base-offset -q .git/objects/pack/pack <../gids >../pn) &&
	silo init s2 &&
	cp repo/.git/objects/pack/pack-$(cat pn).* s2/pack/ &&
	silo repack --silo s2 -a -d -q &&
	test ! -f s2/pack/pack-$(cat pn).pack &&
	git verify-pack s2/pack/*.idx &&
	git_pack_ids s2/pack/*.idx >got && sort gids >want && test_cmp want got &&
	for id in $(cat gids); do
		silo cat --silo s2 $id >out &&
		git -C repo cat-file blob $id >expect && cmp expect out || return 1
	done
'

test_expect_success '--window=0 stores every object whole' '
	silo init s3 && silo put --silo s3 base v1 v2 >/dev/null &&
	silo repack --silo s3 --window=0 >out &&
	grep ": 3 objects, 0 deltas;" out &&
	git verify-pack -v s3/pack/*.idx >packinfo && ! grep -q "chain length" packinfo
'

test_expect_success '--depth limits delta chains' '
	silo init s4 && silo put --silo s4 base v* >/dev/null &&
	silo repack --silo s4 --depth=2 -q &&
	git verify-pack -v s4/pack/*.idx >packinfo &&
	! grep "chain length = [3-9]" packinfo &&
	grep -q "chain length = 2" packinfo
'

test_expect_success 'sha256: round trip through repack, accepted by git' '
	silo init --object-format=sha256 s256 &&
	silo put --silo s256 base v* >ids256 &&
	silo repack --silo s256 -a -d >out &&
	grep -E "^pack/pack-[0-9a-f]{64}\.pack: 21 objects" out &&
	git init -q --object-format=sha256 r256 &&
	cp s256/pack/* r256/.git/objects/pack/ &&
	for f in base v*; do
		id=$(git -C r256 hash-object ../$f) &&
		git -C r256 cat-file blob $id >out && cmp $f out &&
		silo cat --silo s256 $id >out && cmp $f out || return 1
	done &&
	git -C r256 verify-pack .git/objects/pack/$(basename s256/pack/*.idx) &&
	cp s256/pack/*.pack r256/copy.pack &&
	git -C r256 index-pack -o copy.idx copy.pack >/dev/null &&
	cmp r256/copy.idx s256/pack/*.idx &&
	silo verify -q s256
'

test_expect_success 'an empty object, alone and among others, packs and reads back' '
	silo init s5 && : >nothing && silo put --silo s5 nothing >eid &&
	silo repack --silo s5 -q -d &&
	git verify-pack s5/pack/*.idx &&
	silo cat --silo s5 $(cat eid) >out && test_must_be_empty out &&
	silo put --silo s5 base >/dev/null &&
	silo repack --silo s5 -q -a -d &&
	silo cat --silo s5 $(cat eid) >out && test_must_be_empty out &&
	silo verify -q s5
'

test_expect_success 'an object both loose and packed is listed once and packed once' '
	silo init s6 && silo put --silo s6 v1 v2 >/dev/null &&
	silo repack --silo s6 -q -d &&
	silo put --silo s6 v1 >/dev/null &&
	mkdir -p s6/objects/$(git hash-object v1 | cut -c1-2) &&
	gzip -c v1 >s6/objects/$(git hash-object v1 | cut -c1-2)/$(git hash-object v1 | cut -c3-).gz &&
	silo ls --silo s6 >all && test_line_count 2 all &&
	silo ls --silo s6 --paths >paths && test_line_count 1 paths &&
	silo repack --silo s6 -a -d >out &&
	grep ": 2 objects, .*removed 1 loose objects, 0 packs$" out &&
	ls s6/pack/pack-* >files && test_line_count 2 files &&
	silo ls --silo s6 >all && test_line_count 2 all
'

test_expect_success 'commits and trees of a git pack keep their types through repack -a' '
	git init -q hist &&
	for i in 1 2 3; do
		seq 1 $((i * 1000)) >hist/f && mkdir -p hist/d && echo $i >hist/d/x &&
		git -C hist add -A &&
		git -C hist -c user.name=a -c user.email=a@a commit -q -m $i || return 1
	done &&
	git -C hist repack -adq &&
	silo init s7 && cp hist/.git/objects/pack/pack-* s7/pack/ &&
	silo repack --silo s7 -q -a -d &&
	git verify-pack s7/pack/*.idx &&
	git init -q back && cp s7/pack/pack-* back/.git/objects/pack/ &&
	head=$(git -C hist rev-parse HEAD) &&
	test "$(git -C back cat-file -t $head)" = commit &&
	git -C hist ls-tree -r $head >expect &&
	git -C back ls-tree -r $head >actual &&
	test_cmp expect actual &&
	silo cat --silo s7 -s $(git -C hist rev-parse HEAD:f) >size &&
	echo $(git -C hist cat-file -s HEAD:f) >expect && test_cmp expect size &&
	silo verify -v s7 >out && grep "^15 objects, 0 bad" out
'

test_expect_success 'repack usage errors' '
	test_expect_code 2 silo repack --silo s --window=-1 2>err &&
	grep "window must not be negative" err &&
	test_expect_code 2 silo repack --silo s extra-arg 2>err &&
	grep "too many arguments" err
'

test_done
