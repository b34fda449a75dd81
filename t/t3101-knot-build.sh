#!/bin/sh
test_description='knot build: publish, cache hits, failures, versions, absolute wedges, install, show, list'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

WP=/wedge/oils-for-unix.org/pkg

test_expect_success 'setup' '
	knot_setup && knot_recipe hello 1.0
'

test_expect_success BOX 'a build publishes a treeptr whose tree is git write-tree of the install dir' '
	knot build -v deps/source.medo/hello >out &&
	tp=$(knot_derived hello 1.0) &&
	test -f $tp &&
	grep -q "^built hello/1.0 $(knot key deps/source.medo/hello | cut -d" " -f1) [0-9a-f]\{40\}\$" out &&
	mkdir -p expect-tree/share expect-tree/bin &&
	printf "source of hello 1.0\nbuilt by hello 1.0\n" >expect-tree/share/data.txt &&
	printf "#!/bin/sh\necho hello from hello\n" >expect-tree/bin/hello &&
	chmod +x expect-tree/bin/hello &&
	git init -q --bare g.git &&
	git --git-dir=g.git --work-tree=expect-tree add -A &&
	git --git-dir=g.git write-tree >expect &&
	sed -n "s/^  \"tree\": \"\(.*\)\",\$/\1/p" $tp >actual &&
	test_cmp expect actual &&
	awk "{ print \$NF }" out >actual && test_cmp expect actual
'

test_expect_success BOX 'the derived medo was made with the source medo'"'"'s silos' '
	echo "{\"silos\":[\"../../deps.silo\"]}" | tr -d " " >expect &&
	tr -d " \n" <deps/derived.medo/SILO.json >actual && echo >>actual &&
	test_cmp expect actual
'

test_expect_success BOX 'the provenance records the key, inputs, platform, box and log' '
	tp=$(knot_derived hello 1.0) &&
	test "$(knot_prov key $tp)" = "$(knot key deps/source.medo/hello | cut -d" " -f1)" &&
	test "$(knot_prov source-object $tp)" = "$(sed -n "s/^  \"object\": \"\(.*\)\",\$/\1/p" deps/source.medo/hello/hello-1.0.treeptr)" &&
	test "$(knot_prov wedge-path $tp)" = $WP/hello/1.0 &&
	test "$(knot_prov exit-status $tp)" = 0 &&
	knot_prov box $tp | grep -q "^bwrap 3 net=none" &&
	knot_prov base-packages $tp | grep -q "^[0-9a-f]\{64\} (" &&
	knot_prov command $tp | grep -q "^knot build -v deps/source.medo/hello\$" &&
	log=$(knot_prov log $tp) &&
	silo cat --silo deps.silo $log >log &&
	grep -q "^knot: running wedge-make\$" log &&
	grep -q "^hello from hello\$" log &&
	knot show $tp >shown &&
	grep -q "^key  *$(knot_prov key $tp)\$" shown &&
	grep -q "^recipe  *source.medo/hello\$" shown
'

test_expect_success BOX 'a second build is a cache hit: nothing runs, nothing is stored' '
	silo ls --silo deps.silo | sort >before &&
	cp $(knot_derived hello 1.0) before.treeptr &&
	knot build -v deps/source.medo >out &&
	grep -q "^cached hello/1.0 " out &&
	silo ls --silo deps.silo | sort >after &&
	test_cmp before after &&
	test_cmp before.treeptr $(knot_derived hello 1.0)
'

test_expect_success 'unboxed: recipe functions run once, then never again for the same key' '
	knot_recipe counted 1.0 "wedge-make() { echo run >>\"$TRASH_DIRECTORY/counter\"; cp \"\$1/data.txt\" .; }" &&
	knot build --unboxed deps/source.medo/counted &&
	knot build --unboxed deps/source.medo/counted &&
	knot build --unboxed -v deps/source.medo/counted >out &&
	test_line_count 1 counter &&
	grep -q "^cached counted/1.0" out
'

for step in make install smoke-test; do
	test_expect_success BOX "a failing wedge-$step publishes nothing, exits 9 and names its log" "
		knot_recipe fail-$step 1.0 'wedge-$step() { echo failing on purpose; false; echo never; }' &&
		silo ls --silo deps.silo | sort >before &&
		test_expect_code 9 knot build deps/source.medo/fail-$step 2>err &&
		grep -q \"^knot: error: fail-$step/1.0: wedge-$step failed; log: /.*\\.log\$\" err &&
		log=\$(sed -n 's/.*; log: //p' err) &&
		grep -q '^failing on purpose\$' \$log &&
		grep -q '^knot: wedge-$step failed with exit status 1\$' \$log &&
		! grep -q never \$log &&
		test ! -e \$(knot_derived fail-$step 1.0) &&
		silo ls --silo deps.silo | sort >after &&
		test_cmp before after
	"
done

