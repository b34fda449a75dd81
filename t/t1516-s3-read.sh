#!/bin/sh
test_description='silos in S3 buckets (s3://) read from a real radosgw: fetch, expand, packs by ranges, credentials'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-radosgw.sh"
. "$TEST_DIRECTORY/lib-fuse.sh"

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=10
start_radosgw || test_skip_all RADOSGW "$RADOSGW_WHY"
export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache
URL=s3://$S3_BUCKET/deps.silo

# The requests radosgw logged for paths under /$S3_BUCKET/$1/, as
# "METHOD PATH STATUS", once the log shows at least $2 of them.
s3_requests() {
	test_wait_for "test \$(grep -c '\"[A-Z]* /$S3_BUCKET/$1/' \"$RGW_DIR/out/client.rgw.log\") -ge $2" 10 &&
	sed -n "s|.*\"\([A-Z]*\) \(/$S3_BUCKET/$1/[^ ]*\) HTTP/[0-9.]*\" \([0-9]*\) .*|\1 \2 \3|p" \
		"$RGW_DIR/out/client.rgw.log"
}

test_expect_success 'setup: a silo with loose objects and a tree kind pack, copied into the bucket' '
	silo init deps.silo &&
	mkdir -p t1/sub && echo one >t1/a && test_seeded_file t1/sub/big 300000 1 &&
	mkdir -p t2/sub && echo two >t2/b && test_seeded_file t2/sub/big 200000 2 &&
	mkdir local.medo deps.medo &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >local.medo/SILO.json &&
	echo "{ \"silos\": [\"$URL\"] }" >deps.medo/SILO.json &&
	medo add t1 local.medo/t1.treeptr &&
	medo add --kind=tree t2 local.medo/t2.treeptr &&
	cp local.medo/*.treeptr deps.medo/ &&
	test_seeded_file f 1000 3 && silo put --silo deps.silo f >ids &&
	s3_upload deps.silo deps.silo
'

test_expect_success 'silo fetch from an s3:// silo, verified into a local silo' '
	silo init got &&
	s3_env silo fetch --silo got --from "$URL" $(cat ids) >out 2>err &&
	test_must_be_empty out && test_must_be_empty err &&
	silo cat --silo got $(cat ids) | cmp - f &&
	silo verify got
'

test_expect_success 'medo expand of a treeptr whose SILO.json names an s3:// silo' '
	s3_env medo expand deps.medo/t1.treeptr out1 &&
	diff -r t1 out1 &&
	medo verify deps.medo/t1.treeptr out1
'

test_expect_success 'the tree kind reads the pack by ranges (206), never whole' '
	s3_env medo expand deps.medo/t2.treeptr out2 &&
	diff -r t2 out2 &&
	s3_requests deps.silo/pack 2 >log &&
	grep "^GET /$S3_BUCKET/deps.silo/pack/pack-[0-9a-f]*\.pack " log >packs &&
	test -s packs &&
	{ grep -v " 206$" packs >whole || :; } &&
	test_must_be_empty whole
'

test_expect_success FUSE 'medo mount of a tree kind treeptr in an s3:// silo' '
	test_when_finished "! mounted mnt || fusermount3 -u -z mnt" &&
	mkdir mnt && SILO_CACHE_DIR=$PWD/cache-mnt s3_env medo mount deps.medo/t2.treeptr mnt &&
	diff -r t2 mnt &&
	medo mount -u mnt
'

test_expect_success 'a warm cache needs no request: it works with keys the server refuses' '
	AWS_ENDPOINT_URL=$S3_ENDPOINT AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=wrong \
		medo expand deps.medo/t1.treeptr out1b &&
	diff -r t1 out1b
'

test_expect_success 'no key is written into the cache, its names, or the treeptrs' '
	{ grep -rl "$S3_SECRET_KEY" cache deps.medo >found || :; } &&
	test_must_be_empty found &&
	{ find cache | grep -e "$S3_SECRET_KEY" -e "$S3_ACCESS_KEY" >found || :; } &&
	test_must_be_empty found
'

test_expect_success 'medo url-for names the s3:// URL' '
	medo url-for deps.medo/t1.treeptr >actual &&
	id=$(sed -n "s/^ *\"object\": \"\([0-9a-f]*\)\".*/\1/p" deps.medo/t1.treeptr) &&
	echo "$URL/objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).gz" >expect &&
	test_cmp expect actual
'

test_expect_success 'a missing object is exit 3, with what S3 said' '
	test_expect_code 3 s3_env silo fetch --silo got --from "$URL" \
		0123456789012345678901234567890123456789 2>err &&
	echo "silo: error: '\''$URL/objects/01/23456789012345678901234567890123456789.gz'\'': HTTP 404 (NoSuchKey)" >expect &&
	test_cmp expect err
'

