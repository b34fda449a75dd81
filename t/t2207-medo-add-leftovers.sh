#!/bin/sh
test_description='limits checked before anything is stored; killed writers leave nothing git would commit'
. "$(dirname "$0")/test-lib.sh"

# LeakSanitizer cannot run under ptrace: builds with SANITIZE=1 run the
# commands strace holds without it.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
export ASAN_OPTIONS

test_lazy_prereq STRACE_INJECT '
	strace -o /dev/null -e trace=getpid -e inject=getpid:error=EINTR:signal=URG true
'

# make_tar NAME PYTHON: NAME.tar with the entries PYTHON adds through add().
make_tar() {
	python3 -c "
import io, sys, tarfile
t = tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT)
def add(name, data=b'x\n'):
    i = tarfile.TarInfo(name)
    i.size = len(data)
    t.addfile(i, io.BytesIO(data))
exec(sys.argv[2])
t.close()
" "$1.tar" "$2"
}

test_expect_success 'setup' '
	silo init deps.silo &&
	mkdir -p deps/x.medo dest-parent &&
	echo "{ \"silos\": [\"../../deps.silo\"] }" >deps/x.medo/SILO.json &&
	make_tar deep "add(\"d/\" * 5000 + \"f\")" &&
	make_tar longname "add(\"ok/\" + \"n\" * 300)"
'

test_expect_success 'an archive 5000 levels deep is refused by add, nothing stored' '
	test_must_fail medo add deep.tar deps/x.medo/deep.treeptr 2>err &&
	grep "^medo: error: cannot add .deep\.tar. as a tree .*: refusing entry .\.\.\..*d/f. of archive .deep\.tar.: nested deeper than 4096 levels" err &&
	! test -e deps/x.medo/deep.treeptr &&
	silo ls --silo deps.silo >out && test_must_be_empty out
'

test_expect_success 'a name longer than 255 bytes is refused by add, nothing stored' '
	test_must_fail medo add longname.tar deps/x.medo/longname.treeptr 2>err &&
	grep "of archive .longname\.tar.: a name in its path is longer than 255 bytes" err &&
	silo ls --silo deps.silo >out && test_must_be_empty out
'

test_expect_success 'expand of a deep archive is refused before writing, no staging left' '
	id=$(silo put --silo deps.silo deep.tar) &&
	size=$(stat -c %s deep.tar) &&
	printf "{\n  \"kind\": \"archive\",\n  \"object\": \"%s\",\n  \"object-format\": \"sha1\",\n  \"size\": %s,\n  \"tree\": \"4b825dc642cb6eb9a060e54bf8d69288fbee4904\",\n  \"treeptr\": 1\n}\n" $id $size >deps/x.medo/deep.treeptr &&
	test_must_fail medo expand deps/x.medo/deep.treeptr dest-parent/deep 2>err &&
	grep "nested deeper than 4096 levels" err &&
	ls -A dest-parent >left && test_must_be_empty left
'

test_expect_success STRACE_INJECT 'a killed medo add leaves a hidden temporary treeptr; the next add removes it' '
	mkdir -p src && echo one >src/a &&
	rm -f trace &&
	# Killed at the rename that would put the treeptr in place: strace
	# skips the call and sends SIGKILL.
	test_expect_code 137 strace -f -o trace -e trace=rename \
		-e inject=rename:error=EINTR:signal=KILL:when=1 \
		medo add src deps/x.medo/src.treeptr 2>/dev/null &&
	grep "rename(\"deps/x\.medo/\.src\.treeptr\.[^\"]*\", \"deps/x\.medo/src\.treeptr\") = ?\$" trace &&
	grep "+++ killed by SIGKILL +++" trace &&
	ls -A deps/x.medo | grep "^\.src\.treeptr\.......$" >leftover &&
	test_line_count 1 leftover &&
	medo add src deps/x.medo/src.treeptr &&
	{ ls -A deps/x.medo | grep "^\.src\.treeptr\." >leftover2 || :; } &&
	test_must_be_empty leftover2 &&
	test -f deps/x.medo/src.treeptr
'

test_expect_success 'a temporary treeptr a running writer holds is kept' '
	echo busy >deps/x.medo/.src.treeptr.Ab12Cd &&
	echo two >src/b &&
	flock deps/x.medo/.src.treeptr.Ab12Cd -c "medo add --force src deps/x.medo/src.treeptr" &&
	grep "$(medo tree-id src)" deps/x.medo/src.treeptr &&
	test -f deps/x.medo/.src.treeptr.Ab12Cd &&
	echo three >src/c &&
	medo add --force src deps/x.medo/src.treeptr &&
	! test -e deps/x.medo/.src.treeptr.Ab12Cd
'

test_done
