#!/bin/sh
test_description='the test library: cleanups run, prerequisites skip visibly'
. "$(dirname "$0")/test-lib.sh"

# Run a test script made of test-lib.sh and the body on stdin; its TAP
# output goes to "out", its exit status to "status", its trash directory
# under ./tmp.
run_sub() {
	mkdir -p tmp &&
	{
		echo ". '$TEST_DIRECTORY/test-lib.sh'" &&
		cat &&
		echo test_done
	} >sub.sh &&
	{ TMPDIR=$PWD/tmp LOG=$PWD/log sh sub.sh >out 2>&1; echo $? >status; }
}

test_expect_success 'a cleanup runs after a body that passes' '
	run_sub <<-\EOF &&
	test_expect_success "passes" "
		test_when_finished \"echo cleaned >>\\\"\$LOG\\\"\" &&
		true
	"
	EOF
	printf "ok 1 - passes\n1..1\n" >expect &&
	test_cmp expect out &&
	echo 0 >expect && test_cmp expect status &&
	echo cleaned >expect && test_cmp expect log
'

test_expect_success 'a cleanup runs after a body that fails, and after one that exits' '
	rm -f log &&
	run_sub <<-\EOF &&
	test_expect_success "fails" "
		test_when_finished \"echo one >>\\\"\$LOG\\\"\" &&
		false
	"
	test_expect_success "exits" "
		test_when_finished \"echo two >>\\\"\$LOG\\\"\" &&
		exit 0
	"
	EOF
	grep "^not ok 1 - fails$" out &&
	grep "^ok 2 - exits$" out &&
	grep "^# 1 of 2 failed; trash kept in " out &&
	echo 1 >expect && test_cmp expect status &&
	printf "one\ntwo\n" >expect && test_cmp expect log
'

test_expect_success 'cleanups run last first, in the directory they were registered in' '
	rm -f log &&
	run_sub <<-\EOF &&
	test_expect_success "order" "
		mkdir d && cd d && : >here &&
		test_when_finished \"ls >>\\\"\$LOG\\\"\" &&
		cd .. &&
		test_when_finished \"echo first >>\\\"\$LOG\\\"\"
	"
	EOF
	printf "first\nhere\n" >expect && test_cmp expect log &&
	echo 0 >expect && test_cmp expect status
'

test_expect_success 'a cleanup that fails fails the test' '
	run_sub <<-\EOF &&
	test_expect_success "cleanup fails" "
		test_when_finished false
	"
	EOF
	grep "^not ok 1 - cleanup fails$" out &&
	grep "^#   test_when_finished: a cleanup command failed$" out &&
	echo 1 >expect && test_cmp expect status
'

test_expect_success 'a process started by a test is stopped by its cleanup' '
	run_sub <<-\EOF &&
	test_expect_success "background" "
		{ sleep 60 & } && echo \$! >\"\$LOG\" &&
		test_when_finished \"kill \$!\" &&
		false
	"
	EOF
	grep "^not ok 1 - background$" out &&
	pid=$(cat log) &&
	n=0 && while kill -0 $pid 2>/dev/null; do
		n=$((n + 1)) && test $n -lt 100 && sleep 0.1 || return 1
	done
'

test_expect_success 'a missing prerequisite is a visible skip with its name' '
	rm -f log &&
	run_sub <<-\EOF &&
	test_lazy_prereq YES "echo evaluated >>\"\$LOG\" && true"
	test_lazy_prereq NO "false"
	test_set_prereq SET
	test_expect_success YES "has YES" "true"
	test_expect_success NO "has NO" "false"
	test_expect_success YES,SET "has YES and SET" "true"
	test_expect_success YES,NO "has YES and NO" "false"
	test_expect_success !NO "lacks NO" "true"
	test_expect_success !YES "lacks YES" "false"
	test_expect_success UNKNOWN "has UNKNOWN" "false"
	EOF
	cat >expect <<-\EOF &&
	ok 1 - has YES
	ok 2 # skip has NO (missing NO)
	ok 3 - has YES and SET
	ok 4 # skip has YES and NO (missing NO)
	ok 5 - lacks NO
	ok 6 # skip lacks YES (missing !YES)
	ok 7 # skip has UNKNOWN (missing UNKNOWN)
	1..7
	EOF
	test_cmp expect out &&
	echo 0 >expect && test_cmp expect status &&
	echo evaluated >expect && test_cmp expect log
'

test_expect_success 'a prerequisite that is not a name is a BUG, not a skip' '
	for bad in "command -v ssh-keygen" "test -n yes" "lower" "A,,B" "A,"; do
		run_sub <<-EOF &&
		test_expect_success "$bad" "title" "true"
		EOF
		echo 1 >expect && test_cmp expect status &&
		echo "BUG: '\''$bad'\'' is not a list of prerequisites (NAME,!NAME...)" >expect &&
		test_cmp expect out || return 1
	done
'

test_expect_success 'the script'\''s trash directory is removed when all pass' '
	rm -rf tmp &&
	run_sub <<-\EOF &&
	test_expect_success "passes" "true"
	EOF
	ls -A tmp >left &&
	test_must_be_empty left
'

test_done
