#!/bin/sh
test_description='medo web: a static site of medo directories, served by nginx, read by headless Chromium'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-browser.sh"

test_lazy_prereq TIDY 'command -v tidy || { echo "tidy is not installed"; false; }'
# Permissions bind the tools: as root, they run as nobody.
test_lazy_prereq UNPRIVILEGED '
	test "$(id -u)" != 0 ||
	setpriv --reuid=65534 --regid=65534 --clear-groups true ||
	{ echo "setpriv cannot run a command as nobody"; false; }
'

# Run a command as a user whom permissions bind.
unprivileged() {
	if test "$(id -u)" = 0; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}

start_httpd || test_skip_all HTTPD "nginx does not start"
start_browser || test_skip_all CHROMIUM "chromium does not start"
SILO=$HTTPD_ROOT/deps.silo
SITE=$HTTPD_ROOT/site
export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=5 SOURCE_DATE_EPOCH=1700000000

# The id of the first treeptr field $1 of treeptr $2.
field() {
	sed -n "s/^  \"$1\": \"\([0-9a-f]*\)\",\{0,1\}$/\1/p" "$2"
}

# A link of a listing page, as the browser follows it: f.html#... of
# the file $2 in the pages $1 (a tree's directory of the site).
file_link() {
	grep -ho "f.html#p=$2&amp;[^\"]*" "$1"/*.html | head -n 1 | sed "s/&amp;/\&/g"
}

# The text the page $1 shows of a file, unescaped, into $2.
shown_text() {
	python3 -c '
import html, re, sys
s = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"<pre class=\"text\"[^>]*>(.*?)</pre>", s, re.S)
sys.stdout.write(html.unescape(m.group(1)) if m else "NO TEXT SHOWN\n")
' "$1" >"$2"
}

# The width and height of the PNG $1.
png_size() {
	python3 -c "
import struct, sys
h = open(sys.argv[1], \"rb\").read(24)
assert h[:8] == b\"\\x89PNG\\r\\n\\x1a\\n\" and h[12:16] == b\"IHDR\"
print(\"%d %d\" % struct.unpack(\">II\", h[16:24]))
" "$1"
}

# What <html data-state> and <main data-verified, data-delta> say.
states() {
	for s_a in state verified delta; do
		sed -n "s/.* data-$s_a=\"\([a-z]*\)\".*/$s_a \1/p" "$1" | head -n 1 || return 1
	done
}

test_expect_success 'setup: trees of two versions, kind tree and tar, in a repacked silo' '
	silo init -q "$SILO" &&
	mkdir -p v1/lib v1/bin "v1/doc/a b" &&
	python3 -c "
