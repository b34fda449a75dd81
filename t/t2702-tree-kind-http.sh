#!/bin/sh
test_description='medo add --kind=tree over a real nginx: expand, the tree section in one request, dedup'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=5
start_httpd || test_skip_all HTTPD "nginx does not start"
export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache

# The bytes of the bodies nginx sent since mark $1, summed.
bytes_since() {
	tail -n +$(($1 + 1)) "$HTTPD_DIR/access.log" |
	sed -n 's/^[^"]*"[^"]*" [0-9]* \([0-9]*\) .*/\1/p' | awk '{ n += $1 } END { print n + 0 }'
}
# The size in pack $1 (a .pack path) of each object named on stdin, as
# git verify-pack -v reports it (the compressed entry), one a line.
packed_sizes() {
	git verify-pack -v "$1" >vp && while read id; do
		awk -v id="$id" '$1 == id { print $4 }' vp
	done
}

test_expect_success 'setup: two versions of a tree, stored as git objects in the served silo' '
	silo init "$HTTPD_ROOT/deps.silo" &&
	mkdir -p v1/sub/deeper && echo one >v1/a && echo two >v1/sub/b &&
	printf "#!/bin/sh\n" >v1/sub/run && chmod +x v1/sub/run &&
	ln -s ../a v1/sub/link && test_seeded_file v1/sub/deeper/big 200000 1 &&
	cp -R v1 v2 && echo changed >v2/sub/b && echo new >v2/sub/deeper/new &&
	test_seeded_file v2/sub/deeper/big 200000 2 &&
	mkdir -p deps.medo &&
	echo "{ \"silos\": [\"$HTTPD_URL/deps.silo\"] }" >deps.medo/SILO.json &&
	medo add --kind=tree --silo "$HTTPD_ROOT/deps.silo" v1 deps.medo/v1.treeptr &&
	medo add --kind=tree --silo "$HTTPD_ROOT/deps.silo" v2 deps.medo/v2.treeptr
'

# No pack/packs: the treeptr names its pack.  One index.  Pack requests:
# the tree section with the size table (1), and the 5 blobs, adjacent in
# the pack, in one range request (the pack's frame is known from its
# index).
test_expect_success 'expand from the web server gives the same tree' '
	m=$(mark) &&
	medo expand deps.medo/v1.treeptr out1 &&
	diff -r --no-dereference v1 out1 &&
	medo tree-id out1 >got && medo tree-id v1 >want && test_cmp want got &&
	requests_since $m >log &&
	p1=$(sed -n "/pack-/s/^ *\"\(pack-[0-9a-f]*\)\"$/\1/p" deps.medo/v1.treeptr) &&
	{ grep -c "pack/packs" log >n || :; } &&
	echo 0 >expect && test_cmp expect n &&
	grep "GET /deps.silo/pack/" log | sed "s|/pack/$p1\.|/pack/P1.|" | sort | uniq -c | sed "s/^ *//" >actual &&
	printf "%s\n" "1 GET /deps.silo/pack/P1.idx" "2 GET /deps.silo/pack/P1.pack" >expect &&
	test_cmp expect actual
'

test_expect_success 'a second expand transfers nothing' '
	m=$(mark) &&
	medo expand deps.medo/v1.treeptr out1b &&
	diff -r --no-dereference v1 out1b &&
	requests_since $m >log &&
	{ grep -v config.json log >actual || :; } &&
	test_must_be_empty actual
'

# Version 2 shares 3 blobs with version 1 and has 3 of its own.  With
# version 1 in the cache: version 2's index and tree section (the first
# pack request), then one range request of exactly the new blobs'
# entries (adjacent in its pack); nothing loose is asked for.  All bodies
# together (config.json, index, section, blobs) stay within 1.1x the new
# blobs' entries.
test_expect_success 'expanding version 2 with version 1 cached fetches only the changed blobs' '
	m=$(mark) &&
	medo expand deps.medo/v2.treeptr out2 &&
	diff -r --no-dereference v2 out2 &&
	requests_since $m >log &&
	p1=$(sed -n "/pack-/s/^ *\"\(pack-[0-9a-f]*\)\"$/\1/p" deps.medo/v1.treeptr) &&
	p2=$(sed -n "/pack-/s/^ *\"\(pack-[0-9a-f]*\)\",*$/\1/p" deps.medo/v2.treeptr | grep -v $p1) &&
	grep -v config.json log | sed "s|/pack/$p2\.|/pack/P2.|" | sort | uniq -c | sed "s/^ *//" >actual &&
	printf "%s\n" "1 GET /deps.silo/pack/P2.idx" "2 GET /deps.silo/pack/P2.pack" >expect &&
	test_cmp expect actual &&
	git hash-object v2/sub/b v2/sub/deeper/new v2/sub/deeper/big |
		packed_sizes "$HTTPD_ROOT/deps.silo/pack/$p2.pack" >sizes &&
	changed=$(awk "{ n += \$1 } END { print n }" sizes) &&
	echo $changed >expect &&
	tail -n +$((m + 1)) "$HTTPD_DIR/access.log" | grep "GET /deps.silo/pack/$p2.pack" |
		sed -n "s/^[^\"]*\"[^\"]*\" 206 \([0-9]*\) .*/\1/p" | sed 1d >actual &&
	test_cmp expect actual &&
	total=$(bytes_since $m) &&
	echo "bytes: $total for $changed in the new blobs" &&
	test $((total * 10)) -le $((changed * 11))
