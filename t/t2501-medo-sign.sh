#!/bin/sh
test_description='medo verify --signed-by, expand --require-signature: signatures ssh-keygen writes'
. "$(dirname "$0")/test-lib.sh"

HAVE_KEYGEN='command -v ssh-keygen'

# Sign treeptr $2 with key $1 in namespace medo, as ssh-keygen does.
sign_with() {
	ssh-keygen -q -Y sign -f "$1" -n medo <"$2" >"$2.sig"
}

# The allowed signers line of key $2 for principal $1, options $3.
signer() {
	echo "$1 ${3:+$3 }$(cat "$2.pub")"
}

test_expect_success "$HAVE_KEYGEN" 'setup: keys of each type, a silo, treeptrs' '
	ssh-keygen -q -t ed25519 -N "" -C ed -f ed &&
	ssh-keygen -q -t rsa -b 2048 -N "" -C rsa -f rsa &&
	ssh-keygen -q -t ecdsa -b 256 -N "" -C p256 -f p256 &&
	ssh-keygen -q -t ecdsa -b 384 -N "" -C p384 -f p384 &&
	ssh-keygen -q -t ecdsa -b 521 -N "" -C p521 -f p521 &&
	ssh-keygen -q -t ed25519 -N "" -C stranger -f stranger &&
	ssh-keygen -q -t ed25519 -N "secret words" -C locked -f locked &&
	{
		echo "# who may sign treeptrs" &&
		echo &&
		signer ed@example.org ed &&
		signer rsa@example.org rsa &&
		signer "p256@example.org,other@example.org" p256 &&
		signer p384@example.org p384 "namespaces=\"medo,file\"" &&
		signer p521@example.org p521 &&
		signer locked@example.org locked
	} >allowed &&
	silo init deps.silo &&
	mkdir -p deps.medo/sub src/a src/b &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >deps.medo/SILO.json &&
	echo one >src/a/f && echo two >src/b/g &&
	medo add src/a deps.medo/a.treeptr &&
	medo add src/b deps.medo/sub/b.treeptr
'

for key in ed rsa p256 p384 p521; do
	test_expect_success "$HAVE_KEYGEN" "$key: medo checks what ssh-keygen -Y sign writes" "
		ssh-keygen -q -Y sign -f $key -n medo <deps.medo/a.treeptr >deps.medo/a.treeptr.sig &&
		medo verify --signed-by allowed deps.medo/a.treeptr src/a >out 2>&1 &&
		test_must_be_empty out &&
		medo expand --require-signature allowed deps.medo/a.treeptr out-$key &&
		test -f out-$key/f
	"
done

test_expect_success "$HAVE_KEYGEN" 'an rsa-sha2-256 signature is checked too' '
	ssh-keygen -q -Y sign -f rsa -n medo -O hashalg=sha256 <deps.medo/a.treeptr >deps.medo/a.treeptr.sig 2>err ||
	ssh-keygen -q -Y sign -f rsa -n medo <deps.medo/a.treeptr >deps.medo/a.treeptr.sig &&
	medo verify --signed-by allowed deps.medo/a.treeptr src/a
'

test_expect_success "$HAVE_KEYGEN" 'a medo directory: every treeptr checked' '
	sign_with ed deps.medo/a.treeptr && sign_with ed deps.medo/sub/b.treeptr &&
	medo verify --signed-by allowed deps.medo out-dir 2>err;
	test $? -eq 1 &&
	test_must_be_empty err &&
	medo expand --require-signature allowed deps.medo out-dir &&
	medo verify --signed-by allowed deps.medo out-dir &&
	test -f out-dir/a/f && test -f out-dir/sub/b/g
'

