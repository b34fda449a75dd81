#!/bin/sh
test_description='the box is real: no network, no home, no repository, no writes outside; all allowed unboxed'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

# probe NAME SHELL-CODE: a recipe whose wedge-make runs SHELL-CODE.
probe() {
	knot_recipe "$1" 1.0 "wedge-make() {
  cp \"\$1/data.txt\" .
  $2
}"
}

test_expect_success 'setup: a server on 127.0.0.1, a home, files of the repository' '
	knot_setup &&
	{ python3 -c "
import http.server, socketserver, sys
s = socketserver.TCPServer((\"127.0.0.1\", 0), http.server.SimpleHTTPRequestHandler)
open(\"port\", \"w\").write(str(s.server_address[1]))
s.serve_forever()
" >/dev/null 2>&1 & } &&
	echo $! >server.pid &&
	test_wait_for "test -s port" 10 &&
	mkdir -p home && echo secret >home/.secret &&
	echo "repository file" >deps/NOTES
'
test_atexit 'kill $(cat "$TRASH_DIRECTORY/server.pid")'

PORT=$(cat port 2>/dev/null)
T=$TRASH_DIRECTORY
# A directory at the root that is this script's alone.
ROOTDIR=/$(basename "$T")

test_expect_success 'setup: the probes' '
	probe net "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf \"GET /port HTTP/1.0\\r\\n\\r\\n\" >&3; grep -q \"^$PORT\\\$\" <&3" &&
	probe home "cat $T/home/.secret" &&
	probe repo "cat $T/deps/NOTES" &&
	probe write "echo x >$T/written-by-recipe" &&
	probe writeroot "mkdir -p $ROOTDIR/new-dir" &&
	probe tmp "test -e $T/port && test -n \"\$(ls -A /tmp)\"" &&
	probe sentinel "ls -d $T >/dev/null" &&
	probe caps "grep -q \"^CapEff:.*[1-9a-f]\" /proc/self/status"
'

# caps: unboxed as root, the process has capabilities; boxed, none.
# Without root there are none to drop, and nothing to write at /.
for p in net home repo write writeroot tmp sentinel caps; do
	case $p in
	caps) boxed=BOX,ROOT unboxed=ROOT ;;
	writeroot) boxed=BOX unboxed=ROOT ;;
	*) boxed=BOX unboxed= ;;
	esac
	test_expect_success $boxed "boxed, the $p probe fails" "
		HOME=$T/home test_expect_code 9 knot build deps/source.medo/$p 2>err &&
		grep -q 'wedge-make failed' err &&
		{ test $p != write || test ! -e $T/written-by-recipe; } &&
		{ test $p != writeroot || test ! -e $ROOTDIR; }
	"
	test_expect_success $unboxed "unboxed, the $p probe succeeds" "
		{ test $p != writeroot || test_when_finished 'rm -rf $ROOTDIR'; } &&
		HOME=$T/home knot build --unboxed deps/source.medo/$p &&
		{ test $p != writeroot || test -d $ROOTDIR/new-dir; }
	"
done

test_expect_success 'unboxed, the write landed; the boxed one never did' '
	test "$(cat written-by-recipe)" = x
'

test_expect_success BOX 'a leaky recipe gets the network in the box' '
	probe leaky "WEDGE_LEAKY_BUILD=1
exec 3<>/dev/tcp/127.0.0.1/$PORT" &&
	sed -i "s/^WEDGE_VERSION=1.0/WEDGE_VERSION=1.0\nWEDGE_LEAKY_BUILD=1/" deps/source.medo/leaky/WEDGE &&
	knot key --explain deps/source.medo/leaky | grep -q "^box bwrap 3 net=host" &&
	knot build deps/source.medo/leaky
'

test_expect_success BOX 'the environment is clean and declared' '
	probe env "test -z \"\${SILO_BUILD_DIR:-}\" && test \"\$HOME\" = /tmp && test \"\$LC_ALL\" = C.UTF-8 &&
  test \"\$PATH\" = /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin && test \"\$PASSED\" = yes" &&
	echo "WEDGE_ENV=PASSED" >>deps/source.medo/env/WEDGE &&
	PASSED=yes KNOT_PASS_ENV=PASSED knot build deps/source.medo/env &&
	knot_prov env $(knot_derived env 1.0) | grep -q " PASSED=yes\$"
'

test_done
