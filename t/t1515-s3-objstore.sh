#!/bin/sh
test_description='writing to an S3 bucket against a real radosgw: the objstore of s3:// (conditional puts, races, listing) and silo push'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-radosgw.sh"

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=20
start_radosgw || test_skip_all RADOSGW "$RADOSGW_WHY"
export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache
export AWS_ENDPOINT_URL=$S3_ENDPOINT AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY \
	AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
URL=s3://$S3_BUCKET/w.silo

ostore() {
	"$SILO_BUILD_DIR/t/unit/objstore-s3" "$@"
}

# The object at key $1 of the bucket, as the server has it.
s3_cat() {
	s3_curl -f "$S3_ENDPOINT/$S3_BUCKET/$1"
}

test_expect_success 'put_new stores a new name, and only once' '
	echo first >first && echo second >second &&
	ostore put-new "$URL" objects/ab/cdef.gz first >out1 &&
	ostore put-new "$URL" objects/ab/cdef.gz second >out2 &&
	echo "stored 1" >expect && test_cmp expect out1 &&
	echo "stored 0" >expect && test_cmp expect out2 &&
	s3_cat w.silo/objects/ab/cdef.gz >actual && test_cmp first actual
'

test_expect_success 'put_new of an empty file' '
	: >empty &&
	ostore put-new "$URL" objects/00/empty.gz empty >out &&
	echo "stored 1" >expect && test_cmp expect out &&
	s3_cat w.silo/objects/00/empty.gz >actual && test_must_be_empty actual
'

test_expect_success 'get gives the data and its entity tag (the MD5, quoted)' '
	ostore get "$URL" objects/ab/cdef.gz >out &&
	{ echo "\"$(md5sum <first | cut -c1-32)\"" && cat first; } >expect &&
	test_cmp expect out
'

test_expect_success 'get of a missing name is SILO_ENOTFOUND, saying what S3 said' '
	test_expect_code 3 ostore get "$URL" pack/nothing 2>err &&
	echo "objstore-s3: cannot read '\''$URL/pack/nothing'\'': HTTP 404 (NoSuchKey)" >expect &&
	test_cmp expect err
'

test_expect_success 'put_if without a tag: only while the name is absent' '
	printf "pack-1\n" >v1 && printf "pack-1\npack-2\n" >v2 && printf "pack-3\n" >v3 &&
	ostore put-if "$URL" pack/packs v1 >out1 &&
	ostore put-if "$URL" pack/packs v2 >out2 &&
	printf "done 1\n" >expect && test_cmp expect out1 &&
	printf "done 0\n" >expect && test_cmp expect out2 &&
	s3_cat w.silo/pack/packs >actual && test_cmp v1 actual
'

test_expect_success 'put_if with the current tag replaces; with a stale one, nothing' '
	tag=$(ostore get "$URL" pack/packs | sed -n 1p) &&
	ostore put-if "$URL" pack/packs v2 "$tag" >out1 &&
	ostore put-if "$URL" pack/packs v3 "$tag" >out2 &&
	printf "done 1\n" >expect && test_cmp expect out1 &&
	printf "done 0\n" >expect && test_cmp expect out2 &&
	s3_cat w.silo/pack/packs >actual && test_cmp v2 actual
'

test_expect_success 'the tag is sent bare, also when given bare or weak' '
	tag=$(ostore get "$URL" pack/packs | sed -n 1p | tr -d "\"") &&
	ostore put-if "$URL" pack/packs v3 "$tag" >out1 &&
	tag=$(ostore get "$URL" pack/packs | sed -n 1p) &&
	ostore put-if "$URL" pack/packs v2 "W/$tag" >out2 &&
	printf "done 1\n" >expect && test_cmp expect out1 && test_cmp expect out2
'

