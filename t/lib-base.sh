# Helpers for tests of bases (knot base): a small real Debian root, made
# by mmdebstrap from the Debian archive once and kept between runs of the
# suite in $SILO_TEST_CACHE/bases (t/test-lib.sh), keyed by its inputs.
#
# The test base is bookworm's bash, coreutils and base-files, only
# unpacked (--variant=extract: seconds, about 30 MB): enough for a
# recipe's driver (bash) and a build that copies files.
BASE_SUITE=bookworm
BASE_VARIANT=extract
BASE_PACKAGES=bash,coreutils,base-files

# base_cached [SUITE [VARIANT [PACKAGES]]]: make the base unless the
# cache holds it; its treeptr is then $(base_path ...).
base_key() {
	printf '%s\n' "${1:-$BASE_SUITE}" "${2:-$BASE_VARIANT}" "${3:-$BASE_PACKAGES}" \
		"$(knot --version)" | sha256sum | cut -c1-16
}
base_path() {
	echo "$SILO_TEST_CACHE/bases/$(base_key "$@")/b.medo/base.treeptr"
}
base_cached() {
	base_d=$SILO_TEST_CACHE/bases/$(base_key "$@")
	test -f "$base_d/b.medo/base.treeptr" && return 0
	mkdir -p "$SILO_TEST_CACHE/bases" &&
	base_tmp=$(mktemp -d "$SILO_TEST_CACHE/bases/.tmp-XXXXXX") &&
	base_make "$base_tmp" "$@" &&
	{ mv -T "$base_tmp" "$base_d" 2>/dev/null || rm -rf "$base_tmp"; } &&
	test -f "$base_d/b.medo/base.treeptr"
}
# base_make DIR [SUITE [VARIANT [PACKAGES]]]: a silo DIR/base.silo and
# the base's treeptr DIR/b.medo/base.treeptr.
base_make() {
	silo init -q "$1/base.silo" &&
	mkdir -p "$1/b.medo" &&
	echo '{ "silos": ["../base.silo"] }' >"$1/b.medo/SILO.json" &&
	knot base --variant="${3:-$BASE_VARIANT}" --packages="${4:-$BASE_PACKAGES}" \
		"${2:-$BASE_SUITE}" "$1/b.medo/base.treeptr"
}

# ARCHIVE: the Debian archive answers (to make bases and layers afresh).
BASE_MIRROR=http://deb.debian.org/debian
test_lazy_prereq ARCHIVE '
	curl -sf --max-time 30 -o /dev/null $BASE_MIRROR/dists/$BASE_SUITE/InRelease ||
	{ echo "the Debian archive $BASE_MIRROR cannot be reached"; false; }
'

# BASE: the test base is cached, or can be made here (mmdebstrap, the
# Debian archive; as a user, subordinate ids for --mode=unshare).
base_reason=
if ! command -v mmdebstrap >/dev/null 2>&1; then
	base_reason="mmdebstrap is not installed"
elif ! base_cached >"$TRASH_DIRECTORY/.base-out" 2>&1; then
	base_reason="cannot make a base: $(tail -n 1 "$TRASH_DIRECTORY/.base-out")"
fi
rm -f "$TRASH_DIRECTORY/.base-out"
if [ -z "$base_reason" ]; then
	test_set_prereq BASE
	BASE=$(base_path)
else
	test_missing_prereq BASE "$base_reason"
	say "tests of bases are skipped: $base_reason"
fi
