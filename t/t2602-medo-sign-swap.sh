#!/bin/sh
test_description='a treeptr replaced after its signature was checked is refused'
. "$(dirname "$0")/test-lib.sh"

# LeakSanitizer cannot run under ptrace: builds with SANITIZE=1 run the
# commands strace holds without it.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
export ASAN_OPTIONS

# medo expand --require-signature and medo verify --signed-by check every
# signature first, then read each treeptr to use it.  strace stops the
# command (SIGSTOP) once it has opened the treeptr the first time, the
# test puts another treeptr in its place and lets it go (SIGCONT): what
# is used must be what was checked.
test_lazy_prereq STRACE_INJECT '
	strace -o /dev/null -e trace=getpid -e inject=getpid:signal=URG true
'
test_lazy_prereq KEYGEN 'command -v ssh-keygen'

test_expect_success KEYGEN 'setup: a signed treeptr, an unsigned one' '
	ssh-keygen -q -t ed25519 -N "" -C ed -f ed &&
	echo "ed@example.org $(cat ed.pub)" >allowed &&
	silo init deps.silo &&
	mkdir -p deps.medo src/a src/b &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >deps.medo/SILO.json &&
	echo signed >src/a/f && echo evil >src/b/f &&
	medo add src/a deps.medo/a.treeptr &&
	medo add src/b deps.medo/b.treeptr &&
	medo sign -k ed deps.medo/a.treeptr &&
	cp deps.medo/a.treeptr a.orig
'

# swap_during CMD...: run CMD under strace, and once it has opened
# a.treeptr, replace that with b.treeptr; CMD opens it again afterwards.
swap_during() {
	tp=$PWD/deps.medo/a.treeptr
	rm -f trace
	{ strace -o trace -P "$tp" -e trace=openat \
		-e inject=openat:signal=STOP:when=1 "$@" >out 2>err & } &&
	strace_pid=$! &&
	test_wait_for "grep -q \"stopped by SIGSTOP\" trace 2>/dev/null" 30 &&
	cp deps.medo/b.treeptr swap.tmp && mv swap.tmp "$tp" &&
	kill -CONT $(pgrep -P $strace_pid) &&
	{ wait $strace_pid; echo $? >rc; } &&
	test "$(grep -c "a\.treeptr\"" trace)" -ge 2 &&
	cp a.orig "$tp"
}

test_expect_success STRACE_INJECT,KEYGEN 'expand --require-signature: swapped treeptr, nothing expanded' '
	swap_during medo expand --require-signature allowed "$PWD/deps.medo/a.treeptr" dest &&
	test "$(cat rc)" != 0 &&
	grep "signature" err &&
	! test -e dest
'

test_expect_success STRACE_INJECT,KEYGEN 'verify --signed-by: swapped treeptr is refused' '
	swap_during medo verify --signed-by allowed "$PWD/deps.medo/a.treeptr" src/b &&
	test "$(cat rc)" != 0 &&
	grep "signature" err
'

test_done