# N processes at once, "ostore OP URL REL race/bodyI [TAG]", held until
# all are started: each reads a line from a fifo (opened for reading and
# writing, so that nothing blocks on opening it) before it runs, and the
# N lines are written once every racer is waiting.  Their outputs,
# errors and exit codes in race/.
race() {
	n=$1 op=$2 url=$3 rel=$4 tag=${5-} &&
	rm -f race/out* race/err* race/rc* go && mkfifo go &&
	exec 3<>go &&
	i=1 && while test $i -le $n; do
		{ read x <&3; ostore $op "$url" $rel race/body$i $tag >race/out$i 2>race/err$i;
		  echo $? >race/rc$i; } &
		i=$((i + 1))
	done &&
	i=1 && while test $i -le $n; do echo go >&3 && i=$((i + 1)) || return 1; done &&
	wait && exec 3>&- && rm go
}

test_expect_success 'racing put_new of one name: exactly one stores it' '
	mkdir race &&
	i=1 && while test $i -le 8; do echo "racer $i" >race/body$i && i=$((i + 1)) || return 1; done &&
	race 8 put-new "$URL" objects/ra/ce.gz &&
	cat race/err* >errs && test_must_be_empty errs &&
	cat race/rc* | sort -u >rcs && echo 0 >expect && test_cmp expect rcs &&
	cat race/out* | sort | uniq -c | sed "s/^ *//" >actual &&
	printf "7 stored 0\n1 stored 1\n" >expect && test_cmp expect actual &&
	winner=$(grep -l "stored 1" race/out* | sed "s|race/out||") &&
	s3_cat w.silo/objects/ra/ce.gz >actual && test_cmp race/body$winner actual
'

# Bodies of 4 MiB: radosgw answers some losers with 500 (its guarded
# write cancelled, nothing written) rather than 412; the 500 is retried
# and the retry meets the winner's tag: a 412, "not done".
test_expect_success 'racing put_if with one tag: exactly one replaces it' '
	i=1 && while test $i -le 8; do test_seeded_file race/body$i 4194304 $i && i=$((i + 1)) || return 1; done &&
	tag=$(ostore get "$URL" pack/packs | sed -n 1p) &&
	(export SILO_HTTP_RETRIES=3 && race 8 put-if "$URL" pack/packs "$tag") &&
	cat race/err* >errs && test_must_be_empty errs &&
	cat race/rc* | sort -u >rcs && echo 0 >expect && test_cmp expect rcs &&
	cat race/out* | sort | uniq -c | sed "s/^ *//" >actual &&
	printf "7 done 0\n1 done 1\n" >expect && test_cmp expect actual &&
	winner=$(grep -l "done 1" race/out* | sed "s|race/out||") &&
	s3_cat w.silo/pack/packs >actual && cmp race/body$winner actual
'

test_expect_success 'list walks every page of a listing (2 keys a page)' '
	before=$(date +%s) &&
	for d in 11 22 33 44 55; do
		ostore put-new "$URL" objects/$d/obj.gz first >/dev/null || return 1
	done &&
	after=$(date +%s) &&
	ostore list "$URL" objects 2 >list &&
	cut -d" " -f1,2 list >actual &&
	cat >expect <<-EOF &&
	objects/00/empty.gz 0
	objects/11/obj.gz 6
	objects/22/obj.gz 6
	objects/33/obj.gz 6
	objects/44/obj.gz 6
	objects/55/obj.gz 6
	objects/ab/cdef.gz 6
	objects/ra/ce.gz 8
	EOF
	test_cmp expect actual &&
	t=$(sed -n "/11\/obj/s/.* //p" list) &&
	test $t -ge $((before - 1)) && test $t -le $((after + 1)) &&
	test_wait_for "test \$(grep -c \"GET /$S3_BUCKET/?continuation-token=\" \"$RGW_DIR/out/client.rgw.log\") -ge 3" 10
'

