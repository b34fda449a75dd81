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
trap 'rm -rf "$work"' EXIT INT TERM

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
step "done; removing $work"
