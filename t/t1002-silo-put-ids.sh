#!/bin/sh
test_description='silo put: ids are git blob ids, in SHA-1 and SHA-256'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: inputs and a sha256 git repository' '
	silo init s1 && silo init --object-format=sha256 s256 &&
	git init -q --object-format=sha256 g256 &&
	: >empty &&
	printf "hello\n" >small &&
	printf "a\000b\000\000c" >nul &&
	printf "no newline" >nonl &&
	test_seeded_file random 300000 1
'

for f in empty small nul nonl random; do
	test_expect_success "sha1 id of '$f' equals git hash-object" "
		git hash-object $f >expect &&
		silo put --silo s1 $f >actual &&
		test_cmp expect actual
	"
	test_expect_success "sha256 id of '$f' equals git hash-object in a sha256 repo" "
		git -C g256 hash-object ../$f >expect &&
		test \$(wc -c <expect) -eq 65 &&
		silo put --silo s256 $f >actual &&
		test_cmp expect actual
	"
done

test_expect_success 'one id per input, in order, and - is standard input' '
	git hash-object small nul empty >expect &&
	silo put --silo s1 small - empty <nul >actual &&
	test_cmp expect actual
'

test_expect_success 'a loose object is gzip, named by the id of its content' '
	id=$(git hash-object random) &&
	obj=s1/objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).gz &&
	gzip -t $obj &&
	zcat $obj | git hash-object --stdin >actual &&
	echo $id >expect &&
	test_cmp expect actual
'

test_expect_success 'every loose object is plain gzip: zcat gives back its content' '
	for f in empty small nul random; do
		id=$(git hash-object $f) &&
		obj=s1/objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).gz &&
		gzip -t $obj &&
		zcat $obj | git hash-object --stdin >actual &&
		echo $id >expect &&
		test_cmp expect actual || return 1
	done
'

test_expect_success 'objects of several 1 MiB members, compressed on one thread or more, are one gzip file' '
	test_seeded_file mid 1600000 6 &&
	test_seeded_file big 3500000 7 &&
	silo init sbig &&
	for f in mid big; do
		id=$(git hash-object $f) &&
		silo put --silo sbig $f >actual &&
		echo $id >expect &&
		test_cmp expect actual &&
		obj=sbig/objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).gz &&
		gzip -t $obj &&
		test $(gzip -l $obj >/dev/null && zcat $obj | wc -c) -eq $(wc -c <$f) &&
		zcat $obj | git hash-object --stdin >actual &&
		test_cmp expect actual &&
		silo cat --silo sbig $id | cmp - $f || return 1
	done
'

test_expect_success 'a sha256 loose object decompresses to its content' '
	id=$(git -C g256 hash-object ../random) &&
	zcat s256/objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).gz >out &&
	cmp random out
'

test_expect_success 'putting an existing object writes nothing, but makes it young again' '
	id=$(git hash-object small) &&
	obj=s1/objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).gz &&
	touch -d "2001-01-01" $obj &&
	{ stat -c "%i %s" $obj && cat $obj; } >before &&
	silo put --silo s1 small >/dev/null &&
	{ stat -c "%i %s" $obj && cat $obj; } >after &&
	test_cmp before after &&
	test $(stat -c %Y $obj) -gt $(date -d "2020-01-01" +%s) &&
	find s1 -name "tmp_*" >tmps && test_must_be_empty tmps
'

test_expect_success 'a file over 100 MB, streamed, in both formats' '
	seq 1 20000000 | head -c 104857601 >big &&
	git hash-object big >expect1 &&
	silo put --silo s1 big >actual1 &&
	test_cmp expect1 actual1 &&
	git -C g256 hash-object ../big >expect256 &&
	silo put --silo s256 big >actual256 &&
	test_cmp expect256 actual256 &&
	silo cat --silo s1 $(cat actual1) | cmp - big &&
	rm big
'

test_expect_success 'a missing input is named, the others are still stored' '
	test_expect_code 3 silo put --silo s1 nope small >out 2>err &&
	grep "^silo: error: cannot open .nope.: No such file or directory$" err &&
	git hash-object small >expect &&
	test_cmp expect out
'

test_expect_success 'a directory is refused (exit 5)' '
	mkdir d &&
	test_expect_code 5 silo put --silo s1 d 2>err &&
	grep "^silo: error: .d. is a directory$" err
'

test_expect_success 'put with no file is a usage error' '
	test_expect_code 2 silo put --silo s1 2>err &&
	grep "nothing to put" err
'

test_expect_success '--level outside 1..9 is a usage error' '
	test_expect_code 2 silo put --silo s1 --level=0 small 2>err &&
	grep "level must be 1 to 9" err
'

test_expect_success '--level changes compression, never the id' '
	silo init l1 && silo init l9 &&
	silo put --silo l1 --level=1 random >id1 &&
	silo put --silo l9 --level=9 random >id9 &&
	test_cmp id1 id9
'

test_done