test_expect_success 'list of one page, of an empty directory, of another prefix' '
	ostore list "$URL" pack >actual &&
	echo "pack/packs 4194304" >expect && cut -d" " -f1,2 actual >got && test_cmp expect got &&
	ostore list "$URL" derived >actual && test_must_be_empty actual &&
	ostore put-new "s3://$S3_BUCKET/w.silo2" objects/ab/x first >/dev/null &&
	ostore list "$URL" objects >actual && test_line_count = 8 actual
'

test_expect_success 'remove deletes, and a missing name is no error' '
	ostore remove "$URL" objects/11/obj.gz &&
	test_expect_code 3 ostore get "$URL" objects/11/obj.gz 2>/dev/null &&
	ostore remove "$URL" objects/11/obj.gz
'

test_expect_success 'a wrong secret: put_new fails, naming the URL and not the key' '
	test_expect_code 1 env AWS_SECRET_ACCESS_KEY=not-the-secret \
		"$SILO_BUILD_DIR/t/unit/objstore-s3" put-new "$URL" objects/99/x.gz first 2>err &&
	echo "objstore-s3: cannot store '\''$URL/objects/99/x.gz'\'': HTTP 403 (SignatureDoesNotMatch), signed with the keys of AWS_ACCESS_KEY_ID" >expect &&
	test_cmp expect err &&
	test_expect_code 22 s3_curl -f -o /dev/null "$S3_ENDPOINT/$S3_BUCKET/w.silo/objects/99/x.gz"
'

test_expect_success 'a missing bucket' '
	test_expect_code 3 ostore get s3://nosuchbucket/w.silo pack/packs 2>err &&
	echo "objstore-s3: cannot read '\''s3://nosuchbucket/w.silo/pack/packs'\'': HTTP 404 (NoSuchBucket)" >expect &&
	test_cmp expect err &&
	test_expect_code 3 ostore list s3://nosuchbucket/w.silo objects 2>err &&
	echo "objstore-s3: cannot list '\''objects/'\'' of '\''s3://nosuchbucket/w.silo/'\'': HTTP 404 (NoSuchBucket)" >expect &&
	test_cmp expect err
'

# A server that answers every PUT with 500, as radosgw answers a loser of
# an If-Match race, and as any server may fail.
start_server_500() {
	port=$(rgw_free_port_) || return 1
	python3 - "$port" >server500.log 2>&1 <<-\EOF &
	import http.server, sys
	class H(http.server.BaseHTTPRequestHandler):
	    protocol_version = "HTTP/1.1"
	    def do_PUT(self):
	        n = int(self.headers.get("Content-Length", "0"))
	        if self.headers.get("Expect", "").lower() != "100-continue":
	            self.rfile.read(n)
	        self.send_response(500)
	        self.send_header("Content-Length", "0")
	        self.send_header("Connection", "close")
	        self.end_headers()
	    do_GET = do_PUT
	http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
	EOF
	server500_pid=$!
	test_atexit "kill $server500_pid"
	URL500=http://127.0.0.1:$port
	test_wait_for 'curl -s -o /dev/null "$URL500/"' 10
}

# A server on $URLH that answers every request 404 and logs, a line per
# request, its method, path and Authorization scheme ("none" without).
start_header_server() {
	port=$(rgw_free_port_) || return 1
	python3 - "$port" >headers.log 2>server-h.err <<-\EOF &
	import http.server, sys
	class H(http.server.BaseHTTPRequestHandler):
	    protocol_version = "HTTP/1.1"
	    def do_GET(self):
	        auth = self.headers.get("Authorization", "none").split(" ")[0]
	        print(self.command, self.path, auth, flush=True)
	        self.send_response(404)
	        self.send_header("Content-Length", "0")
	        self.end_headers()
	    def log_message(self, *args):
	        pass
	http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
	EOF
	serverh_pid=$!
	test_atexit "kill $serverh_pid"
	URLH=http://127.0.0.1:$port
	test_wait_for 'curl -s -o /dev/null "$URLH/"' 10
}

