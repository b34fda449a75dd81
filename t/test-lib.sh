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
#
# A prerequisite is a name in capitals declared by test_set_prereq,
# test_lazy_prereq or test_missing_prereq (with the reason it is missing);
# any other name is a bug in the script, which then fails.  Each skip is
# also appended to $SILO_TEST_SKIPS when set, for the summary at the end
# of 'make test' (tools/test-skips.sh).
#
# Each body is first run once with a failing first link, "(exit 117) &&
# BODY": if that does not exit 117, a command of the body runs whatever
# the commands before it did (a missing &&, a ';', a '|| :'), and the
# script fails as a bug.  SILO_TEST_CHAIN_LINT=0 turns this off.

TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd)
TEST_NAME=$(basename "$0" .sh)
: "${SILO_BUILD_DIR:=$TEST_DIRECTORY/../build}"
PATH="$SILO_BUILD_DIR/bin:$PATH"
export PATH SILO_BUILD_DIR
# What is slow to make and the same on every run (the Debian bases of
# t/lib-base.sh) is kept between runs in SILO_TEST_CACHE, below the
# caller's cache directory, keyed by its inputs.
: "${SILO_TEST_CACHE:=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/silo-test}"
export SILO_TEST_CACHE
# Nothing else from the caller's environment steers the tools, and other
# caches go under the trash directory (HOME below), removed with it.
unset SILO_DIR SILO_CACHE_DIR SILO_SOURCES_DIR SILO_HTTP_RETRIES SILO_HTTP_TIMEOUT \
	AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE \
	AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE AWS_REGION AWS_DEFAULT_REGION \
	AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 \
	XDG_CACHE_HOME KNOT_DOMAIN KNOT_LAYOUT KNOT_LIMITS
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

# A mistake in the test script itself (not in what it tests): say so and
# fail the script at once.
BUG() {
	echo "$TEST_NAME: BUG in the test script: $*" >&2
	echo "# BUG in the test script: $*"
	test_run_atexit_
	exit 1
}

# Record a skip in $SILO_TEST_SKIPS (PREREQ, reason, script, title; one
# line, tab-separated), for the summary of 'make test'.
test_record_skip_() {
	[ -n "${SILO_TEST_SKIPS:-}" ] || return 0
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$TEST_NAME" "$3" >>"$SILO_TEST_SKIPS"
}

# Skip the whole script where PREREQ is missing, saying why.
test_skip_all() {
	test_record_skip_ "$1" "$2" "(all)"
	echo "1..0 # SKIP $2 (missing $1)"
	test_run_atexit_
	cd / && rm -rf "$TRASH_DIRECTORY"
	exit 0
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
# an empty directory of its own; the last line it prints is the reason
# when it fails), or declared missing with test_missing_prereq NAME
# REASON.  Using any other name is a bug.
test_prereqs_=" "
test_missing_prereqs_=" "
test_lazy_prereqs_=" "

test_prereq_name_() {
	case $1 in
	'' | *[!A-Z0-9_]*) BUG "'$1' is not a prerequisite name (capitals, digits, _)" ;;
	esac
}

test_set_prereq() {
	test_prereq_name_ "$1"
	test_prereqs_="$test_prereqs_$1 "
}

test_missing_prereq() {
	test_prereq_name_ "$1"
	[ -n "${2:-}" ] || BUG "test_missing_prereq $1: give the reason it is missing"
	test_missing_prereqs_="$test_missing_prereqs_$1 "
	eval "test_missing_reason_$1=\$2"
}

test_lazy_prereq() {
	test_prereq_name_ "$1"
	test_lazy_prereqs_="$test_lazy_prereqs_$1 "
	eval "test_lazy_script_$1=\$2"
}

# Why prerequisite NAME ("!NAME": why not) does not hold.
test_prereq_reason_() {
	case $1 in
	!*) echo "${1#!} is present here" ;;
	*) eval "printf '%s\n' \"\${test_missing_reason_$1:-$1 is missing}\"" ;;
	esac
}