'

# With an empty cache, version 2 needs version 1's pack too, for a,
# sub/link and sub/run.  There they are two runs of adjacent entries (a;
# sub/link and sub/run: sub/b and sub/deeper/big changed between): two
# range requests of exactly those entries.
test_expect_success 'a cold expand of version 2 reads each run of adjacent blobs in one request' '
	m=$(mark) &&
	SILO_CACHE_DIR=$PWD/cache3 medo expand deps.medo/v2.treeptr out2c &&
	diff -r --no-dereference v2 out2c &&
	requests_since $m >log &&
	p1=$(sed -n "/pack-/s/^ *\"\(pack-[0-9a-f]*\)\"$/\1/p" deps.medo/v1.treeptr) &&
	p2=$(sed -n "/pack-/s/^ *\"\(pack-[0-9a-f]*\)\",*$/\1/p" deps.medo/v2.treeptr | grep -v $p1) &&
	grep -v config.json log | sed -e "s|/pack/$p1\.|/pack/P1.|" -e "s|/pack/$p2\.|/pack/P2.|" |
		sort | uniq -c | sed "s/^ *//" >actual &&
	printf "%s\n" "1 GET /deps.silo/pack/P1.idx" "2 GET /deps.silo/pack/P1.pack" \
		"1 GET /deps.silo/pack/P2.idx" "2 GET /deps.silo/pack/P2.pack" >expect &&
	test_cmp expect actual &&
	git hash-object v1/a >run1 && git hash-object v1/sub/run >run2 &&
	readlink v1/sub/link | tr -d "\n" | git hash-object --stdin >>run2 &&
	{
		packed_sizes "$HTTPD_ROOT/deps.silo/pack/$p1.pack" <run1 &&
		packed_sizes "$HTTPD_ROOT/deps.silo/pack/$p1.pack" <run2 |
			awk "{ n += \$1 } END { print n }"
	} | sort -n >expect &&
	tail -n +$((m + 1)) "$HTTPD_DIR/access.log" | grep "GET /deps.silo/pack/$p1.pack" |
		sed -n "s/^[^\"]*\"[^\"]*\" 206 \([0-9]*\) .*/\1/p" | sort -n >actual &&
	test_cmp expect actual
'

# A tree that shares blobs with an earlier pack lists its own pack first,
# so that a cold listing asks for its own index and tree section only.
# The content is chosen so that the shared pack's name sorts first: a
# list sorted by name would send the reader to the other index first.
test_expect_success 'a cold ls of a tree sharing blobs reads only its own pack' '
	p1=$(sed -n "/pack-/s/^ *\"\(pack-[0-9a-f]*\)\"$/\1/p" deps.medo/v1.treeptr) &&
	i=0 && own= &&
	while test $i -lt 40; do
		i=$((i + 1)) &&
		rm -rf v3 try.silo try.treeptr && cp -R v1 v3 && echo "$i" >v3/extra &&
		cp -R "$HTTPD_ROOT/deps.silo" try.silo &&
		medo add -q --kind=tree --silo try.silo v3 try.treeptr &&
		own=$(sed -n "/pack-/s/^ *\"\(pack-[0-9a-f]*\)\",*$/\1/p" try.treeptr | sed -n 1p) &&
		test "$own" != "$p1" &&
		if test "$p1" \< "$own"; then break; fi
	done &&
	test "$p1" \< "$own" &&
	medo add -q --kind=tree --silo "$HTTPD_ROOT/deps.silo" v3 deps.medo/v3.treeptr &&
	sed -n "/pack-/s/^ *\"\(pack-[0-9a-f]*\)\",*$/\1/p" deps.medo/v3.treeptr >packs &&
	printf "%s\n" "$own" "$p1" >expect && test_cmp expect packs &&
	m=$(mark) &&
	SILO_CACHE_DIR=$PWD/cache4 medo ls -r deps.medo/v3.treeptr >actual &&
	git -C v3 init -q && git -C v3 add -A && tree=$(git -C v3 write-tree) &&
	git -C v3 ls-tree -r $tree >expect && test_cmp expect actual &&
	requests_since $m | grep -v config.json | sed "s|/pack/$own\.|/pack/OWN.|" >actual &&
	printf "%s\n" "GET /deps.silo/pack/OWN.idx" "GET /deps.silo/pack/OWN.pack" >expect &&
	test_cmp expect actual
