#!/bin/sh
test_description='knot --layout: wedges built and installed where Oils puts them, the prefix the build sees equal to the installed path'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

WP=/wedge/oils-for-unix.org/pkg

command -v ninja >/dev/null || test_skip_all NINJA "ninja is missing (Debian: ninja-build)"

# rel is relocatable (no WEDGE_IS_ABSOLUTE), abs is not; top depends on
# rel and records where the build found it.  Each writes the prefix it
# was configured with into its tree, as ./configure --prefix would.
test_expect_success 'setup: a relative, an absolute and a dependent recipe' '
	knot_setup &&
	test "$HOME" = "$PWD" &&
	knot_recipe rel 1.0 "wedge-make() { echo \"prefix=\$3\" >prefix.txt; }
wedge-install() { cp prefix.txt \"\$2/\"; }
wedge-smoke-test() { :; }" &&
	knot_recipe abs 2.0 "WEDGE_IS_ABSOLUTE=1
wedge-make() { echo \"prefix=\$3\" >prefix.txt; }
wedge-install() { cp prefix.txt \"\$2/\"; }
wedge-smoke-test() { :; }" &&
	knot_recipe top 3.0 "WEDGE_DEPS=rel
wedge-make() { echo \"prefix=\$3\" >prefix.txt; cat \"\$DEP/prefix.txt\" >>prefix.txt; }
wedge-install() { cp prefix.txt \"\$2/\"; }
wedge-smoke-test() { :; }" &&
	sed -i "s|^wedge-make() { echo|wedge-make() { DEP=\${3%/top/3.0}/rel/1.0; echo|" deps/source.medo/top/WEDGE
'

test_expect_success 'the layout is part of the key when it moves the wedge' '
	knot key deps/source.medo/rel deps/source.medo/abs >keys.default &&
	knot key --explain deps/source.medo/rel >text &&
	! grep "^wedge-path" text &&
	KNOT_LAYOUT=home knot key deps/source.medo/rel deps/source.medo/abs >keys.home &&
	KNOT_LAYOUT=home knot key --explain deps/source.medo/rel >text &&
	grep "^wedge-path $HOME/wedge/oils-for-unix.org/pkg/rel/1.0\$" text &&
	test "$(sed -n 1p keys.home)" != "$(sed -n 1p keys.default)" &&
	test "$(sed -n 2p keys.home)" = "$(sed -n 2p keys.default)" &&
	KNOT_LAYOUT=~/oils.DEPS/wedge knot key --explain deps/source.medo/abs >text &&
	grep "^wedge-path $HOME/oils.DEPS/wedge/abs/2.0\$" text &&
	KNOT_LAYOUT=oils.DEPS/wedge/ knot key --explain deps/source.medo/abs >text2 &&
	test_cmp text text2
'

test_expect_success 'a layout is one spelling of its place: ".", ".." and "//" are resolved' '
	KNOT_LAYOUT=$HOME/oils.DEPS/wedge knot key --explain deps/source.medo/abs >text &&
	for l in ./oils.DEPS//wedge/. x/../oils.DEPS/wedge "~/oils.DEPS/./wedge/" \
		"$HOME/oils.DEPS/wedge/y/.."; do
		KNOT_LAYOUT=$l knot key --explain deps/source.medo/abs >text2 &&
		test_cmp text text2 || return 1
	done &&
	for l in / /.. //; do
		KNOT_LAYOUT=$l knot key --explain deps/source.medo/abs >text2 &&
		grep "^wedge-path /abs/2.0\$" text2 || return 1
	done
'

test_expect_success 'a layout into the source or the derived medo is refused, links resolved' '
	test_when_finished "rm -rf medo-link derived-link deps/derived.medo" &&
	test_expect_code 5 knot build --install --layout=deps/source.medo deps/source.medo/rel 2>err &&
	echo "knot: error: the layout '"'"'$PWD/deps/source.medo'"'"' puts rel/1.0 at '"'"'$PWD/deps/source.medo/rel/1.0'"'"', inside the source medo '"'"'$PWD/deps/source.medo'"'"'" >expect &&
	test_cmp expect err &&
	test ! -e deps/source.medo/rel/1.0 &&
	ln -s deps/source.medo medo-link &&
	test_expect_code 5 knot build --layout=medo-link/ deps/source.medo/rel 2>err &&
	grep "inside the source medo '"'"'$PWD/deps/source.medo'"'"'\$" err &&
	mkdir -p deps/derived.medo && ln -s deps/derived.medo derived-link &&
	KNOT_LAYOUT=derived-link/not/yet test_expect_code 5 knot key deps/source.medo/rel 2>err &&
	grep "at '"'"'$PWD/deps/derived.medo/not/yet/rel/1.0'"'"', inside the derived medo" err
'

test_expect_success 'a layout that is none is refused, naming it' '
	test_expect_code 5 knot build --layout=nowhere deps/source.medo/rel 2>err &&
	grep "^knot: error: .nowhere. is not a layout: wedge, home, or the directory of <dir>/<name>/<version> (a path with a ./.)\$" err &&
	KNOT_LAYOUT=nowhere test_expect_code 5 knot key deps/source.medo/rel 2>err2 &&
	test_cmp err err2 &&
	test ! -e deps/derived.medo
'

test_expect_success BOX '--layout=home: a relative wedge in ~/wedge, an absolute one in /wedge' '
	knot build --layout=home --report=r1 deps/source.medo/top deps/source.medo/abs &&
	knot install --layout=home --root=img deps/source.medo/abs &&
	echo "prefix=$WP/abs/2.0" >expect &&
	test_cmp expect img$WP/abs/2.0/prefix.txt &&
	knot install --layout=home -v deps/source.medo/top deps/source.medo/rel >out &&
	printf "installed %s\n" "$HOME/wedge/oils-for-unix.org/pkg/top/3.0" \
		"$HOME/wedge/oils-for-unix.org/pkg/rel/1.0" >expect &&
	test_cmp expect out &&
	echo "prefix=$HOME/wedge/oils-for-unix.org/pkg/rel/1.0" >expect &&
	test_cmp expect wedge/oils-for-unix.org/pkg/rel/1.0/prefix.txt &&
	printf "prefix=%s\nprefix=%s\n" "$HOME/wedge/oils-for-unix.org/pkg/top/3.0" \
		"$HOME/wedge/oils-for-unix.org/pkg/rel/1.0" >expect &&
	test_cmp expect wedge/oils-for-unix.org/pkg/top/3.0/prefix.txt
'

test_expect_success BOX '--layout=DIR: every wedge at DIR/NAME/VERSION; the default layout builds again' '
	knot build --layout=~/oils.DEPS/wedge --report=r2 deps/source.medo/top deps/source.medo/abs &&
	KNOT_LAYOUT=~/oils.DEPS/wedge knot install deps/source.medo/top deps/source.medo/abs &&
	B=$HOME/oils.DEPS/wedge &&
	echo "prefix=$B/abs/2.0" >expect &&
	test_cmp expect $B/abs/2.0/prefix.txt &&
	printf "prefix=%s\nprefix=%s\n" $B/top/3.0 $B/rel/1.0 >expect &&
	test_cmp expect $B/top/3.0/prefix.txt &&
	test_expect_code 3 knot install --root=img2 deps/source.medo/rel 2>err &&
	grep "rel/1.0 has no published build with its current key" err &&
	knot build --report=r3 deps/source.medo/rel &&
	knot install --root=img2 deps/source.medo/rel &&
	echo "prefix=$WP/rel/1.0" >expect &&
	test_cmp expect img2$WP/rel/1.0/prefix.txt
'

test_expect_success '--layout=DIR unboxed: built where it is installed' '
	knot build --unboxed --layout=$PWD/flat --report=r4 deps/source.medo/rel &&
	echo "prefix=$PWD/flat/rel/1.0" >expect &&
	test_cmp expect flat/rel/1.0/prefix.txt
'

test_done
