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
	{ TMPDIR=$PWD/tmp LOG=$PWD/log SILO_TEST_SKIPS=${SKIPS:-} sh sub.sh >out 2>&1; echo $? >status; }
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
	test_wait_for "! kill -0 $pid 2>/dev/null" 10
'

test_expect_success 'a missing prerequisite is a visible skip with its name and reason' '
	rm -f log skips &&
	SKIPS=$PWD/skips run_sub <<-\EOF &&
	test_lazy_prereq YES "echo evaluated >>\"\$LOG\" && true"
	test_lazy_prereq NO "false"
	test_lazy_prereq SAYS "echo first line; echo the reason; false"
	test_set_prereq SET
	test_missing_prereq GONE "gone for a reason"
	test_expect_success YES "has YES" "true"
	test_expect_success NO "has NO" "false"
	test_expect_success YES,SET "has YES and SET" "true"
	test_expect_success YES,NO "has YES and NO" "false"
	test_expect_success !NO "lacks NO" "true"
	test_expect_success !YES "lacks YES" "false"
	test_expect_success GONE "has GONE" "false"
	test_expect_success SAYS "has SAYS" "false"
	EOF
	cat >expect <<-\EOF &&
	ok 1 - has YES
	ok 2 # skip has NO (missing NO)
	ok 3 - has YES and SET
	ok 4 # skip has YES and NO (missing NO)
	ok 5 - lacks NO
	ok 6 # skip lacks YES (missing !YES)
	ok 7 # skip has GONE (missing GONE)
	ok 8 # skip has SAYS (missing SAYS)
	1..8
	# 5 of 8 skipped
	EOF
	test_cmp expect out &&
	echo 0 >expect && test_cmp expect status &&
	echo evaluated >expect && test_cmp expect log &&
	printf "%s\t%s\t%s\t%s\n" >expect \
		NO "'"'"'false'"'"' failed" sub "2 has NO" \
		NO "'"'"'false'"'"' failed" sub "4 has YES and NO" \
		!YES "YES is present here" sub "6 lacks YES" \
		GONE "gone for a reason" sub "7 has GONE" \
		SAYS "the reason" sub "8 has SAYS" &&
	test_cmp expect skips &&
	sh "$TEST_DIRECTORY/../tools/test-skips.sh" skips >summary &&
	cat >expect <<-\EOF &&
	skipped: 5 tests
	  2  NO: '"'"'false'"'"' failed (sub)
	  1  !YES: YES is present here (sub)
	  1  GONE: gone for a reason (sub)
	  1  SAYS: the reason (sub)
	EOF
	test_cmp expect summary
'

test_expect_success 'the summary counts skips of many scripts, and whole scripts' '
	printf "%s\t%s\t%s\t%s\n" >skips \
		BOX "no box here" t1 "1 a" \
		BOX "no box here" t2 "3 b" \
		BOX "no box here" t2 "4 c" \
		HTTPD "nginx does not start" t3 "(all)" &&
	sh "$TEST_DIRECTORY/../tools/test-skips.sh" skips >summary &&
	cat >expect <<-\EOF &&
	skipped: 3 tests and 1 whole script
	  3  BOX: no box here (t1 t2)
	  0 + 1 script  HTTPD: nginx does not start (t3)
	EOF
	test_cmp expect summary &&
	: >empty &&
	sh "$TEST_DIRECTORY/../tools/test-skips.sh" empty >summary &&
	echo "skipped: no test" >expect && test_cmp expect summary
'

test_expect_success 'a script skipped whole says why and records it' '
	rm -f skips &&
	SKIPS=$PWD/skips run_sub <<-\EOF &&
	test_skip_all NGINX "nginx does not start"
	test_expect_success "never" "false"
	EOF
	echo "1..0 # SKIP nginx does not start (missing NGINX)" >expect &&
	test_cmp expect out &&
	echo 0 >expect && test_cmp expect status &&
	printf "NGINX\tnginx does not start\tsub\t(all)\n" >expect &&
	test_cmp expect skips
'

