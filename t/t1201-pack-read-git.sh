#!/bin/sh
test_description='silo reads packs written by git: lookup, deltas, cat, ls, verify'
. "$(dirname "$0")/test-lib.sh"

# Versions of one file, each changing 20 more bytes of the one before:
# git stores them as long delta chains.
make_versions() {
	test_seeded_file base 30000 1 &&
	cp base prev &&
	i=1 &&
	while [ $i -le "$1" ]; do
		test_seeded_file patch 20 $((i + 100)) &&
		{ head -c $((i * 500)) prev; cat patch; tail -c +$((i * 500 + 21)) prev; } >v$i &&
		cp v$i prev || return 1
		i=$((i + 1))
	done
}

# Pack the files v* of a new repository $1 with the git options that follow.
make_git_pack() {
	repo=$1 && shift &&
	git init -q "$@" "$repo" &&
	for f in v*; do git -C "$repo" hash-object -w "../$f" >/dev/null || return 1; done &&
	git -C "$repo" hash-object -w ../base >/dev/null
}

test_expect_success 'a pack made by git pack-objects (OFS_DELTA, long chains) is read' '
	make_versions 40 &&
	git init -q repo &&
	for f in base v*; do git -C repo hash-object -w "../$f" || return 1; done >ids &&
	sort ids >ids.sorted &&
	(cd repo && git pack-objects --window=250 --depth=100 -q .git/objects/pack/pack <../ids >../packname) &&
	git -C repo verify-pack -v .git/objects/pack/pack-$(cat packname).idx >packinfo &&
	awk "/chain length = [0-9]+:/ { if (\$4 + 0 > m) m = \$4 + 0 } END { exit !(m >= 10) }" packinfo &&
	silo init s &&
	cp repo/.git/objects/pack/pack-$(cat packname).* s/pack/ &&
	silo ls --silo s >listed &&
	test_cmp ids.sorted listed &&
	for id in $(cat ids); do
		silo cat --silo s $id >out &&
		git -C repo cat-file blob $id >expect &&
		cmp expect out || return 1
	done
'

test_expect_success 'sizes and existence of packed objects' '
	id=$(head -1 ids) &&
	git -C repo cat-file -s $id >expect &&
	silo cat --silo s -s $id >actual &&
	test_cmp expect actual &&
	silo cat --silo s -e $id &&
	test_expect_code 1 silo cat --silo s -e 0000000000000000000000000000000000000001
'

test_expect_success 'verify checks every packed object, and wants pack/packs' '
	test_expect_code 1 silo verify -v s >out 2>err &&
	echo "41 objects, 1 bad, 0 warnings" >expect &&
	test_cmp expect out &&
	grep "^silo: error: .pack/packs. is missing: readers over HTTP find none of the 1 packs" err &&
	silo repack --silo s -q &&
	ls s/pack/*.pack >packs && test_line_count 1 packs &&
	silo verify -v s >out &&
	echo "41 objects, 0 bad, 0 warnings" >expect &&
	test_cmp expect out
'

test_expect_success 'ls --paths lists loose files only, never a pack' '
	echo loose >l && silo put --silo s l >lid &&
	silo ls --silo s --paths >paths &&
	echo "objects/$(cut -c1-2 lid)/$(cut -c3- lid).gz" >expect &&
	test_cmp expect paths &&
	silo ls --silo s >all &&
	test_line_count 42 all
'

test_expect_success 'put of an object already packed writes nothing' '
	silo put --silo s v7 >id7 &&
	grep -qx "$(cat id7)" ids &&
	silo ls --silo s --paths >paths &&
	test_line_count 1 paths
'

test_expect_success 'REF_DELTA entries (no delta-base-offset) are read' '
	git init -q repo2 &&
	for f in base v*; do git -C repo2 hash-object -w "../$f" || return 1; done >ids2 &&
	(cd repo2 && git pack-objects --no-delta-base-offset --window=50 --depth=30 -q .git/objects/pack/pack <../ids2 >../packname2) &&
	git -C repo2 verify-pack -v .git/objects/pack/pack-$(cat packname2).idx >packinfo2 &&
	grep -q "chain length" packinfo2 &&
	python3 - repo2/.git/objects/pack/pack-$(cat packname2).pack >nref <<-\PY &&
	import sys, zlib
	d = open(sys.argv[1], "rb").read()
	o, ref = 12, 0
	for i in range(int.from_bytes(d[8:12], "big")):
	    c = d[o]; t = (c >> 4) & 7; o += 1
	    while c & 0x80:
	        c = d[o]; o += 1
	    if t == 7:
	        ref += 1; o += 20
	    z = zlib.decompressobj(); rest = d[o:]; z.decompress(rest)
	    o += len(rest) - len(z.unused_data)
	print(ref)
	PY
	test "$(cat nref)" -gt 10 &&
	silo init s2 &&
	cp repo2/.git/objects/pack/pack-$(cat packname2).* s2/pack/ &&
	for id in $(cat ids2); do
		silo cat --silo s2 $id | git hash-object --stdin >got &&
		echo $id >want &&
		test_cmp want got || return 1
	done &&
	silo repack --silo s2 -q &&
	silo verify -q s2
'

test_expect_success 'objects in several packs and loose are all found' '
	silo init s3 &&
	cp repo/.git/objects/pack/pack-* s3/pack/ &&
	echo other >o && git init -q repo3 && id=$(git -C repo3 hash-object -w ../o) &&
	(cd repo3 && echo $id | git pack-objects -q .git/objects/pack/pack >/dev/null) &&
	cp repo3/.git/objects/pack/pack-* s3/pack/ &&
	silo cat --silo s3 $id >out && test_cmp o out &&
	silo ls --silo s3 >all && test_line_count 42 all &&
	silo repack --silo s3 -q &&
	silo verify -v s3 >out && grep "^42 objects, 0 bad" out
'

test_expect_success 'sha256: a pack made by git in a sha256 repository is read' '
	git init -q --object-format=sha256 repo256 &&
	for f in base v*; do git -C repo256 hash-object -w "../$f" || return 1; done >ids256 &&
	(cd repo256 && git pack-objects --window=50 -q .git/objects/pack/pack <../ids256 >../pn256) &&
	silo init --object-format=sha256 s256 &&
	cp repo256/.git/objects/pack/pack-$(cat pn256).* s256/pack/ &&
	for id in $(cat ids256); do
		silo cat --silo s256 $id >out &&
		git -C repo256 cat-file blob $id >expect &&
		cmp expect out || return 1
	done &&
	silo repack --silo s256 -q &&
	silo verify -v s256 >out && grep "^41 objects, 0 bad" out
'

test_expect_success 'a .pack without its .idx is ignored by readers, a warning for verify' '
	silo init s4 &&
	cp repo/.git/objects/pack/pack-$(cat packname).pack s4/pack/ &&
	silo ls --silo s4 >out && test_must_be_empty out &&
	silo verify -v s4 >out 2>err &&
	echo "0 objects, 0 bad, 1 warnings" >expect && test_cmp expect out &&
	grep "pack without its index" err
'

test_done
