#!/bin/sh
test_description='medo sign, verify --signed-by, expand --require-signature: OpenSSH SSHSIG both ways'
. "$(dirname "$0")/test-lib.sh"

test_lazy_prereq KEYGEN 'command -v ssh-keygen || { echo ssh-keygen is missing; false; }'
test_lazy_prereq AGENT 'command -v ssh-agent || { echo ssh-agent is missing; false; }'

# The allowed signers line of key $2 for principal $1, options $3.
signer() {
	echo "$1 ${3:+$3 }$(cat "$2.pub")"
}

test_expect_success KEYGEN 'setup: keys of each type, a silo, treeptrs' '
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
	test_expect_success KEYGEN "$key: ssh-keygen -Y verify accepts what medo sign writes" "
		medo sign -k $key deps.medo/a.treeptr &&
		head -n 1 deps.medo/a.treeptr.sig >first &&
		echo '-----BEGIN SSH SIGNATURE-----' >expect &&
		test_cmp expect first &&
		ssh-keygen -Y verify -f allowed -I $key@example.org -n medo \
			-s deps.medo/a.treeptr.sig <deps.medo/a.treeptr >out 2>&1 &&
		grep -q '^Good \"medo\" signature for $key@example.org' out
	"

	test_expect_success KEYGEN "$key: medo checks what ssh-keygen -Y sign writes" "
		ssh-keygen -q -Y sign -f $key -n medo <deps.medo/a.treeptr >deps.medo/a.treeptr.sig &&
		medo verify --signed-by allowed deps.medo/a.treeptr src/a >out 2>&1 &&
		test_must_be_empty out &&
		medo expand --require-signature allowed deps.medo/a.treeptr out-$key &&
		test -f out-$key/f
	"
done

test_expect_success KEYGEN 'an rsa-sha2-256 signature is checked too' '
	ssh-keygen -q -Y sign -f rsa -n medo -O hashalg=sha256 <deps.medo/a.treeptr >deps.medo/a.treeptr.sig &&
	medo verify --signed-by allowed deps.medo/a.treeptr src/a
'

# FIDO signatures cannot be made here without an authenticator: the unit
# test program makes them as one would (PROTOCOL.u2f), ssh-keygen is the
# judge of whether they are right.
for kind in sk-ed25519 sk-ecdsa; do
	test_expect_success KEYGEN "$kind: a FIDO signature ssh-keygen accepts, medo accepts" "
		mkdir -p $kind.medo &&
		cp deps.medo/SILO.json deps.medo/a.treeptr $kind.medo/ &&
		\"\$SILO_BUILD_DIR/t/unit/sshsig-wire\" sk-sign $kind $kind.medo/a.treeptr >allowed-$kind &&
		ssh-keygen -Y verify -f allowed-$kind -I fido@example.org -n medo \
			-s $kind.medo/a.treeptr.sig <$kind.medo/a.treeptr &&
		medo verify --signed-by allowed-$kind $kind.medo/a.treeptr src/a &&
		echo changed >>$kind.medo/a.treeptr &&
		test_expect_code 1 medo verify --signed-by allowed-$kind $kind.medo/a.treeptr src/a 2>err &&
		grep -q '^medo: error: bad signature' err
	"
done

test_expect_success KEYGEN 'an encrypted key signs when ssh-keygen gets its passphrase' '
	cat >askpass <<-\EOF &&
	#!/bin/sh
	echo "secret words"
	EOF
	chmod +x askpass &&
	SSH_ASKPASS=$PWD/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=none \
		medo sign -k locked deps.medo/sub/b.treeptr </dev/null &&
	medo verify --signed-by allowed deps.medo/sub/b.treeptr src/b &&
	ssh-keygen -Y verify -f allowed -I locked@example.org -n medo \
		-s deps.medo/sub/b.treeptr.sig <deps.medo/sub/b.treeptr
'

test_expect_success KEYGEN,AGENT 'a key an agent holds signs through its public half' '
	ssh-keygen -q -t ed25519 -N "" -C agent -f agent-key &&
	cp agent-key.pub agent-only.pub &&
	signer agent@example.org agent-key >allowed-agent &&
	eval "$(ssh-agent -s)" >/dev/null &&
	{
		ssh-add -q agent-key 2>/dev/null &&
		rm agent-key &&
		medo sign -k agent-only.pub deps.medo/sub/b.treeptr &&
		medo verify --signed-by allowed-agent deps.medo/sub/b.treeptr src/b
	}
	status=$?
	ssh-agent -k >/dev/null
	exit $status
'

test_expect_success KEYGEN 'sign several at once; -v says what was written' '
	medo sign -v -k ed deps.medo/a.treeptr deps.medo/sub/b.treeptr >out &&
	cat >expect <<-\EOF &&
	signed deps.medo/a.treeptr.sig
	signed deps.medo/sub/b.treeptr.sig
	EOF
	test_cmp expect out &&
	test_expect_code 1 medo verify --signed-by allowed deps.medo out-dir 2>err &&
	test_must_be_empty err &&
	medo expand --require-signature allowed deps.medo out-dir &&
	medo verify --signed-by allowed deps.medo out-dir &&
	test -f out-dir/a/f && test -f out-dir/sub/b/g
