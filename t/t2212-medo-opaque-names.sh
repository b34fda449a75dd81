#!/bin/sh
test_description='medo: a .deb (an ar archive) is refused as a tree with a way out, and keeps its name as an opaque file'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: a silo, a medo directory and a real .deb' '
	silo init s.silo &&
	mkdir -p m.medo pkg/DEBIAN pkg/usr/share/hello &&
	echo "{ \"silos\": [\"../s.silo\"] }" >m.medo/SILO.json &&
	printf "Package: hello\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: test\n" >pkg/DEBIAN/control &&
	echo hi >pkg/usr/share/hello/greeting &&
	dpkg-deb --root-owner-group -b pkg hello_1.0_all.deb >/dev/null &&
	ar t hello_1.0_all.deb >members &&
	grep -q "^debian-binary\$" members
'

test_expect_success 'the refusal names the formats of trees and how to store the file as is' '
	test_expect_code 5 medo add hello_1.0_all.deb m.medo/hello.treeptr 2>err &&
	cat >expect <<-\EOF &&
	medo: error: cannot add '\''hello_1.0_all.deb'\'' as a tree: trees are made of directories and of tar and zip archives, compressed or not (gzip, bzip2, xz, lzma, lzip, zstd, lz4); use --opaque to store the file as it is: cannot read archive '\''hello_1.0_all.deb'\'': Unrecognized archive format
	EOF
	test_cmp expect err &&
	! test -e m.medo/hello.treeptr
'

test_expect_success 'add into a directory names the treeptr after the file' '
	medo add --opaque hello_1.0_all.deb m.medo/ &&
	test -f m.medo/hello_1.0_all.deb.treeptr &&
	mkdir sub.medo &&
	echo "{ \"silos\": [\"../s.silo\"] }" >sub.medo/SILO.json &&
	medo add -v --opaque hello_1.0_all.deb sub.medo >added &&
	grep -q "^wrote sub.medo/hello_1.0_all.deb.treeptr opaque " added &&
	test_expect_code 2 medo add --opaque / m.medo/ 2>err &&
	grep -q "cannot name a treeptr in .m.medo/. after ./.: name the treeptr file" err
'

test_expect_success 'expand of the medo directory restores hello_1.0_all.deb under its name' '
	medo expand m.medo exp &&
	cmp hello_1.0_all.deb exp/hello_1.0_all.deb &&
	dpkg-deb -f exp/hello_1.0_all.deb Package >name &&
	echo hello >expect && test_cmp expect name
'

test_expect_success 'an opaque treeptr expanded into a directory keeps the file name' '
	medo add --opaque hello_1.0_all.deb m.medo/hello.treeptr &&
	mkdir into &&
	medo expand -v m.medo/hello.treeptr into >out &&
	echo "expanded into/hello_1.0_all.deb" >expect && test_cmp expect out &&
	cmp hello_1.0_all.deb into/hello_1.0_all.deb &&
	medo expand -v m.medo/hello.treeptr into >out &&
	echo "present into/hello_1.0_all.deb" >expect && test_cmp expect out &&
	medo expand m.medo/hello.treeptr as-named.deb &&
	cmp hello_1.0_all.deb as-named.deb
'

test_expect_success 'a recorded name with a slash is not followed' '
	sed "s|\"file\": \"hello_1.0_all.deb\"|\"file\": \"../escaped.deb\"|" \
		m.medo/hello.treeptr >m.medo/evil.treeptr &&
	grep -q "\.\./escaped" m.medo/evil.treeptr &&
	mkdir evil && echo x >evil/keep &&
	test_expect_code 8 medo expand m.medo/evil.treeptr evil 2>err &&
	! test -e escaped.deb &&
	test_expect_code 8 medo expand --force m.medo/evil.treeptr evil 2>err &&
	echo "medo: error: '"'"'m.medo/evil.treeptr'"'"' records the file name '"'"'../escaped.deb'"'"', which is not used (hidden, or with a slash or a control character): name the file to write instead of the directory '"'"'evil'"'"'" >expect &&
	test_cmp expect err &&
	! test -e escaped.deb && test "$(cat evil/keep)" = x
'

test_expect_success 'a recorded name that is hidden, absolute or holds a newline replaces nothing' '
	git init -q repo && echo x >repo/keep && git -C repo add keep &&
	git -C repo -c user.name=t -c user.email=t@example.org commit -q -m keep &&
	for name in .git /etc/passwd "$(printf "a\\nb")" "$(printf "a\\033b")"; do
		python3 -c "
import json, sys
d = json.load(open(\"m.medo/hello.treeptr\"))
d[\"provenance\"][\"file\"] = sys.argv[1]
open(\"m.medo/bad.treeptr\", \"w\").write(json.dumps(d, indent=2) + \"\\n\")
" "$name" &&
		test_expect_code 8 medo expand --force m.medo/bad.treeptr repo 2>err &&
		grep -q "which is not used" err &&
		git -C repo rev-parse -q --verify HEAD >/dev/null &&
		test "$(cat repo/keep)" = x || return 1
	done &&
	medo expand --force m.medo/bad.treeptr repo/named.deb &&
	cmp hello_1.0_all.deb repo/named.deb
'

test_done
