# A small test library in the spirit of git's t/test-lib.sh, emitting TAP.
#
#	test_description='what this script pins down'
#	. ./test-lib.sh
#	test_expect_success 'behaviour' '
#		cmd1 && cmd2 >actual && test_cmp expect actual
#	'
#	test_done
#
# Each script runs in its own trash directory, removed when every test
# passed and kept (its path printed) when one failed.  The built tools are
# first on PATH.  Bodies run in a subshell in the trash directory with
# 'set -e' off, so chain commands with &&; a variable set or a 'cd' in one
# body does not reach the next.
#
# A test that cannot run everywhere names a prerequisite, and is reported
# as "ok N # skip TITLE (missing NAME)" where that is missing:
#
#	test_lazy_prereq DEV_FULL 'test -w /dev/full'
#	test_expect_success DEV_FULL 'title' 'body'

TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd)
TEST_NAME=$(basename "$0" .sh)
: "${SILO_BUILD_DIR:=$TEST_DIRECTORY/../build}"
PATH="$SILO_BUILD_DIR/bin:$PATH"
export PATH SILO_BUILD_DIR
unset SILO_DIR XDG_CACHE_HOME
LC_ALL=C
TZ=UTC
export LC_ALL TZ

TRASH_DIRECTORY=$(mktemp -d "${TMPDIR:-/tmp}/silo-test.$TEST_NAME.XXXXXX") || exit 1
HOME=$TRASH_DIRECTORY
export HOME
cd "$TRASH_DIRECTORY" || exit 1
# Which checkout this trash directory belongs to, for 'make clean'.
(cd "$TEST_DIRECTORY" && pwd -P) >.test-source || exit 1

test_count=0
test_failures=0
test_cleanup_file_=
test_atexit_cmds=

# Run CMD when the script ends, however it ends (stopping a server).
test_atexit() {
	test_atexit_cmds="$*; $test_atexit_cmds"
}

test_run_atexit_() {
	if [ -n "$test_atexit_cmds" ]; then
		( eval "$test_atexit_cmds" ) >/dev/null 2>&1
		test_atexit_cmds=
	fi
}
trap 'test_run_atexit_' EXIT
trap 'exit 130' INT TERM

say() {
	printf '# %s\n' "$*"
}

# Run CMD after the current test, whether it passed, failed or exited, in
# the directory it was registered in; the last registered runs first.  A
# cleanup that fails fails the test.  The body runs in a subshell, so the
# commands are kept in a file, not in a variable.
test_when_finished() {
	if [ -z "$test_cleanup_file_" ]; then
		echo "test_when_finished: not inside a test" >&2
		return 1
	fi
	{
		printf '( cd %s && {\n%s\n} ) || test_cleanup_failed_=1\n' \
			"$(test_quote_ "$PWD")" "$*" &&
		cat "$test_cleanup_file_"
	} >"$test_cleanup_file_.new" && mv "$test_cleanup_file_.new" "$test_cleanup_file_"
}

# WORD quoted for the shell.
test_quote_() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

test_run_() {
	test_cleanup_file_=$TRASH_DIRECTORY/.test-cleanup
	: >"$test_cleanup_file_"
	( eval "$1" ) >"$TRASH_DIRECTORY/.test-output" 2>&1
	test_status_=$?
	test_cleanup_failed_=0
	if [ -s "$test_cleanup_file_" ]; then
		. "$test_cleanup_file_" >>"$TRASH_DIRECTORY/.test-output" 2>&1
		cd "$TRASH_DIRECTORY" || exit 1
		if [ "$test_cleanup_failed_" -ne 0 ]; then
			echo "test_when_finished: a cleanup command failed" \
				>>"$TRASH_DIRECTORY/.test-output"
			[ "$test_status_" -eq 0 ] && test_status_=1
		fi
	fi
	rm -f "$test_cleanup_file_"
	test_cleanup_file_=
	return $test_status_
}

# Prerequisites: NAME is set by test_set_prereq, or by the first use of a
# test_lazy_prereq whose SCRIPT succeeds (it runs once, in a subshell, in
# an empty directory of its own).
test_prereqs_=" "
test_missing_prereqs_=" "
test_lazy_prereqs_=" "

test_set_prereq() {
	test_prereqs_="$test_prereqs_$1 "
}

test_lazy_prereq() {
	test_lazy_prereqs_="$test_lazy_prereqs_$1 "
	eval "test_lazy_script_$1=\$2"
}