test_expect_success 'a missing bucket is exit 3' '
	test_expect_code 3 s3_env silo fetch --silo got --from s3://nosuchbucket/deps.silo \
		$(cat ids) 2>err &&
	echo "silo: error: '\''s3://nosuchbucket/deps.silo'\'' is not a silo: '\''s3://nosuchbucket/deps.silo/config.json'\'': HTTP 404 (NoSuchBucket)" >expect &&
	test_cmp expect err
'

test_expect_success 'a wrong secret key is exit 7, and the message holds no key' '
	silo init l2 &&
	test_expect_code 7 env AWS_ENDPOINT_URL=$S3_ENDPOINT AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY \
		AWS_SECRET_ACCESS_KEY=not-the-secret silo fetch --silo l2 --from "$URL" $(cat ids) 2>err &&
	echo "silo: error: cannot fetch '\''$URL/config.json'\'': HTTP 403 (SignatureDoesNotMatch), signed with the keys of AWS_ACCESS_KEY_ID" >expect &&
	test_cmp expect err
'

test_expect_success 'an unknown access key is exit 7' '
	test_expect_code 7 env AWS_ENDPOINT_URL=$S3_ENDPOINT AWS_ACCESS_KEY_ID=nosuchkey \
		AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY silo fetch --silo l2 --from "$URL" $(cat ids) 2>err &&
	echo "silo: error: cannot fetch '\''$URL/config.json'\'': HTTP 403 (InvalidAccessKeyId), signed with the keys of AWS_ACCESS_KEY_ID" >expect &&
	test_cmp expect err &&
	{ grep -e "$S3_SECRET_KEY" err >found || :; } && test_must_be_empty found
'

test_expect_success 'no credentials: the request goes unsigned, and the 403 says where keys go' '
	test_expect_code 7 env AWS_ENDPOINT_URL=$S3_ENDPOINT \
		silo fetch --silo l2 --from "$URL" $(cat ids) 2>err &&
	echo "silo: error: cannot fetch '\''$URL/config.json'\'': HTTP 403 (AccessDenied), and no AWS credentials were found (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)" >expect &&
	test_cmp expect err
'

test_expect_success 'half a key pair is exit 5, before any request' '
	test_expect_code 5 env AWS_ENDPOINT_URL=$S3_ENDPOINT AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY \
		silo fetch --silo l2 --from "$URL" $(cat ids) 2>err &&
	echo "silo: error: AWS_ACCESS_KEY_ID is set, but AWS_SECRET_ACCESS_KEY is not" >expect &&
	test_cmp expect err
'

test_expect_success 'the default profile of ~/.aws/credentials' '
	mkdir -p .aws &&
	cat >.aws/credentials <<-EOF &&
	# keys of the test user
	[other]
	aws_access_key_id = nosuchkey
	aws_secret_access_key = nosuchsecret

	[default]
	aws_access_key_id = $S3_ACCESS_KEY
	aws_secret_access_key = $S3_SECRET_KEY
	EOF
	silo init l3 &&
	AWS_ENDPOINT_URL=$S3_ENDPOINT silo fetch --silo l3 --from "$URL" $(cat ids) &&
	silo cat --silo l3 $(cat ids) | cmp - f
'

test_expect_success 'AWS_PROFILE picks a profile, and says so when it is refused' '
	silo init l4 &&
	test_expect_code 7 env AWS_ENDPOINT_URL=$S3_ENDPOINT AWS_PROFILE=other \
		silo fetch --silo l4 --from "$URL" $(cat ids) 2>err &&
	echo "silo: error: cannot fetch '\''$URL/config.json'\'': HTTP 403 (InvalidAccessKeyId), signed with the keys of profile '\''other'\'' of '\''$HOME/.aws/credentials'\''" >expect &&
	test_cmp expect err
'

test_expect_success 'AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE' '
	cat >creds <<-EOF &&
	[ci]
	aws_access_key_id=$S3_ACCESS_KEY
	aws_secret_access_key=$S3_SECRET_KEY
	EOF
	silo init l5 &&
	AWS_ENDPOINT_URL=$S3_ENDPOINT AWS_SHARED_CREDENTIALS_FILE=$PWD/creds AWS_PROFILE=ci \
		silo fetch --silo l5 --from "$URL" $(cat ids) &&
	silo cat --silo l5 $(cat ids) | cmp - f
'

test_expect_success 'keys in the environment come before the credentials file' '
	silo init l6 &&
	AWS_ENDPOINT_URL=$S3_ENDPOINT AWS_PROFILE=other AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY \
		AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY silo fetch --silo l6 --from "$URL" $(cat ids)
'