# The driver's EXIT trap says when a step ends the shell; a recipe that
# replaces it must not pass for a finished build.
test_expect_success 'a step that replaces the EXIT trap and exits 0 publishes nothing' '
	knot_recipe untrapped 1.0 "wedge-make() { trap \"echo recipe trap\" EXIT; exit 0; }" &&
	for how in --unboxed ""; do
		if test -z "$how" && ! test_have_prereq BOX; then continue; fi &&
		test_expect_code 9 knot build $how deps/source.medo/untrapped 2>err &&
		head -n 1 err | sed "s/; log: .*//" >actual &&
		cat >expect <<-\EOF &&
		knot: error: untrapped/1.0: wedge-make ended the build'"'"'s shell (exit status 0) before the steps after it; knot'"'"'s EXIT trap was replaced
		EOF
		test_cmp expect actual &&
		log=$(sed -n "s/.*; log: //p" err) &&
		grep -q "^recipe trap\$" $log &&
		rm -f $log &&
		test ! -e $(knot_derived untrapped 1.0) || return 1
	done
'

test_expect_success 'a step cannot send the next one elsewhere through the driver'"'"'s names' '
	n=0 &&
	for body in "knot_install=\$PWD/elsewhere" "knot_step() { :; }"; do
		n=$((n + 1)) &&
		knot_recipe redirect$n 1.0 "wedge-make() { cp \"\$1/data.txt\" .; $body; }" &&
		test_expect_code 9 knot build --unboxed deps/source.medo/redirect$n 2>err &&
		grep "^knot: error: redirect$n/1.0: wedge-make failed; log: " err &&
		log=$(sed -n "s/.*; log: //p" err) &&
		grep "readonly" $log &&
		rm -f $log &&
		test ! -e $(knot_derived redirect$n 1.0) || return 1
	done
'

test_expect_success BOX 'WEDGE_VERSION_LIST builds each version with WEDGE_VERSION set' '
	knot_recipe multi 1.0 "WEDGE_VERSION_LIST=\"1.0 2.0\"" &&
	knot_source multi 2.0 &&
	knot build deps/source.medo/multi &&
	knot install --root r deps/source.medo/multi &&
	tail -n 1 r$WP/multi/1.0/share/data.txt >actual &&
	echo "built by multi 1.0" >expect && test_cmp expect actual &&
	tail -n 1 r$WP/multi/2.0/share/data.txt >actual &&
	echo "built by multi 2.0" >expect && test_cmp expect actual
'

test_expect_success BOX 'an absolute wedge is built at its path in the box and installed there' '
	knot_recipe abs 1.0 "WEDGE_IS_ABSOLUTE=1
