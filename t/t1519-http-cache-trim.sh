#!/bin/sh
test_description='silo cache: the size of the HTTP(S) cache, trimmed least recently used first'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-json.sh"

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=30
start_httpd || { echo "1..0 # SKIP nginx does not start"; exit 0; }
start_fault_server stall "$HTTPD_ROOT" ||
	{ echo "1..0 # SKIP python3 fault server does not start"; exit 0; }
export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache
unset SILO_CACHE_MAX_SIZE
URL=$HTTPD_URL/deps.silo
C=$SILO_CACHE_DIR

# The helpers, in a file that a shell in a namespace of its own reads
# too (below).
cat >funcs.sh <<\EOF
# path ID: the cache's loose file of ID, relative to the cache.
path() {
	echo "sha1/objects/$(echo $1 | cut -c1-2)/$(echo $1 | cut -c3-).gz"
}

# size ID: its bytes in the cache.
size() {
	stat -c %s "$C/$(path $1)"
}

# total: the bytes silo cache counts.
total() {
	silo cache --json | python3 -c "import json, sys; print(json.load(sys.stdin)[\"bytes\"])"
}

# used FILE HOURS: FILE last used HOURS ago (access time), written long
# ago: more than a day after its modification, so that a relatime
# mount would not set its access time again when it is read.
used() {
	touch -m -d "2020-01-01" "$C/$1" &&
	touch -a -d "@$(($(date +%s) - $2 * 3600))" "$C/$1"
}
EOF
. ./funcs.sh

test_expect_success 'setup: four objects of a silo on nginx, read into the cache' '
	silo init "$HTTPD_ROOT/deps.silo" &&
	for i in 1 2 3 4; do
		test_seeded_file o$i $((20000 * i)) $i &&
		silo put --silo "$HTTPD_ROOT/deps.silo" o$i >id$i &&
		silo cat --silo "$URL" $(cat id$i) >out &&
		test_cmp o$i out || return 1
	done &&
	for i in 1 2 3 4; do used $(path $(cat id$i)) $((10 - i)) || return 1; done
'

test_expect_success 'silo cache: what the cache holds' '
	silo cache >actual &&
	loose=$(($(size $(cat id1)) + $(size $(cat id2)) + $(size $(cat id3)) + $(size $(cat id4)))) &&
	config=$(stat -c %s "$C/sha1/config.json") &&
	{
		echo "$C" &&
		echo "loose objects   4, $loose bytes" &&
		echo "packs           0, 0 bytes" &&
		echo "pack indexes    0, 0 bytes" &&
		echo "temporary files 0, 0 bytes" &&
		echo "total           $((loose + config)) bytes" &&
		echo "max size        none"
	} >expect &&
	test_cmp expect actual &&
	SILO_CACHE_MAX_SIZE=2G silo cache --json >out.json &&
	json_check out.json "assert d[\"max_size\"] == 2 << 30, d
