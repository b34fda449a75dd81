#!/bin/sh
test_description='silo push to a WebDAV server (a real lighttpd), read back through nginx'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-webdav.sh"

start_httpd && test_set_prereq HTTPD || test_missing_prereq HTTPD "nginx does not start"
start_webdav dav && test_set_prereq WEBDAV ||
	test_missing_prereq WEBDAV "lighttpd with mod_webdav does not start (tools/install-deps.sh)"
DAV=$WEBDAV_URL DAV_ROOT=$WEBDAV_ROOT DAV_LOG=$WEBDAV_LOG
# Servers that ignore If-None-Match: nginx's dav module, rclone.
start_nginx_dav ndav && test_set_prereq NGINX_DAV ||
	test_missing_prereq NGINX_DAV "nginx with its dav module does not start"
NDAV=$WEBDAV_URL NDAV_ROOT=$WEBDAV_ROOT
{ rclone version >/dev/null 2>&1 && start_rclone_dav rdav && test_set_prereq RCLONE_DAV; } ||
	test_missing_prereq RCLONE_DAV "rclone serve webdav does not start"
RDAV=$WEBDAV_URL RDAV_ROOT=$WEBDAV_ROOT
test_lazy_prereq STRACE 'strace -o /dev/null true'

# The files of silo directory $1 a push copies: all but temporary ones
# and pack/packs, with their content's checksum.
silo_files() {
	(cd "$1" && find . -type f ! -name "tmp_*" ! -path ./pack/packs | sort | xargs sha1sum)
}

# The packs pack/packs of silo directory $1 lists, one a line.
pack_list() {
	sed -n "s/^P //p" "$1/pack/packs"
}