import random
r = random.Random(1)
words = \"alpha beta gamma delta silo medo knot tree pack index object blob\".split()
text = \"\".join(\" \".join(r.choice(words) for _ in range(12)) + \"\\n\" for _ in range(3000))
open(\"v1/lib/big.js\", \"w\").write(text)
open(\"big2.js\", \"w\").write(text.replace(\"alpha beta\", \"ALPHA BETA\", 5) + \"one more line\\n\")
" &&
	printf "#!/bin/sh\necho hi\n" >v1/bin/run && chmod +x v1/bin/run &&
	ln -s ../lib/big.js v1/bin/link &&
	u=$(printf "\303\274ber.txt") && printf "gr\303\274\303\237e\n" >"v1/doc/a b/$u" &&
	echo readme >v1/README &&
	cp -R v1 v2 && cp big2.js v2/lib/big.js && echo new >v2/NEW &&
	test_seeded_file v2/lib/random.bin 1500000 7 &&
	mkdir -p w/m.medo/tree w/m.medo/tar w/m.medo/up w/m.medo/knot &&
	echo "{ \"silos\": [\"../../httpd/www/deps.silo\"] }" >w/m.medo/SILO.json &&
	medo add -q --kind=tree v1 w/m.medo/tree/demo-1.0.treeptr &&
	medo add -q --kind=tree v2 w/m.medo/tree/demo-1.1.treeptr &&
	medo add -q v1 w/m.medo/tar/demo-1.0.treeptr &&
	silo repack -q -a -d --silo "$SILO" &&
	medo add -q v2 w/m.medo/tar/demo-1.1.treeptr &&
	tar -C v1 -czf src.tar.gz . && tar -C v1 -cJf src.tar.xz . &&
	(cd v1 && zip -q -r ../src.zip .) &&
	medo add -q src.tar.gz w/m.medo/up/src-gz.treeptr &&
	medo add -q src.tar.xz w/m.medo/up/src-xz.treeptr &&
	medo add -q src.zip w/m.medo/up/src-zip.treeptr &&
	B2=$(git hash-object v2/lib/big.js) &&
	for i in "$SILO"/pack/*.idx; do git verify-pack -v "$i"; done >vp &&
	awk -v id=$B2 "\$1 == id { print NF }" vp >nf &&
	echo 7 >expect && test_cmp expect nf
'

test_expect_success 'setup: a wedge built by knot, signatures, history in git' '
	echo "the build log" >log && LOG=$(silo put --silo "$SILO" log) &&
	SRC_OBJ=$(field object w/m.medo/tree/demo-1.0.treeptr) &&
	medo add -q v1 w/m.medo/knot/hello.treeptr &&
	python3 -c "
import json, sys
p = \"w/m.medo/knot/hello.treeptr\"
d = json.load(open(p))
d[\"provenance\"] = {\"key\": \"ab\" * 32, \"key-format\": \"1\", \"name\": \"hello\",
    \"version\": \"2.10\", \"source-treeptr\": \"demo-1.0.treeptr\",
    \"source-object\": sys.argv[1], \"deps\": \"\", \"builder\": \"ci@builder-7\",
    \"platform\": \"debian 12 x86_64\", \"end\": \"2026-11-22T13:33:40Z\",
    \"tool\": \"knot 0.1.0\", \"log\": sys.argv[2]}
open(p, \"w\").write(json.dumps(d, indent=2, sort_keys=True) + \"\\n\")
" $SRC_OBJ $LOG &&
	ssh-keygen -q -t ed25519 -N "" -C alice -f alice &&
	ssh-keygen -q -t ed25519 -N "" -C mallory -f mallory &&
	echo "alice@example.org $(cat alice.pub)" >allowed &&
	medo sign -k alice w/m.medo/tree/demo-1.0.treeptr &&
	medo sign -k mallory w/m.medo/tree/demo-1.1.treeptr &&
	git init -q w && git -C w config user.email t@example.org && git -C w config user.name t &&
	cp w/m.medo/tree/demo-1.0.treeptr w/m.medo/cur.treeptr &&
	git -C w add . && git -C w commit -q -m one &&
	cp w/m.medo/tree/demo-1.1.treeptr w/m.medo/cur.treeptr &&
	git -C w commit -q -a -m two
'

test_expect_success 'medo web writes the site' '
	medo web --json --allowed-signers=allowed -o "$SITE" w/m.medo >out 2>err &&
	jq -c "[.treeptrs, .failed, .bad_signatures, .trees_written, .trees_kept, .diffs_written]" out >actual &&
	echo "[9,0,1,7,0,2]" >expect && test_cmp expect actual &&
	grep "warning: bad signature: .*demo-1.1.treeptr.sig" err &&
	jq -c .silos "$SITE/site.json" >actual &&
	echo "[\"../deps.silo/\"]" >expect && test_cmp expect actual &&
	for f in index.html object.html silo.js silo.css p/m.medo/tree/demo-1.1.html; do
		test -s "$SITE/$f" || return 1
	done
'

test_expect_success TIDY 'every page is valid HTML (tidy)' '
	find "$SITE" -name "*.html" | sort >pages &&
	test $(wc -l <pages) -gt 30 &&
	while read f; do
		tidy -q -e "$f" >tidy.out 2>&1 || { cat tidy.out; echo "in $f"; return 1; }
		test_must_be_empty tidy.out || { echo "in $f"; return 1; }
	done <pages
'

test_expect_success 'the index: kind, files, size, tree, how made, signature' '
	python3 -c "
import html, re
s = open(\"$SITE/index.html\", encoding=\"utf-8\").read()
for row in re.findall(r\"<tr><th scope=.row.*?</tr>\", s):
    cells = [html.unescape(re.sub(\"<[^>]*>\", \"\", c)) for c in re.findall(r\"<t[hd][^>]*>(.*?)</t[hd]>\", row)]
    print(\" | \".join(cells))
" >actual &&
	cat >expect <<-EOF &&
	cur.treeptr | tree | 7 | 1.6 MiB | $(field tree w/m.medo/cur.treeptr | cut -c1-12) | 2023-11-14 22:13 · medo add by $(id -un)@$(hostname) (medo 0.1.0) | unsigned
	knot/hello.treeptr | tar | 5 | 193 KiB | $(medo tree-id v1 | cut -c1-12) | 2026-11-22 13:33 · knot build by ci@builder-7 (knot 0.1.0) | unsigned
	EOF
	grep -e "^cur" -e "^knot" actual >got &&
	test_cmp expect got &&
	grep "^tree/demo-1.0.treeptr | tree | 5 | .* | signed by alice@example.org$" actual &&
	grep "^tree/demo-1.1.treeptr | tree | 7 | .* | bad signature$" actual &&
	grep "^up/src-xz.treeptr | archive | 5 | " actual &&
	test $(wc -l <actual) = 9
'

test_expect_success 'a treeptr page: provenance, links to the source and the log, versions' '
	p="$SITE/p/m.medo/knot/hello.html" &&
	grep "<tr><th scope=\"row\">source-object</th><td><code>$(field object w/m.medo/tree/demo-1.0.treeptr)</code> (<a href=\"../../../p/m.medo/tree/demo-1.0.html\">tree/demo-1.0.treeptr</a>)" "$p" &&
	grep "object.html#o=$(cat log | git hash-object --stdin)&amp;s=0&amp;f=sha1\">read the build log</a>" "$p" &&
	grep "Built by knot" "$p" &&
	p="$SITE/p/m.medo/tree/demo-1.1.html" &&
	grep -o "<td><a href=\"../../../d/[0-9a-f-]*/index.html\">2 added, 0 removed, 1 changed</a></td>" "$p" &&
	grep "<dt>Signature</dt><dd><span class=\"sig-bad\">bad signature</span>: " "$p"
'

test_expect_success 'the changes between versions, and across git history' '
	A=$(field tree w/m.medo/tree/demo-1.0.treeptr) && B=$(field tree w/m.medo/tree/demo-1.1.treeptr) &&
	d="$SITE/d/$A-$B/index.html" &&
	sed -n "s/^<tr class=\"\([a-z]*\)\"><td>[a-z ]*<\/td><td><a [^>]*>\([^<]*\)<\/a><\/td><td[^>]*>\([^<]*\)<\/td><td[^>]*>\([^<]*\)<\/td><td[^>]*>\([^<]*\)<\/td><\/tr>$/\1 \2 \3 \4 \5/p" "$d" >actual &&
	cat >expect <<-\EOF &&
	added NEW — 4 bytes +4 bytes
	changed lib/big.js 193 KiB 193 KiB +14 bytes
	added lib/random.bin — 1.4 MiB +1.4 MiB
	EOF
	test_cmp expect actual &&
	grep "<li class=\"added\">2 added</li>" "$d" &&
	grep -c "<tr><td><code>[0-9a-f]\{12\}</code></td><td>[0-9-]*</td><td><a href=\"../../t/$A/index.html\"><code>[0-9a-f]\{12\}</code></a></td><td><a href=\"../../d/$A-$B/index.html\">2 added, 0 removed, 1 changed</a></td></tr>" "$SITE/p/m.medo/cur.html" >n &&
	echo 1 >expect && test_cmp expect n
'

test_expect_success 'a second run keeps the pages of trees and changes' '
	B=$(field tree w/m.medo/tree/demo-1.1.treeptr) &&
	ls -i "$SITE/t/$B/index.html" >before &&
	medo web --json --allowed-signers=allowed -o "$SITE" w/m.medo >out 2>err &&
	jq -c "[.trees_written, .trees_kept, .diffs_written, .diffs_kept]" out >actual &&
	echo "[0,7,0,2]" >expect && test_cmp expect actual &&
	ls -i "$SITE/t/$B/index.html" >after && test_cmp before after
'

test_expect_success 'every directory and page of the site is readable by the web server' '
	(umask 022 && medo web -q --allowed-signers=allowed -o "$SITE" w/m.medo) &&
	find "$SITE" -type d ! -perm -0755 >unreadable &&
	find "$SITE" -type f ! -perm -0644 >>unreadable &&
	test_must_be_empty unreadable
'

test_expect_success 'bad arguments: exit statuses, and nothing written' '
	mkdir other && echo x >other/file &&
	test_expect_code 8 medo web -o other w/m.medo 2>err &&
	grep "medo: error: .other. is not empty and holds no site of medo web" err &&
	ls other >actual && echo file >expect && test_cmp expect actual &&
	test_expect_code 3 medo web -o new-site no.medo 2>err &&
	grep "no such medo directory" err &&
	test_expect_code 2 medo web w/m.medo 2>err &&
	test_expect_code 2 medo web --history=-1 -o x w/m.medo 2>err &&
	test_expect_code 8 medo web -o other/file w/m.medo 2>err &&
	echo "medo: error: '"'"'other/file'"'"' is not a directory: choose a new directory" >expect &&
	test_cmp expect err &&
	ln -s nowhere dangling &&
	test_expect_code 8 medo web -o dangling w/m.medo 2>err &&
	echo "medo: error: '"'"'dangling'"'"' is a symbolic link to nothing: choose a new directory" >expect &&
	test_cmp expect err && ! test -e nowhere &&
	test_expect_code 5 medo web -o twice w/m.medo w/./m.medo 2>err &&
	echo "medo: error: '"'"'w/m.medo'"'"' and '"'"'w/./m.medo'"'"' are the same medo directory" >expect &&
	test_cmp expect err && ! test -e twice
'

test_expect_success UNPRIVILEGED 'unreadable: a medo directory, a treeptr, the place of the site' '
	# Paths are resolved from /: the trash directory must let nobody in.
	m=$(stat -c %a "$TRASH_DIRECTORY") && chmod a+x "$TRASH_DIRECTORY" &&
	test_when_finished "chmod $m \"$TRASH_DIRECTORY\"" &&
	mkdir -m 777 nobody && cp -R w/m.medo nobody/u.medo &&
	sed -i "s|\.\./\.\./httpd|../../httpd|" nobody/u.medo/SILO.json &&
	chmod -R a+rX nobody/u.medo &&
	# closed to its owner too: the tests may run as the user who owns it
	chmod 300 nobody/u.medo/knot &&
	cd nobody &&
	test_expect_code 6 unprivileged medo web -o site u.medo 2>err &&
	echo "medo: error: cannot read directory '"'"'u.medo/knot'"'"': Permission denied" >expect &&
	test_cmp expect err && ! test -e site &&
	chmod 755 u.medo/knot && chmod 200 u.medo/knot/hello.treeptr &&
	test_expect_code 6 unprivileged medo web -q --history=0 -o site u.medo 2>err &&
	echo "medo: error: cannot open '"'"'u.medo/knot/hello.treeptr'"'"': Permission denied" >expect &&
	test_cmp expect err &&
	grep "hello.treeptr</a></th><td data-label=\"Kind\">?</td>.*not readable" site/index.html &&
	grep -c "<tr><th scope=\"row\"" site/index.html >n && echo 9 >expect && test_cmp expect n &&
	chmod 644 u.medo/knot/hello.treeptr && mkdir -m 555 ro &&
	test_expect_code 6 unprivileged medo web -o ro/site u.medo 2>err &&
	echo "medo: error: cannot create directory '"'"'ro/site'"'"': Permission denied" >expect &&
	test_cmp expect err
'

test_expect_success 'a treeptr whose data is gone: listed, reported, exit 3' '
	mkdir -p gone.medo && cp w/m.medo/SILO.json gone.medo/ &&
	sed -e "s/\"object\": \"[0-9a-f]*\"/\"object\": \"0123456789012345678901234567890123456789\"/" \
		w/m.medo/tar/demo-1.1.treeptr >gone.medo/x.treeptr &&
	cp w/m.medo/tree/demo-1.0.treeptr gone.medo/ok.treeptr &&
	sed -i "s|\.\./\.\./httpd|../httpd|" gone.medo/SILO.json &&
	test_expect_code 3 medo web -o gone-site gone.medo 2>err &&
	grep "^medo: error: .*0123456789012345678901234567890123456789" err &&
	grep "x.treeptr</a></th><td data-label=\"Kind\">tar</td>.*not readable" gone-site/index.html &&
	grep "ok.treeptr</a></th><td data-label=\"Kind\">tree</td><td data-label=\"Files\" class=\"n\">5</td>" gone-site/index.html
'

test_expect_success 'the pages of a tree of 40,000 files stay small' '
	python3 -c "
import os
for d in range(400):
    os.makedirs(\"many/pkg%03d\" % d)
    for f in range(100):
        open(\"many/pkg%03d/f%03d.js\" % (d, f), \"w\").write(\"%d\\n\" % f)
os.makedirs(\"many/flat\")
for f in range(1200):
    open(\"many/flat/x%04d\" % f, \"w\").write(\"x\\n\")
" &&
	mkdir many.medo && echo "{ \"silos\": [\"../httpd/www/deps.silo\"] }" >many.medo/SILO.json &&
	medo add -q --kind=tree many many.medo/many.treeptr &&
	medo web -q --history=0 -o many-site many.medo &&
	K=$(field tree many.medo/many.treeptr) &&
	ls many-site/t/$K | grep -c html >n && echo 405 >expect && test_cmp expect n &&
	grep -c "<tr><td><a href=\"f.html#" many-site/t/$K/d1.html many-site/t/$K/d1-2.html many-site/t/$K/d1-3.html >actual &&
	cat >expect <<-EOF &&
	many-site/t/$K/d1.html:500
	many-site/t/$K/d1-2.html:500
	many-site/t/$K/d1-3.html:200
	EOF
	test_cmp expect actual &&
	find many-site -name "*.html" -size +120k >big && test_must_be_empty big
'

test_expect_success CHROMIUM 'a headless Chromium listens' '
	browser_ready
'

test_expect_success CHROMIUM 'the index and a listing with JavaScript off, at 1400 and 390 px' '
	page "$HTTPD_URL/site/index.html" 1400 index-1400.html --no-js --screenshot=index-1400.png &&
	page "$HTTPD_URL/site/index.html" 390 index-390.html --no-js --scroll-width \
		--screenshot=index-390.png &&
	grep -c "<tr><th scope=\"row\" data-label=\"Treeptr\"><a href=\"p/m.medo/" index-1400.html >n &&
	echo 9 >expect && test_cmp expect n &&
	K=$(field tree w/m.medo/tree/demo-1.1.treeptr) &&
	D=$(grep -l ">big.js</a>" "$SITE/t/$K"/d*.html) &&
	page "$HTTPD_URL/site/t/$K/${D##*/}" 1400 listing.html --no-js --screenshot=listing-1400.png &&
	grep ">big.js</a>" listing.html && grep ">random.bin</a>" listing.html &&
	page "$HTTPD_URL/site/t/$K/${D##*/}" 390 listing-390.html --no-js --scroll-width \
		--screenshot=listing-390.png &&
	grep ">random.bin</a>" listing-390.html &&
	# On a phone nothing makes the page scroll sideways.
	grep -h "^SCROLL-WIDTH" index-390.html.log listing-390.html.log >actual &&
	printf "SCROLL-WIDTH 390\nSCROLL-WIDTH 390\n" >expect && test_cmp expect actual &&
	for f in index-1400 index-390 listing-1400 listing-390; do
		png_size $f.png >actual.$f || return 1
	done &&
	echo 1400 >expect && cut -d" " -f1 actual.index-1400 actual.listing-1400 | uniq >actual &&
	test_cmp expect actual &&
	echo 390 >expect && cut -d" " -f1 actual.index-390 actual.listing-390 | uniq >actual &&
	test_cmp expect actual
'

test_expect_success CHROMIUM 'the changes between two versions, with JavaScript off, at 1400 and 390 px' '
	A=$(field tree w/m.medo/tree/demo-1.0.treeptr) && B=$(field tree w/m.medo/tree/demo-1.1.treeptr) &&
	page "$HTTPD_URL/site/d/$A-$B/index.html" 1400 diff.html --no-js --screenshot=diff-1400.png &&
	page "$HTTPD_URL/site/d/$A-$B/index.html" 390 diff-390.html --no-js --scroll-width \
		--screenshot=diff-390.png &&
	python3 -c "
import html, re, sys
s = open(sys.argv[1], encoding=\"utf-8\").read()
for row in re.findall(r\"<tr class=.*?</tr>\", s):
    cells = [html.unescape(re.sub(\"<[^>]*>\", \"\", c)) for c in re.findall(r\"<td[^>]*>(.*?)</td>\", row)]
    link = html.unescape(re.search(r\"href=\\\"([^\\\"]*)\", row).group(1))
    print(\" | \".join(cells + [link]))
" diff-390.html >actual &&
	cat >expect <<-EOF &&
	added | NEW | — | 4 bytes | +4 bytes | ../../t/$B/f.html#p=NEW&b=$(git hash-object v2/NEW)&s=4
	changed | lib/big.js | 193 KiB | 193 KiB | +14 bytes | ../../t/$B/f.html#p=lib/big.js&b=$(git hash-object v2/lib/big.js)&s=$(wc -c <v2/lib/big.js)
	added | lib/random.bin | — | 1.4 MiB | +1.4 MiB | ../../t/$B/f.html#p=lib/random.bin&b=$(git hash-object v2/lib/random.bin)&s=1500000
	EOF
	test_cmp expect actual &&
	grep "^SCROLL-WIDTH" diff-390.html.log >actual &&
	echo "SCROLL-WIDTH 390" >expect && test_cmp expect actual
'

test_expect_success CHROMIUM 'kind tree: a blob reached through a delta of a repacked pack' '
	K=$(field tree w/m.medo/tree/demo-1.1.treeptr) &&
	L=$(file_link "$SITE/t/$K" lib/big.js) &&
	page "$HTTPD_URL/site/t/$K/$L" 1400 file.html --screenshot=file-1400.png &&
	page "$HTTPD_URL/site/t/$K/$L" 390 file-390.html --screenshot=file-390.png &&
	states file.html >actual &&
	printf "state done\nverified yes\ndelta yes\n" >expect && test_cmp expect actual &&
	shown_text file.html got && test_cmp v2/lib/big.js got &&
	# The packs the treeptr names are gone: their .moved files name
	# the pack that holds its blobs now (the 404s are the browser
	# telling of the indexes it did not find).
	sed -n "s|^REQUEST $HTTPD_URL/deps.silo/pack/\(pack-[0-9a-f]*\)\.moved$|\1|p" file.html.log >moved &&
	jq -r ".packs[]" w/m.medo/tree/demo-1.1.treeptr >expect && test_cmp expect moved &&
	{ grep -v -e "^REQUEST $HTTPD_URL/" \
		-e "^CONSOLE error Failed to load resource: the server responded with a status of 404 (Not Found) $HTTPD_URL/deps.silo/pack/pack-[0-9a-f]*\.idx$" \
		file.html.log >elsewhere || :; } &&
	test_must_be_empty elsewhere
'

test_expect_success CHROMIUM 'kind tree: a name with a space and non-ASCII letters, a symlink' '
	K=$(field tree w/m.medo/tree/demo-1.0.treeptr) &&
	L=$(grep -ho "f.html#p=doc/a%20b/%C3%BCber.txt&amp;[^\"]*" "$SITE/t/$K"/*.html | sed "s/&amp;/\&/g") &&
	page "$HTTPD_URL/site/t/$K/$L" 1400 u.html &&
	states u.html >actual && printf "state done\nverified yes\ndelta no\n" >expect &&
	test_cmp expect actual &&
	shown_text u.html got && test_cmp "v1/doc/a b/$(printf "\303\274ber.txt")" got &&
	L=$(file_link "$SITE/t/$K" bin/link) &&
	page "$HTTPD_URL/site/t/$K/$L" 1400 l.html &&
	shown_text l.html got && printf "../lib/big.js" >expect && test_cmp expect got
'

test_expect_success CHROMIUM 'kind tar: the last file of a loose tar of several gzip members' '
	K=$(field object w/m.medo/tar/demo-1.1.treeptr) &&
	L=$(file_link "$SITE/t/$K" lib/random.bin) &&
	page "$HTTPD_URL/site/t/$K/$L" 1400 tar.html &&
	states tar.html >actual && printf "state done\nverified yes\ndelta no\n" >expect &&
	test_cmp expect actual &&
	test $(gzip -dc "$SILO/objects/$(echo $K | cut -c1-2)/$(echo $K | cut -c3-).gz" | wc -c) -gt 1500000 &&
	python3 -c "
import sys
d = open(\"v2/lib/random.bin\", \"rb\").read()[:65536]
for i in range(0, len(d), 16):
    row = d[i:i + 16]
    print(\"%08x  %s  %s\" % (i, \" \".join(\"%02x\" % b for b in row).ljust(47),
        \"\".join(chr(b) if 32 <= b < 127 else \".\" for b in row)))
" >expect &&
	python3 -c "
import html, re, sys
s = open(\"tar.html\", encoding=\"utf-8\").read()
print(html.unescape(re.search(r\"<pre class=\\\"hex\\\"[^>]*>(.*?)</pre>\", s, re.S).group(1)))
" >actual &&
	test_cmp expect actual &&
	grep "REQUEST $HTTPD_URL/deps.silo/objects/" tar.html.log
'

test_expect_success CHROMIUM 'kind tar, packed by the repack: read from its pack' '
	K=$(field object w/m.medo/tar/demo-1.0.treeptr) &&
	L=$(file_link "$SITE/t/$K" lib/big.js) &&
	page "$HTTPD_URL/site/t/$K/$L" 1400 packed.html &&
	states packed.html >actual && printf "state done\nverified yes\ndelta no\n" >expect &&
	test_cmp expect actual &&
	shown_text packed.html got && test_cmp v1/lib/big.js got &&
	grep "REQUEST $HTTPD_URL/deps.silo/pack/packs" packed.html.log
'

test_expect_success CHROMIUM 'kind archive: tar.gz and zip are read, xz is said to be out of reach' '
	for a in gz zip; do
		K=$(field object w/m.medo/up/src-$a.treeptr) &&
		L=$(file_link "$SITE/t/$K" lib/big.js) &&
		page "$HTTPD_URL/site/t/$K/$L" 1400 $a.html &&
		states $a.html >actual && printf "state done\nverified yes\ndelta no\n" >expect &&
		test_cmp expect actual &&
		shown_text $a.html got && test_cmp v1/lib/big.js got || return 1
	done &&
	K=$(field object w/m.medo/up/src-xz.treeptr) &&
	L=$(file_link "$SITE/t/$K" lib/big.js) &&
	page "$HTTPD_URL/site/t/$K/$L" 1400 xz.html &&
	states xz.html >actual && echo "state error" >expect && test_cmp expect actual &&
	grep "Cannot show it: this is an xz archive, which a browser cannot decompress: download the whole archive" xz.html &&
	grep "an xz-compressed archive: a browser cannot decompress xz" "$SITE/p/m.medo/up/src-xz.html"
'

test_expect_success CHROMIUM 'object.html: a build log, and a whole archive to download' '
	LOG=$(git hash-object log) &&
	page "$HTTPD_URL/site/object.html#o=$LOG&s=0&f=sha1" 1400 obj.html &&
	states obj.html >actual && printf "state done\nverified yes\n" >expect && test_cmp expect actual &&
	shown_text obj.html got && test_cmp log got &&
	O=$(field object w/m.medo/up/src-xz.treeptr) &&
	page "$HTTPD_URL/site/object.html#o=$O&s=$(wc -c <src.tar.xz)&f=sha1&n=src.tar.xz" 1400 objxz.html &&
	states objxz.html >actual && test_cmp expect actual &&
	grep "download=\"src.tar.xz\"" objxz.html
'

test_expect_success CHROMIUM 'the pages ask nothing of any other server' '
	{ cat *.html.log | sed -n "s/^REQUEST //p" | grep -v -e "^$HTTPD_URL/" -e "^blob:" >elsewhere || :; } &&
	test_must_be_empty elsewhere &&
	{ grep -h "^EXCEPTION\|^FAILED" *.html.log >problems || :; } &&
	test_must_be_empty problems
'

test_done
