#!/bin/sh
# Pack 20 successive versions of one npm package (plain tar files) with
# silo repack and with git repack, and compare sizes and times; then the
# same versions as directories, added by medo as the tree kind and as the
# tar kind, each silo repacked.
#
#	tools/bench-repack.sh [<package> [<count>]]
#
# Downloads (npm pack) are cached under ${XDG_CACHE_HOME:-~/.cache}/silo-bench.
# The tools come from $SILO_BUILD_DIR/bin (default: build/bin).
set -eu

pkg=${1:-typescript}
count=${2:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${SILO_BUILD_DIR:-$here/build}/bin
silo=$bin/silo
medo=$bin/medo
cache=${XDG_CACHE_HOME:-$HOME/.cache}/silo-bench/$pkg
mkdir -p "$cache"

[ -x "$silo" ] || { echo "bench-repack: build first: no $silo" >&2; exit 1; }

# The last COUNT stable versions, oldest first.
versions=$(npm view "$pkg" versions --json |
	tr -d '[]", ' | grep -v '^$' | grep -v -- - | tail -n "$count")

for v in $versions; do
	tar="$cache/$pkg-$v.tar"
	[ -f "$tar" ] && continue
	(cd "$cache" && npm pack --silent "$pkg@$v" >/dev/null &&
		gunzip -c "$pkg-$v.tgz" >"$tar.tmp" && mv "$tar.tmp" "$tar" &&
		rm -f "$pkg-$v.tgz")
done

# Under make bench, SILO_BENCH_TMP is bench.sh's own directory, deleted
# at its very end: deleting many files here would slow the next job.
work=$(mktemp -d "${SILO_BENCH_TMP:-${TMPDIR:-/tmp}}/bench-repack.XXXXXX")
[ -n "${SILO_BENCH_TMP:-}" ] || trap 'rm -rf "$work"' EXIT

# Elapsed seconds, CPU seconds and peak memory (MiB) of a command, into
# $secs, $cpu and $mib.
timed() {
	sync	# as in bench.sh: no earlier writes flushed in this time
	/usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" ||
		{ cat "$work/err" >&2; exit 1; }
	read -r secs user sys kib <"$work/time"
	cpu=$(echo "$user $sys" | awk '{ printf "%.2f", $1 + $2 }')
	mib=$((kib / 1024))
}

row() {
	printf '%-44s %12s %9s %9s %9s\n' "$1" "$2" "$secs" "$cpu" "$mib"
}

size_of() {
	du -cb "$@" | tail -1 | cut -f1
}

raw=0
"$silo" init "$work/silo" >/dev/null
git init -q "$work/git"
git -C "$work/git" config gc.auto 0
n=0
for v in $versions; do
	tar="$cache/$pkg-$v.tar"
	raw=$((raw + $(size_of "$tar")))
	"$silo" put --silo "$work/silo" "$tar" >/dev/null
	# The same path in successive commits, as git users keep versions;
	# reachable objects are what git repack packs.
	cp "$tar" "$work/git/package.tar"
	git -C "$work/git" add package.tar
	git -C "$work/git" -c user.name=b -c user.email=b@b commit -q -m "$v"
	n=$((n + 1))
done

printf '%s: %d versions, %d MB of tar\n\n' "$pkg" "$n" $((raw / 1000000))
printf '%-44s %12s %9s %9s %9s\n' "" "pack bytes" "seconds" "CPU s" "peak MiB"

timed "$silo" repack -q -a -d --silo "$work/silo"
row "silo repack -a -d" "$(size_of "$work"/silo/pack/*.pack)"

cp -r "$work/git" "$work/git2"
timed git -C "$work/git" repack -q -a -d -f
row "git repack -adf" "$(size_of "$work"/git/.git/objects/pack/*.pack)"

timed git -C "$work/git2" repack -q -a -d -f --window=250 --depth=250
row "git repack -adf --window=250 --depth=250" \
	"$(size_of "$work"/git2/.git/objects/pack/*.pack)"

echo
timed "$silo" verify -q --silo "$work/silo"
row "silo verify (silo's pack)" ""
timed git verify-pack "$work"/silo/pack/*.idx
row "git verify-pack (silo's pack)" ""
timed git verify-pack "$work"/git/.git/objects/pack/*.idx
row "git verify-pack (git's default pack)" ""

# The tree kind against the tar kind, each after silo repack -a -d: the
# tree kind's blobs are deltas within one family pack (silo-layout(5)).
"$silo" init "$work/tree.silo" >/dev/null
"$silo" init "$work/tar.silo" >/dev/null
for v in $versions; do
	mkdir "$work/d-$v" && tar -xf "$cache/$pkg-$v.tar" -C "$work/d-$v"
	"$medo" add -q --kind=tree --silo "$work/tree.silo" "$work/d-$v" "$work/$v-tree.treeptr"
	"$medo" add -q --kind=tar --silo "$work/tar.silo" "$work/d-$v" "$work/$v-tar.treeptr"
done
echo
timed "$silo" repack -q -a -d --silo "$work/tar.silo"
tar_size=$(size_of "$work"/tar.silo/pack/*.pack)
row "medo add --kind=tar, silo repack -a -d" "$tar_size"
timed "$silo" repack -q -a -d --silo "$work/tree.silo"
tree_size=$(size_of "$work"/tree.silo/pack/*.pack)
row "medo add --kind=tree, silo repack -a -d" "$tree_size"
printf '%-44s %12s\n' "tree kind / tar kind" "$(echo "$tree_size $tar_size" | awk '{ printf "%.3f", $1 / $2 }')"