'

test_expect_success 'after silo repack -a -d, readers follow the removed packs'"'"' redirects' '
	silo repack -a -d --silo "$HTTPD_ROOT/deps.silo" &&
	p1=$(sed -n "/pack-/s/^ *\"\(pack-[0-9a-f]*\)\"$/\1/p" deps.medo/v1.treeptr) &&
	new=$(sed -n "s/^P \(pack-[0-9a-f]*\)\.pack$/\1/p" "$HTTPD_ROOT/deps.silo/pack/packs") &&
	echo "$new" >expect && test_cmp expect "$HTTPD_ROOT/deps.silo/pack/$p1.moved" &&
	silo verify "$HTTPD_ROOT/deps.silo" &&
	m=$(mark) &&
	SILO_CACHE_DIR=$PWD/cache2 medo expand deps.medo/v1.treeptr out1c &&
	diff -r --no-dereference v1 out1c &&
	requests_since $m >log &&
	{ grep -c "pack/packs" log >n || :; } &&
	echo 0 >expect && test_cmp expect n &&
	grep "GET /deps.silo/pack/$p1.moved" log
'

test_expect_success 'after the repack, url-for lists the packs that are there, never one that 404s' '
	p1=$(sed -n "/pack-/s/^ *\"\(pack-[0-9a-f]*\)\"$/\1/p" deps.medo/v1.treeptr) &&
	new=$(sed -n "s/^P \(pack-[0-9a-f]*\)\.pack$/\1/p" "$HTTPD_ROOT/deps.silo/pack/packs") &&
	medo url-for deps.medo/v1.treeptr deps.medo/v2.treeptr >urls &&
	echo "$HTTPD_URL/deps.silo/pack/$new.pack" >one &&
	cat one one >expect && test_cmp expect urls &&
	for u in $(cat urls); do
		code=$(curl -s -o /dev/null -w "%{http_code}" "$u") &&
		test "$code" = 200 || { echo "$u: $code"; return 1; }
	done &&
	! grep -q "$p1" urls
'

test_expect_success 'modes and empty directories over HTTP: the record comes with the tree section' '
	mkdir -p exact/empty exact/only/x exact/d700 && echo s >exact/d700/secret &&
	chmod 600 exact/d700/secret && chmod 700 exact/d700 && echo r >exact/ro && chmod 444 exact/ro &&
	medo add -q --kind=tree --silo "$HTTPD_ROOT/deps.silo" exact deps.medo/exact.treeptr &&
	m=$(mark) &&
	SILO_CACHE_DIR=$PWD/cache3 medo expand deps.medo/exact.treeptr out-exact &&
	(cd exact && find . -printf "%p %m %y\n" | LC_ALL=C sort) >expect &&
	(cd out-exact && find . -printf "%p %m %y\n" | LC_ALL=C sort) >actual &&
	test_cmp expect actual &&
	requests_since $m >log &&
	attrs=$(sed -n "s/^  \"attrs\": \"\([0-9a-f]*\)\",$/\1/p" deps.medo/exact.treeptr) &&
	! grep "objects/$(echo $attrs | cut -c1-2)/" log &&
	SILO_CACHE_DIR=$PWD/cache3 medo verify deps.medo/exact.treeptr out-exact &&
	chmod 755 out-exact/d700 &&
	test_expect_code 1 env SILO_CACHE_DIR=$PWD/cache4 medo verify deps.medo/exact.treeptr out-exact >actual &&
	echo "mode out-exact/d700" >expect && test_cmp expect actual
'

test_done