test_expect_success WEBDAV 'setup: a silo with packs, loose objects, a tree and temporary files' '
	silo init s &&
	for i in 1 2 3 4; do test_seeded_file f$i 20000 $i || return 1; done &&
	silo put --silo s f1 f2 >/dev/null &&
	silo repack --silo s -q -a -d &&
	silo put --silo s f3 >/dev/null &&
	mkdir -p tree/sub m && cp f1 tree/a && cp f2 tree/sub/b && echo "{ \"silos\": [\"../s\"] }" >m/SILO.json &&
	medo add -q --kind=tree tree m/tree.treeptr &&
	medo add -q --opaque f4 m/f4.treeptr &&
	echo partial >s/objects/tmp_obj_123 &&
	echo partial >s/pack/tmp_pack_456 &&
	ls s/pack/*.pack >packs && test_line_count = 2 packs
'

test_expect_success WEBDAV 'push to a new silo on the server: every file, in passes' '
	silo push -v --silo s "$DAV/s" >out &&
	n=$(silo_files s | wc -l) &&
	echo "$n files copied to $DAV/s" >expect &&
	test_cmp expect out &&
	silo_files s >expect &&
	silo_files "$DAV_ROOT/s" >actual &&
	test_cmp expect actual &&
	(cd s/pack && ls pack-*.pack) | sed "s/^/P /" >expect &&
	echo >>expect &&
	test_cmp expect "$DAV_ROOT/s/pack/packs" &&
	silo verify "$DAV_ROOT/s" &&
	webdav_requests "$DAV_LOG" "$DAV" 0 /s >log &&
	# the order of the passes: config.json (and the probe), objects,
	# packs, indexes, then the list
	grep "^PUT " log | sed -e "s/ [0-9]*\$//" -e "s|^PUT /||" \
		-e "s|^objects/.*|objects|" -e "s|\.pack\$|.pack|" -e "s|^pack/pack-.*\.|pack.|" | uniq >order &&
	printf "%s\n" config.json objects pack.pack pack.idx pack/packs >expect &&
	test_cmp expect order &&
	grep "^PUT /config.json" log >probe &&
	# 409: the collection of s was made first
	printf "PUT /config.json %s\n" 409 201 412 >expect &&
	test_cmp expect probe &&
	# the listing found objects/ and pack/ absent: their collections are
	# made before the first PUT into them, not after its 409
	grep " 409\$" log >refused &&
	echo "PUT /config.json 409" >expect &&
	test_cmp expect refused
'

test_expect_success WEBDAV,HTTPD 'readers through nginx: medo expand, silo fetch' '
	ln -s "$DAV_ROOT/s" "$HTTPD_ROOT/s" &&
	mkdir r && cp m/*.treeptr r/ && echo "{ \"silos\": [\"$HTTPD_URL/s\"] }" >r/SILO.json &&
	SILO_CACHE_DIR=$PWD/cache1 medo expand -q r/tree.treeptr out-tree &&
	SILO_CACHE_DIR=$PWD/cache1 medo expand -q r/f4.treeptr out-f4 &&
	cmp f1 out-tree/a && cmp f2 out-tree/sub/b && cmp f4 out-f4 &&
	silo init l && git hash-object f1 f2 f3 f4 >ids &&
	silo fetch -q --silo l --from "$HTTPD_URL/s" --stdin <ids &&
	silo verify l
'

test_expect_success WEBDAV 'a second push copies nothing and writes nothing' '
	mark=$(webdav_mark "$DAV_LOG" "$DAV") &&
	silo push -v --silo s "$DAV/s" >out &&
	echo "0 files copied to $DAV/s" >expect &&
	test_cmp expect out &&
	webdav_requests "$DAV_LOG" "$DAV" $mark /s >log &&
	# objects/ has two fan-out directories, from f3 and f4
	cat >expect <<-EOF &&
	GET /config.json 200
	PUT /config.json 412
	PROPFIND /objects/ 207
	PROPFIND /objects/$(git hash-object f3 | cut -c1-2)/ 207
	PROPFIND /objects/$(git hash-object f4 | cut -c1-2)/ 207
	PROPFIND /pack/ 207
	GET /pack/packs 200
	EOF
	sort -k2 log >actual && sort -k2 expect >expect.sorted &&
	test_cmp expect.sorted actual
'

test_expect_success WEBDAV 'a new object is pushed alone, a new pack is listed beside the others' '
	test_seeded_file f5 30000 5 && test_seeded_file f6 30000 6 &&
	silo put --silo s f5 >/dev/null &&
	silo push -v --silo s "$DAV/s" >out &&
	echo "1 files copied to $DAV/s" >expect &&
	test_cmp expect out &&
	mkdir t6 && cp f6 t6/x && medo add -q --kind=tree t6 m/t6.treeptr &&
	silo push -v --silo s "$DAV/s" >out &&
	echo "2 files copied to $DAV/s" >expect &&
	test_cmp expect out &&
	(cd s/pack && ls pack-*.pack) >expect &&
	pack_list "$DAV_ROOT/s" >actual &&
	test_cmp expect actual &&
	silo verify "$DAV_ROOT/s"
'

test_expect_success WEBDAV 'packs the server lists that this silo lacks stay listed' '
	silo init other && test_seeded_file g1 10000 11 && mkdir tg && cp g1 tg/g &&
	echo "{ \"silos\": [\"../other\"] }" >m/SILO.json &&
	medo add -q --kind=tree tg m/g.treeptr &&
	echo "{ \"silos\": [\"../s\"] }" >m/SILO.json &&
	silo push -q --silo other "$DAV/s" &&
	(cd s/pack && ls pack-*.pack; cd ../../other/pack && ls pack-*.pack) | sort >expect &&
	pack_list "$DAV_ROOT/s" >actual &&
	test_cmp expect actual &&
	silo push -q --silo s "$DAV/s" &&
	pack_list "$DAV_ROOT/s" >actual &&
	test_cmp expect actual
'

test_expect_success WEBDAV,STRACE 'a push killed half-way leaves a consistent silo; a second one completes it' '
	silo init big && for i in 1 2 3 4 5 6 7 8; do
		test_seeded_file b$i 50000 $((20 + i)) || return 1
	done &&
	silo put --silo big b1 b2 b3 b4 >/dev/null && silo repack --silo big -q -a -d &&
	silo put --silo big b5 b6 b7 b8 >/dev/null &&
	mkdir tb && cp b1 tb/1 && cp b5 tb/5 &&
	echo "{ \"silos\": [\"../big\"] }" >m/SILO.json &&
	medo add -q --kind=tree tb m/tb.treeptr &&
	echo "{ \"silos\": [\"../s\"] }" >m/SILO.json &&
	# killed at its 25th send (requests share one connection): some
	# objects are there, no pack list
	test_expect_code 137 strace -f -o /dev/null -e trace=sendto \
		-e inject=sendto:signal=SIGKILL:when=25 silo push --silo big "$DAV/big" &&
	test -f "$DAV_ROOT/big/config.json" &&
	test ! -f "$DAV_ROOT/big/pack/packs" &&
	silo verify "$DAV_ROOT/big" &&
	silo push -v --silo big "$DAV/big" >out &&
	silo_files big >expect &&
	silo_files "$DAV_ROOT/big" >actual &&
	test_cmp expect actual &&
	(cd big/pack && ls pack-*.pack) >expect &&
	pack_list "$DAV_ROOT/big" >actual &&
	test_cmp expect actual &&
	silo verify "$DAV_ROOT/big" &&
	n=$(silo_files big | wc -l) && copied=$(cut -d" " -f1 out) &&
	test "$copied" -gt 0 && test "$copied" -lt "$n"
'

test_expect_success WEBDAV 'a silo with an index without its pack is not pushed, here nor there' '
	cp -R s damaged &&
	pack=$(ls damaged/pack/*.pack | head -n 1) &&
	rm "$pack" &&
	test_expect_code 4 silo push --silo damaged "$DAV/damaged" 2>err &&
	echo "silo: error: '\''${pack%.pack}.idx'\'': an index without its pack: the silo is damaged (see silo verify); nothing is pushed" >expect &&
	test_cmp expect err &&
	! test -e "$DAV_ROOT/damaged" &&
	test_expect_code 4 silo push --silo damaged local-damaged 2>err &&
	test_cmp expect err &&
	! test -e local-damaged/pack/$(basename "${pack%.pack}").idx
'

test_expect_success WEBDAV 'a silo of another id format on the server is refused' '
	silo init --object-format=sha256 s256 &&
	test_expect_code 5 silo push --silo s256 "$DAV/s" 2>err &&
	echo "silo: error: '\''$DAV/s'\'' holds sha1 ids, '\''s256'\'' sha256 ids" >expect &&
	test_cmp expect err
'

test_expect_success WEBDAV 'a missing parent collection is an error; credentials in the URL are refused' '
	test_expect_code 3 silo push --silo s "$DAV/no/such/s" 2>err &&
	echo "silo: error: cannot make the collection '\''$DAV/no/such/s/'\'': its parent does not exist" >expect &&
	test_cmp expect err &&
	test_expect_code 5 silo push --silo s "http://u:pw-9f3@127.0.0.1:1/s" 2>err &&
	echo "silo: error: a URL to push to may not hold credentials: put them in ~/.netrc or SILO_HTTP_USER and SILO_HTTP_PASSWORD" >expect &&
	test_cmp expect err
'

test_expect_success NGINX_DAV 'nginx with dav methods ignores If-None-Match: refused' '
	test_expect_code 8 silo push --silo s "$NDAV/s" 2>err &&
	echo "silo: error: '\''$NDAV/s'\'' ignores \"If-None-Match: *\" (it stored config.json over itself): racing pushes could replace each other'\''s files; use --force to push anyway" >expect &&
	test_cmp expect err &&
	(cd "$NDAV_ROOT" && find . -type f) >files &&
	echo ./s/config.json >expect &&
	test_cmp expect files &&
	cmp s/config.json "$NDAV_ROOT/s/config.json"
'

test_expect_success RCLONE_DAV 'rclone serve webdav ignores it too: refused, pushed with --force' '
	test_expect_code 8 silo push --silo s "$RDAV/s" 2>err &&
	grep "^silo: error: .$RDAV/s. ignores \"If-None-Match: \*\" (it stored config.json over itself)" err &&
	silo push -v --force --silo s "$RDAV/s" >out &&
	n=$(silo_files s | wc -l) &&
	echo "$((n - 1)) files copied to $RDAV/s" >expect &&
	test_cmp expect out &&
	silo_files s >expect &&
	silo_files "$RDAV_ROOT/s" >actual &&
	test_cmp expect actual &&
	(cd s/pack && ls pack-*.pack) >expect &&
	pack_list "$RDAV_ROOT/s" >actual &&
	test_cmp expect actual &&
	silo verify "$RDAV_ROOT/s"
'

test_done
