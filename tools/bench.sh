#!/bin/sh
# make bench: our tools next to tar, gzip, pigz and git on the same data,
# in the same run.  Each pair of commands runs alternately RUNS times; the
# table shows median wall times, their ratio, sizes and peak memory.
#
#	tools/bench.sh [REPORT]	the table also goes to REPORT (Markdown)
#
#	QUICK=1		smaller corpora and fewer runs (about 2 minutes)
#	SILO_BENCH_DIR	where corpora are kept between runs
#			(default ~/.cache/silo-bench, outside the source tree)
#
# Every run writes into a fresh directory: a file system that is asked to
# create many files soon after deleting many is much slower, so nothing is
# deleted until the end.
set -eu

: "${SILO_BUILD_DIR:?run me through make bench}"
PATH="$SILO_BUILD_DIR/bin:$PATH"
export PATH
QUICK=${QUICK:-0}
CORPORA=${SILO_BENCH_DIR:-$HOME/.cache/silo-bench}
if [ "$QUICK" = 1 ]; then RUNS=3; else RUNS=5; fi
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/silo-bench.XXXXXX")
RESULTS=$WORK/results.tsv
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$CORPORA"
# Nothing is deleted until the end: a full run needs room for all of it
# (about 45 GB), better refused now than failing after 15 minutes.
avail_kb=$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')
if [ "$QUICK" != 1 ] && [ "$avail_kb" -lt $((45 * 1024 * 1024)) ]; then
	echo "bench: needs about 45 GB free under $(dirname "$WORK"); $((avail_kb / 1048576)) GB there" >&2
	exit 1
fi
# The benchmarks run from here work in it too, and leave deleting to us.
SILO_BENCH_TMP=$WORK/sub
mkdir "$SILO_BENCH_TMP"
export SILO_BENCH_TMP
export SILO_CACHE_DIR=$WORK/cache

say() { printf '%s\n' "$*" >&2; }
. "$(dirname "$0")/bench-nginx.sh"

# ---- measuring ----

run_seq=0

# measure CMD: run CMD (a shell string) in a fresh directory $D, and
# print "seconds peak-kB".  Not in a subshell: run_seq must count.
measure() {
	run_seq=$((run_seq + 1))
	D=$WORK/run/$run_seq
	mkdir -p "$D"
	export D
	# What earlier runs wrote is written back now, not during this one.
	sync
	/usr/bin/time -f '%e %M' -o "$D.time" sh -c "$1" >/dev/null 2>"$D.err" || {
		say "bench: command failed: $1"
		cat "$D.err" >&2
		exit 1
	}
	tail -n 1 "$D.time"
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# pair JOB OURS PEER [SIZE_OURS SIZE_PEER]: alternate OURS and PEER RUNS
# times; SIZE_* are shell strings printing a size in bytes of the last
# run's output ($D is that run's directory).
pair() {
	job=$1 ours=$2 peer=$3 size_ours=${4:-} size_peer=${5:-}
	so=- sp=-
	: >"$WORK/o" && : >"$WORK/p"
	run=0
	while [ $run -lt $RUNS ]; do
		measure "$ours" >>"$WORK/o"
		[ -n "$size_ours" ] && so=$(D=$D sh -c "$size_ours")
		measure "$peer" >>"$WORK/p"
		[ -n "$size_peer" ] && sp=$(D=$D sh -c "$size_peer")
		run=$((run + 1))
	done
	to=$(cut -d' ' -f1 "$WORK/o" | median)
	tp=$(cut -d' ' -f1 "$WORK/p" | median)
	mo=$(cut -d' ' -f2 "$WORK/o" | sort -n | tail -n 1)
	mp=$(cut -d' ' -f2 "$WORK/p" | sort -n | tail -n 1)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$job" "$to" "$tp" \
		"$so" "$sp" "$mo" "$mp" >>"$RESULTS"
	say "  $job: ours ${to}s, peer ${tp}s"
}

# ---- corpora ----

synthetic_tiny() {
	dir=$CORPORA/tiny-$1
	[ -d "$dir" ] && { echo "$dir"; return; }
	say "bench: generating $1 tiny files"
	python3 - "$dir.tmp" "$1" <<-'EOT'
	import os, random, sys
	root, n = sys.argv[1], int(sys.argv[2])
	rng = random.Random(42)
	words = [("".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 9)))) for _ in range(2000)]
	for i in range(n):
	    d = os.path.join(root, "d%02d" % (i % 97), "e%02d" % (i % 13))
	    os.makedirs(d, exist_ok=True)
	    with open(os.path.join(d, "f%06d.txt" % i), "w") as f:
	        f.write(" ".join(rng.choice(words) for _ in range(rng.randint(0, 300))))
	EOT
	mv "$dir.tmp" "$dir"
	echo "$dir"
}

