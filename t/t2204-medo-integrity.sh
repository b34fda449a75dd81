#!/bin/sh
test_description='medo add --integrity: Subresource Integrity pins, right, wrong and malformed'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-json.sh"

# The SRI string of FILE with ALGORITHM.
sri() {
	echo "$1-$(openssl dgst -$1 -binary "$2" | base64 -w0)"
}

test_expect_success 'setup' '
	silo init deps.silo &&
	mkdir -p m.medo src &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >m.medo/SILO.json &&
	echo hello >src/hello && tar -C src -czf pkg.tgz hello &&
	echo other >other
'

test_expect_success 'a right sha512 pin stores the file and records the pin' '
	pin=$(sri sha512 pkg.tgz) &&
	medo add --integrity "$pin" pkg.tgz m.medo/pkg.treeptr &&
	json_check m.medo/pkg.treeptr "
assert d[\"provenance\"][\"integrity\"] == \"$pin\", d
assert d[\"kind\"] == \"archive\"
"
'

test_expect_success 'sha256 and sha384 pins, and several hashes with options' '
	medo add --integrity "$(sri sha256 pkg.tgz)" pkg.tgz m.medo/p256.treeptr &&
	medo add --integrity "$(sri sha384 pkg.tgz)" pkg.tgz m.medo/p384.treeptr &&
	medo add --integrity "$(sri sha256 other) $(sri sha512 other)?x=1 $(sri sha512 pkg.tgz)" \
		pkg.tgz m.medo/multi.treeptr &&
	medo add --opaque --integrity "$(sri sha512 other)" --sha256 "$(sha256sum <other | cut -c1-64)" \
		other m.medo/other.treeptr
'

test_expect_success 'only the strongest algorithm counts: a right sha256 beside a wrong sha512 fails' '
	test_expect_code 4 medo add --integrity "$(sri sha256 pkg.tgz) $(sri sha512 other)" \
		pkg.tgz m.medo/strong.treeptr 2>err &&
	! test -e m.medo/strong.treeptr
'

test_expect_success 'a wrong pin stores nothing and writes no treeptr (exit 4)' '
	silo init fresh.silo &&
	test_expect_code 4 medo add --silo fresh.silo --integrity "$(sri sha512 other)" \
		pkg.tgz m.medo/wrong.treeptr 2>err &&
	grep "^medo: error: .pkg.tgz. has integrity $(sri sha512 pkg.tgz), not the expected .$(sri sha512 other).: nothing stored$" err &&
	! test -e m.medo/wrong.treeptr &&
	silo ls --silo fresh.silo >objects && test_must_be_empty objects &&
	find fresh.silo -type f ! -name config.json >files && test_must_be_empty files
'

test_expect_success 'a wrong --sha256 with a right --integrity still fails' '
	test_expect_code 4 medo add --integrity "$(sri sha512 pkg.tgz)" --sha256 "$(sha256sum <other | cut -c1-64)" \
		pkg.tgz m.medo/both.treeptr 2>err &&
	! test -e m.medo/both.treeptr
'

test_expect_success 'malformed pins are usage errors (exit 2), nothing written' '
	for bad in "" "  " "md5-abc" "sha1-$(openssl dgst -sha1 -binary pkg.tgz | base64 -w0)" \
		"sha512-abc" "sha512" "sha256-$(openssl dgst -sha512 -binary pkg.tgz | base64 -w0)" \
		"sha512-$(openssl dgst -sha512 -binary pkg.tgz | base64 -w0 | tr A-Z= a-z.)" \
		"$(sri sha512 pkg.tgz) sha999-x"; do
		test_expect_code 2 medo add --integrity "$bad" pkg.tgz m.medo/bad.treeptr 2>err || return 1
		grep "^medo: error: --integrity: " err || return 1
		! test -e m.medo/bad.treeptr || return 1
	done
'

test_expect_success 'a directory cannot be pinned (exit 5)' '
	test_expect_code 5 medo add --integrity "$(sri sha512 pkg.tgz)" src m.medo/dir.treeptr 2>err &&
	grep "is a directory" err && ! test -e m.medo/dir.treeptr
'

. "$TEST_DIRECTORY/lib-httpd.sh"
start_httpd >/dev/null 2>&1 && test_set_prereq HTTPD ||
	test_missing_prereq HTTPD "nginx does not start"

test_expect_success HTTPD 'a download is checked against its pin before it is stored' '
	cp pkg.tgz "$HTTPD_ROOT/pkg.tgz" &&
	silo init web.silo &&
	test_expect_code 4 medo add --silo web.silo --integrity "$(sri sha384 other)" \
		"$HTTPD_URL/pkg.tgz" m.medo/web.treeptr &&
	! test -e m.medo/web.treeptr &&
	silo ls --silo web.silo >objects && test_must_be_empty objects &&
	medo add --silo web.silo --integrity "$(sri sha384 pkg.tgz)" "$HTTPD_URL/pkg.tgz" m.medo/web.treeptr &&
	json_check m.medo/web.treeptr "
assert d[\"provenance\"][\"integrity\"].startswith(\"sha384-\"), d
assert d[\"provenance\"][\"url\"].endswith(\"/pkg.tgz\"), d
"
'

test_done
