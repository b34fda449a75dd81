#!/bin/sh
test_description='medo expand TREEPTR DEST -- PATH...: only the paths asked for, locally and over HTTP'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

SILO_CACHE_DIR=$TRASH_DIRECTORY/cache && export SILO_CACHE_DIR
test_lazy_prereq KEYGEN 'command -v ssh-keygen || { echo ssh-keygen is missing; false; }'

start_httpd || test_skip_all HTTPD "nginx does not start"

# Requests and response bytes nginx logged since mark $1: "N BYTES".
traffic_since() {
	tail -n +$(($1 + 1)) "$HTTPD_DIR/access.log" |
	awk '{ n++; b += $10 } END { print n + 0, b + 0 }'
}

# Every path below $1, sorted, with its type and mode.
listing() {
	(cd "$1" && find . -mindepth 1 -printf "%y %m %p\n" | sort -k3)
}

test_expect_success 'setup: one tree as kinds tree and tar, in a local silo and behind nginx' '
	mkdir -p src/lib/sub src/lib/.hid src/bin src/doc src/big src/empty &&
	echo a >src/lib/a.js && echo b >src/lib/b.txt && echo c >src/lib/sub/c.js &&
	echo h >src/lib/.hid/h.js && echo x >src/bin/x && chmod 755 src/bin/x &&
	echo private >src/doc/notes && chmod 600 src/doc/notes && chmod 750 src/doc &&
	ln -s lib/a.js src/link && echo top >src/README &&
	echo brackets >"src/q[1]" && echo plain >src/q1 &&
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20
	do
		test_seeded_file src/big/f$i 100000 $i || return 1
	done &&
	silo init local.silo && silo init "$HTTPD_ROOT/deps.silo" &&
	mkdir m h &&
	medo add -q --kind=tree --silo local.silo src m/tree.treeptr &&
	medo add -q --silo local.silo src m/tar.treeptr &&
	echo "{ \"silos\": [\"../local.silo\"] }" >m/SILO.json &&
	medo add -q --kind=tree --silo "$HTTPD_ROOT/deps.silo" src h/tree.treeptr &&
	medo add -q --silo "$HTTPD_ROOT/deps.silo" src h/tar.treeptr &&
	echo "{ \"silos\": [\"$HTTPD_URL/deps.silo\"] }" >h/SILO.json &&
	medo expand m/tree.treeptr full && listing full >full.list
'