'

test_expect_success KEYGEN 'signing leaves no temporary file beside the treeptr' '
	ls -A deps.medo deps.medo/sub >actual &&
	cat >expect <<-\EOF &&
	deps.medo:
	SILO.json
	a.treeptr
	a.treeptr.sig
	sub

	deps.medo/sub:
	b.treeptr
	b.treeptr.sig
	EOF
	test_cmp expect actual
'

test_expect_success KEYGEN 'a one-byte change to the treeptr is refused, nothing expanded' '
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

test_expect_success KEYGEN 'a signature for another namespace is refused, nothing expanded' '
	ssh-keygen -q -Y sign -f ed -n other <deps.medo/a.treeptr >deps.medo/a.treeptr.sig &&
	test_expect_code 1 medo expand --require-signature allowed deps.medo/a.treeptr dest 2>err &&
	echo "medo: error: signature '"'"'deps.medo/a.treeptr.sig'"'"' is for namespace '"'"'other'"'"', not '"'"'medo'"'"'" >expect &&
	test_cmp expect err &&
	test ! -e dest
'

test_expect_success KEYGEN 'a key not in the allowed signers is refused, nothing expanded' '
	medo sign -k stranger deps.medo/a.treeptr &&
	fp=$(ssh-keygen -l -f stranger.pub | cut -d" " -f2) &&
	test_expect_code 1 medo expand --require-signature allowed deps.medo/a.treeptr dest 2>err &&
	echo "medo: error: untrusted signature '"'"'deps.medo/a.treeptr.sig'"'"': ED25519 key $fp is not in '"'"'allowed'"'"'" >expect &&
	test_cmp expect err &&
	test ! -e dest
'

test_expect_success KEYGEN 'a key allowed only for other namespaces is refused' '
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

test_expect_success KEYGEN 'a missing signature is refused, nothing expanded' '
	rm deps.medo/a.treeptr.sig &&
	test_expect_code 3 medo expand --require-signature allowed deps.medo/a.treeptr dest 2>err &&
	echo "medo: error: no signature '"'"'deps.medo/a.treeptr.sig'"'"' for '"'"'deps.medo/a.treeptr'"'"'" >expect &&
	test_cmp expect err &&
	test ! -e dest
'

test_expect_success KEYGEN 'in a medo directory one bad signature expands nothing' '
	test_expect_code 3 medo expand --require-signature allowed deps.medo dest 2>err &&
	echo "medo: error: no signature '"'"'deps.medo/a.treeptr.sig'"'"' for '"'"'deps.medo/a.treeptr'"'"'" >expect &&
	test_cmp expect err &&
	test ! -e dest &&
	medo sign -k ed deps.medo/a.treeptr &&
	medo expand --require-signature allowed deps.medo dest &&
	test -f dest/a/f && test -f dest/sub/b/g
'

test_expect_success KEYGEN 'malformed signatures are refused with what is wrong' '
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

test_expect_success KEYGEN 'a malformed or missing allowed signers file is refused' '
	medo sign -k ed deps.medo/a.treeptr &&
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

test_expect_success KEYGEN 'cert-authority lines are skipped; quoted principals are read' '
	{ echo "*@example.org cert-authority $(cat stranger.pub)" &&
	  echo "\"ed@example.org\" $(cat ed.pub)"; } >allowed-ca &&
	medo verify --signed-by allowed-ca deps.medo/a.treeptr src/a &&
	echo "*@example.org cert-authority $(cat ed.pub)" >allowed-ca-only &&
	test_expect_code 1 medo verify --signed-by allowed-ca-only deps.medo/a.treeptr src/a
'

test_expect_success KEYGEN 'sign refuses what is not a treeptr, a missing key; usage errors' '
	echo "{}" >not.treeptr &&
	test_expect_code 5 medo sign -k ed not.treeptr 2>err &&
	test ! -e not.treeptr.sig &&
	test_expect_code 3 medo sign -k no-such-key deps.medo/a.treeptr 2>err &&
	echo "medo: error: cannot open key '"'"'no-such-key'"'"': No such file or directory" >expect &&
	test_cmp expect err &&
	test_expect_code 2 medo sign deps.medo/a.treeptr 2>err &&
	grep -q "^medo: error: -k <key> is required" err &&
	test_expect_code 2 medo sign -k ed 2>err
'

test_expect_success KEYGEN 'a key ssh-keygen cannot use fails, and the old signature stays' '
	cp deps.medo/a.treeptr.sig sig.before &&
	echo "not a key" >junk-key &&
	test_expect_code 9 medo sign -k junk-key deps.medo/a.treeptr 2>err &&
	grep -q "^medo: error: ssh-keygen could not sign '"'"'deps.medo/a.treeptr'"'"' with key '"'"'junk-key'"'"' (exit status 255)$" err &&
	test_cmp sig.before deps.medo/a.treeptr.sig
'

test_done