synthetic_huge() {
	dir=$CORPORA/huge-$1
	[ -d "$dir" ] && { echo "$dir"; return; }
	say "bench: generating 3 files of $1 MB"
	mkdir -p "$dir.tmp"
	for i in 1 2 3; do
		# Half text, half random: compressible like real tarballs.
		{ seq $((i * 1000000)) $((i * 1000000 + $1 * 60000)) | head -c $(($1 * 524288))
		  head -c $(($1 * 524288)) /dev/zero | openssl enc -aes-128-ctr -nosalt \
			-K 000102030405060708090a0b0c0d0e0f -iv $(printf '%032x' $i); } >"$dir.tmp/huge$i"
	done
	mv "$dir.tmp" "$dir"
	echo "$dir"
}

npm_tree() {
	dir=$CORPORA/npm-tree/node_modules
	if [ ! -d "$dir" ]; then
		command -v npm >/dev/null || { say "bench: npm missing; skipping the npm tree"; return 1; }
		say "bench: npm install react-scripts@5.0.1 react react-dom (once)"
		mkdir -p "$CORPORA/npm-tree"
		(cd "$CORPORA/npm-tree" &&
		 echo '{"name":"bench-tree","version":"1.0.0","private":true}' >package.json &&
		 npm install --no-audit --no-fund --loglevel=error react-scripts@5.0.1 react react-dom >&2) ||
			return 1
	fi
	echo "$dir"
}

# ---- jobs ----

bench_tree() {
	name=$1 src=$2
	say "bench: $name ($(find "$src" -type f | wc -l) files, $(du -sh "$src" | cut -f1))"
	silo init "$WORK/$name.silo"
	pair "add $name vs tar|gzip -6" \
		"silo init \$D/s && medo add --silo \$D/s '$src' \$D/x.treeptr" \
		"tar -cf - -C '$src' . | gzip -6 >\$D/x.tar.gz" \
		"du -sb \$D/s/objects | cut -f1" "stat -c %s \$D/x.tar.gz"
	pair "add $name vs tar|pigz -p2" \
		"silo init \$D/s && medo add --silo \$D/s '$src' \$D/x.treeptr" \
		"tar -cf - -C '$src' . | pigz -6 -p2 >\$D/x.tar.gz" \
		"du -sb \$D/s/objects | cut -f1" "stat -c %s \$D/x.tar.gz"
	# One stored copy for the read jobs.
	medo add --silo "$WORK/$name.silo" "$src" "$WORK/$name.treeptr"
	tar -cf - -C "$src" . | gzip -6 >"$WORK/$name.tar.gz"
	pair "expand $name vs tar -xzf" \
		"medo expand --silo '$WORK/$name.silo' '$WORK/$name.treeptr' \$D/out" \
		"mkdir \$D/out && tar -xzf '$WORK/$name.tar.gz' -C \$D/out"
	pair "verify dir $name vs git write-tree" \
		"medo verify '$WORK/$name.treeptr' '$src'" \
		"git init -q \$D/g && git --git-dir=\$D/g/.git --work-tree='$src' add -A && git --git-dir=\$D/g/.git write-tree"
}

# The tree kind (git objects in a pack) against the tar kind: add,
# expand, and the size each leaves in the silo.
bench_kinds() {
	name=$1 src=$2
	pair "add $name --kind=tree vs --kind=tar" \
		"silo init \$D/s && medo add --kind=tree --silo \$D/s '$src' \$D/x.treeptr" \
		"silo init \$D/s && medo add --kind=tar --silo \$D/s '$src' \$D/x.treeptr" \
		"du -sb \$D/s/pack | cut -f1" "du -sb \$D/s/objects | cut -f1"
	silo init "$WORK/k-$name.silo"
	medo add --kind=tree --silo "$WORK/k-$name.silo" "$src" "$WORK/k-$name-tree.treeptr"
	medo add --kind=tar --silo "$WORK/k-$name.silo" "$src" "$WORK/k-$name-tar.treeptr"
	pair "expand $name --kind=tree vs --kind=tar" \
		"medo expand --silo '$WORK/k-$name.silo' '$WORK/k-$name-tree.treeptr' \$D/out" \
		"medo expand --silo '$WORK/k-$name.silo' '$WORK/k-$name-tar.treeptr' \$D/out"
}