for kind in tree tar
do
	test_expect_success "$kind: a glob, a directory and a symlink, with their modes" "
		medo expand -q m/$kind.treeptr $kind-1 -- 'lib/*.js' doc link >out 2>err &&
		test_must_be_empty out && test_must_be_empty err &&
		cat >expect <<-\EOF &&
		f 644 ./.medo-partial.json
		d 750 ./doc
		f 600 ./doc/notes
		d 755 ./lib
		f 644 ./lib/a.js
		l 777 ./link
		EOF
		listing $kind-1 >actual &&
		test_cmp expect actual &&
		echo a >expect && test_cmp expect $kind-1/lib/a.js &&
		test \$(readlink $kind-1/link) = lib/a.js &&
		medo verify m/$kind.treeptr $kind-1
	"

	test_expect_success "$kind: a glob matches no hidden name, and a path goes below" "
		medo expand -q m/$kind.treeptr $kind-2 -- 'lib/*' &&
		cat >expect <<-\EOF &&
		f 644 ./.medo-partial.json
		d 755 ./lib
		f 644 ./lib/a.js
		f 644 ./lib/b.txt
		d 755 ./lib/sub
		f 644 ./lib/sub/c.js
		EOF
		listing $kind-2 >actual &&
		test_cmp expect actual
	"

	test_expect_success "$kind: an empty directory asked for is made" "
		medo expand -q m/$kind.treeptr $kind-3 -- empty bin/x &&
		cat >expect <<-\EOF &&
		f 644 ./.medo-partial.json
		d 755 ./bin
		f 755 ./bin/x
		d 755 ./empty
		EOF
		listing $kind-3 >actual &&
		test_cmp expect actual
	"

	test_expect_success "$kind: a backslash makes a glob character plain" "
		medo expand -q m/$kind.treeptr $kind-esc1 -- 'q\\[1\\]' &&
		medo expand -q m/$kind.treeptr $kind-esc2 -- 'q[1]' &&
		echo brackets >expect && test_cmp expect '$kind-esc1/q[1]' &&
		echo plain >expect && test_cmp expect $kind-esc2/q1 &&
		ls $kind-esc1 $kind-esc2 >actual &&
		printf '%s\\n' $kind-esc1: 'q[1]' '' $kind-esc2: q1 >expect &&
		test_cmp expect actual
	"

	test_expect_success "$kind: a path that matches nothing is an error naming it, nothing written" "
		test_expect_code 3 medo expand m/$kind.treeptr $kind-none -- lib nope 'x*' 2>err &&
		echo \"medo: error: 'm/$kind.treeptr': no path of its tree matches 'nope'\" >expect &&
		grep -v warning err >actual &&
		test_cmp expect actual &&
		! test -e $kind-none &&
		ls -a >dir && ! grep .tmp- dir
	"

	test_expect_success "$kind: hostile paths are refused before anything is read" "
		for p in ../x /etc lib/../../x .git lib/.git/config
		do
			test_expect_code 8 medo expand m/$kind.treeptr $kind-bad -- \"\$p\" 2>err &&
			grep \"^medo: error: refusing the path '\$p': \" err &&
			! test -e $kind-bad || return 1
		done &&
		test_expect_code 3 medo expand m/$kind.treeptr $kind-bad -- link/x 2>err &&
		grep \"no path of its tree matches 'link/x'\" err &&
		test_expect_code 5 medo expand m/$kind.treeptr $kind-bad -- ./ 2>err &&
		grep \"names the whole tree\" err &&
		! test -e $kind-bad
	"

	test_expect_success "$kind: verify checks what was asked for, not the rest" "
		cp -R $kind-1 $kind-v &&
		echo mine >$kind-v/README &&
		echo more >$kind-v/lib/b.txt &&
		medo verify -v m/$kind.treeptr $kind-v >actual 2>err &&
		echo ok $kind-v >expect &&
		test_cmp expect actual &&
		echo \"medo: warning: '$kind-v' holds a partial expansion (.medo-partial.json): only the paths it records are checked\" >expect &&
		test_cmp expect err &&
		medo verify -q m/$kind.treeptr $kind-v 2>err &&
		test_must_be_empty err &&
		echo changed >$kind-v/lib/a.js &&
		rm $kind-v/doc/notes &&
		test_expect_code 1 medo verify m/$kind.treeptr $kind-v >actual &&
		cat >expect <<-EOF &&
		removed $kind-v/doc/notes
		changed $kind-v/lib/a.js
		EOF
		test_cmp expect actual
	"

	test_expect_success "$kind: the same paths again: present; a full expand completes it" "
		medo expand -v m/$kind.treeptr $kind-1 -- 'lib/*.js' doc link >actual 2>err &&
		echo present $kind-1 >expect &&
		test_cmp expect actual &&
		medo expand -v m/$kind.treeptr $kind-1 >actual &&
		echo expanded $kind-1 >expect &&
		test_cmp expect actual &&
		listing $kind-1 >actual &&
		test_cmp full.list actual &&
		medo verify m/$kind.treeptr $kind-1
	"

	test_expect_success "$kind: a partial expansion holding more than asked for is kept without --force" "
		medo expand -q m/$kind.treeptr $kind-4 -- README &&
		echo mine >$kind-4/mine &&
		test_expect_code 8 medo expand m/$kind.treeptr $kind-4 2>err &&
		grep \"holds something other than\" err &&
		echo mine >expect && test_cmp expect $kind-4/mine &&
		medo expand -q --force m/$kind.treeptr $kind-4 &&
		! test -e $kind-4/mine &&
		medo verify m/$kind.treeptr $kind-4
	"
done

test_expect_success 'an empty directory asked for below others: those on the way are made' '
	mkdir -p deep/v/e deep/v/f && echo x >deep/v/f/x &&
	for kind in tree tar
	do
		medo add -q --kind=$kind --silo local.silo deep md/$kind.treeptr &&
		medo expand -q --silo local.silo md/$kind.treeptr deep-$kind -- v/e &&
		printf "%s\n" "f 644 ./.medo-partial.json" "d 755 ./v" "d 755 ./v/e" >expect &&
		listing deep-$kind >actual &&
		test_cmp expect actual &&
		medo verify -q --silo local.silo md/$kind.treeptr deep-$kind || return 1
	done
'