test_expect_success 'a profile not in the file, a missing file, a profile without a secret' '
	test_expect_code 3 env AWS_ENDPOINT_URL=$S3_ENDPOINT AWS_PROFILE=nope \
		silo fetch --silo l2 --from "$URL" $(cat ids) 2>err &&
	echo "silo: error: AWS profile '\''nope'\'' is not in '\''$HOME/.aws/credentials'\''" >expect &&
	test_cmp expect err &&
	test_expect_code 3 env AWS_ENDPOINT_URL=$S3_ENDPOINT AWS_SHARED_CREDENTIALS_FILE=$PWD/none \
		silo fetch --silo l2 --from "$URL" $(cat ids) 2>err &&
	echo "silo: error: cannot read AWS credentials: '\''$PWD/none'\'' does not exist" >expect &&
	test_cmp expect err &&
	printf "[half]\naws_access_key_id = %s\n" "$S3_ACCESS_KEY" >half &&
	test_expect_code 5 env AWS_ENDPOINT_URL=$S3_ENDPOINT AWS_SHARED_CREDENTIALS_FILE=$PWD/half \
		AWS_PROFILE=half silo fetch --silo l2 --from "$URL" $(cat ids) 2>err &&
	echo "silo: error: AWS profile '\''half'\'' of '\''$PWD/half'\'' has no aws_secret_access_key" >expect &&
	test_cmp expect err
'

test_expect_success 'a malformed credentials file names the line, not its text' '
	printf "[default]\naws_secret_access_key %s\n" "$S3_SECRET_KEY" >bad &&
	test_expect_code 5 env AWS_ENDPOINT_URL=$S3_ENDPOINT AWS_SHARED_CREDENTIALS_FILE=$PWD/bad \
		silo fetch --silo l2 --from "$URL" $(cat ids) 2>err &&
	echo "silo: error: '\''$PWD/bad'\'': line 2: expected '\''name = value'\''" >expect &&
	test_cmp expect err
'

# A server that records the headers of each request and answers 404:
# what the signature covers is seen from outside.
start_header_logger() {
	port=$(rgw_free_port_) || return 1
	python3 - "$port" >headers.log 2>logger.err <<-\EOF &
	import http.server, sys
	class H(http.server.BaseHTTPRequestHandler):
	    def do_GET(self):
	        auth = self.headers.get("Authorization", "")
	        if "SignedHeaders=" in auth:
	            for k in ("x-amz-security-token", "x-amz-content-sha256"):
	                print("%s: %s" % (k, self.headers.get(k)))
	            print("signed: " + auth.split("SignedHeaders=")[1].split(",")[0])
	            sys.stdout.flush()
	        self.send_response(404)
	        self.send_header("Content-Length", "0")
	        self.end_headers()
	    def log_message(self, *a):
	        pass
	http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
	EOF
	logger_pid=$!
	test_atexit "kill $logger_pid"
	LOGGER_URL=http://127.0.0.1:$port
	test_wait_for 'curl -s -o /dev/null "$LOGGER_URL/"' 10
}

test_expect_success 'AWS_SESSION_TOKEN is sent as x-amz-security-token, and signed' '
	start_header_logger &&
	test_expect_code 3 env AWS_ENDPOINT_URL=$LOGGER_URL AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY \
		AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_SESSION_TOKEN=the-session-token \
		silo fetch --silo l2 --from "$URL" $(cat ids) &&
	cat >expect <<-\EOF &&
	x-amz-security-token: the-session-token
	x-amz-content-sha256: UNSIGNED-PAYLOAD
	signed: host;x-amz-content-sha256;x-amz-date;x-amz-security-token
	EOF
	test_cmp expect headers.log
'

test_expect_success 'radosgw takes the request with a session token' '
	silo init l7 &&
	s3_env env AWS_SESSION_TOKEN=the-session-token silo fetch --silo l7 --from "$URL" $(cat ids)
'

test_expect_success 'a bad bucket name is exit 5, before any request' '
	test_expect_code 5 s3_env silo fetch --silo l2 --from "s3://bad%bucket/x" $(cat ids) 2>err &&
	echo "silo: error: '\''s3://bad%bucket/x/config.json'\'': expected s3://BUCKET/PATH, with a bucket name of letters, digits, '\''.'\'', '\''-'\'' and '\''_'\''" >expect &&
	test_cmp expect err
'

test_expect_success 'a region that is no region name is exit 5, from where it was read' '
	test_expect_code 5 s3_env env AWS_REGION="eu west" silo fetch --silo l2 --from "$URL" $(cat ids) 2>err &&
	echo "silo: error: AWS_REGION: '\''eu west'\'' is not an AWS region" >expect &&
	test_cmp expect err &&
	mkdir -p .aws && printf "[profile ci]\nregion = Mars\n" >.aws/config &&
	test_expect_code 5 s3_env env AWS_PROFILE=ci silo fetch --silo l2 --from "$URL" $(cat ids) 2>err &&
	echo "silo: error: the AWS config file: '\''Mars'\'' is not an AWS region" >expect &&
	test_cmp expect err &&
	printf "[profile ci]\nregion = eu-west-3\n" >.aws/config &&
	s3_env env AWS_PROFILE=ci silo fetch --silo l2 --from "$URL" $(cat ids)
'

test_done
