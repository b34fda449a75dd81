#!/bin/sh
test_description='lib/ keeps its layers: no file includes a header of a higher layer'
. "$(dirname "$0")/test-lib.sh"

SRC=$TEST_DIRECTORY/..
check_layers() {
	sh "$SRC/tools/check-layers.sh" "$@"
}

test_expect_success 'every file of lib/ is in lib/layers.txt and includes only downwards' '
	check_layers "$SRC/lib" >out &&
	test_must_be_empty out
'

test_expect_success 'the front ends include only public headers of lib/, alloc.h and strvec.h' '
	(cd "$SRC/cmd" && sed -n "s/^#include \"\(.*\)\".*/\1/p" *.[ch] */*.[ch]) |
		sort -u >includes &&
	{ grep -v -e "^silo/[a-z-]*\.h$" -e "^silo\.h$" -e "^alloc\.h$" -e "^strvec\.h$" \
		-e "^fe\(-[a-z]*\)\{0,1\}\.h$" -e "^[a-z]*-cmd\.h$" -e "^[a-z]*/[a-z]*-cmd\.h$" includes >other ||
	test $? = 1; } &&
	test_must_be_empty other &&
	grep "^silo/store\.h$" includes
'

# The remote is one kind of object source (lib/source.h): medo asks the
# store (silo_open_location(), silo_prefetch(), ...), never the remote.
test_expect_success 'medo names no call of the remote layer' '
	(cd "$SRC/lib" &&
	 { grep -n -e "silo_remote_" -e "remote_[a-z_]*(" -e "silo_cache_open" \
		-e "remote-internal\.h" -e "remote-sparse\.h" medo-*.[ch] >"$TRASH_DIRECTORY/out" ||
	   test $? = 1; }) &&
	test_must_be_empty out
'

test_expect_success 'setup: a copy of lib/ to break' '
	cp -R "$SRC/lib" lib
'

test_expect_success 'a store file including the remote layer fails' '
	cp lib/store.c store.c.orig &&
	echo "#include \"remote-internal.h\"" >>lib/store.c &&
	test_expect_code 1 check_layers lib >out &&
	echo "store.c: includes \"remote-internal.h\" of layer 4, above its own layer 3" >expect &&
	test_cmp expect out &&
	cp store.c.orig lib/store.c
'

test_expect_success 'a public header including an internal header above it fails' '
	cp lib/silo/oid.h oid.h.orig &&
	echo "#include \"silo/store.h\"" >>lib/silo/oid.h &&
	test_expect_code 1 check_layers lib >out &&
	echo "silo/oid.h: includes \"silo/store.h\" of layer 3, above its own layer 1" >expect &&
	test_cmp expect out &&
	cp oid.h.orig lib/silo/oid.h
'

test_expect_success 'a header the table does not know fails' '
	cp lib/tree-id.c tree-id.c.orig &&
	echo "#include \"nosuch.h\"" >>lib/tree-id.c &&
	test_expect_code 1 check_layers lib >out &&
	echo "tree-id.c: includes \"nosuch.h\", which is not in layers.txt" >expect &&
	test_cmp expect out &&
	cp tree-id.c.orig lib/tree-id.c
'

test_expect_success 'a file of lib/ the table does not know fails' '
	echo "int x;" >lib/new-module.c &&
	test_expect_code 1 check_layers lib >out &&
	echo "new-module.c: not in layers.txt" >expect &&
	test_cmp expect out &&
	rm lib/new-module.c
'

test_expect_success 'the copy is sound again' '
	check_layers lib >out &&
	test_must_be_empty out
'

test_expect_success 'the architecture page names every file of the table' '
	doc="$TEST_DIRECTORY/../Documentation/technical/architecture.md" &&
	sed -e "/^#/d" "$TEST_DIRECTORY/../lib/layers.txt" |
	while read -r layer name files; do
		for f in $files; do
			grep -qF -- "- \`$f\`" "$doc" || echo "$f"
		done
	done >unnamed &&
	test_must_be_empty unnamed
'

test_done