test_expect_success 'tar: a note says the whole object is read; -q keeps it quiet' '
	medo expand m/tar.treeptr tar-note -- README 2>err &&
	echo "medo: warning: '\''m/tar.treeptr'\'' is of kind tar: the whole object is read to write the paths asked for" >expect &&
	test_cmp expect err &&
	medo expand -q m/tar.treeptr tar-note2 -- README 2>err &&
	test_must_be_empty err
'

test_expect_success 'tar: a hard link whose target was not asked for gets its content' '
	mkdir -p hl/a hl/b &&
	echo same >hl/a/one && chmod 640 hl/a/one && ln hl/a/one hl/b/two &&
	mkdir m2 && cp m/SILO.json m2/ &&
	medo add -q --silo local.silo hl m2/hl.treeptr &&
	medo expand -q m2/hl.treeptr hl-1 -- b/two &&
	cat >expect <<-\EOF &&
	f 644 ./.medo-partial.json
	d 755 ./b
	f 640 ./b/two
	EOF
	listing hl-1 >actual &&
	test_cmp expect actual &&
	echo same >expect && test_cmp expect hl-1/b/two &&
	medo verify -q m2/hl.treeptr hl-1 &&
	medo expand -q m2/hl.treeptr hl-2 -- b a &&
	test hl-2/a/one -ef hl-2/b/two &&
	medo verify -q m2/hl.treeptr hl-2 &&
	ls -a >dir && ! grep .tmp- dir
'

test_expect_success 'paths go with a treeptr, not a medo directory' '
	test_expect_code 2 medo expand m out -- lib 2>err &&
	grep "paths go with a treeptr" err
'

test_expect_success '--json lists the paths asked for' '
	medo expand --json=compact m/tree.treeptr json -- "lib/*.js" README >actual &&
	echo "{\"exit\":0,\"trees\":[{\"dest\":\"json\",\"paths\":[\"lib/*.js\",\"README\"],\"result\":\"expanded\",\"treeptr\":\"m/tree.treeptr\"}]}" >expect &&
	test_cmp expect actual
'

test_expect_success 'the record names the tree and the paths' '
	cat >expect <<-EOF &&
	{
	  "version": 1,
	  "tree": "$(sed -n "s/.*\"tree\": *\"\([0-9a-f]*\)\".*/\1/p" m/tree.treeptr)",
	  "paths": [
	    "lib/*.js",
	    "README"
	  ]
	}
	EOF
	test_cmp expect json/.medo-partial.json
'

test_expect_success 'a record naming a path the tree lacks checks nothing: it differs' '
	medo expand -q m/tree.treeptr lie -- lib/sub &&
	sed "s|\"lib/sub\"|\"nope\"|" lie/.medo-partial.json >rec &&
	mv rec lie/.medo-partial.json &&
	echo forged >lie/lib/sub/c.js &&
	echo mine >lie/other &&
	test_expect_code 1 medo verify m/tree.treeptr lie >actual 2>err &&
	echo "differs lie" >expect &&
	test_cmp expect actual &&
	mkdir st-lie && mv lie st-lie/tree &&
	test_expect_code 1 medo status m st-lie >actual &&
	grep "^differs st-lie/tree\$" actual &&
	test_expect_code 8 medo expand m/tree.treeptr st-lie/tree 2>err &&
	echo forged >expect && test_cmp expect st-lie/tree/lib/sub/c.js &&
	echo mine >expect && test_cmp expect st-lie/tree/other
'

