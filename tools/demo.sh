#!/bin/sh
# The main job once, end to end: a silo and a medo directory, a real
# directory tree stored, expanded elsewhere, verified, and garbage
# collection's first step.  Run by 'make demo' with SILO_BUILD_DIR set.
set -eu

: "${SILO_BUILD_DIR:?set SILO_BUILD_DIR to the build directory (make demo does)}"
PATH="$SILO_BUILD_DIR/bin:$PATH"
export PATH
unset SILO_DIR

src=$(cd "$(dirname "$0")/.." && pwd)
# A real tree: the project's own sources (lib/, cmd/, t/, Documentation/).
tree=$src

work=$(mktemp -d "${TMPDIR:-/tmp}/silo-demo.XXXXXX")
# Removed if the demo fails or is stopped; kept when it ends well, with
# what it made (the silo, the trees, knot's report) to look at.
trap 'rm -rf "$work"' EXIT INT TERM

# The last line of a demo that ran to its end; the directory stays.
finish() {
	trap - EXIT INT TERM
	step "done; the demo's files are kept in $work (remove it with: rm -rf $work)"
	exit 0
}

step() {
	printf '%s\n' "$*"
}

cd "$work"
silo init deps.silo
mkdir -p deps/src.medo
printf '{ "silos": ["../../deps.silo"] }\n' >deps/src.medo/SILO.json
step "created a silo (deps.silo) and a medo directory (deps/src.medo) in $work"

# Copy the parts of the tree that do not change while we work (not the
# build directories), so that the demo adds a stable tree.
mkdir tree
for d in lib cmd t Documentation tools; do
	[ -d "$tree/$d" ] && cp -a "$tree/$d" tree/
done
files=$(find tree -type f | wc -l)

medo add --note "demo" tree deps/src.medo/project.treeptr
object=$(sed -n 's/^  "object": "\(.*\)",$/\1/p' deps/src.medo/project.treeptr)
treeid=$(sed -n 's/^  "tree": "\(.*\)",$/\1/p' deps/src.medo/project.treeptr)
step "medo add: $files files stored as object $object (tree $treeid)"

medo expand deps/src.medo/project.treeptr out/project
diff -r --no-dereference tree out/project
step "medo expand: unpacked into out/project, identical to the source (diff -r)"

medo expand deps/src.medo/project.treeptr out/project
step "medo expand again: the tree was already there, verified and left alone"

medo verify deps/src.medo/project.treeptr out/project
step "medo verify: out/project matches its treeptr"

echo "an edit" >>out/project/lib/strbuf.h
if medo verify deps/src.medo/project.treeptr out/project >diff.txt; then
	echo "medo verify missed an edit" >&2
	exit 1
fi
step "medo verify after an edit: $(cat diff.txt)"

echo "not referenced" >garbage
silo put --silo deps.silo garbage >/dev/null
medo reachable deps/src.medo >keep
step "medo reachable: $(wc -l <keep) object(s) named by treeptrs; the silo holds $(silo ls --silo deps.silo | wc -l)"

silo prune --silo deps.silo --keep keep --expire now
step "silo prune: $(silo ls --silo deps.silo | wc -l) object(s) left"

silo verify --silo deps.silo
step "silo verify: every object matches its id"

# Second half: knot builds dash from Debian's upstream tarball, boxed,
# publishes it, and a CI job gets it back with medo expand.
step ""
# A box needs bubblewrap and user namespaces.  Without one, knot builds
# --unboxed, and an absolute wedge such as dash is then built at its own
# path under /wedge: that takes root, or a /wedge this user may write.
box=
if ! command -v bwrap >/dev/null 2>&1; then
	why="bubblewrap is not installed"
elif ! bwrap --unshare-user --unshare-all --ro-bind / / true 2>"$work/bwrap.err"; then
	why="bubblewrap cannot make a box here ($(head -n 1 "$work/bwrap.err")): this machine refuses user namespaces, as a chroot does, or a container started without them"
else
	why=
fi
if [ -n "$why" ]; then
	wp=/wedge/oils-for-unix.org/pkg
	d=$wp
	while ! [ -e "$d" ]; do d=$(dirname "$d"); done
	if ! [ -w "$d" ]; then
		{
			echo "demo: knot cannot build dash here: $why;"
			echo "demo: and without a box, dash (an absolute wedge) is built under $wp, but '$d' is not writable by $(id -un)."
			echo "demo: run 'sudo make demo', or run it where user namespaces are allowed (not in a chroot; a container must allow them)."
			echo "demo: silo and medo need neither: the first half above ran."
		} >&2
		exit 1
	fi
	box=--unboxed
	step "knot: $why; building --unboxed"
fi
if ! fetched=$(sh "$src/tools/fetch-sources.sh" dash 2>"$work/fetch.err"); then
	step "knot: skipped, the dash source could not be fetched: $(tail -n 1 "$work/fetch.err")"
	finish
fi
set -- $fetched
mkdir -p deps/source.medo
printf '{ "silos": ["../../deps.silo"] }\n' >deps/source.medo/SILO.json
cp -R "$src/deps/source.medo/dash" deps/source.medo/
rm -f deps/source.medo/dash/*.treeptr
medo add "$3" deps/source.medo/dash/dash-$2.treeptr
step "medo add: Debian's $(basename "$3") is the source treeptr deps/source.medo/dash/dash-$2.treeptr"
knot validate deps/source.medo/dash

start=$(date +%s)
knot build $box -v deps/source.medo >built.txt
step "knot build: $(cat built.txt) in $(($(date +%s) - start)) s"
tp=$(ls deps/derived.medo/*/*/dash-$2.treeptr)
step "published $tp"

medo expand "$tp" wedge-root/wedge/oils-for-unix.org/pkg/dash/$2
step "medo expand: the wedge is in wedge-root/wedge/oils-for-unix.org/pkg/dash/$2"
wedge-root/wedge/oils-for-unix.org/pkg/dash/$2/bin/dash -c 'echo "dash says: $((6 * 7)) from $0"'

start=$(date +%s%N)
knot build $box -v deps/source.medo >again.txt
step "knot build again: $(cat again.txt) in $((($(date +%s%N) - start) / 1000000)) ms (a cache hit)"
step "knot show $tp:"
knot show "$tp" | sed 's/^/    /'
finish
