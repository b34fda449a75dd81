#!/bin/sh
# Lazy reads of the tree kind over HTTP, counted in nginx's access log:
# requests and bytes for medo ls, medo cat, medo diff and a partial
# medo expand of one file, next to
# fetching the whole object (the tree kind's pack, or the tar kind's
# object); an expand of version N+1 with version N cached, against the
# compressed size of what changed; and how soon medo mount answers its
# first ls.  Prints a Markdown section.
#
#	tools/bench-lazy.sh SRC [VERSIONS]
#
# SRC is a directory (the npm tree); VERSIONS a directory of .tar files
# of successive versions of one package (the first two are used).
# Counts are exact; times are medians of RUNS (default 5) on loopback.
set -eu

: "${SILO_BUILD_DIR:?run me through make bench}"
PATH="$SILO_BUILD_DIR/bin:$PATH"
export PATH
src=$1
versions=${2:-}
RUNS=${RUNS:-5}
# SILO_BENCH_TMP: as in bench-repack.sh, the caller deletes it.
W=$(mktemp -d "${SILO_BENCH_TMP:-${TMPDIR:-/var/tmp}}/silo-lazy.XXXXXX")
h=$W/http
rm_work='rm -rf "$W"'
[ -z "${SILO_BENCH_TMP:-}" ] || rm_work=:
trap 'kill "$(cat "$h/nginx.pid" 2>/dev/null)" 2>/dev/null || :; fusermount3 -u "$W/mnt" 2>/dev/null || :; eval "$rm_work"' EXIT
export SILO_HTTP_RETRIES=0

say() { printf '%s\n' "$*" >&2; }

mkdir -p "$W/m"
. "$(dirname "$0")/bench-nginx.sh"
bench_nginx "$h" "$h/access.log" || { say "bench-lazy: nginx does not start"; exit 1; }
: >"$h/access.log"
echo "{ \"silos\": [\"$url/deps.silo\"] }" >"$W/m/SILO.json"
silo init "$h/www/deps.silo" >/dev/null

mark() { wc -l <"$h/access.log"; }
# "requests bytes" since mark $1, config.json not counted (one per
# command, whatever it reads), and the same with it.
counts() {
	tail -n +$(($1 + 1)) "$h/access.log" | grep -v config.json |
		awk '{ n++; b += $10 } END { printf "%d %d", n, b }'
}
counts_all() {
	tail -n +$(($1 + 1)) "$h/access.log" | awk '{ n++; b += $10 } END { printf "%d %d", n, b }'
}
# The compressed size of object $1 in pack $2 (git verify-pack -v).
packed() { awk -v id="$1" '$1 == id { print $4 }' "$2"; }
median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
now() { date +%s.%N; }

files=$(find "$src" -type f | wc -l)
say "bench-lazy: $src ($files files) as the tree kind and the tar kind, served by nginx"
medo add -q --kind=tree --silo "$h/www/deps.silo" "$src" "$W/m/tree.treeptr"
medo add -q --kind=tar --silo "$h/www/deps.silo" "$src" "$W/m/tar.treeptr"
pack=$(sed -n 's/^ *"\(pack-[0-9a-f]*\)",*$/\1/p' "$W/m/tree.treeptr" | head -n 1)
pack_bytes=$(stat -c %s "$h/www/deps.silo/pack/$pack.pack")
idx_bytes=$(stat -c %s "$h/www/deps.silo/pack/$pack.idx")
tarobj=$(sed -n 's/^  "object": "\(.*\)",$/\1/p' "$W/m/tar.treeptr")
tar_bytes=$(stat -c %s "$h/www/deps.silo/objects/$(echo "$tarobj" | cut -c1-2)/$(echo "$tarobj" | cut -c3-).gz")
git verify-pack -v "$h/www/deps.silo/pack/$pack.idx" >"$W/vp"

echo "## Lazy reads of the tree kind over HTTP"
echo
echo "\`tools/bench-lazy.sh\` (run by \`make bench\`): $files files served by nginx"
echo "on loopback, requests and bytes (bodies) counted in its access log; each"
echo "command with an empty cache unless said. config.json, fetched once by"
echo "every command that opens a silo over HTTP, is left out of the counts."
echo "The whole object: the tree kind's pack is $pack_bytes bytes (its index"
echo "$idx_bytes), the tar kind's object $tar_bytes bytes."
echo
echo "| what | requests | bytes | of the whole pack | goal |"
echo "|---|---:|---:|---:|---|"

export SILO_CACHE_DIR=$W/cache
m=$(mark)
medo ls -r -l "$W/m/tree.treeptr" >"$W/ls"
set -- $(counts "$m")
echo "| \`medo ls -r -l\` of the whole tree | $1 | $2 | $(awk "BEGIN { printf \"%.4f\", $2 / $pack_bytes }") | at most 2 requests, 2.5 MB |"

# Files to read: the largest, one of median size, and the last in path
# order.  "size<TAB>id<TAB>path" of each regular file.
awk -F'\t' '{ split($1, a, " "); if (a[2] == "blob" && a[1] != "120000") print a[4] "\t" a[3] "\t" $2 }' \
	"$W/ls" >"$W/blobs"
