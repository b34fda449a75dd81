#!/bin/sh
test_description='private silos over HTTP: basic auth and bearer tokens from the environment or ~/.netrc, push-only servers'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-webdav.sh"

start_webdav auth auth && test_set_prereq WEBDAV ||
	test_missing_prereq WEBDAV "lighttpd with mod_webdav does not start (tools/install-deps.sh)"
AUTH=$WEBDAV_URL AUTH_ROOT=$WEBDAV_ROOT AUTH_PORT=${WEBDAV_URL##*:}
start_webdav tok token && test_set_prereq TOKEN_DAV ||
	test_missing_prereq TOKEN_DAV "lighttpd that checks a bearer token does not start"
TOK=$WEBDAV_URL TOK_ROOT=$WEBDAV_ROOT
start_webdav po push-only && test_set_prereq PUSH_ONLY_DAV ||
	test_missing_prereq PUSH_ONLY_DAV "lighttpd does not start with the configuration of silo-push(1)"
PO=$WEBDAV_URL PO_ROOT=$WEBDAV_ROOT

# The files of silo directory $1 a push copies, with their checksums.
silo_files() {
	(cd "$1" && find . -type f ! -name "tmp_*" ! -path ./pack/packs | sort | xargs sha1sum)
}

# err_for ACTION URL STATUS HINT: the message of a refused request.
unauthorized() {
	echo "silo: error: cannot read '\''$1/config.json'\'': HTTP 401 (credentials missing or refused: see ~/.netrc, SILO_HTTP_USER, SILO_HTTP_TOKEN)"
}

test_expect_success WEBDAV 'setup: a silo with a pack and a loose object' '
	silo init s &&
	test_seeded_file f1 20000 1 && test_seeded_file f2 20000 2 &&
	mkdir -p tree m && cp f1 tree/a && echo "{ \"silos\": [\"../s\"] }" >m/SILO.json &&
	medo add -q --kind=tree tree m/tree.treeptr &&
	silo put -q --silo s f2
'

test_expect_success WEBDAV 'no credentials, or a wrong password: 401, exit status 7, no password shown' '
	test_expect_code 7 silo push --silo s "$AUTH/s" 2>err &&
	echo "silo: error: cannot read '\''$AUTH/s/config.json'\'': HTTP 401 (credentials missing or refused: see ~/.netrc, SILO_HTTP_USER, SILO_HTTP_TOKEN)" >expect &&
	test_cmp expect err &&
	SILO_HTTP_USER=$WEBDAV_USER SILO_HTTP_PASSWORD=wrong-pw-77 \
		test_expect_code 7 silo push --silo s "$AUTH/s" 2>err &&
	test_cmp expect err &&
	! grep -e wrong-pw-77 -e "$WEBDAV_USER" err &&
	test ! -e "$AUTH_ROOT/s"
'

test_expect_success WEBDAV 'basic auth from the environment: push, then read back' '
	SILO_HTTP_USER=$WEBDAV_USER SILO_HTTP_PASSWORD=$WEBDAV_PASSWORD \
		silo push -v --silo s "$AUTH/s" >out 2>err &&
	echo "$(silo_files s | wc -l) files copied to $AUTH/s" >expect &&
	test_cmp expect out &&
	test_must_be_empty err &&
	silo_files s >expect && silo_files "$AUTH_ROOT/s" >actual &&
	test_cmp expect actual &&
	silo init l &&
	test_expect_code 7 silo fetch -q --silo l --from "$AUTH/s" $(git hash-object f2) 2>err &&
	grep "HTTP 401" err &&
	SILO_HTTP_USER=$WEBDAV_USER SILO_HTTP_PASSWORD=$WEBDAV_PASSWORD \
		silo fetch -q --silo l --from "$AUTH/s" $(git hash-object f2) &&
	silo cat --silo l $(git hash-object f2) | cmp - f2
'

test_expect_success WEBDAV 'SILO_HTTP_AUTH_HOST: the credentials go to that host only' '
	SILO_HTTP_USER=$WEBDAV_USER SILO_HTTP_PASSWORD=$WEBDAV_PASSWORD SILO_HTTP_AUTH_HOST=other.example.org \
		test_expect_code 7 silo push --silo s "$AUTH/s" 2>err &&
	grep "HTTP 401" err &&
	SILO_HTTP_USER=$WEBDAV_USER SILO_HTTP_PASSWORD=$WEBDAV_PASSWORD SILO_HTTP_AUTH_HOST=127.0.0.1:1 \
		test_expect_code 7 silo push --silo s "$AUTH/s" 2>err &&
	grep "HTTP 401" err &&
	SILO_HTTP_USER=$WEBDAV_USER SILO_HTTP_PASSWORD=$WEBDAV_PASSWORD SILO_HTTP_AUTH_HOST=127.0.0.1:$AUTH_PORT \
		silo push -q --silo s "$AUTH/s"
'

test_expect_success WEBDAV '~/.netrc: medo expand reads a private silo; nothing keeps the password' '
	test_when_finished "rm -f \"$HOME/.netrc\"" &&
	printf "machine 127.0.0.1 login %s password %s\n" "$WEBDAV_USER" "$WEBDAV_PASSWORD" >"$HOME/.netrc" &&
	chmod 600 "$HOME/.netrc" &&
	mkdir r && cp m/tree.treeptr r/ && echo "{ \"silos\": [\"$AUTH/s\"] }" >r/SILO.json &&
	SILO_CACHE_DIR=$PWD/cache medo expand -q r/tree.treeptr out-tree &&
	cmp f1 out-tree/a &&
	silo push -q --silo s "$AUTH/s" &&
	! grep -r -l -e "$WEBDAV_PASSWORD" cache r out-tree "$AUTH_ROOT" &&
	! find cache -name "*$WEBDAV_USER*" | grep .
'

test_expect_success WEBDAV 'a silo URL holding credentials is refused, never shown nor published' '
	mkdir cred && cp m/tree.treeptr cred/ &&
	auth_url=$(echo "$AUTH" | sed "s|://|://$WEBDAV_USER:$WEBDAV_PASSWORD@|") &&
	echo "{ \"silos\": [\"$auth_url/s\"] }" >cred/SILO.json &&
	echo "medo: error: '\''cred/SILO.json'\'': field '\''silos'\'': a URL may not hold credentials: put them in ~/.netrc, or SILO_HTTP_USER and SILO_HTTP_PASSWORD (for s3://, the AWS_* variables)" >expect &&
	SILO_CACHE_DIR=$PWD/cache-cred test_expect_code 5 medo expand cred/tree.treeptr cred-out 2>err &&
	test_cmp expect err &&
	test_expect_code 5 medo url-for cred/tree.treeptr >out 2>err &&
	test_cmp expect err && test_must_be_empty out &&
	test_expect_code 5 medo web -o cred-web cred 2>err &&
	test_cmp expect err &&
	SILO_CACHE_DIR=$PWD/cache-cred test_expect_code 5 silo ls --silo "$auth_url/s" >out 2>err &&
	echo "silo: error: a silo URL may not hold credentials: put them in ~/.netrc, or SILO_HTTP_USER and SILO_HTTP_PASSWORD" >expect &&
	test_cmp expect err &&
	! test -e cred-out &&
	! grep -r -l -e "$WEBDAV_PASSWORD" cred-web
'

test_expect_success WEBDAV,TOKEN_DAV 'a bearer token: right, wrong (403), never shown' '
	SILO_HTTP_TOKEN=$WEBDAV_TOKEN silo push -q --silo s "$TOK/s" &&
	silo_files s >expect && silo_files "$TOK_ROOT/s" >actual &&
	test_cmp expect actual &&
	SILO_HTTP_TOKEN=not-the-token-5 test_expect_code 7 silo push --silo s "$TOK/s" 2>err &&
	echo "silo: error: cannot read '\''$TOK/s/config.json'\'': HTTP 403 (forbidden by the server)" >expect &&
	test_cmp expect err
'

test_expect_success WEBDAV,PUSH_ONLY_DAV 'the push-only server of silo-push(1): pushes work, nothing else does' '
	test_expect_code 7 silo push --silo s "$PO/s" 2>err &&
	grep "HTTP 401" err &&
	export SILO_HTTP_USER=$WEBDAV_USER SILO_HTTP_PASSWORD=$WEBDAV_PASSWORD &&
	silo push -q --silo s "$PO/s" &&
	silo verify "$PO_ROOT/s" &&
	silo push -v --silo s "$PO/s" >out &&
	echo "0 files copied to $PO/s" >expect &&
	test_cmp expect out &&
	silo init s2 && test_seeded_file f3 9000 3 && mkdir t3 && cp f3 t3/x &&
	echo "{ \"silos\": [\"../s2\"] }" >m/SILO.json &&
	medo add -q --kind=tree t3 m/t3.treeptr &&
	silo push -q --silo s2 "$PO/s" &&
	(ls s/pack/pack-*.pack s2/pack/pack-*.pack | sed "s|.*/|P |" | sort && echo) >expect &&
	test_cmp expect "$PO_ROOT/s/pack/packs" &&
	obj=objects/$(git hash-object f2 | cut -c1-2)/$(git hash-object f2 | cut -c3-).gz &&
	curl -s -u "$WEBDAV_USER:$WEBDAV_PASSWORD" -o /dev/null -w "%{http_code}\n" -X DELETE "$PO/s/$obj" >codes &&
	curl -s -u "$WEBDAV_USER:$WEBDAV_PASSWORD" -o /dev/null -w "%{http_code}\n" -T f1 "$PO/s/$obj" >>codes &&
	curl -s -u "$WEBDAV_USER:$WEBDAV_PASSWORD" -o /dev/null -w "%{http_code}\n" -T f1 -H "If-None-Match: *" "$PO/s/$obj" >>codes &&
	curl -s -u "$WEBDAV_USER:$WEBDAV_PASSWORD" -o /dev/null -w "%{http_code}\n" -X MOVE -H "Destination: $PO/s/x" "$PO/s/$obj" >>codes &&
	curl -s -o /dev/null -w "%{http_code}\n" "$PO/s/$obj" >>codes &&
	printf "%s\n" 403 403 412 403 200 >expect &&
	test_cmp expect codes &&
	silo verify "$PO_ROOT/s"
'

test_done
