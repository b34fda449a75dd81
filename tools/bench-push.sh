#!/bin/sh
# silo push of N versions of one npm package, stored as the tree kind
# (one pack and index per version, as medo add writes them), to a
# WebDAV server (lighttpd with mod_webdav on loopback), next to rclone
# copy of the same silo to the same server: the requests and bytes the
# server received (its access log) and the wall time, for a first push
# to an empty server and for a second one with nothing new.  Prints a
# Markdown section.
#
#	tools/bench-push.sh VERSIONS [N]
#
# VERSIONS is a directory of .tar files of successive versions of one
# package (bench-repack.sh fills it); N (default 20) of them are used.
# Times are medians of RUNS (default 3), each into a new directory.
set -eu

: "${SILO_BUILD_DIR:?run me through make bench}"
PATH="$SILO_BUILD_DIR/bin:$PATH"
export PATH
versions=$1
n=${2:-20}
RUNS=${RUNS:-3}
W=$(mktemp -d "${SILO_BENCH_TMP:-${TMPDIR:-/var/tmp}}/silo-push.XXXXXX")
rm_work='rm -rf "$W"'
[ -z "${SILO_BENCH_TMP:-}" ] || rm_work=:
trap 'kill "$(cat "$W/dav/pid" 2>/dev/null)" 2>/dev/null || :; eval "$rm_work"' EXIT

say() { printf '%s\n' "$*" >&2; }

ls "$versions"/*.tar >/dev/null 2>&1 || { say "bench-push: no versions in $versions"; exit 1; }
command -v lighttpd >/dev/null || { say "bench-push: lighttpd is missing"; exit 1; }

# The silo: N versions, the tree kind.
silo init -q "$W/s"
mkdir -p "$W/src" "$W/m"
i=0
for tar in $(ls "$versions"/*.tar | head -n "$n"); do
	i=$((i + 1))
	mkdir "$W/src/v$i" && tar -xf "$tar" -C "$W/src/v$i"
	medo add -q --kind=tree --silo "$W/s" "$W/src/v$i" "$W/m/v$i.treeptr"
done
files=$(find "$W/s" -type f ! -name 'tmp_*' | wc -l)
size=$(du -sb "$W/s" | cut -f1)

# The server: lighttpd, logging "METHOD STATUS BYTES-IN" through a pipe.
d=$W/dav
mkdir -p "$d/root" "$d/tmp"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$d/lighttpd.conf" <<EOT
server.bind = "127.0.0.1"
server.port = $port
server.pid-file = "$d/pid"
server.errorlog = "$d/error.log"
server.upload-dirs = ( "$d/tmp" )
server.document-root = "$d/root"
mimetype.assign = ( "" => "application/octet-stream" )
server.modules = ( "mod_accesslog", "mod_webdav" )
accesslog.filename = "|exec cat >>'$d/access.log'"
accesslog.format = "%m %s %I %U"
static-file.etags = "enable"
webdav.activate = "enable"
webdav.sqlite-db-name = "$d/webdav.db"
EOT
lighttpd -f "$d/lighttpd.conf"
url=http://127.0.0.1:$port
: >"$d/access.log"
seq=0
# Wait until the log holds every request answered before now.
log_sync() {
	seq=$((seq + 1))
	curl -s -o /dev/null "$url/.sync-$seq"
	k=0
	until grep -q "/.sync-$seq\$" "$d/access.log"; do
		k=$((k + 1)); [ $k -lt 200 ] || { say "bench-push: lighttpd logs nothing"; exit 1; }
		sleep 0.05
	done
}

export RCLONE_CONFIG_DAV_TYPE=webdav RCLONE_CONFIG_DAV_URL=$url RCLONE_CONFIG_DAV_VENDOR=other
ours() { silo push --silo "$W/s" "$url/$1"; }
peer() { rclone copy --exclude 'tmp_*' "$W/s" "dav:$1"; }

# measure WHO DEST: run it, print "seconds requests bytes-received".
measure() {
	log_sync
	before=$(wc -l <"$d/access.log")
	t0=$(date +%s.%N)
	$1 "$2" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
	t1=$(date +%s.%N)
	log_sync
	tail -n +$((before + 1)) "$d/access.log" | grep -v '/\.sync-' |
		awk -v t="$(echo "$t1 $t0" | awk '{ printf "%.2f", $1 - $2 }')" \
			'{ b += $3 } END { printf "%s %d %d\n", t, NR, b }'
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

: >"$W/rows"
for who in ours peer; do
	for pass in first again; do
		: >"$W/t"
		r=0
		while [ $r -lt "$RUNS" ]; do
			r=$((r + 1))
			# the first pass makes $who-$r, the second finds it full
			measure $who "$who-$r" >>"$W/t"
		done
		t=$(cut -d' ' -f1 "$W/t" | median)
		set -- $(tail -n 1 "$W/t")
		echo "$who $pass $t $2 $3" >>"$W/rows"
	done
done
[ -z "$(find "$d/root/ours-1" -name 'tmp_*')" ]
silo verify -q "$d/root/ours-1"

echo "## silo push over WebDAV vs rclone copy ($i versions of one npm package)"
echo
echo "A silo of $i versions of $(basename "$(ls "$versions"/*.tar | head -n 1)" .tar | sed 's/-[0-9.]*$//'),"
echo "each added as the tree kind ($files files, $size bytes), sent to lighttpd $(lighttpd -v | sed -n 's|^lighttpd/\([^ ]*\).*|\1|p')"
echo "with mod_webdav on loopback; requests and bytes as the server logged them"
echo "(bytes received, headers included); times are medians of $RUNS runs."
echo "$(rclone version | head -n 1) copies 4 files at once; silo push one at a time."
echo
echo "| run | silo push (s) | requests | bytes in | rclone copy (s) | requests | bytes in |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for pass in first again; do
	set -- $(grep "^ours $pass " "$W/rows")
	o="$3 | $4 | $5"
	set -- $(grep "^peer $pass " "$W/rows")
	p="$3 | $4 | $5"
	case $pass in first) what="to an empty server" ;; *) what="again, nothing new" ;; esac
	echo "| $what | $o | $p |"
done