wedge-smoke-test() {
  test \"\$1\" = $WP/abs/1.0 && test \"\$(cat \$1/share/prefix)\" = $WP/abs/1.0 &&
  test -d $WP/abs/1.0/bin && test ! -e $WP/hello
  ln -s share/prefix \$1/prefix-link
}
wedge-install() { mkdir -p \"\$2/share\" \"\$2/bin\"; echo \"\$2\" >\"\$2/share/prefix\"; }" &&
	knot build deps/source.medo/abs &&
	knot install -v --root "$TRASH_DIRECTORY/img" deps/source.medo/abs >out &&
	echo "installed $TRASH_DIRECTORY/img$WP/abs/1.0" >expect && test_cmp expect out &&
	echo $WP/abs/1.0 >expect &&
	test_cmp expect img$WP/abs/1.0/share/prefix &&
	test "$(readlink img$WP/abs/1.0/prefix-link)" = share/prefix &&
	test ! -e /wedge/oils-for-unix.org/pkg/abs
'

test_expect_success WEDGE_UNWRITABLE 'unboxed, an absolute wedge it cannot write fails, naming its directory' '
	mkdir -m 777 user &&
	cat >user/run.sh <<-\EOF &&
	cd "$(dirname "$0")" &&
	silo init deps.silo >/dev/null && mkdir -p deps/source.medo/absu src/absu-1.0 &&
	echo "{ \"silos\": [\"../../deps.silo\"] }" >deps/source.medo/SILO.json &&
	echo x >src/absu-1.0/data.txt && medo add src deps/source.medo/absu/absu-1.0.treeptr &&
	printf "%s\n" WEDGE_NAME=absu WEDGE_VERSION=1.0 WEDGE_IS_ABSOLUTE=1 \
		"wedge-make() { :; }" "wedge-install() { :; }" "wedge-smoke-test() { :; }" \
		>deps/source.medo/absu/WEDGE &&
	knot build --unboxed deps/source.medo/absu
	EOF
	test_expect_code 6 as_user env HOME="$TRASH_DIRECTORY/user" TMPDIR="$TRASH_DIRECTORY/user" \
		sh user/run.sh 2>err &&
	grep "^knot: error: absu/1.0 is an absolute wedge: unboxed, it is built at its own path .$WP/absu/1.0., which cannot be made here (cannot create directory ./wedge[^:]*.: Permission denied); build it as root, or in the box (which needs user namespaces)\$" err
'

test_expect_success BOX 'knot install of an unchanged wedge leaves it; of an edited recipe refuses' '
	knot install -v --root img deps/source.medo/abs >out &&
	grep -q "^present img$WP/abs/1.0\$" out &&
	echo "# edited" >>deps/source.medo/abs/WEDGE &&
	test_expect_code 3 knot install --root img deps/source.medo/abs 2>err &&
	grep -q "abs/1.0 has no published build with its current key .*; run .knot build .*/abs. first" err &&
	knot list >list &&
	grep -q "^abs 1.0 [0-9a-f]* stale\$" list &&
	grep -q "^hello 1.0 [0-9a-f]* published\$" list &&
	grep -q "^fail-make 1.0 [0-9a-f]* missing\$" list &&
	knot list --json deps/source.medo >json &&
	grep -q "\"state\": \"stale\"" json
'

test_expect_success BOX 'dependencies are built first and seen read-only at their paths' '
	knot_recipe base 1.0 &&
	knot_recipe app 1.0 "WEDGE_DEPS=\"base/1.0\"
wedge-make() {
  cat $WP/base/1.0/share/data.txt >data.txt
  ! touch $WP/base/1.0/share/x 2>/dev/null
}" &&
	knot build -v deps/source.medo/app >out &&
	grep -q "^built base/1.0" out && grep -q "^built app/1.0" out &&
	knot install --root r deps/source.medo/app &&
	printf "source of base 1.0\nbuilt by base 1.0\n" >expect &&
	test_cmp expect r$WP/app/1.0/share/data.txt &&
	tp=$(knot_derived app 1.0) &&
	knot_prov deps $tp | grep -q "^base/1.0 $(knot key deps/source.medo/base | cut -d" " -f1) [0-9a-f]\{40\}\$"
'

test_expect_success BOX 'a failed dependency skips its dependents; --keep-going builds the rest' '
	knot_recipe bad 1.0 "wedge-make() { false; }" &&
	knot_recipe needsbad 1.0 "WEDGE_DEPS=\"bad/1.0\"" &&
	knot_recipe other 1.0 &&
	test_expect_code 9 knot build --keep-going -v deps/source.medo/needsbad deps/source.medo/other >out 2>err &&
	grep -q "^skipped needsbad/1.0" out && grep -q "^built other/1.0" out &&
	grep -q "needsbad/1.0: not built, after an earlier failure" err
'

test_expect_success BOX 'from-source-dir functions run in the source directory; -j 2' '
	mkdir -p deps/source.medo/insrc &&
	cat >deps/source.medo/insrc/WEDGE <<-\EOF &&
	WEDGE_NAME=insrc
	WEDGE_VERSION=1.0
	wedge-make-from-source-dir() { test "$PWD" = "$1" && test -f data.txt && echo made >made; }
	wedge-install-from-source-dir() { test -f made && cp data.txt made "$2/"; }
	EOF
	knot_source insrc 1.0 &&
	knot_recipe par 1.0 &&
	knot build -j 2 -v deps/source.medo/insrc deps/source.medo/par >out &&
	test_line_count 2 out &&
	knot install --root r deps/source.medo/insrc &&
	test "$(cat r$WP/insrc/1.0/made)" = made
'

test_expect_success BOX '--rebuild of a reproducible wedge says same and changes nothing' '
	cp $(knot_derived hello 1.0) before.treeptr &&
	knot build --rebuild -v deps/source.medo/hello >out &&
	grep -q "^same hello/1.0 " out &&
	test_cmp before.treeptr $(knot_derived hello 1.0)
'

test_expect_success BOX '--rebuild of a wedge that differs warns, exits 1 and keeps the published one' '
	knot_recipe clock 1.0 "wedge-install() { date +%s%N >\"\$2/stamp\"; }
wedge-smoke-test() { :; }" &&
	knot build deps/source.medo/clock &&
	cp $(knot_derived clock 1.0) before.treeptr &&
	test_expect_code 1 knot build --rebuild deps/source.medo/clock 2>err &&
	grep -q "warning: clock/1.0: the rebuild gives tree [0-9a-f]*, the published build tree [0-9a-f]* (kept)" err &&
	test_cmp before.treeptr $(knot_derived clock 1.0)
'

test_expect_success 'knot show refuses a treeptr knot did not write' '
	test_expect_code 5 knot show deps/source.medo/hello/hello-1.0.treeptr 2>err &&
	grep -q "is not a wedge built by knot" err
'

# The failures above that keep a log: fail-make, fail-install,
# fail-smoke-test and bad, all boxed.
failed_logs=0
! BOX || failed_logs=4
test_expect_success 'work directories are removed; only the logs of failures are kept' '
	{ ls "$TMPDIR" | grep -v "^knot-[0-9]*-.*-[A-Za-z0-9]\{6\}\.log\$" || :; } >left &&
	test_must_be_empty left &&
	test "$(ls "$TMPDIR" | wc -l)" -eq $failed_logs
'

test_done
