#!/bin/sh
test_description='the fuzz harnesses of t/fuzz/ run over their seeds and saved crashers'
. "$(dirname "$0")/test-lib.sh"

# Each harness is built by make with t/fuzz/driver.c (no libFuzzer
# needed) into $SILO_BUILD_DIR/t/fuzz/; its directory t/fuzz/NAME/ holds
# the seed corpus and every input that once crashed it, kept as a
# regression.  A harness that is missing, or older than the library it
# tests, is a visible skip: 'make' builds it.
FUZZ=$TEST_DIRECTORY/fuzz
harness_prereq() {
	bin=$SILO_BUILD_DIR/t/fuzz/$1
	if ! [ -x "$bin" ]; then
		test_missing_prereq "$2" "$bin is missing (make builds it)"
	elif [ -e "$SILO_BUILD_DIR/libsilo.a" ] && [ "$SILO_BUILD_DIR/libsilo.a" -nt "$bin" ]; then
		test_missing_prereq "$2" "$bin is older than libsilo.a (make rebuilds it)"
	else
		test_set_prereq "$2"
	fi
}
for h in delta pack-index pack-read loose treeptr silojson archive sshsig http tree-object size-table tar-header; do
	p=HARNESS_$(echo $h | tr a-z- A-Z_)
	harness_prereq $h $p
	test_expect_success $p "fuzz harness $h runs its corpus without a crash" "
		test -d '$FUZZ/$h' &&
		'$SILO_BUILD_DIR/t/fuzz/$h' '$FUZZ/$h' >out &&
		n=\$(ls '$FUZZ/$h' | wc -l) &&
		echo \"\$n inputs\" >expect &&
		test_cmp expect out
	"
done

test_expect_success 'every harness of t/fuzz/ is run here' '
	(cd "$FUZZ" && ls *.c) | sed -e "/^driver\.c$/d" -e "/^fuzz-util\.c$/d" -e "s/\.c$//" | sort >have &&
	sed -n "s/^for h in \(.*\); do$/\1/p" "$TEST_DIRECTORY/t0005-fuzz-regress.sh" | tr " " "\n" | sort >run &&
	test_cmp have run
'

test_done
