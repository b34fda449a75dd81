# Helpers for knot's tests: a silo, a source medo, synthetic recipes, and
# prerequisites (bubblewrap that works here, root, real sources).

# Work directories and kept logs of builds go into the trash directory.
TMPDIR=$TRASH_DIRECTORY/tmp
mkdir -p "$TMPDIR"
export TMPDIR

# knot_setup: a silo deps.silo and a source medo deps/source.medo.
knot_setup() {
	silo init deps.silo &&
	mkdir -p deps/source.medo &&
	echo '{ "silos": ["../../deps.silo"] }' >deps/source.medo/SILO.json
}

# knot_source NAME VERSION [FILE-CONTENT]: a small source tree with a
# top directory, added as deps/source.medo/NAME/NAME-VERSION.treeptr.
knot_source() {
	mkdir -p "src-$1-$2/$1-$2" deps/source.medo/$1 &&
	printf '%s\n' "${3:-source of $1 $2}" >"src-$1-$2/$1-$2/data.txt" &&
	medo add "src-$1-$2" "deps/source.medo/$1/$1-$2.treeptr"
}

# knot_recipe NAME VERSION [EXTRA]: a recipe whose build copies the
# source's data.txt into INSTALL_DIR/share and writes a script into
# INSTALL_DIR/bin; EXTRA is appended to the WEDGE file.
knot_recipe() {
	mkdir -p deps/source.medo/$1 &&
	cat >deps/source.medo/$1/WEDGE <<-EOF_WEDGE &&
	WEDGE_NAME=$1
	WEDGE_VERSION=$2

	wedge-make() {
	  local src_dir=\$1 build_dir=\$2 install_dir=\$3 wedge_dir=\$4
	  cp "\$src_dir/data.txt" data.txt
	  echo "built by \$WEDGE_NAME \$WEDGE_VERSION" >>data.txt
	}

	wedge-install() {
	  local build_dir=\$1 install_dir=\$2
	  mkdir -p "\$install_dir/share" "\$install_dir/bin"
	  cp data.txt "\$install_dir/share/"
	  printf '#!/bin/sh\necho hello from $1\n' >"\$install_dir/bin/$1"
	  chmod +x "\$install_dir/bin/$1"
	}

	wedge-smoke-test() {
	  local install_dir=\$1 wedge_dir=\$2
	  "\$install_dir/bin/$1" >/dev/stdout
	}
	${3:-}
	EOF_WEDGE
	knot_source "$1" "$2"
}

# knot_recipe_make NAME MAKE-BODY [EXTRA]: a recipe NAME 1.0 whose
# wedge-make copies the source's data.txt, then runs MAKE-BODY, and
# which has no smoke test; EXTRA is appended to the WEDGE file.
knot_recipe_make() {
	knot_recipe "$1" 1.0 "wedge-make() {
cp \"\$1/data.txt\" .
$2
}
wedge-smoke-test() { :; }
${3:-}"
}

# The derived treeptr of NAME-VERSION.
knot_derived() {
	echo "deps/derived.medo/$(knot_platform_dir)/$1-$2.treeptr"
}

knot_platform_dir() {
	( . /etc/os-release 2>/dev/null || . /usr/lib/os-release
	  echo "$ID/${VERSION_CODENAME:-$VERSION_ID}" )
}

# A field of a treeptr's provenance.
knot_prov() {
	knot show --json "$2" | sed -n "s/^  \"$1\": \"\(.*\)\",\{0,1\}\$/\1/p"
}

# Whether knot can make its box here, as knot makes it: bubblewrap in a
# user namespace that an unprivileged user makes (as root, the host's
# uid 65534 when it exists); the reason when not.
knot_bwrap_reason=
if ! command -v bwrap >/dev/null 2>&1; then
	knot_bwrap_reason="bubblewrap is not installed"
else
	knot_probe=bwrap
	if [ "$(id -u)" = 0 ] &&
	   awk '$1 <= 65534 && 65534 < $1 + $3 { f = 1 } END { exit !f }' /proc/self/uid_map; then
		knot_probe="setpriv --reuid=65534 --regid=65534 --clear-groups bwrap"
	fi
	if ! $knot_probe --unshare-all --unshare-user --disable-userns --ro-bind / / true \
		2>"$TRASH_DIRECTORY/.bwrap-err"; then
		knot_bwrap_reason="bubblewrap cannot make a box here: $(head -n 1 "$TRASH_DIRECTORY/.bwrap-err")"
	fi
fi
rm -f "$TRASH_DIRECTORY/.bwrap-err"

# Prerequisites: BOX, a working box (says once why it is missing), and
# ROOT.  The functions answer the same for scripts' own conditions.
BOX() {
	[ -z "$knot_bwrap_reason" ]
}
if BOX; then
	test_set_prereq BOX
else
	test_missing_prereq BOX "$knot_bwrap_reason"
	say "boxed tests are skipped: $knot_bwrap_reason"
fi

# knot_ways: how knot can build here, "box" and "unboxed", or only
# "unboxed" where there is no box; knot_how WAY: its option.  A test of
# what both ways share (limits, recipes' semantics) runs in each way
# there is, so that a machine without a box still runs it once.
# knot_any: the option of the way knot builds by default here.
if BOX; then
	knot_ways="box unboxed" knot_any=
else
	knot_ways=unboxed knot_any=--unboxed
fi
knot_how() {
	[ "$1" = box ] || echo --unboxed
}

ROOT() {
	[ "$(id -u)" -eq 0 ]
}
ROOT && test_set_prereq ROOT || test_missing_prereq ROOT "not root"

# as_user CMD...: CMD as another user, who may not write /wedge: uid
# 65534 when root runs the tests.  It runs a copy of the tools in the
# trash directory, which is opened to it (the checkout may be closed to
# it, as /root is); SILO_BUILD_DIR names that copy.
as_user() {
	if ROOT; then
		u_=$TRASH_DIRECTORY/user-build
		if ! [ -x "$u_/bin/silobox" ]; then
			mkdir -p "$u_/bin" && cp "$SILO_BUILD_DIR/bin/silobox" "$u_/bin/" &&
			for t_ in silo medo knot; do ln -s silobox "$u_/bin/$t_" || return 1; done &&
			chmod 755 "$TRASH_DIRECTORY" "$u_" "$u_/bin" || return 1
		fi
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			env SILO_BUILD_DIR="$u_" PATH="$u_/bin:$PATH" "$@"
	else
		"$@"
	fi
}
test_lazy_prereq WEDGE_UNWRITABLE '
	as_user sh -c "! test -w /wedge && ! test -w /"
'
