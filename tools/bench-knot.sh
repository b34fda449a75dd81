#!/bin/sh
# knot's part of 'make bench': a Markdown section on standard output.
#
#	- a cache-hit 'knot build' of 10 published wedges, and the expand
#	  of their derived medo;
#	- dash and cmark (Debian's sources) built boxed and unboxed,
#	  alternately, each into a fresh derived medo;
#	- 20 synthetic wedges of 2 s of CPU work each, ten of them needing
#	  another, built with -j2: the wall time against the ideal schedule
#	  on 2 cores, the larger of the work over the jobs and the critical
#	  path (20 s: 40 s of work, a critical path of 4 s), and what each
#	  task cost beyond its work; then the same build again, with
#	  nothing to do;
#	- 3 workers against 1 over a repository of 12 wedges of 1 s of CPU
#	  work each: the speed-up and the builds done twice (adopted).
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
# SILO_BENCH_TMP: as in bench-repack.sh, the caller deletes it.
WORK=$(mktemp -d "${SILO_BENCH_TMP:-${TMPDIR:-/var/tmp}}/knot-bench.XXXXXX")
rm_work='rm -rf "$WORK"'
[ -z "${SILO_BENCH_TMP:-}" ] || rm_work=:
trap 'eval "$rm_work"; rm -rf /wedge/bench.invalid 2>/dev/null; rmdir /wedge 2>/dev/null || :' EXIT
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

# ---- the graph: 20 wedges of 2 s, on 2 cores ----
# busy_recipe DIR NAME SECS [DEP]: a recipe whose make keeps a CPU busy.
busy_recipe() {
	mkdir -p "$1/deps/source.medo/$2" "$1/src-$2/$2-1.0"
	echo "$2" >"$1/src-$2/$2-1.0/data.txt"
	medo add "$1/src-$2" "$1/deps/source.medo/$2/$2-1.0.treeptr"
	cat >"$1/deps/source.medo/$2/WEDGE" <<-EOT
	WEDGE_NAME=$2
	WEDGE_VERSION=1.0
	${4:+WEDGE_DEPS=$4}
	wedge-make() { timeout $3 sh -c 'while :; do :; done' || :; cp "\$1/data.txt" .; }
	wedge-install() { cp data.txt "\$2/"; }
	EOT
}
mkdir g && silo init g/deps.silo >/dev/null && mkdir -p g/deps/source.medo &&
echo '{ "silos": ["../../deps.silo"] }' >g/deps/source.medo/SILO.json
for i in 01 02 03 04 05 06 07 08 09 10; do
	busy_recipe g a$i 2
	busy_recipe g b$i 2 a$i
done
say "bench-knot: 20 wedges, -j2"
graph=$(cd g && seconds knot build $box -j2 -q deps/source.medo)
again=$(cd g && seconds knot build $box -j2 -q deps/source.medo)
# The ideal schedule: 20 tasks of 2 s on 2 jobs, the longest chain 2 tasks.
ideal=$(awk "BEGIN { w = 20 * 2 / 2; c = 2 * 2; print (w > c) ? w : c }")
gratio=$(awk "BEGIN { printf \"%+.1f%%\", ($graph / $ideal - 1) * 100 }")
# Beyond the ideal, per task: each job ran 10 tasks one after another.
pertask=$(awk "BEGIN { printf \"%.0f ms\", ($graph - $ideal) / 10 * 1000 }")

# ---- workers: 3 against 1 ----
mkdir wk && silo init wk/shared.silo >/dev/null && mkdir -p wk/seed/deps/source.medo &&
echo '{ "silos": ["../../../shared.silo"] }' >wk/seed/deps/source.medo/SILO.json
for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
	busy_recipe wk/seed w$i 1
	mv wk/seed/src-w$i wk/
done
(cd wk/seed && git init -q -b main && git add -A &&
 git -c user.name=bench -c user.email=bench@localhost commit -q -m recipes)
cp -R wk/shared.silo wk/template.silo
workers() {
	# Set aside, not deleted: see SILO_BENCH_TMP above.
	{ ! [ -d wk/run ] || mv wk/run "wk/run.$(date +%s%N)"; } &&
	mkdir wk/run && cp -R wk/template.silo wk/run/shared.silo &&
	git clone -q --bare wk/seed wk/run/repo.git &&
	( cd wk/run && n=0 && while [ $n -lt $1 ]; do
		n=$((n + 1))
		knot worker -v $box --once --poll=200 --repo="$PWD/repo.git" --silo="$PWD/shared.silo" \
			--work-dir=w$n >out$n 2>&1 &
	  done; wait )
}
say "bench-knot: 1 worker"
one=$(seconds workers 1)
say "bench-knot: 3 workers"
three=$(seconds workers 3)
dups=$(cat wk/run/out* | grep -c " adopted " || :)
built=$(cat wk/run/out* | grep -c " published " || :)

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
echo
echo "| scale | time (s) | reference (s) | |"
echo "|---|---:|---:|---:|"
echo "| knot build -j2 of 20 wedges of 2 s (10 need another) vs the ideal schedule | $graph | $ideal | $gratio; $pertask per task |"
echo "| the same build again: 20 published wedges, nothing to do | $again | - | - |"
echo "| 1 knot worker, 12 wedges of 1 s | $one | - | - |"
echo "| 3 knot workers, the same | $three | $one | speed-up $(awk "BEGIN { printf \"%.2f\", $one / $three }"); $built published, $dups built twice (adopted) |"
