#!/bin/sh
test_description='libsilo.so exports exactly the API: what lib/silo/*.h marks SILO_EXTERN'
. "$(dirname "$0")/test-lib.sh"

# The headers of lib/silo/ are the API (Documentation/technical/api.md).
# The library is compiled with -fvisibility=hidden, so a function is
# exported only when its declaration there starts with SILO_EXTERN.
SRC=$TEST_DIRECTORY/..
SO=$SILO_BUILD_DIR/libsilo.so.$(sed -n 's/^VERSION = //p' "$SRC/Makefile")

test_lazy_prereq NM 'command -v nm'
test_lazy_prereq READELF 'command -v readelf'

# The global symbols files define, without version suffixes; the options
# are nm's (-D for the dynamic table of a shared library).
defined() {
	nm -g --defined-only "$@" | awk 'NF == 3 && $2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u
}

test_expect_success 'setup: the API as the headers declare it' '
	test -f "$SO" &&
	sed -n "s/^SILO_EXTERN [^(]*[ *]\(silo_[a-z0-9_]*\)(.*/\1/p" \
		"$SRC"/lib/silo/*.h | sort >api &&
	test $(wc -l <api) -gt 200
'

test_expect_success 'every function a public header declares is marked SILO_EXTERN' '
	{ grep -hE "^[a-z][^(]*[ *]silo_[a-z0-9_]*\(" "$SRC"/lib/silo/*.h >unmarked ||
	  test $? = 1; } &&
	{ grep -v "^typedef" unmarked >out || test $? = 1; } &&
	test_must_be_empty out
'

test_expect_success NM 'libsilo.so exports exactly the functions marked SILO_EXTERN' '
	defined -D "$SO" >exported &&
	test_cmp api exported
'

test_expect_success NM 'nothing of libsilo.so without the prefix silo_ is exported' '
	{ grep -v "^silo_" exported >out || test $? = 1; } &&
	test_must_be_empty out
'

test_expect_success NM 'no internal function is named like the API (silo_, not silo__)' '
	defined "$SILO_BUILD_DIR"/lib/*.o | grep "^silo_[^_]" >internal &&
	comm -23 internal api >out &&
	test_must_be_empty out
'

test_expect_success READELF 'libsilo.so has a soname and versioned symbols' '
	readelf -d "$SO" | sed -n "s/.*(SONAME) *Library soname: \[\(.*\)\]/\1/p" >out &&
	echo libsilo.so.0 >expect &&
	test_cmp expect out &&
	nm -D --defined-only "$SO" | awk "\$2 != \"A\" && \$3 !~ /@@SILO_0\$/" >out &&
	test_must_be_empty out
'

test_expect_success NM 'the front ends call nothing of lib/ but the exported API' '
	defined "$SILO_BUILD_DIR"/lib/*.o >lib-defined &&
	nm --undefined-only "$SILO_BUILD_DIR"/cmd/*.o "$SILO_BUILD_DIR"/cmd/*/*.o \
		"$SILO_BUILD_DIR"/gen/fe-cmds.o | awk "NF == 2 { print \$2 }" | sort -u >cmd-uses &&
	comm -12 cmd-uses lib-defined >cmd-lib &&
	comm -23 cmd-lib exported >out &&
	test_must_be_empty out
'

test_done
