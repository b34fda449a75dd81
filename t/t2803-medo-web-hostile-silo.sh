#!/bin/sh
test_description='medo web: the pages bound what a hostile silo makes them read and inflate'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-browser.sh"

start_httpd || test_skip_all HTTPD "nginx does not start"
start_browser || test_skip_all CHROMIUM "chromium does not start"
SILO=$HTTPD_ROOT/deps.silo
SITE=$HTTPD_ROOT/site

# The link of the listing of the tree $1 to its file $2, as followed.
file_link() {
	grep -ho "f.html#p=$2&amp;[^\"]*" "$SITE/t/$1"/*.html | head -n 1 | sed "s/&amp;/\&/g"
}

test_expect_success 'setup: a tree of the tree kind, its site, and its pack made hostile' '
	silo init -q "$SILO" &&
	mkdir -p src m.medo && echo "hello world" >src/a && echo "hello again" >src/b &&
	echo "{ \"silos\": [\"../httpd/www/deps.silo\"] }" >m.medo/SILO.json &&
	medo add -q --kind=tree src m.medo/t.treeptr &&
	medo web -q m.medo -o "$SITE" &&
	K=$(sed -n "s/^  \"tree\": \"\([0-9a-f]*\)\",\{0,1\}$/\1/p" m.medo/t.treeptr) &&
	echo $K >key &&
	P=$(sed -n "s/^ *\"\(pack-[0-9a-f]*\)\",\{0,1\}$/\1/p" m.medo/t.treeptr) &&
	test -f "$SILO/pack/$P.idx" &&
	chmod u+w "$SILO/pack/$P.pack" "$SILO/pack/$P.idx" &&
	# Its pack now holds a at 12: a blob of 12 bytes whose deflate makes
	# 64 MiB; and b: a delta whose base is itself.
	python3 - "$SILO/pack/$P" "$(git hash-object src/a)" "$(git hash-object src/b)" <<-\PY
	import hashlib, struct, sys, zlib
	base, a, b = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
	def head(t, size):
	    c, out = (t << 4) | (size & 15), b""
	    size >>= 4
	    while size:
	        out += bytes([c | 0x80]); c, size = size & 0x7f, size >> 7
	    return out + bytes([c])
	bomb = head(3, 12) + zlib.compress(b"\0" * (64 << 20), 9)
	loop = head(6, 4) + bytes([0]) + zlib.compress(b"\x0c\x0c\x90\x0c")
	body = b"PACK" + struct.pack(">II", 2, 2) + bomb + loop
	pack = body + hashlib.sha1(body).digest()
	offs = {a: 12, b: 12 + len(bomb)}
	ids = sorted(offs)
	fan = [sum(1 for i in ids if i[0] <= k) for k in range(256)]
	idx = b"\xfftOc" + struct.pack(">I", 2) + struct.pack(">256I", *fan) + b"".join(ids)
	idx += b"\0" * 4 * len(ids) + b"".join(struct.pack(">I", offs[i]) for i in ids)
	idx += pack[-20:]
	idx += hashlib.sha1(idx).digest()
	open(base + ".pack", "wb").write(pack)
	open(base + ".idx", "wb").write(idx)
	PY
'

test_expect_success CHROMIUM 'a headless Chromium listens' '
	browser_ready
'

test_expect_success CHROMIUM 'an entry inflating past the size it declares is stopped there' '
	K=$(cat key) && L=$(file_link $K a) &&
	page "$HTTPD_URL/site/t/$K/$L" 1400 a.html &&
	grep "data-state=\"error\"" a.html &&
	grep "Cannot show it: .*pack-[0-9a-f]*\.pack: the entry at 12 is data that inflates past the 12 bytes it declares" a.html
'

test_expect_success CHROMIUM 'a delta whose base is not before it is refused at once' '
	K=$(cat key) && L=$(file_link $K b) &&
	page "$HTTPD_URL/site/t/$K/$L" 1400 b.html &&
	grep "data-state=\"error\"" b.html &&
	grep "Cannot show it: .*\.pack: a delta at [0-9]* whose base is not before it" b.html &&
	grep -c "^REQUEST .*\.pack$" b.html.log >n && echo 1 >expect && test_cmp expect n
'

test_done
