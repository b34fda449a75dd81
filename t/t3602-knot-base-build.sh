#!/bin/sh
test_description='knot build in a base: the box'"'"'s system is the base, its tree id in the key, its os-release the platform'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"
. "$TEST_DIRECTORY/lib-base.sh"

# What the box shows a build: its root, host files, its os-release.
probe='{
	ls /
	for f in /usr/bin/git /usr/bin/mmdebstrap /etc/shadow /etc/ssh; do
		test -e $f && echo "sees $f" || echo "no $f"
	done
	while read -r l; do
		case $l in ID=*|VERSION_CODENAME=*) echo "$l" ;; esac
	done </etc/os-release
	cat /etc/hostname
} >>data.txt'

field() {
	sed -n "s/^    \"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" "$2"
}
tree_of() {
	sed -n 's/^  "tree": "\(.*\)",\{0,1\}$/\1/p' "$1"
}

test_expect_success BASE 'setup: recipes, and the base beside them' '
	knot_setup &&
	knot_recipe_make probe "$probe" &&
	mkdir -p deps/bases.medo &&
	echo "{ \"silos\": [\"$(dirname "$(dirname "$BASE")")/base.silo\"] }" >deps/bases.medo/SILO.json &&
	cp "$BASE" deps/bases.medo/tiny.treeptr &&
	knot_recipe_make based "echo in a base >>data.txt" "WEDGE_BASE=../../bases.medo/tiny.treeptr" &&
	test -e /usr/bin/git && test -e /etc/shadow
'

test_expect_success BASE,BOX 'a build in a base sees the base, not the host' '
	knot build --base=deps/bases.medo/tiny.treeptr deps/source.medo/probe &&
	t=deps/derived.medo/debian/bookworm/probe-1.0.treeptr &&
	medo cat $t share/data.txt >actual &&
	cat >expect <<-EOF &&
	source of probe 1.0
	bin
	dev
	etc
	knot
	lib
	lib64
	proc
	sbin
	tmp
	usr
	var
	wedge
	no /usr/bin/git
	no /usr/bin/mmdebstrap
	no /etc/shadow
	no /etc/ssh
	VERSION_CODENAME=bookworm
	ID=debian
	knot
	EOF
	test_cmp expect actual
'

test_expect_success BASE,BOX 'its provenance: root base, the base tree id, its platform; no host packages' '
	t=deps/derived.medo/debian/bookworm/probe-1.0.treeptr &&
	for f in root base base-treeptr platform codename box base-packages; do
		echo "$f $(field $f $t)" || return 1
	done >actual &&
	cat >expect <<-EOF &&
	root base
	base $(tree_of deps/bases.medo/tiny.treeptr)
	base-treeptr tiny.treeptr
	platform debian 12 $(uname -m)
	codename bookworm
	box bwrap 3 net=none root=base etc=box dev=ro tmp=fresh paths=fixed user=1000
	base-packages 
	EOF
	test_cmp expect actual
'

test_expect_success BASE 'the key holds the base tree id and the base platform' '
	knot key --explain --base=deps/bases.medo/tiny.treeptr deps/source.medo/probe >out &&
	grep -E "^(platform|base|box) " out >actual &&
	cat >expect <<-EOF &&
	platform debian 12 $(uname -m)
	base $(tree_of deps/bases.medo/tiny.treeptr)
	box bwrap 3 net=none root=base etc=box dev=ro tmp=fresh paths=fixed user=1000
	EOF
	test_cmp expect actual
'

test_expect_success BASE,BOX 'WEDGE_BASE, relative to the recipe, roots its box; --base gives the same key' '
	knot key deps/source.medo/based >key-recipe &&
	knot key --base=deps/bases.medo/tiny.treeptr deps/source.medo/based >key-option &&
	test_cmp key-recipe key-option &&
	knot build deps/source.medo/based &&
	field root deps/derived.medo/debian/bookworm/based-1.0.treeptr >actual &&
	echo base >expect &&
	test_cmp expect actual
'

test_expect_success BASE 'another base: another key, and the platform of its os-release' '
	medo expand deps/bases.medo/tiny.treeptr root &&
	chmod -R u+w root &&
	rm root/etc/os-release &&
	printf "ID=debian\nVERSION_ID=\"99\"\nVERSION_CODENAME=knotty\n" >root/etc/os-release &&
	medo add --kind=tree root deps/bases.medo/other.treeptr &&
	jq ".provenance = $(jq .provenance deps/bases.medo/tiny.treeptr | tr -d "\n")" \
		deps/bases.medo/other.treeptr >tmp.treeptr && mv tmp.treeptr deps/bases.medo/other.treeptr &&
	knot key --base=deps/bases.medo/tiny.treeptr deps/source.medo/probe >k1 &&
	knot key --base=deps/bases.medo/other.treeptr deps/source.medo/probe >k2 &&
	! cmp -s k1 k2 &&
	knot key --explain --base=deps/bases.medo/other.treeptr deps/source.medo/probe >out &&
	grep -E "^(platform|base) " out >actual &&
	cat >expect <<-EOF &&
	platform debian 99 $(uname -m)
	base $(tree_of deps/bases.medo/other.treeptr)
	EOF
	test_cmp expect actual &&
	knot list --json --base=deps/bases.medo/other.treeptr deps/source.medo >out &&
	jq -r ".tasks[] | select(.name == \"probe\") | .treeptr" out >actual &&
	echo "$PWD/deps/derived.medo/debian/knotty/probe-1.0.treeptr" >expect &&
	test_cmp expect actual