test_expect_success "$HAVE_KEYGEN" 'a one-byte change to the treeptr is refused, nothing expanded' '
	mkdir tamper.medo &&
	cp deps.medo/SILO.json deps.medo/a.treeptr.sig tamper.medo/ &&
	sed "s/\"tar\"/\"tAr\"/" deps.medo/a.treeptr >tamper.medo/a.treeptr &&
	test $(cmp -l deps.medo/a.treeptr tamper.medo/a.treeptr | wc -l) -eq 1 &&
	test_expect_code 1 medo expand --require-signature allowed tamper.medo/a.treeptr dest 2>err &&
	echo "medo: error: bad signature '"'"'tamper.medo/a.treeptr.sig'"'"': it does not match '"'"'tamper.medo/a.treeptr'"'"'" >expect &&
	test_cmp expect err &&
	test ! -e dest &&
	test_expect_code 1 medo verify --signed-by allowed tamper.medo/a.treeptr src/a 2>err &&
	test_cmp expect err &&
	test_expect_code 1 medo expand --require-signature allowed tamper.medo dest 2>err &&
	test_cmp expect err &&
	test ! -e dest
'

test_expect_success "$HAVE_KEYGEN" 'a signature for another namespace is refused, nothing expanded' '
	ssh-keygen -q -Y sign -f ed -n other <deps.medo/a.treeptr >deps.medo/a.treeptr.sig &&
	test_expect_code 1 medo expand --require-signature allowed deps.medo/a.treeptr dest 2>err &&
	echo "medo: error: signature '"'"'deps.medo/a.treeptr.sig'"'"' is for namespace '"'"'other'"'"', not '"'"'medo'"'"'" >expect &&
	test_cmp expect err &&
	test ! -e dest
'

test_expect_success "$HAVE_KEYGEN" 'a key not in the allowed signers is refused, nothing expanded' '
	sign_with stranger deps.medo/a.treeptr &&
	fp=$(ssh-keygen -l -f stranger.pub | cut -d" " -f2) &&
	test_expect_code 1 medo expand --require-signature allowed deps.medo/a.treeptr dest 2>err &&
	echo "medo: error: untrusted signature '"'"'deps.medo/a.treeptr.sig'"'"': ED25519 key $fp is not in '"'"'allowed'"'"'" >expect &&
	test_cmp expect err &&
	test ! -e dest
'

test_expect_success "$HAVE_KEYGEN" 'a key allowed only for other namespaces is refused' '
	signer only-git@example.org stranger "namespaces=\"git,file\"" >allowed-git &&
	fp=$(ssh-keygen -l -f stranger.pub | cut -d" " -f2) &&
	test_expect_code 1 medo verify --signed-by allowed-git deps.medo/a.treeptr src/a 2>err &&
	echo "medo: error: untrusted signature '"'"'deps.medo/a.treeptr.sig'"'"': ED25519 key $fp is not allowed by '"'"'allowed-git'"'"' for namespace '"'"'medo'"'"'" >expect &&
	test_cmp expect err &&
	signer only-git@example.org stranger "namespaces=\"m*,!other\"" >allowed-pattern &&
	medo verify --signed-by allowed-pattern deps.medo/a.treeptr src/a &&
	signer old@example.org stranger "valid-before=\"20200101Z\"" >allowed-old &&
	test_expect_code 1 medo verify --signed-by allowed-old deps.medo/a.treeptr src/a 2>err &&
	echo "medo: error: untrusted signature '"'"'deps.medo/a.treeptr.sig'"'"': ED25519 key $fp is not valid now in '"'"'allowed-old'"'"'" >expect &&
	test_cmp expect err &&
	signer new@example.org stranger "valid-after=\"20200101\",valid-before=\"29991231235959Z\"" >allowed-now &&
	medo verify --signed-by allowed-now deps.medo/a.treeptr src/a
'

test_expect_success "$HAVE_KEYGEN" 'a missing signature is refused, nothing expanded' '
	rm deps.medo/a.treeptr.sig &&
	test_expect_code 3 medo expand --require-signature allowed deps.medo/a.treeptr dest 2>err &&
	echo "medo: error: no signature '"'"'deps.medo/a.treeptr.sig'"'"' for '"'"'deps.medo/a.treeptr'"'"'" >expect &&
	test_cmp expect err &&
	test ! -e dest
'

test_expect_success "$HAVE_KEYGEN" 'in a medo directory one bad signature expands nothing' '
	test_expect_code 3 medo expand --require-signature allowed deps.medo dest 2>err &&
	echo "medo: error: no signature '"'"'deps.medo/a.treeptr.sig'"'"' for '"'"'deps.medo/a.treeptr'"'"'" >expect &&
	test_cmp expect err &&
	test ! -e dest &&
	sign_with ed deps.medo/a.treeptr &&
	medo expand --require-signature allowed deps.medo dest &&
	test -f dest/a/f && test -f dest/sub/b/g
