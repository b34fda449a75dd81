#!/bin/sh
test_description='a pack size kept in the cache is dropped when an answer or the index contradicts it'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=5
start_httpd || { echo "1..0 # SKIP nginx does not start"; exit 0; }
# The same silo, its pack ranges answered with a Content-Range that
# gives the pack 4096 bytes more than it has.
start_fault_server lie-size "$HTTPD_ROOT" && LIAR_URL=$FAULT_URL ||
	{ echo "1..0 # SKIP python3 fault server does not start"; exit 0; }
export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache

# The object id of treeptr $1.
object_of() {
	sed -n "s/^ *\"object\": \"\([0-9a-f]*\)\",$/\1/p" "$1"
}

test_expect_success 'setup: two trees in one pack; medo directories naming the liar and nginx' '
	silo init "$HTTPD_ROOT/deps.silo" &&
	mkdir -p a b liar.medo good.medo &&
	test_seeded_file a/f 20000 1 && test_seeded_file b/f 20000 2 &&
	echo "{ \"silos\": [\"$LIAR_URL/deps.silo\"] }" >liar.medo/SILO.json &&
	echo "{ \"silos\": [\"$HTTPD_URL/deps.silo\"] }" >good.medo/SILO.json &&
	medo add -q --silo "$HTTPD_ROOT/deps.silo" a good.medo/a.treeptr &&
	medo add -q --silo "$HTTPD_ROOT/deps.silo" b good.medo/b.treeptr &&
	cp good.medo/*.treeptr liar.medo/ &&
	silo repack -q -d --silo "$HTTPD_ROOT/deps.silo" &&
	pack=$(ls "$HTTPD_ROOT"/deps.silo/pack/*.pack) &&
	wc -c <"$pack" | tr -d " " >true-size &&
	basename "$pack" .pack >name &&
	# Which tree is the last entry of the pack: its read needs the
	# pack size, which the other read learns.
	git verify-pack -v "${pack%.pack}.idx" | sort -k5 -n |
		sed -n "s/^\([0-9a-f]*\) blob .*/\1/p" | tail -n 1 >last &&
	if test "$(object_of good.medo/a.treeptr)" = "$(cat last)"; then
		echo b >first && echo a >second
	else
		echo a >first && echo b >second
	fi
'

test_expect_success 'after one lying answer, a good server still serves the last entry' '
	medo expand liar.medo/$(cat first).treeptr out1 &&
	echo $(($(cat true-size) + 4096)) >expect &&
	test_cmp expect "$SILO_CACHE_DIR/idx-sha1/$(cat name).size" &&
	medo expand good.medo/$(cat second).treeptr out2 &&
	diff -r $(cat first) out1 && diff -r $(cat second) out2 &&
	cat true-size >expect &&
	cat "$SILO_CACHE_DIR/idx-sha1/$(cat name).size" >actual &&
	test_cmp expect actual
'

test_expect_success 'a kept size too small for the index is not used' '
	rm -rf "$SILO_CACHE_DIR/sha1" out2 &&
	echo 13 >"$SILO_CACHE_DIR/idx-sha1/$(cat name).size" &&
	medo expand good.medo/$(cat second).treeptr out2 &&
	diff -r $(cat second) out2 &&
	cat true-size >expect &&
	cat "$SILO_CACHE_DIR/idx-sha1/$(cat name).size" >actual &&
	test_cmp expect actual
'

test_done