test_expect_success 'SILO_HTTP_* and ~/.netrc are not sent to s3://: the signature alone, or nothing' '
	start_header_server &&
	mkdir -p home && echo "machine 127.0.0.1 login nuser password netrcpw" >home/.netrc &&
	chmod 600 home/.netrc &&
	test_expect_code 3 env HOME=$PWD/home AWS_ENDPOINT_URL=$URLH SILO_HTTP_USER=huser \
		SILO_HTTP_PASSWORD=httppw "$SILO_BUILD_DIR/t/unit/objstore-s3" get "$URL" config.json 2>err &&
	test_expect_code 3 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME=$PWD/home \
		AWS_ENDPOINT_URL=$URLH SILO_HTTP_TOKEN=tok "$SILO_BUILD_DIR/t/unit/objstore-s3" get "$URL" config.json 2>err &&
	test_expect_code 3 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME=$PWD/home \
		AWS_ENDPOINT_URL=$URLH "$SILO_BUILD_DIR/t/unit/objstore-s3" get "$URL" config.json 2>err &&
	cat >expect <<-EOF &&
	GET /$S3_BUCKET/w.silo/config.json AWS4-HMAC-SHA256
	GET /$S3_BUCKET/w.silo/config.json none
	GET /$S3_BUCKET/w.silo/config.json none
	EOF
	grep config.json headers.log >actual &&
	test_cmp expect actual
'

test_expect_success 'a 500 is retried, then an error: never "not done" or "there"' '
	start_server_500 &&
	test_expect_code 1 env AWS_ENDPOINT_URL=$URL500 SILO_HTTP_RETRIES=1 \
		"$SILO_BUILD_DIR/t/unit/objstore-s3" put-if "$URL" pack/packs first "\"abc\"" \
		>out 2>err &&
	test_must_be_empty out &&
	echo "objstore-s3: cannot PUT '\''$URL/pack/packs'\'': HTTP 500" >expect &&
	test_cmp expect err &&
	test_expect_code 1 env AWS_ENDPOINT_URL=$URL500 SILO_HTTP_RETRIES=1 \
		"$SILO_BUILD_DIR/t/unit/objstore-s3" put-new "$URL" objects/50/0.gz first >out 2>err &&
	test_must_be_empty out &&
	echo "objstore-s3: cannot PUT '\''$URL/objects/50/0.gz'\'': HTTP 500" >expect &&
	test_cmp expect err
'

test_expect_success 'a silo written with put_new reads back: fetch, expand, verify' '
	silo init src.silo &&
	mkdir -p tree/sub && echo a >tree/a && test_seeded_file tree/sub/big 250000 7 &&
	mkdir src.medo && echo "{ \"silos\": [\"../src.silo\"] }" >src.medo/SILO.json &&
	medo add tree src.medo/tree.treeptr &&
	medo add --kind=tree tree src.medo/tree2.treeptr &&
	(cd src.silo && find . -type f | sed "s|^\./||" | sort) >files &&
	while read f; do
		ostore put-new "s3://$S3_BUCKET/pub.silo" "$f" "src.silo/$f" >>stored || return 1
	done <files &&
	{ grep -v "stored 1" stored >bad || :; } && test_must_be_empty bad &&
	mkdir pub.medo && echo "{ \"silos\": [\"s3://$S3_BUCKET/pub.silo\"] }" >pub.medo/SILO.json &&
	cp src.medo/*.treeptr pub.medo/ &&
	medo expand pub.medo/tree.treeptr pub1 && diff -r tree pub1 &&
	medo expand pub.medo/tree2.treeptr pub2 && diff -r tree pub2 &&
	medo verify pub.medo/tree.treeptr pub1 &&
	id=$(sed -n "s/^ *\"object\": \"\([0-9a-f]*\)\".*/\1/p" pub.medo/tree.treeptr) &&
	silo init fetched && silo fetch --silo fetched --from "s3://$S3_BUCKET/pub.silo" $id &&
	silo verify fetched