test_expect_success 'medo status: a partial expansion is the same until what was asked for changes' '
	mkdir st &&
	medo expand -q m/tree.treeptr st/tree -- lib/sub &&
	medo expand -q m/tar.treeptr st/tar -- README &&
	medo status m st >actual &&
	test_must_be_empty actual &&
	echo mine >st/tree/README &&
	medo status m st >actual &&
	test_must_be_empty actual &&
	echo z >st/tree/lib/sub/c.js &&
	test_expect_code 1 medo status m st >actual &&
	printf "differs st/tree\n\tchanged st/tree/lib/sub/c.js\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'over HTTP, kind tree: one file fetches the trees on its way and its blob' '
	m=$(mark) &&
	medo expand h/tree.treeptr http-full &&
	traffic_since $m >full.traffic &&
	rm -rf cache &&
	m=$(mark) &&
	medo expand h/tree.treeptr http-one -- big/f7 &&
	traffic_since $m >one.traffic &&
	requests_since $m | sed "s/pack-[0-9a-f]*/pack-X/" | sort >actual &&
	cat >expect <<-\EOF &&
	GET /deps.silo/config.json
	GET /deps.silo/pack/pack-X.idx
	GET /deps.silo/pack/pack-X.pack
	GET /deps.silo/pack/pack-X.pack
	GET /deps.silo/pack/pack-X.pack
	GET /deps.silo/pack/pack-X.pack
	EOF
	test_cmp expect actual &&
	git init -q --bare g &&
	cp "$HTTPD_ROOT"/deps.silo/pack/pack-* g/objects/pack/ &&
	git verify-pack -v g/objects/pack/*.idx >vp &&
	root=$(sed -n "s/^ *\"tree\": \"\([0-9a-f]*\)\".*/\1/p" h/tree.treeptr) &&
	attrs=$(sed -n "s/^ *\"attrs\": \"\([0-9a-f]*\)\".*/\1/p" h/tree.treeptr) &&
	for id in $root $(git --git-dir=g rev-parse $root:big $root:big/f7) $attrs
	do
		awk -v id=$id "\$1 == id { print \$4 }" vp || return 1
	done | sort -n >expect &&
	test_line_count = 4 expect &&
	tail -n +$(($m + 1)) "$HTTPD_DIR/access.log" | grep "\.pack " |
		awk "{ print \$10 }" | sort -n >actual &&
	test_cmp expect actual &&
	cmp src/big/f7 http-one/big/f7 &&
	medo verify h/tree.treeptr http-one &&
	read n_full b_full <full.traffic &&
	read n_one b_one <one.traffic &&
	test $b_full -gt 2000000 &&
	test $b_one -lt 110000
'

test_expect_success 'over HTTP, kind tar: the whole object is read, only the path written' '
	rm -rf cache &&
	m=$(mark) &&
	medo expand -q h/tar.treeptr http-tar -- big/f7 &&
	read n b <<-EOF &&
	$(traffic_since $m)
	EOF
	test $b -gt 2000000 &&
	cmp src/big/f7 http-tar/big/f7 &&
	cat >expect <<-\EOF &&
	f 644 ./.medo-partial.json
	d 755 ./big
	f 644 ./big/f7
	EOF
	listing http-tar >actual &&
	test_cmp expect actual
'

# Every file below the cache directory, sorted.
cache_files() {
	if test -d cache
	then
		(cd cache && find . -type f | sort)
	fi
}

for kind in tree tar
do
	test_expect_success "over HTTP, kind $kind: --no-cache keeps nothing in the shared cache" "
		rm -rf cache &&
		medo expand -q h/$kind.treeptr warm-$kind && cache_files >before &&
		test -s before &&
		m=\$(mark) &&
		medo expand --no-cache h/$kind.treeptr nc-$kind 2>err &&
		test_must_be_empty err &&
		read n b <<-EOF &&
		\$(traffic_since \$m)
		EOF
		test \$b -gt 2000000 &&
		cache_files >after &&
		test_cmp before after &&
		medo verify h/$kind.treeptr nc-$kind &&
		ls -a >dir && ! grep .tmp- dir &&
		rm -rf cache &&
		medo expand --no-cache h/$kind.treeptr nc-one-$kind -- big/f3 README 2>err &&
		! test -e cache &&
		cmp src/big/f3 nc-one-$kind/big/f3 &&
		medo verify h/$kind.treeptr nc-one-$kind
	"
done

test_expect_success 'over HTTP: --no-cache also when the expansion fails' '
	rm -rf cache &&
	test_expect_code 3 medo expand --no-cache h/tree.treeptr nc-fail -- nope 2>err &&
	grep "no path of its tree matches" err &&
	! test -e cache && ! test -e nc-fail &&
	ls -a >dir && ! grep .tmp- dir
'

test_expect_success KEYGEN 'with --require-signature, a signed treeptr expands in part' '
	ssh-keygen -q -t ed25519 -N "" -C ed -f ed &&
	echo "ed@example.org $(cat ed.pub)" >allowed &&
	medo sign -k ed m/tree.treeptr &&
	medo expand -q --require-signature=allowed m/tree.treeptr signed -- README &&
	medo verify --signed-by=allowed m/tree.treeptr signed &&
	echo changed >m/tree.treeptr.copy &&
	cat m/tree.treeptr >>m/tree.treeptr.copy &&
	cp m/tree.treeptr.sig m/tree.treeptr.copy.sig &&
	test_expect_code 1 medo expand --require-signature=allowed m/tree.treeptr.copy bad -- README &&
	! test -e bad
'

test_done
