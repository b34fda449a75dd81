#!/bin/sh
test_description='knot builds one source medo for two Debian suites, side by side; list and install choose the suite'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"
. "$TEST_DIRECTORY/lib-base.sh"

WP=/wedge/oils-for-unix.org/pkg

# The test base of another suite, cached as the first one.
bullseye_reason=
if [ -n "$base_reason" ]; then
	bullseye_reason="no base: $base_reason"
elif ! base_cached bullseye >.bullseye-out 2>&1; then
	bullseye_reason="cannot make a bullseye base: $(tail -n 1 .bullseye-out)"
fi
if [ -z "$bullseye_reason" ]; then
	test_set_prereq BULLSEYE
	BULLSEYE=$(base_path bullseye)
else
	test_missing_prereq BULLSEYE "$bullseye_reason"
fi

# What the build saw of its system, and a program that says where it runs.
probe='while read -r l; do
	case $l in VERSION_CODENAME=*) echo "built on $l" ;; esac
done </etc/os-release >>data.txt'

test_expect_success BASE,BULLSEYE 'setup: a recipe, a dependent one, two bases' '
	knot_setup &&
	knot_recipe_make tool "$probe" &&
	knot_recipe_make user "bash $WP/tool/1.0/bin/tool >>data.txt
while read -r l; do
	case \$l in VERSION_CODENAME=*) echo \"ran on \$l\" ;; esac
done </etc/os-release >>data.txt" "WEDGE_DEPS=tool" &&
	mkdir -p deps/bases.medo/debian &&
	cp "$BASE" deps/bases.medo/debian/bookworm.treeptr &&
	cp "$BULLSEYE" deps/bases.medo/debian/bullseye.treeptr &&
	echo "{ \"silos\": [\"$(dirname "$(dirname "$BASE")")/base.silo\", \"$(dirname "$(dirname "$BULLSEYE")")/base.silo\"] }" \
		>deps/bases.medo/SILO.json
'

test_expect_success BASE,BULLSEYE,BOX 'one source medo builds for two suites, side by side' '
	for s in bookworm bullseye; do
		knot build --base=deps/bases.medo/debian/$s.treeptr deps/source.medo || return 1
	done &&
	for s in bookworm bullseye; do
		medo cat deps/derived.medo/debian/$s/tool-1.0.treeptr share/data.txt || return 1
	done >actual &&
	cat >expect <<-EOF &&
	source of tool 1.0
	built on VERSION_CODENAME=bookworm
	source of tool 1.0
	built on VERSION_CODENAME=bullseye
	EOF
	test_cmp expect actual
'

test_expect_success BASE,BULLSEYE,BOX 'a wedge built on bullseye runs on bullseye (a dependency in its box)' '
	medo cat deps/derived.medo/debian/bullseye/user-1.0.treeptr share/data.txt >actual &&
	cat >expect <<-EOF &&
	source of user 1.0
	hello from tool
	ran on VERSION_CODENAME=bullseye
	EOF
	test_cmp expect actual
'

test_expect_success BASE,BULLSEYE,BOX 'the keys differ; knot list shows each suite'"'"'s builds' '
	knot key --base=deps/bases.medo/debian/bookworm.treeptr deps/source.medo/tool >k1 &&
	knot key --base=deps/bases.medo/debian/bullseye.treeptr deps/source.medo/tool >k2 &&
	! cmp -s k1 k2 &&
	for s in bookworm bullseye; do
		knot list --json --base=deps/bases.medo/debian/$s.treeptr deps/source.medo >out &&
		jq -r ".tasks[] | \"\(.name) \(.platform) \(.state)\"" out || return 1
	done >actual &&
	cat >expect <<-EOF &&
	tool debian/bookworm published
	user debian/bookworm published
	tool debian/bullseye published
	user debian/bullseye published
	EOF
	test_cmp expect actual
'

test_expect_success BASE,BULLSEYE,BOX 'knot install --base installs that suite'"'"'s build' '
	knot install --root=r --base=deps/bases.medo/debian/bullseye.treeptr deps/source.medo/tool &&
	cat r$WP/tool/1.0/share/data.txt >actual &&
	printf "source of tool 1.0\nbuilt on VERSION_CODENAME=bullseye\n" >expect &&
	test_cmp expect actual &&
	knot install --root=r --base=deps/bases.medo/debian/bookworm.treeptr deps/source.medo/tool &&
	tail -n 1 r$WP/tool/1.0/share/data.txt >actual &&
	echo "built on VERSION_CODENAME=bookworm" >expect &&
	test_cmp expect actual
'

test_done