'

test_expect_success "$HAVE_KEYGEN" 'malformed signatures are refused with what is wrong' '
	good=$(cat deps.medo/a.treeptr.sig) &&
	check() {
		test_expect_code 5 medo expand --require-signature allowed deps.medo/a.treeptr dest-m 2>err &&
		echo "medo: error: malformed signature '"'"'deps.medo/a.treeptr.sig'"'"': $1" >expect &&
		test_cmp expect err && test ! -e dest-m
	} &&
	echo "not a signature" >deps.medo/a.treeptr.sig &&
	check "no '"'"'-----BEGIN SSH SIGNATURE-----'"'"' line" &&
	echo "$good" | head -n 3 >deps.medo/a.treeptr.sig &&
	check "no '"'"'-----END SSH SIGNATURE-----'"'"' line" &&
	echo "$good" | sed "2s/^U1NI/U1N*/" >deps.medo/a.treeptr.sig &&
	check "bad base64" &&
	echo "$good" | sed "2s/^U1NIU0lH/U1NIU0lI/" >deps.medo/a.treeptr.sig &&
	check "no '"'"'SSHSIG'"'"' magic" &&
	{ echo "-----BEGIN SSH SIGNATURE-----" &&
	  printf "SSHSIG\0\0\0\1\0\0\0\100ab" | base64 &&
	  echo "-----END SSH SIGNATURE-----"; } >deps.medo/a.treeptr.sig &&
	check "truncated public key" &&
	{ echo "$good" && echo trailing; } >deps.medo/a.treeptr.sig &&
	check "text after the '"'"'-----END SSH SIGNATURE-----'"'"' line"
'

test_expect_success "$HAVE_KEYGEN" 'a malformed or missing allowed signers file is refused' '
	sign_with ed deps.medo/a.treeptr &&
	n=$(($(wc -l <allowed) + 1)) &&
	bad() {
		{ cat allowed && echo "$1"; } >bad-allowed &&
		test_expect_code 5 medo verify --signed-by bad-allowed deps.medo/a.treeptr src/a 2>err &&
		echo "medo: error: malformed allowed signers '"'"'bad-allowed'"'"', line $n: $2" >expect &&
		test_cmp expect err
	} &&
	ed_key=$(cut -d" " -f2 ed.pub) &&
	bad "x@y ssh-rsa $ed_key" "the key is not of the type before it" &&
	bad "x@y ssh-ed25519 AAAA" "the key is not base64 of an SSH public key" &&
	bad "x@y ssh-ed25519 ****" "the key is not base64 of an SSH public key" &&
	bad "x@y nonsense=\"1\" ssh-ed25519 $ed_key" "unknown option" &&
	bad "x@y namespaces=medo ssh-ed25519 $ed_key" "namespaces needs a value in double quotes" &&
	bad "x@y valid-after=\"2020\" ssh-ed25519 $ed_key" "a time is not YYYYMMDD[Z] or YYYYMMDDHHMM[SS][Z]" &&
	bad "x@y" "no key" &&
	bad "x@y ssh-ed25519" "no base64 key after the key type" &&
	test_expect_code 3 medo verify --signed-by no-such-file deps.medo/a.treeptr src/a 2>err &&
	echo "medo: error: cannot read allowed signers: cannot open '"'"'no-such-file'"'"': No such file or directory" >expect &&
	test_cmp expect err
'

test_expect_success "$HAVE_KEYGEN" 'cert-authority lines are skipped; quoted principals are read' '
	{ echo "*@example.org cert-authority $(cat stranger.pub)" &&
	  echo "\"ed@example.org\" $(cat ed.pub)"; } >allowed-ca &&
	medo verify --signed-by allowed-ca deps.medo/a.treeptr src/a &&
	echo "*@example.org cert-authority $(cat ed.pub)" >allowed-ca-only &&
	test_expect_code 1 medo verify --signed-by allowed-ca-only deps.medo/a.treeptr src/a
'

test_done
