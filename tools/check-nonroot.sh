#!/bin/sh
# Run the test suite as an unprivileged user, so that a test that passes
# only as root (writing a read-only file, reading a file of mode 000)
# fails here and not on a user's machine.
#
#	sh tools/check-nonroot.sh BUILD_DIR UNIT_TEST...
#
# As root: copies the tests, documentation, tools and BUILD_DIR's programs
# into a scratch directory owned by uid and gid 65534 ("nobody"), and runs
# $PROVE $PROVE_FLAGS there through setpriv(1) with no supplementary
# groups.  The copy is needed because the checkout may be unreadable to
# that user.  As anyone else it prints why it skips and exits 0: that
# user's 'make check' already runs the suite without privileges.
set -e

NONROOT_UID=${NONROOT_UID:-65534}
NONROOT_GID=${NONROOT_GID:-65534}
: "${PROVE:=prove}"
: "${PROVE_FLAGS:=-j2}"

if [ $# -lt 1 ]; then
	echo "usage: sh tools/check-nonroot.sh BUILD_DIR UNIT_TEST..." >&2
	exit 2
fi
build=$1
shift

if [ "$(id -u)" -ne 0 ]; then
	echo "check-nonroot: skipped: not root, so 'make check' already runs unprivileged" >&2
	exit 0
fi
if ! command -v setpriv >/dev/null 2>&1; then
	echo "check-nonroot: setpriv (util-linux) is missing" >&2
	exit 1
fi

cd "$(dirname "$0")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/silo-nonroot.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

mkdir -p "$work/build/t/unit" "$work/tmp"
cp -R t Documentation tools lib cmd contrib deps README "$work/"
cp -R "$build/bin" "$work/build/"
# What the build made from the pages: t9001 compares it with the pages,
# t9002 completes with it.
cp -R "$build/gen" "$work/build/"
# t0006 reads the objects, the shared library and the Makefile's VERSION.
cp Makefile "$work/"
cp -R "$build/lib" "$build/cmd" "$work/build/"
cp -P "$build"/libsilo.so* "$work/build/"
# The fuzz harnesses built with their plain driver, for t0005.
if [ -d "$build/t/fuzz" ]; then
	cp -R "$build/t/fuzz" "$work/build/t/"
fi
units=
for u in "$@"; do
	cp "$u" "$work/build/t/unit/"
	units="$units build/t/unit/${u##*/}"
done
chown -R "$NONROOT_UID:$NONROOT_GID" "$work"

cd "$work"
# shellcheck disable=SC2086 # word splitting of the flags and lists is wanted
status=0
setpriv --reuid="$NONROOT_UID" --regid="$NONROOT_GID" --clear-groups \
	env HOME="$work/tmp" TMPDIR="$work/tmp" SILO_BUILD_DIR="$work/build" \
	SILO_TEST_SKIPS="$work/tmp/test-skips" \
	$PROVE $PROVE_FLAGS t/t[0-9][0-9][0-9][0-9]-*.sh $units || status=$?
sh tools/test-skips.sh "$work/tmp/test-skips"
if [ $status -ne 0 ]; then
	trap - EXIT
	echo "check-nonroot: failed as uid $NONROOT_UID; trash directories kept in $work/tmp" >&2
fi
exit $status
