#!/bin/sh
test_description='silo verify: names every bad object and stray file'
. "$(dirname "$0")/test-lib.sh"

objpath() {
	echo "objects/$(echo $1 | cut -c1-2)/$(echo $1 | cut -c3-).gz"
}

test_expect_success 'setup: a good silo' '
	silo init s &&
	for i in 1 2 3 4 5 6; do test_seeded_file f$i 200000 $i; done &&
	silo put --silo s f1 f2 f3 f4 f5 f6 >ids
'

test_expect_success 'a good silo verifies, quietly, exit 0' '
	silo verify s >out 2>err &&
	test_must_be_empty out && test_must_be_empty err
'

test_expect_success 'an empty silo verifies' '
	silo init empty && silo verify empty
'

test_expect_success '-v prints a summary' '
	echo "6 objects, 0 bad, 0 warnings" >expect &&
	silo verify -v s >actual &&
	test_cmp expect actual
'

test_expect_success 'setup: a damaged copy' '
	cp -r s bad && chmod -R u+w bad &&
	id1=$(sed -n 1p ids) && id2=$(sed -n 2p ids) &&
	id3=$(sed -n 3p ids) && id4=$(sed -n 4p ids) &&
	o1=$(objpath $id1) && o2=$(objpath $id2) && o3=$(objpath $id3) && o4=$(objpath $id4) &&
	# 1: one flipped byte in the compressed data
	printf "\125" | dd of=bad/$o1 bs=1 seek=1000 conv=notrunc 2>/dev/null &&
	# 2: truncated
	head -c 999 s/$o2 >bad/$o2 &&
	# 3: the content of object 4 under the name of object 3
	cp s/$o4 bad/$o3 &&
	# a stray file, and one in a fan-out directory
	echo hello >bad/objects/README &&
	echo hello >bad/objects/$(echo $id4 | cut -c1-2)/notes.txt &&
	echo "$o1 $o2 $o3" >damaged
'

test_expect_success 'verify names each bad object and stray file, exit 1' '
	test_expect_code 1 silo verify bad >out 2>err &&
	test_must_be_empty out &&
	read o1 o2 o3 <damaged &&
	grep "^silo: error: corrupt object .$o1.: " err &&
	grep "^silo: error: corrupt object .$o2.: truncated gzip data$" err &&
	grep "^silo: error: corrupt object .$o3.: content hashes to $(sed -n 4p ids), not $(sed -n 3p ids)$" err &&
	grep "^silo: error: .objects/README.: not an object file$" err &&
	grep "^silo: error: .objects/../notes.txt.: not an object file$" err &&
	test_line_count 5 err
'

test_expect_success 'the report is the same with one thread or two' '
	test_expect_code 1 silo verify -j1 bad 2>err1 &&
	test_expect_code 1 silo verify -j2 bad 2>err2 &&
	test_cmp err1 err2
'

test_expect_success '-v counts the damage' '
	echo "6 objects, 5 bad, 0 warnings" >expect &&
	test_expect_code 1 silo verify -v bad >actual 2>/dev/null &&
	test_cmp expect actual
'

test_expect_success 'a temporary file is a warning, not a failure' '
	: >s/objects/tmp_obj_XYZ123 &&
	silo verify s 2>err &&
	echo "silo: warning: '\''objects/tmp_obj_XYZ123'\'': temporary file left by an interrupted write (modified 0 minutes ago); silo prune removes it" >expect &&
	test_cmp expect err &&
	silo verify -q s 2>err &&
	test_must_be_empty err &&
	rm s/objects/tmp_obj_XYZ123
'

test_expect_success 'the age of an older temporary file is in days' '
	: >s/objects/tmp_obj_OLD &&
	touch -d "3 days ago" s/objects/tmp_obj_OLD &&
	mkdir -p s/pack && : >s/pack/tmp_pack_OLD &&
	touch -d "2 days ago" s/pack/tmp_pack_OLD &&
	silo verify s 2>err &&
	cat >expect <<-\EOF &&
	silo: warning: '\''objects/tmp_obj_OLD'\'': temporary file left by an interrupted write (modified 3 days ago); silo prune removes it
	silo: warning: '\''pack/tmp_pack_OLD'\'': temporary file left by an interrupted write (modified 2 days ago); the next silo repack removes it
	EOF
	test_cmp expect err &&
	rm s/objects/tmp_obj_OLD s/pack/tmp_pack_OLD
'

test_expect_success 'a file with a well-formed name but no gzip data is bad' '
	cp -r s e && chmod -R u+w e && id=$(sed -n 5p ids) &&
	: >e/$(objpath $id) &&
	test_expect_code 1 silo verify e 2>err &&
	grep "corrupt object .$(objpath $id).: empty file" err
'

test_expect_success 'progress is shown on a terminal only' '
	script -qec "silo verify s" /dev/null >tty-out </dev/null &&
	grep "verifying objects: 100% (6/6), [0-9.]*/s.*, done\." tty-out &&
	script -qec "silo verify -q s" /dev/null >tty-quiet </dev/null &&
	! grep "verifying objects" tty-quiet
'

test_expect_success 'verify finds the silo from SILO_DIR and refuses two silos' '
	SILO_DIR=s silo verify &&
	test_expect_code 2 silo verify --silo s s 2>err &&
	grep "not both" err
'

test_done
