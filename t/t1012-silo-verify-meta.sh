#!/bin/sh
test_description='silo verify checks pack/packs and config.json; a renamed pack is named'
. "$(dirname "$0")/test-lib.sh"

# Each of these was reported as "0 problems" before.
test_expect_success 'setup: a silo with two packs' '
	silo init s &&
	echo one >a && echo two >b && echo three >c &&
	silo put --silo s a b >/dev/null && silo repack --silo s -d -q &&
	silo put --silo s c >/dev/null && silo repack --silo s -d -q &&
	ls s/pack/*.pack >packs && test_line_count 2 packs &&
	silo verify s
'

# with_list NAME CONTENT: a copy of s whose pack/packs holds CONTENT
# (printf format), or none when CONTENT is "-".
with_list() {
	rm -rf "$1" && cp -R s "$1" && chmod -R u+w "$1" && rm "$1/pack/packs" &&
	if test "$2" != -; then printf "$2" >"$1/pack/packs"; fi
}

test_expect_success 'an emptied pack/packs is bad: it lists none of the packs' '
	with_list empty "" &&
	test_expect_code 1 silo verify -v empty >out 2>err &&
	echo "3 objects, 2 bad, 0 warnings" >expect && test_cmp expect out &&
	grep "^silo: error: .pack/packs. does not list .pack/pack-[0-9a-f]*.pack.: readers over HTTP cannot find its objects" err >lines &&
	test_line_count 2 lines
'

test_expect_success 'pack/packs that leaves out one pack is bad' '
	with_list short "$(grep "^P " s/pack/packs | sed -n 1p)\\n\\n" &&
	test_expect_code 1 silo verify -v short >out 2>err &&
	echo "3 objects, 1 bad, 0 warnings" >expect && test_cmp expect out &&
	left=$(sed -n "2s/^P //p" s/pack/packs) &&
	echo "silo: error: '\''pack/packs'\'' does not list '\''pack/$left'\'': readers over HTTP cannot find its objects ('\''silo repack'\'' rewrites the list)" >expect &&
	test_cmp expect err
'

test_expect_success 'a missing pack/packs is bad when there are packs' '
	with_list gone - &&
	test_expect_code 1 silo verify gone 2>err &&
	grep "^silo: error: .pack/packs. is missing: readers over HTTP find none of the 2 packs" err
'

# What an rsync of a silo sees while its first repack runs: the new
# pack in place, not listed yet, and its objects still loose.
test_expect_success 'a pack not listed yet whose objects are loose too is a warning' '
	silo init mid && silo put --silo mid a b >/dev/null &&
	cp -R mid mid-before && silo repack --silo mid -d -q &&
	cp mid/pack/pack-*.pack mid/pack/pack-*.idx mid-before/pack/ &&
	test_expect_code 0 silo verify -v mid-before >out 2>err &&
	echo "4 objects, 0 bad, 1 warnings" >expect && test_cmp expect out &&
	pack=$(cd mid/pack && ls pack-*.pack) &&
	echo "silo: warning: '\''pack/packs'\'' is missing: '\''pack/$pack'\'' is not listed yet, but its objects are held elsewhere too (a repack or prune was running?); '\''silo repack'\'' lists it" >expect &&
	test_cmp expect err &&
	id=$(git hash-object a) &&
	rm mid-before/objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).gz &&
	test_expect_code 1 silo verify mid-before 2>err &&
	grep "^silo: error: .pack/packs. is missing: readers over HTTP find none of the 1 packs" err
'

# What a prune or repack killed between putting its new pack in place
# and listing it leaves: the pack, unlisted, and its objects still in
# the listed packs.
test_expect_success 'a pack not listed yet whose objects are in listed packs is a warning' '
	rm -rf killed whole && cp -R s killed && cp -R s whole && chmod -R u+w killed whole &&
	silo repack --silo whole -a -d -q &&
	new=$(cd whole/pack && ls pack-*.pack) &&
	cp whole/pack/$new whole/pack/${new%.pack}.idx killed/pack/ &&
	silo verify -v killed >out 2>err &&
	echo "6 objects, 0 bad, 1 warnings" >expect && test_cmp expect out &&
	grep "^silo: warning: .pack/packs. does not list it: .pack/$new. is not listed yet, but its objects are held elsewhere too" err
'

test_expect_success 'silo repack writes pack/packs again, even with nothing to pack' '
	for c in empty short gone; do
		silo repack --silo $c -q &&
		test_cmp s/pack/packs $c/pack/packs &&
		silo verify $c || return 1
	done
'

test_expect_success 'pack/packs listing a pack that is not there is reported, a path is bad' '
	with_list stale - &&
	{ grep "^P " s/pack/packs &&
	  echo "P pack-0123456789012345678901234567890123456789.pack" &&
	  echo "P ../../etc/passwd" && echo; } >stale/pack/packs &&
	test_expect_code 1 silo verify stale 2>err &&
	grep "^silo: warning: .pack/packs. lists .pack-0123456789012345678901234567890123456789.pack., which is not in pack/" err &&
	grep "^silo: error: .pack/packs.: line 4 is not .P pack-<checksum>.pack. of this silo: .P ../../etc/passwd." err
'

test_expect_success 'a pack renamed to a wrong checksum is bad' '
	rm -rf renamed && cp -R s renamed && chmod -R u+w renamed &&
	p=$(ls renamed/pack/*.pack | sed -n 1p) && base=${p%.pack} &&
	mv $base.pack renamed/pack/pack-1111111111111111111111111111111111111111.pack &&
	mv $base.idx renamed/pack/pack-1111111111111111111111111111111111111111.idx &&
	silo repack --silo renamed -q &&
	test_expect_code 1 silo verify renamed 2>err &&
	grep "pack-1111111111111111111111111111111111111111.pack.: named for checksum 1111111111111111111111111111111111111111, but it is pack-$(basename $base | sed s/pack-//)" err
'

test_expect_success 'config.json with a missing or wrong-typed silo field is refused' '
	rm -rf c1 c2 && cp -R s c1 && cp -R s c2 && chmod -R u+w c1 c2 &&
	echo "{\"object-format\": \"sha1\"}" >c1/config.json &&
	echo "{\"object-format\": \"sha1\", \"silo\": \"1\"}" >c2/config.json &&
	test_must_fail silo verify c1 2>err1 &&
	grep "^silo: error: .c1/config.json.: field .silo. must be the layout version 1" err1 &&
	test_must_fail silo ls --silo c2 2>err2 &&
	grep "^silo: error: .c2/config.json.: field .silo. must be the layout version 1" err2
'

test_done
