#!/bin/sh
test_description='objects reach the disk before their names, and the names before a put or fetch returns'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

# LeakSanitizer cannot run under ptrace.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
export ASAN_OPTIONS

test_lazy_prereq STRACE 'strace -o /dev/null true'

# trace FILE CMD...: the flushes and links of CMD, without pids.
trace() {
	out=$1 && shift &&
	strace -f -y -e trace=fsync,fdatasync,syncfs,link,linkat,renameat2 -o "$out.raw" "$@" &&
	sed -e "s/^[0-9]* *//" -e "/^+++ /d" -e "s/ *= 0$//" \
	    -e "s|$PWD/||g" -e "s/([0-9]*</(</" \
	    -e "s/tmp_\([a-z]*\)_[^>\"]*/tmp_\1_X/g" "$out.raw" >"$out"
}

# expect_one SILO KIND ID: the calls for one new object ID in SILO, its
# temporary file named tmp_KIND_...: flushed, linked, then its directories.
expect_one() {
	d=$(echo $3 | cut -c1-2) && rest=$(echo $3 | cut -c3-) &&
	cat >expect <<-EOT
	fsync(<$1/objects/tmp_$2_X>)
	link("$1/objects/tmp_$2_X", "$1/objects/$d/$rest.gz")
	fsync(<$1/objects/$d>)
	fsync(<$1/objects>)
	EOT
}

test_expect_success STRACE 'a put of one object: fsync of the file, then the link, then its directories' '
	silo init s &&
	echo one >f &&
	id=$(silo put --silo s f) &&
	rm -rf s && silo init s &&
	trace actual silo put --silo s f &&
	expect_one s obj $id &&
	test_cmp expect actual
'

test_expect_success STRACE 'a put of many objects: one syncfs before the links, one after' '
	for i in $(seq 1 17); do echo $i >g$i || return 1; done &&
	trace actual silo put --silo s g* >/dev/null &&
	sed -n "1p;\$p" actual >ends &&
	printf "syncfs(<s/objects>)\nsyncfs(<s/objects>)\n" >expect &&
	test_cmp expect ends &&
	test $(grep -c "^link(" actual) -eq 17 &&
	test $(wc -l <actual) -eq 19
'

test_expect_success STRACE 'a put of what is there already flushes nothing' '
	trace actual silo put --silo s f >/dev/null &&
	test_must_be_empty actual
'

start_httpd && test_set_prereq HTTPD || test_missing_prereq HTTPD "nginx does not start"

test_expect_success STRACE,HTTPD 'a fetch of one object: fsync of the download, then the link, then its directories' '
	silo init "$HTTPD_ROOT/deps.silo" &&
	id=$(silo put --silo "$HTTPD_ROOT/deps.silo" f) &&
	silo init local &&
	trace actual silo fetch --silo local --from "$HTTPD_URL/deps.silo" $id &&
	expect_one local fetch $id &&
	test_cmp expect actual &&
	silo cat --silo local $id >out && test_cmp f out
'

test_done