'

test_expect_success BASE 'in a base, the host'"'"'s packages change no key' '
	knot_recipe_make needs "echo >>data.txt" "WEDGE_BUILD_DEPS=knot-test-package" &&
	mkdir bin &&
	printf "#!/bin/sh\nprintf \"knot-test-package\\\\tii \\\\t1.0\\\\n\"\n" >bin/dpkg-query &&
	chmod +x bin/dpkg-query &&
	knot key deps/source.medo/needs >host1 &&
	PATH=$PWD/bin:$PATH knot key deps/source.medo/needs >host2 &&
	! cmp -s host1 host2 &&
	knot key --base=deps/bases.medo/tiny.treeptr deps/source.medo/needs >base1 &&
	PATH=$PWD/bin:$PATH knot key --base=deps/bases.medo/tiny.treeptr deps/source.medo/needs >base2 &&
	test_cmp base1 base2
'

test_expect_success BASE,BOX,ARCHIVE 'WEDGE_BUILD_DEPS in a base: a layer, made once, is the root' '
	knot_recipe_make layered "grep -c ^ID= /etc/os-release >>data.txt" "WEDGE_BUILD_DEPS=\"grep\"" &&
	knot_recipe_make layered2 "grep -c ^ID= /etc/os-release >>data.txt" "WEDGE_BUILD_DEPS=grep" &&
	knot key --explain --base=deps/bases.medo/tiny.treeptr deps/source.medo/layered >out &&
	grep "^layer " out >actual &&
	echo "layer grep" >expect &&
	test_cmp expect actual &&
	knot build --base=deps/bases.medo/tiny.treeptr deps/source.medo/layered &&
	t=deps/derived.medo/debian/bookworm/layered-1.0.treeptr &&
	medo cat $t share/data.txt >actual &&
	printf "source of layered 1.0\n1\n" >expect &&
	test_cmp expect actual &&
	ls deps/derived.medo/layers/debian/bookworm >layers &&
	test_line_count = 1 layers &&
	l=deps/derived.medo/layers/debian/bookworm/$(cat layers) &&
	cp $l layer-before &&
	for f in layer-base layer-packages packages suite variant; do
		echo "$f $(field $f $l)" || return 1
	done >actual &&
	cat >expect <<-EOF &&
	layer-base $(tree_of deps/bases.medo/tiny.treeptr)
	layer-packages grep
	packages base-files,bash,coreutils,grep
	suite bookworm
	variant extract
	EOF
	test_cmp expect actual &&
	field layer $t >actual &&
	tree_of $l >expect &&
	test_cmp expect actual &&
	# the same base and packages: the same layer, not made again
	knot build --base=deps/bases.medo/tiny.treeptr --derived=deps/derived.medo deps/source.medo/layered2 &&
	ls deps/derived.medo/layers/debian/bookworm >actual &&
	test_cmp layers actual &&
	test_cmp layer-before $l
'

test_expect_success 'a missing, corrupt or non-base treeptr: a clear error, no build' '
	knot_setup &&
	knot_recipe_make plain "true" &&
	test_expect_code 3 knot build --base=no-such.treeptr deps/source.medo/plain 2>err &&
	echo "knot: error: cannot read the base '\''no-such.treeptr'\'': No such file or directory" >expect &&
	test_cmp expect err &&
	echo "{ not json" >bad.treeptr &&
	test_expect_code 5 knot build --base=bad.treeptr deps/source.medo/plain 2>err &&
	grep -q "^knot: error: recipe .*: the base .*bad.treeptr'\'': .*bad.treeptr'\'': not valid JSON" err &&
	mkdir d && echo x >d/x && medo add --kind=tree d deps/source.medo/d.treeptr &&
	test_expect_code 5 knot build --base=deps/source.medo/d.treeptr deps/source.medo/plain 2>err &&
	grep -q "is no base: a base is a tree made by knot base" err &&
	! test -e deps/derived.medo/$(knot_platform_dir)/plain-1.0.treeptr
'

test_expect_success 'a WEDGE_BASE that names no treeptr is a problem of the recipe' '
	knot_recipe_make nobase "true" "WEDGE_BASE=bases/tiny" &&
	test_expect_code 5 knot validate deps/source.medo/nobase 2>err &&
	grep -q "WEDGE_BASE must name a treeptr (a path ending in .treeptr), not '\''bases/tiny'\''" err &&
	knot_recipe_make gonebase "true" "WEDGE_BASE=../../bases.medo/gone.treeptr" &&
	test_expect_code 3 knot key deps/source.medo/gonebase 2>err &&
	grep -q "^knot: error: recipe .*gonebase'\'': cannot read its base .*gone.treeptr'\'': No such file or directory$" err
'

test_expect_success BOX 'without a base, the provenance says the host' '
	knot build deps/source.medo/plain &&
	field root $(knot_derived plain 1.0) >actual &&
	echo host >expect &&
	test_cmp expect actual
'

test_done