for bad in UNKNOWN "command -v sh" "test -n \"\$HTTPD\"" "lower" ""; do
	test_expect_success "prerequisite '$bad' never declared: a bug that fails the script" "
		run_sub <<-EOF &&
		test_expect_success '$bad' 'has it' 'true'
		test_expect_success 'after' 'true'
		EOF
		echo 1 >expect && test_cmp expect status &&
		grep '^sub: BUG in the test script: .*prerequisite' out &&
		! grep '^ok' out
	"
done

test_expect_success 'a bad name given to test_set_prereq or test_lazy_prereq is a bug' '
	run_sub <<-\EOF &&
	test_lazy_prereq "command -v ssh-keygen" true
	EOF
	echo 1 >expect && test_cmp expect status &&
	grep "^sub: BUG in the test script: .command -v ssh-keygen. is not a prerequisite name" out &&
	run_sub <<-\EOF &&
	test_missing_prereq NOREASON
	EOF
	echo 1 >expect && test_cmp expect status &&
	grep "^sub: BUG in the test script: test_missing_prereq NOREASON: give the reason" out
'

# Bodies that cannot fail where they should: chain lint finds each, the
# script fails before the body runs for real, and says which test.
for body in "false
	true" "false; true" "false && true ;
	true" "false || :
	true" "false || exit 0
	true" "for i in 1 2; do
		false;
		true || return 1
	done" "{ false || true
	  true; }" "true && echo x & true"; do
	test_expect_success "chain lint finds: $(printf '%s' "$body" | tr -s '\n\t' '  ')" "
		run_sub <<-EOF &&
		test_expect_success 'ok before' 'true'
		test_expect_success 'broken' '
		$body
		'
		EOF
		echo 1 >expect && test_cmp expect status &&
		grep '^sub: BUG in the test script: test 2 (broken): a broken &&-chain' out &&
		grep '^ok 1 - ok before\$' out && ! grep ' - broken' out
	"
done

test_expect_success 'chain lint passes whole chains: here-documents, loops, groups' '
	run_sub <<-\EOF &&
	test_expect_success "whole" "
		cat >conf <<-\EOT &&
		worker_processes 1;
		x || :
		EOT
		for i in 1 2; do
			echo \$i >>n || return 1
		done &&
		{ grep -v nothing conf || :; } >left &&
		case \$(cat n) in
		1*) : ;;
		esac &&
		if test -s left; then
			test_line_count 2 left
		fi
	"
	EOF
	printf "ok 1 - whole\n1..1\n" >expect && test_cmp expect out &&
	echo 0 >expect && test_cmp expect status
'

test_expect_success 'test_wait_for waits for a condition, and fails at its bound' '
	test_wait_for "echo x >>tries && test \$(wc -l <tries) -ge 3" 5 &&
	test_line_count 3 tries &&
	test_must_fail test_wait_for "false" 1 2>err &&
	echo "test_wait_for: still not true after 1 s: false" >expect &&
	test_cmp expect err
'

test_expect_success 'a failure is shown on stderr too, for prove' '
	mkdir -p tmp &&
	{
		echo ". '"'"'$TEST_DIRECTORY/test-lib.sh'"'"'" &&
		echo "test_expect_success \"fails\" \"echo the reason && false\"" &&
		echo test_done
	} >sub.sh &&
	{ TMPDIR=$PWD/tmp sh sub.sh >out 2>err; test $? = 1; } &&
	grep "^not ok 1 - fails\$" out &&
	grep "^#   the reason\$" out &&
	grep "^# sub: not ok 1 - fails\$" err &&
	grep "^#   the reason\$" err
'

test_expect_success 'a prerequisite that is not a name is a BUG, not a skip' '
	for bad in "command -v ssh-keygen" "test -n yes" "lower" "A,,B" "A,"; do
		run_sub <<-EOF &&
		test_expect_success "$bad" "title" "true"
		EOF
		echo 1 >expect && test_cmp expect status &&
		echo "# BUG in the test script: '\''$bad'\'' is not a list of prerequisite names (NAME,!NAME...)" >expect &&
		grep "^# BUG" out >actual &&
		test_cmp expect actual || return 1
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