# True if every prerequisite in LIST (comma-separated, "!NAME" for "NAME is
# missing") holds; the missing ones are left in $test_missing_.  A name
# is capitals, digits and '_': anything else (a command, a title given
# where a prerequisite goes) stops the script with a BUG, instead of
# skipping every test that names it.
test_have_prereq() {
	test_missing_=
	case $1 in
	''|*[!A-Z0-9_,!]*|*,|,*|*,,*)
		echo "BUG: '$1' is not a list of prerequisites (NAME,!NAME...)" >&2
		exit 1 ;;
	esac
	for p_ in $(printf '%s' "$1" | tr ',' ' '); do
		want_=1
		case $p_ in
		!*) want_=0; p_=${p_#!} ;;
		esac
		test_prereq_known_ "$p_"
		case $test_prereqs_ in
		*" $p_ "*) have_=1 ;;
		*) have_=0 ;;
		esac
		if [ $have_ -ne $want_ ]; then
			[ $want_ -eq 1 ] || p_="!$p_"
			test_missing_="${test_missing_:+$test_missing_,}$p_"
		fi
	done
	[ -z "$test_missing_" ]
}

# Evaluate lazy prerequisite NAME if it has not been yet.
test_prereq_known_() {
	case $test_prereqs_$test_missing_prereqs_ in
	*" $1 "*) return 0 ;;
	esac
	case $test_lazy_prereqs_ in
	*" $1 "*) ;;
	*) return 0 ;;
	esac
	d_=$TRASH_DIRECTORY/.prereq-$1
	mkdir -p "$d_" || exit 1
	eval "script_=\$test_lazy_script_$1"
	if ( cd "$d_" && eval "$script_" ) >/dev/null 2>&1; then
		test_set_prereq "$1"
	else
		test_missing_prereqs_="$test_missing_prereqs_$1 "
	fi
	rm -rf "$d_"
}

test_expect_success() {
	test_count=$((test_count + 1))
	if [ $# -eq 3 ]; then
		if ! test_have_prereq "$1"; then
			echo "ok $test_count # skip $2 (missing $test_missing_)"
			return 0
		fi
		shift
	fi
	if test_run_ "$2"; then
		echo "ok $test_count - $1"
	else
		test_failures=$((test_failures + 1))
		echo "not ok $test_count - $1"
		sed -e 's/^/#   /' "$TRASH_DIRECTORY/.test-output"
		printf '#   in: %s\n' "$TRASH_DIRECTORY"
	fi
}

test_done() {
	test_run_atexit_
	echo "1..$test_count"
	if [ "$test_failures" -eq 0 ]; then
		cd / && rm -rf "$TRASH_DIRECTORY"
		exit 0
	fi
	echo "# $test_failures of $test_count failed; trash kept in $TRASH_DIRECTORY"
	exit 1
}

# Show the difference between two files and fail if they differ.
test_cmp() {
	diff -u "$1" "$2"
}

# Fail unless CMD fails in an orderly way: a non-zero exit that is not a
# crash (signal) and not a missing command.
test_must_fail() {
	"$@"
	test_exit_=$?
	if [ $test_exit_ -eq 0 ]; then
		echo "test_must_fail: '$*' succeeded" >&2
		return 1
	elif [ $test_exit_ -gt 128 ] && [ $test_exit_ -le 192 ]; then
		echo "test_must_fail: '$*' died of signal $((test_exit_ - 128))" >&2
		return 1
	elif [ $test_exit_ -eq 127 ]; then
		echo "test_must_fail: command not found: '$1'" >&2
		return 1
	fi
	return 0
}

# Fail unless CMD exits with exactly STATUS.
test_expect_code() {
	want_=$1
	shift
	"$@"
	got_=$?
	if [ "$got_" -ne "$want_" ]; then
		echo "test_expect_code: '$*' exited $got_, not $want_" >&2
		return 1
	fi
	return 0
}

# Fail unless FILE is empty.
test_must_be_empty() {
	if [ -s "$1" ]; then
		echo "'$1' is not empty:" >&2
		cat "$1" >&2
		return 1
	fi
}

# Fail unless FILE has exactly N lines.
test_line_count() {
	n_=$(wc -l <"$2")
	if [ "$n_" -ne "$1" ]; then
		echo "'$2' has $n_ lines, not $1" >&2
		return 1
	fi
}

# A file of SIZE bytes from a fixed seed: the same bytes on every run.
test_seeded_file() {
	head -c "$2" </dev/zero | openssl enc -aes-128-ctr -nosalt \
		-K 000102030405060708090a0b0c0d0e0f -iv "$(printf '%032x' "$3")" >"$1"
}