largest=$(sort -n "$W/blobs" | tail -n 1)
mid=$(sort -n "$W/blobs" | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }')
last=$(tail -n 1 "$W/blobs")
for line in "$largest" "$mid" "$last"; do
	id=$(printf '%s\n' "$line" | cut -f2)
	f=$(printf '%s\n' "$line" | cut -f3)
	m=$(mark)
	medo cat "$W/m/tree.treeptr" "$f" >/dev/null
	set -- $(counts "$m")
	echo "| \`medo cat\` after ls: $f ($(packed "$id" "$W/vp") bytes packed) | $1 | $2 | $(awk "BEGIN { printf \"%.4f\", $2 / $pack_bytes }") | 1 request, its entry |"
done
mid=$(printf '%s\n' "$mid" | cut -f3)
rm -rf "$W/cache"
m=$(mark)
medo cat "$W/m/tree.treeptr" "$mid" >/dev/null
set -- $(counts "$m")
echo "| \`medo cat\`, cold cache: $mid | $1 | $2 | $(awk "BEGIN { printf \"%.4f\", $2 / $pack_bytes }") | |"
rm -rf "$W/cache"
m=$(mark)
medo cat "$W/m/tar.treeptr" "$mid" >/dev/null
set -- $(counts "$m")
echo "| \`medo cat\` of the tar kind (the whole object), cold cache | $1 | $2 | - | |"

# A partial expand of one file against the whole tree, cold cache.
for kind in tree tar; do
	rm -rf "$W/cache"
	m=$(mark)
	medo expand -q "$W/m/$kind.treeptr" "$W/part-$kind" -- "$mid"
	set -- $(counts "$m")
	p="$1 $2"
	rm -rf "$W/cache"
	m=$(mark)
	medo expand -q "$W/m/$kind.treeptr" "$W/whole-$kind"
	set -- $p $(counts "$m")
	echo "| \`medo expand -- $mid\` of the $kind kind, cold cache; the whole tree | $1; $3 | $2; $4 | $(awk "BEGIN { printf \"%.4f\", $2 / $4 }") of the whole expand | $([ $kind = tree ] && echo "the index, the trees on the way, the record, 1 blob" || echo "the whole object") |"
done

# Version N+1 with version N cached.
if [ -n "$versions" ] && [ "$(ls "$versions"/*.tar 2>/dev/null | wc -l)" -ge 2 ]; then
	set -- $(ls "$versions"/*.tar | head -n 2)
	a=$1 b=$2
	mkdir -p "$W/va" "$W/vb"
	tar -xf "$a" -C "$W/va" && tar -xf "$b" -C "$W/vb"
	an=$(basename "$a" .tar) bn=$(basename "$b" .tar)
	medo add -q --kind=tree --silo "$h/www/deps.silo" "$W/va" "$W/m/a.treeptr"
	medo add -q --kind=tree --silo "$h/www/deps.silo" "$W/vb" "$W/m/b.treeptr"
	pb=
	for p in $(sed -n 's/^ *"\(pack-[0-9a-f]*\)",*$/\1/p' "$W/m/b.treeptr"); do
		grep -q "\"$p\"" "$W/m/a.treeptr" || pb=$p
	done
	# The changed files' objects: the blobs only version N+1's pack
	# holds, but its size table.
	st=$(sed -n 's/^  "object": "\(.*\)",$/\1/p' "$W/m/b.treeptr")
	changed=$(git verify-pack -v "$h/www/deps.silo/pack/$pb.idx" |
		awk -v st="$st" '$2 == "blob" && $1 != st { n++; b += $4 } END { printf "%d %d", n, b }')
	medo expand -q "$W/m/a.treeptr" "$W/outa"
	m=$(mark)
	medo expand -q "$W/m/b.treeptr" "$W/outb"
	set -- $(counts_all "$m")
	reqs="$1 (config.json included)" bytes=$2
	set -- $changed
	echo "| \`medo expand\` $bn with $an cached ($1 changed blobs, $2 bytes packed) | $reqs | $bytes | $(awk "BEGIN { printf \"%.3fx the changed blobs\", $bytes / $2 }") | at most 1.1x |"
	rm -rf "$W/cache"
	medo ls -r "$W/m/a.treeptr" >/dev/null
	m=$(mark)
	medo diff "$W/m/a.treeptr" "$W/m/b.treeptr" >"$W/diff" || :
	set -- $(counts "$m")
	echo "| \`medo diff\` $an $bn ($(wc -l <"$W/diff") paths; $an's tree section cached) | $1 | $2 | $(awk "BEGIN { printf \"%.4f\", $2 / $(stat -c %s "$h/www/deps.silo/pack/$pb.pack") }") of $bn's pack | the tree objects that differ |"
fi

# medo mount: from starting it to the first ls of its root answering.
time_mount() {
	t0=$(now)
	medo mount "$W/m/tree.treeptr" "$W/mnt"
	ls "$W/mnt" >/dev/null
	t1=$(now)
	fusermount3 -u "$W/mnt"
	awk "BEGIN { printf \"%.3f\\n\", $t1 - $t0 }"
}
if [ -c /dev/fuse ] && command -v fusermount3 >/dev/null; then
	mkdir -p "$W/mnt"
	: >"$W/cold" && : >"$W/warm"
	run=0
	while [ $run -lt "$RUNS" ]; do
		rm -rf "$W/cache"
		time_mount >>"$W/cold"
		time_mount >>"$W/warm"
		run=$((run + 1))
	done
	echo
	echo "\`medo mount\` until the first \`ls\` of its root answers, $RUNS runs, median"
	echo "(goal: under 0.5 s): cold cache $(median <"$W/cold") s, tree section cached"
	echo "$(median <"$W/warm") s."
else
	echo
	echo "\`medo mount\`: not measured (no /dev/fuse or fusermount3)."
fi
