#!/bin/sh
test_description='silo put and medo add of an object a racing prune removes'
. "$(dirname "$0")/test-lib.sh"

# LeakSanitizer cannot run under ptrace: builds with SANITIZE=1 run the
# commands strace holds without it.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
export ASAN_OPTIONS

# put finds the object, then makes it young again so that prune spares
# it.  strace holds that utimensat() for two seconds while a prune
# removes the old object: put must then write it again, not report an
# object that is gone.  The log shows when put has reached the call.
test_lazy_prereq STRACE_INJECT '
	strace -o /dev/null -e trace=utimensat -e inject=utimensat:delay_enter=1 true
'

objpath() {
	echo "objects/$(echo $1 | cut -c1-2)/$(echo $1 | cut -c3-).gz"
}

# race_prune SILO LOG: wait until LOG shows utimensat entered, then
# prune every old object of SILO.
race_prune() {
	for i in $(seq 1 300); do
		grep -q "^utimensat(" "$2" 2>/dev/null && break
		sleep 0.1
	done &&
	grep -q "^utimensat(" "$2" &&
	: >empty-keep &&
	silo prune --silo "$1" --keep empty-keep --allow-empty --expire 1.day -v >prune-out &&
	grep "^removed objects/" prune-out
}


test_expect_success STRACE_INJECT 'silo put of a stored object that prune removes meanwhile' '
	silo init s &&
	echo race >f &&
	id=$(silo put --silo s f) &&
	touch -d "1 month ago" s/$(objpath $id) &&
	{ strace -o trace1 -e trace=utimensat -e inject=utimensat:delay_enter=2000000 \
		silo put --silo s f >out 2>err & } &&
	pid=$! &&
	race_prune s trace1 &&
	wait $pid &&
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
	{ strace -o trace2 -e trace=utimensat -e inject=utimensat:delay_enter=2000000 \
		medo add --force src deps/x.medo/src.treeptr 2>err & } &&
	pid=$! &&
	race_prune m.silo trace2 &&
	wait $pid &&
	test -f m.silo/$(objpath $obj) &&
	medo expand deps/x.medo/src.treeptr dest &&
	test_cmp src/a dest/a
'

test_done
