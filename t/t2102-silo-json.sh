#!/bin/sh
test_description='SILO.json: nearest one wins, paths and URLs, url-for, strict errors'
. "$(dirname "$0")/test-lib.sh"

ID=ce013625030ba8dba906f756967f9e9ca394464a
REL=objects/ce/013625030ba8dba906f756967f9e9ca394464a.gz

write_treeptr() {
	mkdir -p "$(dirname "$1")" &&
	cat >"$1" <<-END
	{"treeptr": 1, "object-format": "sha1", "kind": "opaque", "object": "$ID", "size": 6}
	END
}

test_expect_success 'setup' '
	silo init deps.silo &&
	echo hello >f && silo put --silo deps.silo f &&
	mkdir -p deps/src.medo/a/b &&
	cat >deps/src.medo/SILO.json <<-END &&
	{ "silos": ["../../deps.silo", "https://example.org/deps.silo/", "file:///srv/my%20silo", "http://h/s"] }
	END
	write_treeptr deps/src.medo/a/b/x.treeptr
'

test_expect_success 'url-for prints each silo in order, paths relative to here' '
	medo url-for deps/src.medo/a/b/x.treeptr >actual &&
	cat >expect <<-END &&
	deps.silo/$REL
	https://example.org/deps.silo/$REL
	file:///srv/my%20silo/$REL
	http://h/s/$REL
	END
	test_cmp expect actual
'

test_expect_success 'url-for from another directory' '
	(cd deps/src.medo/a && medo url-for b/x.treeptr) >actual &&
	cat >expect <<-END &&
	../../../deps.silo/$REL
	https://example.org/deps.silo/$REL
	file:///srv/my%20silo/$REL
	http://h/s/$REL
	END
	test_cmp expect actual
'

test_expect_success 'an absolute treeptr path gives absolute silo paths' '
	medo url-for "$PWD/deps/src.medo/a/b/x.treeptr" >actual &&
	head -n 1 actual >first &&
	echo "$(pwd -P)/deps.silo/$REL" >expect &&
	{ test_cmp expect first ||
	{ echo "$PWD/deps.silo/$REL" >expect && test_cmp expect first; }; }
'

test_expect_success 'a nearer SILO.json wins' '
	echo "{ \"silos\": [\"/abs/silo\"] }" >deps/src.medo/a/SILO.json &&
	medo url-for deps/src.medo/a/b/x.treeptr >actual &&
	echo "/abs/silo/$REL" >expect &&
	test_cmp expect actual &&
	rm deps/src.medo/a/SILO.json
'

test_expect_success '--silo overrides SILO.json' '
	medo url-for --silo other.silo deps/src.medo/a/b/x.treeptr >actual &&
	echo "other.silo/$REL" >expect &&
	test_cmp expect actual
'

test_expect_success 'a silo that fails is skipped with a warning and the next is used' '
	port=$(python3 -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])") &&
	cat >deps/src.medo/SILO.json <<-END &&
	{ "silos": ["http://127.0.0.1:$port/deps.silo/", "missing.silo", "../../deps.silo"] }
	END
	SILO_HTTP_RETRIES=0 SILO_CACHE_DIR=$PWD/cache medo expand deps/src.medo/a/b/x.treeptr out 2>err &&
	test_cmp f out &&
	cat >expect <<-END &&
	medo: warning: skipping silo '\''http://127.0.0.1:$port/deps.silo/'\'' of '\''deps/src.medo/SILO.json'\'': cannot fetch '\''http://127.0.0.1:$port/deps.silo/config.json'\'': Couldn'\''t connect to server
	medo: warning: skipping silo '\''deps/src.medo/missing.silo'\'' of '\''deps/src.medo/SILO.json'\'': does not exist
	END
	test_cmp expect err
'

test_expect_success 'a file:// silo is read' '
	echo "{ \"silos\": [\"file://$PWD/deps.silo\"] }" >deps/src.medo/SILO.json &&
	medo expand deps/src.medo/a/b/x.treeptr out2 &&
	test_cmp f out2
'

test_expect_success 'an object in no silo is not found (exit 3), nothing written' '
	echo "{ \"silos\": [\"../../empty.silo\"] }" >deps/src.medo/SILO.json &&
	silo init empty.silo &&
	test_expect_code 3 medo expand deps/src.medo/a/b/x.treeptr out3 2>err &&
	echo "medo: error: object $ID is not in any silo of '\''deps/src.medo/SILO.json'\''; '\''../../empty.silo'\'': not there" >expect &&
	test_cmp expect err &&
	! test -e out3
'

test_expect_success 'no SILO.json at all exits 3' '
	mkdir -p lone/.git && write_treeptr lone/x.treeptr &&
	test_expect_code 3 medo url-for lone/x.treeptr 2>err &&
	echo "medo: error: no SILO.json found for '\''lone/x.treeptr'\'' in its directory or above" >expect &&
	test_cmp expect err
'

check_bad_silojson() {
	printf "%s" "$1" >deps/src.medo/SILO.json &&
	test_expect_code 5 medo url-for deps/src.medo/a/b/x.treeptr >out 2>err &&
	test_must_be_empty out &&
	echo "medo: error: 'deps/src.medo/SILO.json': $2" >expect &&
	test_cmp expect err
}

test_expect_success 'a SILO.json that is not JSON' '
	check_bad_silojson "{ silos }" "not valid JSON: line 1: string or '\''}'\'' expected near '\''silos'\''"
'

test_expect_success 'a SILO.json without silos' '
	check_bad_silojson "{ \"x\": 1 }" "missing field '\''silos'\'': expected a non-empty array of paths and URLs"
'

test_expect_success 'a SILO.json with silos of the wrong type' '
	check_bad_silojson "{ \"silos\": \"a\" }" "bad field '\''silos'\'': expected a non-empty array of paths and URLs"
'

test_expect_success 'a SILO.json with an entry that is not a string' '
	check_bad_silojson "{ \"silos\": [\"a\", 2] }" "field '\''silos'\'': entry 2: expected a string (a path or URL)"
'

test_expect_success 'a SILO.json with an unknown URL scheme' '
	check_bad_silojson "{ \"silos\": [\"ftp://b/k\"] }" \
		"field '\''silos'\'': '\''ftp://b/k'\'' is not a path or an http://, https://, s3:// or file:// URL"
'

test_expect_success 'other fields of SILO.json are ignored' '
	printf "{ \"silos\": [\"../../deps.silo\"], \"mirrors\": {} }" >deps/src.medo/SILO.json &&
	medo url-for deps/src.medo/a/b/x.treeptr >actual &&
	echo "deps.silo/$REL" >expect &&
	test_cmp expect actual
'

test_expect_success 'the search does not leave the medo tree: a SILO.json above it is not used' '
	mkdir -p planted/inner.medo/sub &&
	echo "{ \"silos\": [\"../evil.silo\"] }" >planted/SILO.json &&
	write_treeptr planted/inner.medo/sub/x.treeptr &&
	test_expect_code 3 medo url-for planted/inner.medo/sub/x.treeptr 2>err &&
	grep "no SILO.json found" err
'

test_done
