#!/bin/sh
test_description='silo push to WebDAV: racing pushers lose nothing, readers through nginx never see a missing pack'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-webdav.sh"

start_httpd && test_set_prereq HTTPD || test_missing_prereq HTTPD "nginx does not start"
start_webdav dav && test_set_prereq WEBDAV ||
	test_missing_prereq WEBDAV "lighttpd with mod_webdav does not start (tools/install-deps.sh)"
DAV=$WEBDAV_URL DAV_ROOT=$WEBDAV_ROOT

ROUNDS=4

# reader: until the file stop exists, read pack/packs through nginx and
# check that every pack it names, and its index, are there; one line
# in reads per list read, one in bad per pack missing.
reader() {
	while ! test -e stop; do
		curl -sf "$HTTPD_URL/shared/pack/packs" >list.read || { echo none >>reads; continue; }
		echo read >>reads
		for p in $(sed -n "s/^P //p" list.read); do
			for f in "$p" "${p%.pack}.idx"; do
				curl -sfI -o /dev/null "$HTTPD_URL/shared/pack/$f" ||
					echo "missing $f" >>bad
			done
		done
	done
}

test_expect_success WEBDAV,HTTPD 'setup: three silos, a reader through nginx' '
	ln -s "$DAV_ROOT/shared" "$HTTPD_ROOT/shared" &&
	for s in a b c; do
		silo init $s && mkdir -p m-$s &&
		echo "{ \"silos\": [\"../$s\"] }" >m-$s/SILO.json || return 1
	done &&
	: >reads && : >bad
'

test_expect_success WEBDAV,HTTPD "$ROUNDS rounds of three pushes at once, overlapping objects" '
	{ reader & } &&
	reader_pid=$! &&
	r=1 && while test $r -le $ROUNDS; do
		test_seeded_file common-$r 30000 $((100 + r)) &&
		for s in a b c; do
			test_seeded_file own-$s-$r 20000 $((r * 10 + $(printf %d "'\''$s") % 7)) &&
			rm -rf t-$s && mkdir t-$s && cp common-$r own-$s-$r t-$s/ &&
			medo add -q --kind=tree t-$s m-$s/t-$r.treeptr &&
			silo put -q --silo $s common-$r own-$s-$r || return 1
		done &&
		{ silo push --silo a "$DAV/shared" 2>err-a & } &&
		pa=$! &&
		{ silo push --silo b "$DAV/shared" 2>err-b & } &&
		pb=$! &&
		{ silo push --silo c "$DAV/shared" 2>err-c & } &&
		pc=$! &&
		wait $pa && wait $pb && wait $pc &&
		cat err-a err-b err-c >errs && test_must_be_empty errs &&
		r=$((r + 1)) || { touch stop; wait $reader_pid; return 1; }
	done &&
	touch stop && wait $reader_pid &&
	test_must_be_empty bad &&
	grep -c "^read\$" reads >n && test "$(cat n)" -gt 0
'

test_expect_success WEBDAV 'the server holds every object whole, and lists every pack' '
	silo verify "$DAV_ROOT/shared" &&
	for s in a b c; do silo ls --silo $s || return 1; done | sort -u >expect &&
	silo ls --silo "$DAV_ROOT/shared" | sort >actual &&
	test_cmp expect actual &&
	ls a/pack b/pack c/pack | grep "^pack-.*\.pack\$" | sort -u >expect &&
	test_line_count = $((3 * ROUNDS)) expect &&
	sed -n "s/^P //p" "$DAV_ROOT/shared/pack/packs" >actual &&
	test_cmp expect actual &&
	(cd "$DAV_ROOT/shared/pack" && ls pack-*.pack) >actual &&
	test_cmp expect actual
'

test_expect_success WEBDAV,HTTPD 'every treeptr of every silo expands from the server, through nginx' '
	for s in a b c; do
		mkdir -p r-$s && cp m-$s/*.treeptr r-$s/ &&
		echo "{ \"silos\": [\"$HTTPD_URL/shared\"] }" >r-$s/SILO.json &&
		SILO_CACHE_DIR=$PWD/cache medo expand -q r-$s out-$s &&
		cmp common-$ROUNDS out-$s/t-$ROUNDS/common-$ROUNDS &&
		cmp own-$s-1 out-$s/t-1/own-$s-1 || return 1
	done
'

test_done
