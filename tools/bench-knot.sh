#!/bin/sh
# knot's part of 'make bench': a Markdown section on standard output.
#
#	- a cache-hit 'knot build' of 10 published wedges, and the expand
#	  of their derived medo;
#	- dash and cmark (Debian's sources) built boxed and unboxed,
#	  alternately, each into a fresh derived medo.
#
#	KNOT_BENCH_RUNS	runs of each (default 3); medians are shown
#
# Unboxed builds of absolute wedges (dash) install at their real path:
# they run with KNOT_DOMAIN=bench.invalid, need /wedge/bench.invalid to
# be writable (root), and it is removed after each run; elsewhere the
# dash rows are skipped.
set -eu

: "${SILO_BUILD_DIR:?run me through make bench}"
PATH="$SILO_BUILD_DIR/bin:$PATH"
export PATH
RUNS=${KNOT_BENCH_RUNS:-3}
SRC=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/knot-bench.XXXXXX")
trap 'rm -rf "$WORK"; rm -rf /wedge/bench.invalid 2>/dev/null; rmdir /wedge 2>/dev/null || :' EXIT
KNOT_DOMAIN=bench.invalid
export KNOT_DOMAIN

say() { printf '%s\n' "$*" >&2; }

# seconds CMD...: run CMD, print its wall time in seconds.
seconds() {
	s=$(date +%s.%N)
	"$@" >"$WORK/out" 2>"$WORK/err" || { say "bench-knot: failed: $*"; cat "$WORK/err" >&2; exit 1; }
	e=$(date +%s.%N)
	awk "BEGIN { printf \"%.3f\n\", $e - $s }"
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

cd "$WORK"
silo init deps.silo >/dev/null
mkdir -p deps/source.medo
echo '{ "silos": ["../../deps.silo"] }' >deps/source.medo/SILO.json

# ---- 10 published wedges: a cache hit ----
for i in 01 02 03 04 05 06 07 08 09 10; do
	mkdir -p src-w$i/w$i-1.0 deps/source.medo/w$i
	seq 1 2000 | sed "s/^/w$i line /" >src-w$i/w$i-1.0/data.txt
	medo add src-w$i deps/source.medo/w$i/w$i-1.0.treeptr
	cat >deps/source.medo/w$i/WEDGE <<-EOT
	WEDGE_NAME=w$i
	WEDGE_VERSION=1.0
	wedge-make() { cp "\$1/data.txt" .; }
	wedge-install() { mkdir -p "\$2/share"; cp data.txt "\$2/share/"; }
	EOT
done
box=
bwrap --unshare-all --ro-bind / / true 2>/dev/null || box=--unboxed
knot build $box -j 2 deps/source.medo
: >hit && : >expand
r=0
while [ $r -lt $RUNS ]; do
	r=$((r + 1))
	seconds knot build $box deps/source.medo >>hit
	seconds medo expand -q deps/derived.medo out-$r >>expand
done
hit=$(median <hit)
exp=$(median <expand)

# ---- dash and cmark, boxed and unboxed ----
rows=
if fetched=$(sh "$SRC/tools/fetch-sources.sh" dash cmark 2>"$WORK/fetch.err"); then
	echo "$fetched" | while read -r pkg version file; do
		cp -R "$SRC/deps/source.medo/$pkg" deps/source.medo/
		rm -f deps/source.medo/$pkg/*.treeptr
		medo add "$file" deps/source.medo/$pkg/$pkg-$version.treeptr
	done
	for pkg in dash cmark; do
		if [ -n "$box" ]; then
			say "bench-knot: no working bubblewrap; no boxed rows"
			break
		fi
		if [ $pkg = dash ] && ! mkdir -p /wedge/bench.invalid 2>/dev/null; then
			say "bench-knot: /wedge/bench.invalid is not writable; skipping dash"
			continue
		fi
		: >boxed && : >unboxed
		r=0
		while [ $r -lt $RUNS ]; do
			r=$((r + 1))
			say "bench-knot: $pkg run $r"
			seconds knot build --derived "$WORK/d-box-$pkg-$r" deps/source.medo/$pkg >>boxed
			seconds knot build --unboxed --derived "$WORK/d-unbox-$pkg-$r" deps/source.medo/$pkg >>unboxed
			rm -rf /wedge/bench.invalid/pkg/$pkg 2>/dev/null || :
		done
		b=$(median <boxed)
		u=$(median <unboxed)
		rows="$rows$(printf '| build %s, boxed vs unboxed | %s | %s | %s |' $pkg "$b" "$u" \
			"$(awk "BEGIN { printf \"%+.1f%%\", ($b / $u - 1) * 100 }")")
"
	done
else
	say "bench-knot: no dash and cmark sources: $(tail -n 1 "$WORK/fetch.err")"
fi

echo "## knot"
echo
echo "- runs per command: $RUNS; times are medians of wall time (s)"
echo "- box: ${box:-bubblewrap $(bwrap --version | cut -d' ' -f2)}"
echo
echo "| job | time (s) | unboxed (s) | box overhead |"
echo "|---|---:|---:|---:|"
echo "| knot build of 10 published wedges (cache hit) | $hit | - | - |"
echo "| medo expand of their derived medo (10 trees) | $exp | - | - |"
printf '%s' "$rows"
