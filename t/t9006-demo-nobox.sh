#!/bin/sh
test_description='make demo where no box can be made: silo and medo run, then it says what knot lacks and what to do'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

# A user who may not write /wedge (as_user, lib-knot.sh), on a machine
# that refuses user namespaces: there bwrap says what the stand-in below
# says (a chroot; a container started without them).  The demo runs from
# a copy of its script, on a small tree of its own.

test_expect_success WEDGE_UNWRITABLE 'no box and no right to write /wedge: what is missing, what to do, exit 1' '
	mkdir -m 777 u && mkdir -p u/src/tools u/src/lib u/bin &&
	cp "$TEST_DIRECTORY/../tools/demo.sh" u/src/tools/ &&
	echo "a header" >u/src/lib/strbuf.h && echo "int x;" >u/src/lib/x.c &&
	cat >u/bin/bwrap <<-\EOF &&
	#!/bin/sh
	echo "bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces." >&2
	exit 1
	EOF
	chmod -R a+rX u && chmod 755 u/bin/bwrap &&
	test_expect_code 1 as_user env HOME="$TRASH_DIRECTORY/u" TMPDIR="$TRASH_DIRECTORY/u" \
		sh -c '"'"'PATH=$1:$PATH exec sh "$2"'"'"' sh "$TRASH_DIRECTORY/u/bin" u/src/tools/demo.sh >out 2>err &&
	grep "^silo verify: every object matches its id\$" out &&
	d=/wedge/oils-for-unix.org/pkg && while ! test -e $d; do d=$(dirname $d); done &&
	cat >expect <<-EOF &&
	demo: knot cannot build dash here: bubblewrap cannot make a box here (bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces.): this machine refuses user namespaces, as a chroot does, or a container started without them;
	demo: and without a box, dash (an absolute wedge) is built under /wedge/oils-for-unix.org/pkg, but '"'"'$d'"'"' is not writable by $(as_user id -un).
	demo: run '"'"'sudo make demo'"'"', or run it where user namespaces are allowed (not in a chroot; a container must allow them).
	demo: silo and medo need neither: the first half above ran.
	EOF
	test_cmp expect err &&
	{ ls u | grep "^silo-demo\\." || :; } >left &&
	test_must_be_empty left
'

test_done