'

# silo push to s3:// (lib/silo-push-http.c through this objstore).
PUSH=s3://$S3_BUCKET/push.silo

# The files of silo directory $1 a push copies, by name: all but
# temporary ones and pack/packs.
silo_files() {
	(cd "$1" && find . -type f ! -name "tmp_*" ! -path ./pack/packs | sed "s|^\./||" | sort)
}

# The files the bucket holds under the silo at $1 (an s3:// URL), by
# name, without pack/packs.
s3_files() {
	{ ostore get "$1" config.json >/dev/null && echo config.json &&
	  ostore list "$1" objects && ostore list "$1" pack; } |
	sed "s/ .*//" | grep -v "^pack/packs\$" | sort
}

test_expect_success 'setup: a silo with packs, loose objects, trees' '
	silo init s &&
	for i in 1 2 3 4; do test_seeded_file f$i 20000 $((40 + i)) || return 1; done &&
	silo put -q --silo s f1 f2 &&
	silo repack --silo s -q -a -d &&
	silo put -q --silo s f3 &&
	mkdir -p ptree/sub m && cp f1 ptree/a && cp f2 ptree/sub/b &&
	echo "{ \"silos\": [\"../s\"] }" >m/SILO.json &&
	medo add -q --kind=tree ptree m/tree.treeptr &&
	medo add -q --opaque f4 m/f4.treeptr &&
	echo partial >s/objects/tmp_obj_123 &&
	ls s/pack/*.pack >packs && test_line_count 2 packs
'

test_expect_success 'silo push to s3://: every file, config.json probed, pack/packs written' '
	silo push -v --silo s "$PUSH" >out &&
	echo "$(silo_files s | wc -l) files copied to $PUSH" >expect &&
	test_cmp expect out &&
	silo_files s >expect &&
	s3_files "$PUSH" >actual &&
	test_cmp expect actual &&
	# radosgw refused to store config.json over itself (a 412): a
	# server that does not is refused without --force
	ostore put-if "$PUSH" config.json s/config.json >out &&
	echo "done 0" >expect && test_cmp expect out &&
	{ (cd s/pack && ls pack-*.pack) | sed "s/^/P /" && echo; } >expect &&
	s3_cat push.silo/pack/packs >actual &&
	test_cmp expect actual
'

test_expect_success 'readers of the pushed silo: medo expand, silo fetch, silo verify' '
	mkdir r && cp m/*.treeptr r/ && echo "{ \"silos\": [\"$PUSH\"] }" >r/SILO.json &&
	medo expand -q r/tree.treeptr out-tree &&
	medo expand -q r/f4.treeptr out-f4 &&
	diff -r ptree out-tree && cmp f4 out-f4 &&
	silo init l && git hash-object f1 f2 f3 f4 >ids &&
	silo fetch -q --silo l --from "$PUSH" --stdin <ids &&
	silo verify l
'

test_expect_success 'a second push copies nothing' '
	silo push -v --silo s "$PUSH" >out &&
	echo "0 files copied to $PUSH" >expect &&
	test_cmp expect out
'

test_expect_success 'a new pack is listed beside the others (If-Match with the bare tag)' '
	test_seeded_file f6 30000 46 &&
	mkdir t6 && cp f6 t6/x && medo add -q --kind=tree t6 m/t6.treeptr &&
	old=$(ostore get "$PUSH" pack/packs | sed -n 1p) &&
	silo push -v --silo s "$PUSH" >out &&
	echo "2 files copied to $PUSH" >expect &&
	test_cmp expect out &&
	(cd s/pack && ls pack-*.pack) >expect &&
	s3_cat push.silo/pack/packs | sed -n "s/^P //p" >actual &&
	test_cmp expect actual &&
	new=$(ostore get "$PUSH" pack/packs | sed -n 1p) &&
	test "$old" != "$new"
'

test_expect_success 'racing pushers of overlapping silos: every pack listed, every object there' '
	for x in a b c; do
		silo init $x && mkdir -p m-$x &&
		echo "{ \"silos\": [\"../$x\"] }" >m-$x/SILO.json || return 1
	done &&
	r=1 && while test $r -le 3; do
		test_seeded_file common-$r 30000 $((100 + r)) &&
		for x in a b c; do
			test_seeded_file own-$x-$r 20000 $((r * 10 + $(printf %d "'\''$x") % 7)) &&
			rm -rf t-$x && mkdir t-$x && cp common-$r own-$x-$r t-$x/ &&
			medo add -q --kind=tree t-$x m-$x/t-$r.treeptr &&
			silo put -q --silo $x common-$r own-$x-$r || return 1
		done &&
		{ SILO_HTTP_RETRIES=3 silo push --silo a "s3://$S3_BUCKET/shared" 2>err-a & } &&
		pa=$! &&
		{ SILO_HTTP_RETRIES=3 silo push --silo b "s3://$S3_BUCKET/shared" 2>err-b & } &&
		pb=$! &&
		{ SILO_HTTP_RETRIES=3 silo push --silo c "s3://$S3_BUCKET/shared" 2>err-c & } &&
		pc=$! &&
		wait $pa && wait $pb && wait $pc &&
		cat err-a err-b err-c >errs && test_must_be_empty errs &&
		r=$((r + 1)) || return 1
	done &&
	ls a/pack b/pack c/pack | grep "^pack-.*\.pack\$" | sort -u >expect &&
	test_line_count 9 expect &&
	s3_cat shared/pack/packs | sed -n "s/^P //p" >actual &&
	test_cmp expect actual &&
	for x in a b c; do silo_files $x || return 1; done | sort -u >expect &&
	s3_files "s3://$S3_BUCKET/shared" >actual &&
	test_cmp expect actual &&
	git hash-object common-* own-* >ids &&
	silo init got-shared &&
	silo fetch -q --silo got-shared --from "s3://$S3_BUCKET/shared" --stdin <ids &&
	silo verify got-shared &&
	silo ls --silo got-shared >actual && sort ids >expect && sort actual | test_cmp expect - &&
	for x in a b c; do
		mkdir -p r-$x && cp m-$x/*.treeptr r-$x/ &&
		echo "{ \"silos\": [\"s3://$S3_BUCKET/shared\"] }" >r-$x/SILO.json &&
		medo expand -q r-$x/t-3.treeptr out-$x &&
		cmp common-3 out-$x/common-3 && cmp own-$x-3 out-$x/own-$x-3 || return 1
	done
'

test_expect_success 'push with a wrong secret: exit 7, the URL named, no secret' '
	test_expect_code 7 env AWS_SECRET_ACCESS_KEY=wrongsecret4242 \
		silo push --silo s "$PUSH" >out 2>err &&
	test_must_be_empty out &&
	echo "silo: error: cannot read '\''$PUSH/config.json'\'': HTTP 403 (SignatureDoesNotMatch), signed with the keys of AWS_ACCESS_KEY_ID" >expect &&
	test_cmp expect err &&
	! grep -e wrongsecret4242 -e "$S3_SECRET_KEY" -e "$S3_ACCESS_KEY" err
'

test_expect_success 'push to an s3:// URL holding keys: refused before any request' '
	test_expect_code 5 silo push --silo s "s3://AKID:wrongsecret4242@$S3_BUCKET/other.silo" \
		>out 2>err &&
	test_must_be_empty out &&
	echo "silo: error: a URL to push to may not hold credentials: put them in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or ~/.aws/credentials" >expect &&
	test_cmp expect err &&
	test_expect_code 3 ostore get "s3://$S3_BUCKET/other.silo" config.json 2>/dev/null
'

test_done
