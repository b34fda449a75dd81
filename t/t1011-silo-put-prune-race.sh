#!/bin/sh
test_description='silo put and medo add of an object a racing prune removes'
. "$(dirname "$0")/test-lib.sh"

# LeakSanitizer cannot run under ptrace: builds with SANITIZE=1 run the
# commands strace holds without it.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
export ASAN_OPTIONS

# put finds the object, then makes it young again so that prune spares
# it.  strace stops the writer (SIGSTOP) right after it has looked at the
# object's file and before that utimensat(); a prune then removes the old
# object, and the writer is let go (SIGCONT): put must then write it
# again, not report an object that is gone.
test_lazy_prereq STRACE_INJECT '
	strace -o /dev/null -e trace=getpid -e inject=getpid:signal=URG true
'

objpath() {
	echo "objects/$(echo $1 | cut -c1-2)/$(echo $1 | cut -c3-).gz"
}

# held LOG PATH CMD...: run CMD in the background under strace, which
# stops it at its first look at PATH (as CMD names it); held_pid is
# strace's.
held() {
	log_=$1 path_=$2
	shift 2
	{ strace -o "$log_" -P "$path_" -e trace=newfstatat,utimensat \
		-e inject=newfstatat:signal=STOP:when=1 "$@" & }
	held_pid=$!
}

# race_prune SILO LOG PID: once the writer under strace PID is stopped
# (LOG says so), prune every old object of SILO, then let the writer go.
race_prune() {
	test_wait_for "grep -q \"stopped by SIGSTOP\" \"$2\" 2>/dev/null" 30 &&
	! grep -q "^utimensat(" "$2" &&
	: >empty-keep &&
	silo prune --silo "$1" --keep empty-keep --allow-empty --expire 1.day -v >prune-out &&
	grep "^removed objects/" prune-out &&
	kill -CONT $(pgrep -P $3)
}

test_expect_success STRACE_INJECT 'silo put of a stored object that prune removes meanwhile' '
	silo init s &&
	echo race >f &&
	id=$(silo put --silo s f) &&
	touch -d "1 month ago" s/$(objpath $id) &&
	held trace1 s/$(objpath $id) silo put --silo s f >out 2>err &&
	race_prune s trace1 $held_pid &&
	wait $held_pid &&
	grep "^utimensat(.*= -1 ENOENT" trace1 &&
	echo $id >expect && test_cmp expect out &&
	test -f s/$(objpath $id) &&
	silo cat --silo s $id >actual && test_cmp f actual
'

test_expect_success STRACE_INJECT 'medo add of a stored tree that prune removes meanwhile' '
	silo init m.silo &&
	mkdir -p deps/x.medo src && echo one >src/a &&
	echo "{ \"silos\": [\"../../m.silo\"] }" >deps/x.medo/SILO.json &&
	medo add src deps/x.medo/src.treeptr &&
	obj=$(sed -n "s/^  \"object\": \"\(.*\)\",$/\1/p" deps/x.medo/src.treeptr) &&
	touch -d "1 month ago" m.silo/$(objpath $obj) &&
	held trace2 m.silo/$(objpath $obj) medo add --force src deps/x.medo/src.treeptr 2>err &&
	race_prune m.silo trace2 $held_pid &&
	wait $held_pid &&
	grep "^utimensat(.*= -1 ENOENT" trace2 &&
	test -f m.silo/$(objpath $obj) &&
	medo expand deps/x.medo/src.treeptr dest &&
	test_cmp src/a dest/a
'

test_done
