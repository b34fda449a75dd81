#!/bin/sh
test_description='knot base makes a Debian root with mmdebstrap, reproducibly, as a tree with its provenance'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"
. "$TEST_DIRECTORY/lib-base.sh"

MIRROR=$BASE_MIRROR

field() {
	sed -n "s/^    \"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" "$2"
}
tree_of() {
	sed -n 's/^  "tree": "\(.*\)",\{0,1\}$/\1/p' "$1"
}

test_expect_success BASE,ARCHIVE 'the same inputs give the same tree (a fresh base, the cached one)' '
	mkdir fresh &&
	base_make fresh &&
	if test "$(field release-sha256 fresh/b.medo/base.treeptr)" = "$(field release-sha256 "$BASE")"
	then
		tree_of "$BASE" >expect
	else
		# the archive moved on since the cache was made: make it again
		mkdir again && base_make again &&
		tree_of again/b.medo/base.treeptr >expect
	fi &&
	tree_of fresh/b.medo/base.treeptr >actual &&
	test_cmp expect actual &&
	grep -q "^  \"kind\": \"tree\",$" fresh/b.medo/base.treeptr
'

test_expect_success BASE,ARCHIVE 'the provenance names suite, variant, packages, the Release file and mmdebstrap' '
	curl -sf $MIRROR/dists/$BASE_SUITE/InRelease >InRelease &&
	sha256sum <InRelease | cut -d" " -f1 >release-sha &&
	t=fresh/b.medo/base.treeptr &&
	date=$(sed -n "s/^Date: //p" InRelease) &&
	cat >expect <<-EOF &&
	base-format 1
	codename bookworm
	mirror $MIRROR
	mmdebstrap $(mmdebstrap --version | cut -d" " -f2)
	packages base-files,bash,coreutils
	platform debian 12 $(uname -m)
	release $MIRROR/dists/bookworm/InRelease
	release-date $date
	release-sha256 $(cat release-sha)
	source-date-epoch $(date -u -d "$date" +%s)
	suite bookworm
	tool knot $(knot --version | cut -d" " -f3)
	variant extract
	EOF
	for f in base-format codename mirror mmdebstrap packages platform release release-date \
		release-sha256 source-date-epoch suite tool variant
	do
		echo "$f $(field $f $t)" || return 1
	done >actual &&
	test_cmp expect actual &&
	sed -n "/\"provenance\"/,/}/p" $t | grep -c "^    \"" >count &&
	echo 13 >expect &&
	test_cmp expect count
'

test_expect_success BASE 'a base expands to a root: programs, os-release, modes, no devices' '
	medo expand "$BASE" root &&
	test -x root/bin/bash &&
	test -x root/bin/cp &&
	grep -q "^VERSION_CODENAME=bookworm$" root/etc/os-release &&
	test -d root/proc &&
	# modes are kept (less the umask), the sticky bit of /tmp is not
	stat -c %a root/root root/tmp >actual &&
	printf "700\n%o\n" $((0777 & ~$(umask))) >expect &&
	test_cmp expect actual &&
	! test -e root/dev/null &&
	medo verify "$BASE" root
'

test_expect_success 'no network: a clear error, exit 7, nothing written' '
	knot_setup &&
	test_expect_code 7 knot base --mirror=http://127.0.0.1:1/debian bookworm \
		deps/source.medo/b.treeptr 2>err &&
	echo "knot: error: cannot reach the Debian archive: '\''http://127.0.0.1:1/debian/dists/bookworm/InRelease'\'': Couldn'\''t connect to server" >expect &&
	test_cmp expect err &&
	! test -e deps/source.medo/b.treeptr &&
	! ls tmp/knot-base-* 2>/dev/null
'

test_expect_success ARCHIVE 'a suite the archive does not have: exit 3' '
	test_expect_code 3 knot base no-such-suite deps/source.medo/b.treeptr 2>err &&
	grep -q "^knot: error: the Debian archive '\''$MIRROR'\'' has no suite '\''no-such-suite'\''" err &&
	! test -e deps/source.medo/b.treeptr
'

test_expect_success 'usage errors: a variant, a package name, a missing argument' '
	test_expect_code 2 knot base --variant=tiny bookworm b.treeptr 2>err &&
	grep -q "^knot: error: '\''tiny'\'' is not a variant of mmdebstrap" err &&
	test_expect_code 2 knot base --packages=bash,Foo bookworm b.treeptr 2>err &&
	grep -q "^knot: error: '\''Foo'\'' is not the name of a Debian package$" err &&
	test_expect_code 2 knot base bookworm 2>err &&
	grep -q "^knot: error: expected a suite and a treeptr$" err &&
	! test -e b.treeptr
'

test_expect_success 'a treeptr naming another tree is refused before any work (8)' '
	mkdir d && echo x >d/x && medo add d deps/source.medo/other.treeptr &&
	cp deps/source.medo/other.treeptr before &&
	test_expect_code 8 knot base --mirror=http://127.0.0.1:1/debian bookworm \
		deps/source.medo/other.treeptr 2>err &&
	echo "knot: error: '\''deps/source.medo/other.treeptr'\'' names another tree (not a base); --force replaces it" >expect &&
	test_cmp expect err &&
	test_cmp before deps/source.medo/other.treeptr &&
	test_expect_code 7 knot base --force --mirror=http://127.0.0.1:1/debian bookworm \
		deps/source.medo/other.treeptr 2>err &&
	test_cmp before deps/source.medo/other.treeptr
'

test_done