assert d[\"loose\"] == {\"objects\": 4, \"bytes\": $loose}, d
assert d[\"bytes\"] == $((loose + config)) and d[\"dir\"] == \"$C\", d
assert \"removed\" not in d, d"
'

test_expect_success 'sizes: suffixes are powers of 1024; anything else a usage error' '
	for s in 0:0 4096:4096 1k:1024 1K:1024 500M:524288000 2G:2147483648 2GiB:2147483648 \
		 3MB:3145728 1T:1099511627776; do
		silo cache --dir=none --max-size=${s%%:*} --json >out.json &&
		json_check out.json "assert d[\"max_size\"] == ${s#*:}, d" || return 1
	done &&
	for s in "" -1 1.5G 5X 2GB2 " 1" 18446744073709551616 16777216T k; do
		test_expect_code 2 silo cache --max-size="$s" 2>err &&
		echo "silo: error: --max-size: invalid size '\''$s'\'': expected a number of bytes, optionally with k, M, G or T (powers of 1024), as 500M or 2G" >expect &&
		head -n 1 err >actual && test_cmp expect actual &&
		grep "^usage: silo cache " err || return 1
	done
'

test_expect_success 'a bad SILO_CACHE_MAX_SIZE is an error of every reader, not ignored' '
	SILO_CACHE_MAX_SIZE=lots test_expect_code 5 silo cat --silo "$URL" $(cat id1) >out 2>err &&
	test_must_be_empty out &&
	echo "silo: error: SILO_CACHE_MAX_SIZE: invalid size '\''lots'\'': expected a number of bytes, optionally with k, M, G or T (powers of 1024), as 500M or 2G" >expect &&
	test_cmp expect err &&
	SILO_CACHE_MAX_SIZE=lots test_expect_code 5 silo cache 2>err &&
	test_cmp expect err
'

test_expect_success '--max-size: the least recently used go first, until it fits' '
	before=$(total) && n1=$(size $(cat id1)) &&
	silo cache --max-size=$((before - n1)) -v >actual &&
	{
		echo "removed $(path $(cat id1))" &&
		echo "removed 1 files, $n1 bytes; $((before - n1)) bytes left"
	} >expect &&
	test_cmp expect actual &&
	! test -e "$C/$(path $(cat id1))" &&
	test -e "$C/$(path $(cat id2))" && test "$(total)" -eq $((before - n1)) &&
	silo cache --max-size=$((before - n1)) -v >actual &&
	echo "removed 0 files, 0 bytes; $((before - n1)) bytes left" >expect &&
	test_cmp expect actual
'

test_expect_success 'a read marks its object used: it goes last (also on relatime mounts)' '
	# id2 was used longest ago; reading it makes id3 the oldest.
	silo cat --silo "$URL" $(cat id2) >out && test_cmp o2 out &&
	silo cache --max-size=$(($(total) - 1)) -v >actual &&
	echo "removed $(path $(cat id3))" >expect &&
	sed -n 1p actual >line && test_cmp expect line &&
	test -e "$C/$(path $(cat id2))" && test -e "$C/$(path $(cat id4))"
'

# A file system mounted noatime, in a mount namespace of our own: there
# only the explicit mark of a read says an object was used.
test_lazy_prereq NOATIME '
	mkdir -p "$TRASH_DIRECTORY/probe" &&
	unshare -rm sh -c "mount -t tmpfs -o noatime none \"$TRASH_DIRECTORY/probe\"" ||
	{ echo "no mount namespace for a noatime tmpfs (unshare -rm)"; false; }
'

test_expect_success NOATIME 'on a noatime mount too, a read marks its object used' '
	mkdir na &&
	cat >na.sh <<-\EOS &&
	set -e
	mount -t tmpfs -o noatime none na
	grep -q " $PWD/na tmpfs rw,noatime" /proc/mounts
	export SILO_CACHE_DIR=$PWD/na/cache
	C=$SILO_CACHE_DIR
	silo cat --silo "$URL" $(cat id1) >/dev/null
	silo cat --silo "$URL" $(cat id2) >/dev/null
	used $(path $(cat id1)) 2
	used $(path $(cat id2)) 1
	silo cat --silo "$URL" $(cat id1) >out
	cmp o1 out
	total=$(total)
	silo cache --max-size=$((total - 1)) -v | sed -n 1p
	EOS
	URL=$URL unshare -rm sh -c ". ./funcs.sh && . ./na.sh" >actual &&
	echo "removed $(path $(cat id2))" >expect &&
	test_cmp expect actual
'

test_expect_success 'what was removed is fetched again when needed, checked' '
	silo cat --silo "$URL" $(cat id1) >out && test_cmp o1 out &&
	silo cat --silo "$URL" $(cat id3) >out && test_cmp o3 out &&
	test -e "$C/$(path $(cat id1))"
'

test_expect_success 'a reader that has a file open reads it whole after it is removed' '
	test_seeded_file big 1048576 9 &&
	silo put --silo "$HTTPD_ROOT/deps.silo" big >idbig &&
	silo cat --silo "$URL" $(cat idbig) >/dev/null &&
	mkfifo pipe &&
	{ silo cat --silo "$URL" $(cat idbig) >pipe & } &&
	pid=$! &&
	exec 3<pipe &&
	dd bs=1 count=1000 <&3 >part 2>/dev/null &&
	# it reads the cached file: empty the cache under it
	silo cache --max-size=0 >out &&
	test_must_be_empty out &&
	! test -e "$C/$(path $(cat idbig))" &&
	cat <&3 >>part && exec 3<&- &&
	wait $pid &&
	test_cmp big part
'

# A trim of another process may take an object between its download
# and its opening: strace stops the reader (SIGSTOP) once the download
# is linked to its name in the cache, the cache is emptied, and the
# reader, let go, must fetch it again rather than say it is missing.
test_lazy_prereq STRACE_INJECT '
	strace -o /dev/null -e trace=getpid -e inject=getpid:signal=URG true
'

test_expect_success STRACE_INJECT 'an object trimmed just after its download is fetched again' '
	test_seeded_file raced 30000 12 &&
	silo put --silo "$HTTPD_ROOT/deps.silo" raced >idraced &&
	{ ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	  strace -f -o trace.log -P "$C/$(path $(cat idraced))" -e trace=link \
		-e inject=link:signal=STOP:when=1 \
		silo cat --silo "$URL" $(cat idraced) >out 2>err & } &&
	pid=$! &&
	test_wait_for "grep -q \"stopped by SIGSTOP\" trace.log 2>/dev/null" 30 &&
	test -e "$C/$(path $(cat idraced))" &&
	silo cache --max-size=0 &&
	! test -e "$C/$(path $(cat idraced))" &&
	kill -CONT $(pgrep -P $pid) &&
	wait $pid &&
	test_must_be_empty err &&
	test_cmp raced out
'

test_expect_success '--max-size=0 removes packs, their list and indexes of remote packs' '
	mkdir -p tree/sub && echo one >tree/a && echo two >tree/sub/b &&
	mkdir m.medo && echo "{ \"silos\": [\"$URL\"] }" >m.medo/SILO.json &&
	medo add -q --kind=tree --silo "$HTTPD_ROOT/deps.silo" tree m.medo/t.treeptr &&
	medo expand -q m.medo/t.treeptr x1 && diff -r tree x1 &&
	silo cache --json >out.json &&
	json_check out.json "assert d[\"packs\"][\"packs\"] >= 1, d
assert d[\"indexes\"][\"files\"] >= 1, d" &&
	silo cache --max-size=0 --json >out.json &&
	json_check out.json "assert d[\"loose\"][\"objects\"] == 0 and d[\"packs\"][\"packs\"] == 0, d
assert d[\"indexes\"][\"files\"] == 0 and d[\"max_size\"] == 0, d
assert d[\"removed\"][\"files\"] == len(d[\"paths\"]) > 0, d
assert d[\"bytes\"] == sum(len(open(\"$C/\" + f, \"rb\").read()) for f in [\"sha1/config.json\", \"sha1/pack/packs\"]), d" &&
	(cd "$C" && find . -type f) | sort >actual &&
	printf "%s\n" ./sha1/config.json ./sha1/pack/packs ./trim.lock >expect && test_cmp expect actual &&
	ls "$C/sha1/pack" >actual && echo packs >expect && test_cmp expect actual &&
	printf "\n" >expect && test_cmp expect "$C/sha1/pack/packs" &&
	silo verify --silo "$C/sha1" &&
	medo expand -q m.medo/t.treeptr x2 && diff -r tree x2
'

test_expect_success 'a download in progress keeps its temporary file; a stale one goes' '
	silo cache --max-size=0 &&
	test_seeded_file slow 300000 11 &&
	silo put --silo "$HTTPD_ROOT/deps.silo" slow >idslow &&
	{ SILO_HTTP_TIMEOUT=600 silo cat --silo "$FAULT_URL/deps.silo" $(cat idslow) >/dev/null 2>&1 & } &&
	pid=$! &&
	test_when_finished "kill $pid 2>/dev/null || :" &&
	# the download goes to a file named by the object, locked
	tmp=sha1/objects/tmp_fetch_$(cat idslow) &&
	test_wait_for "test -s \"$C/$tmp\"" 30 &&
	touch -d 2020-01-01 "$C/$tmp" &&
	mkdir -p "$C/sha1/objects/ab" &&
	: >"$C/sha1/objects/ab/tmp_obj_stale1" && touch -d 2020-01-01 "$C/sha1/objects/ab/tmp_obj_stale1" &&
	: >"$C/sha1/objects/ab/tmp_obj_young1" &&
	silo cache --max-size=0 -v >actual &&
	printf "removed sha1/objects/ab/tmp_obj_stale1\nremoved 1 files, 0 bytes; %s bytes left\n" \
		$(total) >expect &&
	test_cmp expect actual &&
	test -e "$C/$tmp" && test -e "$C/sha1/objects/ab/tmp_obj_young1" &&
	silo cache --json >out.json &&
	json_check out.json "assert d[\"temporary\"][\"files\"] == 2, d" &&
	kill $pid && { wait $pid || :; } &&
	touch -d 2020-01-01 "$C/$tmp" &&
	silo cache --max-size=0 -v >actual &&
	echo "removed $tmp" >expect && sed -n 1p actual >line && test_cmp expect line &&
	! test -e "$C/$tmp" && rm "$C/sha1/objects/ab/tmp_obj_young1"
'

test_expect_success 'two trims at once take turns: each file removed once, the same survivors' '
	for i in 1 2 3 4; do
		silo cat --silo "$URL" $(cat id$i) >/dev/null &&
		used $(path $(cat id$i)) $((10 - i)) || return 1
	done &&
	keep=$(( $(total) - $(size $(cat id1)) - $(size $(cat id2)) )) &&
	{ silo cache --max-size=$keep -v >t1.out & } && p1=$! &&
	{ silo cache --max-size=$keep -v >t2.out & } && p2=$! &&
	wait $p1 && wait $p2 &&
	cat t1.out t2.out | grep "^removed sha1/" | sort >actual &&
	{ path $(cat id1) && path $(cat id2); } | sed "s/^/removed /" | sort >expect &&
	test_cmp expect actual &&
	test -e "$C/$(path $(cat id3))" && test -e "$C/$(path $(cat id4))" &&
	test "$(total)" -le $keep
'

test_expect_success 'SILO_CACHE_MAX_SIZE: a command that fetched trims the cache after' '
	for i in 1 2 3; do
		silo cat --silo "$URL" $(cat id$i) >/dev/null &&
		used $(path $(cat id$i)) $((10 - i)) || return 1
	done &&
	rm -f "$C/$(path $(cat id4))" &&
	bound=$(( $(total) + $(size $(cat id3)) )) &&
	SILO_CACHE_MAX_SIZE=$bound silo cat --silo "$URL" $(cat id4) >out &&
	test_cmp o4 out &&
	test "$(total)" -le $bound &&
	! test -e "$C/$(path $(cat id1))" &&
	test -e "$C/$(path $(cat id4))" && test -e "$C/$(path $(cat id3))" &&
	# a command that fetched nothing leaves the cache as it is
	before=$(total) &&
	SILO_CACHE_MAX_SIZE=0 silo cat --silo "$URL" $(cat id4) >out &&
	test "$(total)" -eq $before
'

test_expect_success 'silo fetch --cache trims to SILO_CACHE_MAX_SIZE too; a bad one stops it first' '
	silo cache --max-size=0 &&
	silo fetch --cache --from "$URL" $(cat id1) $(cat id2) $(cat id3) &&
	n3=$(size $(cat id3)) && rm "$C/$(path $(cat id3))" &&
	used $(path $(cat id1)) 3 && used $(path $(cat id2)) 2 &&
	bound=$(( $(total) + n3 - 1 )) &&
	SILO_CACHE_MAX_SIZE=$bound silo fetch --cache --from "$URL" $(cat id3) &&
	! test -e "$C/$(path $(cat id1))" && test -e "$C/$(path $(cat id2))" &&
	test -e "$C/$(path $(cat id3))" && test "$(total)" -le $bound &&
	SILO_CACHE_MAX_SIZE=1.5G test_expect_code 5 silo fetch --cache --from "$URL" $(cat id1) 2>err &&
	echo "silo: error: SILO_CACHE_MAX_SIZE: invalid size '\''1.5G'\'': expected a number of bytes, optionally with k, M, G or T (powers of 1024), as 500M or 2G" >expect &&
	test_cmp expect err &&
	! test -e "$C/$(path $(cat id1))"
'

test_done
