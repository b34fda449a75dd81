#!/bin/sh
test_description='silo put: many writers at once leave a sound silo'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: 40 files, 8 overlapping sets' '
	silo init s &&
	i=0 && while [ $i -lt 40 ]; do
		test_seeded_file f$i $((2000 + i * 997)) $i || return 1
		i=$((i + 1))
	done &&
	git hash-object f* | sort -u >expect &&
	p=0 && while [ $p -lt 8 ]; do
		# process p puts files p*4 .. p*4+11: each file is put by up to 3 processes
		set -- && j=$((p * 4)) &&
		while [ $j -lt $((p * 4 + 12)) ] && [ $j -lt 40 ]; do set -- "$@" f$j; j=$((j + 1)); done &&
		echo "$@" >set$p && p=$((p + 1))
	done
'

test_expect_success '8 processes put at once; all succeed' '
	p=0 && while [ $p -lt 8 ]; do
		(silo put --silo s $(cat set$p) >out$p 2>err$p; echo $? >rc$p) &
		p=$((p + 1))
	done &&
	wait &&
	cat rc* | sort -u >rcs && echo 0 >zero && test_cmp zero rcs &&
	cat err* >errs && test_must_be_empty errs
'

test_expect_success 'each process printed the right ids' '
	p=0 && while [ $p -lt 8 ]; do
		git hash-object $(cat set$p) >want$p &&
		test_cmp want$p out$p || return 1
		p=$((p + 1))
	done
'

test_expect_success 'the silo holds exactly the expected ids and verifies' '
	silo ls --silo s >actual &&
	test_cmp expect actual &&
	silo verify s 2>err && test_must_be_empty err
'

test_expect_success 'no temporary files are left behind' '
	find s -name "tmp_*" >tmps &&
	test_must_be_empty tmps
'

test_done