# True if every prerequisite in LIST (comma-separated, "!NAME" for "NAME is
# missing") holds; the missing ones are left in $test_missing_.  A name
# is capitals, digits and '_': anything else (a command, a title given
# where a prerequisite goes) stops the script with a BUG, instead of
# skipping every test that names it.
test_have_prereq() {
	case $1 in
	'' | *[!A-Z0-9_,!]* | *, | ,* | *,,*)
		BUG "'$1' is not a list of prerequisite names (NAME,!NAME...)" ;;
	esac
	test_missing_=
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

# Evaluate lazy prerequisite NAME if it has not been yet; a name never
# declared is a bug.
test_prereq_known_() {
	test_prereq_name_ "$1"
	case $test_prereqs_$test_missing_prereqs_ in
	*" $1 "*) return 0 ;;
	esac
	case $test_lazy_prereqs_ in
	*" $1 "*) ;;
	*) BUG "unknown prerequisite $1 (declare it with test_set_prereq, test_lazy_prereq or test_missing_prereq)" ;;
	esac
	d_=$TRASH_DIRECTORY/.prereq-$1
	mkdir -p "$d_" || exit 1
	eval "script_=\$test_lazy_script_$1"
	if ( cd "$d_" && eval "$script_" ) >"$d_.out" 2>&1; then
		test_set_prereq "$1"
	else
		r_=$(sed -e '/^[[:space:]]*$/d' "$d_.out" | tail -n 1)
		[ -n "$r_" ] || r_="'$(printf '%s' "$script_" | tr -s '\n\t' '  ' | cut -c 1-60)' failed"
		test_missing_prereq "$1" "$r_"
	fi
	rm -rf "$d_" "$d_.out"
}

test_skipped_=0

test_expect_success() {
	test_count=$((test_count + 1))
	case $# in
	2) ;;
	3)
		if ! test_have_prereq "$1"; then
			echo "ok $test_count # skip $2 (missing $test_missing_)"
			test_skipped_=$((test_skipped_ + 1))
			for p_ in $(printf '%s' "$test_missing_" | tr ',' ' '); do
				test_record_skip_ "$p_" "$(test_prereq_reason_ "$p_")" "$test_count $2"
			done
			return 0
		fi
		shift
		;;
	*) BUG "test_expect_success takes [PREREQ] TITLE BODY, not $# arguments" ;;
	esac
	test_chain_lint_ "$1" "$2"
	if test_run_ "$2"; then
		echo "ok $test_count - $1"
	else
		test_failures=$((test_failures + 1))
		echo "not ok $test_count - $1"
		# On stderr too, which prove shows; stdout it keeps to itself.
		{
			sed -e 's/^/#   /' "$TRASH_DIRECTORY/.test-output"
			printf '#   in: %s\n' "$TRASH_DIRECTORY"
		} >"$TRASH_DIRECTORY/.test-report"
		cat "$TRASH_DIRECTORY/.test-report"
		if ! [ -t 1 ]; then
			echo "# $TEST_NAME: not ok $test_count - $1" >&2
			cat "$TRASH_DIRECTORY/.test-report" >&2
		fi
	fi
}