bench_silo_verify() {
	name=$1 src=$2
	# The same objects, loose in a silo and in a git repository.
	s=$WORK/v-$name.silo g=$WORK/v-$name.git
	silo init "$s" && git init -q --bare "$g"
	find "$src" -type f | head -n 20000 >"$WORK/v-$name.list"
	xargs silo put --silo "$s" <"$WORK/v-$name.list" >/dev/null
	xargs git --git-dir="$g" hash-object -w <"$WORK/v-$name.list" >"$WORK/v-$name.ids"
	pair "silo verify $name (loose) vs git fsck" \
		"silo verify '$s'" "git --git-dir='$g' fsck --full --no-dangling"
	if silo repack --help >/dev/null 2>&1; then
		silo repack --silo "$s" -q -a -d
		# The blobs are in no commit: pack them by name, as repack would.
		sort -u "$WORK/v-$name.ids" |
			git --git-dir="$g" pack-objects -q "$g/objects/pack/pack" >/dev/null
		gp=$(ls "$g"/objects/pack/*.idx | head -n 1)
		pair "silo verify $name (packed) vs git verify-pack" \
			"silo verify '$s'" "git verify-pack '$gp'"
	fi
}

# Expanding N treeptrs from nginx on loopback, next to a loop of
# curl | tar xz over the same trees as .tar.gz, cold and warm cache.
bench_http() {
	n=$1
	versions=$CORPORA/typescript
	ls "$versions"/*.tar >/dev/null 2>&1 || { say "bench: no npm versions cached; skipping HTTP"; return 0; }
	h=$WORK/http
	mkdir -p "$h/www" "$h/tmp" "$h/src" "$h/medo"
	silo init "$h/www/deps.silo"
	bench_nginx "$h" off || { say "bench: nginx does not start"; return 0; }
	echo "{ \"silos\": [\"$url/deps.silo\"] }" >"$h/medo/SILO.json"
	i=0
	for tar in $(ls "$versions"/*.tar | head -n "$n"); do
		i=$((i + 1))
		mkdir "$h/src/v$i" && tar -xf "$tar" -C "$h/src/v$i"
		medo add --silo "$h/www/deps.silo" "$h/src/v$i" "$h/medo/v$i.treeptr"
		tar -cf - -C "$h/src" "v$i" | gzip -6 >"$h/www/v$i.tar.gz"
	done
	say "bench: $i trees ($(du -sh "$h/src" | cut -f1)) served by nginx at $url"
	loop="mkdir \$D/out && for k in \$(seq 1 $i); do curl -sf $url/v\$k.tar.gz | tar -xzf - -C \$D/out || exit 1; done"
	pair "expand $i trees over HTTP -j4, cold cache, vs curl|tar xz loop" \
		"SILO_CACHE_DIR=\$D/cache medo expand -j 4 '$h/medo' \$D/out" "$loop"
	SILO_CACHE_DIR=$h/warm medo expand -q -j 4 "$h/medo" "$h/warm-out"
	pair "expand $i trees over HTTP -j4, warm cache, vs curl|tar xz loop" \
		"SILO_CACHE_DIR='$h/warm' medo expand -j 4 '$h/medo' \$D/out" "$loop"
	kill "$(cat "$h/nginx.pid")"
}

# A huge object stored as a delta over a base of the same size: reading
# and verifying it, next to git reading the same pack (silo's packs are
# git's).  Setting it up (repack) is not measured.
bench_big_delta() {
	mb=$1
	d=$WORK/bigdelta
	mkdir -p "$d"
	say "bench: an object of $mb MB stored as a delta over one of $mb MB"
	head -c $((mb * 1000000)) /dev/zero | openssl enc -aes-128-ctr -nosalt \
		-K 000102030405060708090a0b0c0d0e0f -iv "$(printf %032x 12)" >"$d/a"
	{ head -c $((mb * 500000)) "$d/a" && printf XXXXXXXX &&
	  tail -c +$((mb * 500000 + 9)) "$d/a" && echo end; } >"$d/b"
	silo init "$d/s"
	silo put --silo "$d/s" "$d/a" "$d/b" >/dev/null
	silo repack --silo "$d/s" -q -a -d
	rm -f "$d/a" "$d/b"
	git init -q --bare "$d/g"
	cp "$d"/s/pack/pack-*.pack "$d"/s/pack/pack-*.idx "$d/g/objects/pack/"
	# The one stored as a delta (git verify-pack -v names its base).
	id=$(git verify-pack -v "$d"/g/objects/pack/pack-*.idx | awk 'NF == 7 { print $1; exit }')
	[ -n "$id" ] || { say "bench: repack made no delta; skipping"; return 0; }
	pair "read a $mb MB delta object vs git cat-file" \
		"silo cat --silo '$d/s' $id" "git --git-dir='$d/g' cat-file blob $id"
	pair "verify a pack with a $mb MB delta object vs git verify-pack" \
		"silo verify '$d/s'" "git verify-pack $d/g/objects/pack/pack-*.idx"
}

# ---- report ----

machine() {
	echo "- date: $(date -u +%Y-%m-%d)"
	echo "- cores: $(nproc), memory: $(free -g | awk '/^Mem:/ { print $2 }') GiB"
	echo "- cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
	echo "- file system: $(df -T "$WORK" | awk 'NR == 2 { print $2 }') ($WORK)"
	echo "- peers: $(tar --version | head -n 1), gzip $(gzip --version | head -n 1 | cut -d' ' -f2), pigz $(pigz --version 2>&1 | cut -d' ' -f2), $(git --version)"
}

report() {
	echo "# silo/medo benchmark"
	echo
	machine
	echo "- runs per command: $RUNS, alternating; times are medians (s), memory is the peak (MB)"
	echo
	echo "| job | ours (s) | peer (s) | ours/peer | our size | peer size | size ratio | our peak MB | peer peak MB |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	awk -F'\t' '{
		ratio = ($3 > 0) ? sprintf("%.2f", $2 / $3) : "-"
		sratio = ($4 != "-" && $5 != "-" && $5 > 0) ? sprintf("%.3f", $4 / $5) : "-"
		job = $1
		gsub(/\|/, "\\|", job)	# a pipe in a name would split the cell
		printf "| %s | %s | %s | %s | %s | %s | %s | %.0f | %.0f |\n", job, $2, $3, ratio, $4, $5, sratio, $6 / 1024, $7 / 1024
	}' "$RESULTS"
	if [ -s "$WORK/knot.md" ]; then
		echo
		cat "$WORK/knot.md"
	fi
	if [ -s "$WORK/lazy.md" ]; then
		echo
		cat "$WORK/lazy.md"
	fi
	if [ -s "$WORK/push.md" ]; then
		echo
		cat "$WORK/push.md"
	fi
	if [ -s "$WORK/repack.txt" ]; then
		echo
		echo "## silo repack vs git repack (20 versions of one npm package)"
		echo
		echo '```'
		cat "$WORK/repack.txt"
		echo '```'
	fi
}

# ---- main ----

: >"$RESULTS"
if [ "$QUICK" = 1 ]; then
	bench_tree tiny "$(synthetic_tiny 5000)"
	bench_tree huge "$(synthetic_huge 20)"
	bench_kinds tiny "$(synthetic_tiny 5000)"
	bench_kinds huge "$(synthetic_huge 20)"
	bench_silo_verify tiny "$(synthetic_tiny 5000)"
	bench_big_delta 100
	bench_http 3
	sh "$(dirname "$0")/bench-push.sh" "$CORPORA/typescript" 3 >"$WORK/push.md" ||
		say "bench: push benchmark failed"
	sh "$(dirname "$0")/bench-lazy.sh" "$(synthetic_tiny 5000)" "$CORPORA/typescript" \
		>"$WORK/lazy.md" || say "bench: lazy-read benchmark failed"
else
	if tree=$(npm_tree); then
		bench_tree npm "$tree"
		bench_kinds npm "$tree"
		bench_silo_verify npm "$tree"
	fi
	bench_tree tiny "$(synthetic_tiny 30000)"
	bench_tree huge "$(synthetic_huge 100)"
	bench_kinds tiny "$(synthetic_tiny 30000)"
	bench_kinds huge "$(synthetic_huge 100)"
	bench_big_delta 1000
	# Fetches 20 versions of an npm package once, and packs them.
	sh "$(dirname "$0")/bench-repack.sh" >"$WORK/repack.txt" || say "bench: repack benchmark failed"
	bench_http 20
	# silo push over WebDAV against rclone copy: requests, bytes, time.
	sh "$(dirname "$0")/bench-push.sh" "$CORPORA/typescript" 20 >"$WORK/push.md" ||
		say "bench: push benchmark failed"
	# Lazy reads over HTTP: requests, bytes, mount readiness.
	if tree=$(npm_tree); then
		sh "$(dirname "$0")/bench-lazy.sh" "$tree" "$CORPORA/typescript" \
			>"$WORK/lazy.md" || say "bench: lazy-read benchmark failed"
	fi
fi
# knot: cache hits, and the box's overhead on real builds
sh "$(dirname "$0")/bench-knot.sh" >"$WORK/knot.md" || say "bench: knot benchmark failed"
report >"$WORK/report.md"
cat "$WORK/report.md"
[ $# -ge 1 ] && cp "$WORK/report.md" "$1"
exit 0