# The body once with a failing first link: every command of an unbroken
# &&-chain is skipped and the body exits 117.  Commands after a broken
# link may run; they do, in the trash directory, with their output
# discarded and their test_when_finished commands dropped.  Then, for
# the chains that run never reaches (in a loop, a { } group or a
# subshell), the text: outside here-documents and comments, no line may
# end with ';' or '|| :' ('|| true', '|| exit 0') unless the next one
# closes a block.
test_chain_lint_() {
	[ "${SILO_TEST_CHAIN_LINT:-1}" != 0 ] || return 0
	test_cleanup_file_=$TRASH_DIRECTORY/.test-lint-cleanup
	: >"$test_cleanup_file_"
	( eval "(exit 117) && $2" ) >/dev/null 2>&1 </dev/null
	lint_=$?
	rm -f "$test_cleanup_file_"
	test_cleanup_file_=
	cd "$TRASH_DIRECTORY" || exit 1
	[ $lint_ -eq 117 ] ||
		BUG "test $test_count ($1): a broken &&-chain: the body goes on after a failed command (exit $lint_, not 117)"
	lint_=$(printf '%s\n' "$2" | awk '
	function closes(l) { return l ~ /^[[:space:]]*(\}|\)|done|fi|esac|else|elif|then|;;)/ }
	{
		l = $0
		if (doc != "") { t = l; sub(/^\t*/, "", t); if (t == doc) doc = ""; next }
		if (match(l, /<<-?[[:space:]]*\\?["\047]?[A-Za-z_][A-Za-z_0-9]*/)) {
			doc = substr(l, RSTART, RLENGTH); sub(/^<<-?[[:space:]]*\\?["\047]?/, "", doc)
		}
		sub(/[[:space:]]+$/, "", l)
		if (l ~ /^[[:space:]]*#/) next
		if (open != "" && l != "") {
			if (!closes(l)) { print open; exit }
			open = ""
		}
		if (l ~ /[^;];$/ || l ~ /\|\|[[:space:]]*(:|true|exit 0)$/) { open = l; sub(/^[[:space:]]*/, "", open) }
	}')
	[ -z "$lint_" ] ||
		BUG "test $test_count ($1): a broken &&-chain: nothing fails after '$lint_'"
}

test_done() {
	test_run_atexit_
	echo "1..$test_count"
	[ "$test_skipped_" -eq 0 ] || echo "# $test_skipped_ of $test_count skipped"
	if [ "$test_failures" -eq 0 ]; then
		cd / && rm -rf "$TRASH_DIRECTORY"
		exit 0
	fi
	echo "# $test_failures of $test_count failed; trash kept in $TRASH_DIRECTORY"
	exit 1
}

# Wait until CONDITION (a shell command) holds, trying every 0.1 s for at
# most SECONDS (default 30); fail, saying so, if it never does.  For
# events a test cannot block on directly (a file appearing, a process
# ending, a server answering).
test_wait_for() {
	wait_tries_=$(( ${2:-30} * 10 ))
	while ! eval "$1"; do
		wait_tries_=$((wait_tries_ - 1))
		if [ $wait_tries_ -le 0 ]; then
			echo "test_wait_for: still not true after ${2:-30} s: $1" >&2
			return 1
		fi
		sleep 0.1
	done
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
# test_line_count [OP] N FILE: FILE has N lines (OP, as test(1) takes
# it: = != -lt -le -gt -ge; = when left out).  A missing FILE or an N
# that is no number is a BUG, never a pass.
test_line_count() {
	if [ $# = 3 ]; then op_=$1; shift; else op_='=' ; fi
	[ $# = 2 ] || BUG "test_line_count [OP] N FILE, not: $*"
	case $1 in ''|*[!0-9]*) BUG "test_line_count: '$1' is no number" ;; esac
	case $op_ in
	=) op_=-eq ;; '!=') op_=-ne ;;
	-eq|-ne|-lt|-le|-gt|-ge) ;;
	*) BUG "test_line_count: unknown operator '$op_'" ;;
	esac
	[ -f "$2" ] || { echo "test_line_count: no file '$2'" >&2; return 1; }
	n_=$(wc -l <"$2")
	if ! [ "$n_" "$op_" "$1" ]; then
		echo "'$2' has $n_ lines, not $op_ $1" >&2
		return 1
	fi
}

# A file of SIZE bytes from a fixed seed: the same bytes on every run.
test_seeded_file() {
	head -c "$2" </dev/zero | openssl enc -aes-128-ctr -nosalt \
		-K 000102030405060708090a0b0c0d0e0f -iv "$(printf '%032x' "$3")" >"$1"
}
