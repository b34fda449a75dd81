#!/bin/sh
test_description='medo add and expand refuse hostile archives; nothing is written outside DEST'
. "$(dirname "$0")/test-lib.sh"

EMPTY_TREE=4b825dc642cb6eb9a060e54bf8d69288fbee4904

# make_tar NAME: write NAME.tar with python's tarfile, from the entries
# the python code on stdin adds to the open archive t.
make_tar() {
	python3 -c "
import io, sys, tarfile
t = tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT)
def add(name, data=b'pwned\n', **kw):
    i = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(i, k, v)
    if i.type == tarfile.REGTYPE:
        i.size = len(data)
        t.addfile(i, io.BytesIO(data))
    else:
        t.addfile(i)
exec(sys.stdin.read())
t.close()
" "$1.tar"
}

# A treeptr naming the archive FILE as kind archive, written by hand:
# medo add refuses such archives.
hand_treeptr() {
	id=$(silo put --silo deps.silo "$1") &&
	cat >"$2" <<-END
	{"treeptr": 1, "object-format": "sha1", "kind": "archive", "object": "$id", "size": $(wc -c <"$1"), "tree": "$EMPTY_TREE"}
	END
}

# Everything outside DEST that an attack could touch, listed.
outside_state() {
	{ find "$TRASH_DIRECTORY/outside" -printf '%p %s %T@\n'; cat "$TRASH_DIRECTORY/outside/target"; \
	  ls -A "$TRASH_DIRECTORY" | grep -v -e "^x-" -e "^\.test-output$"; \
	  ls -A "$TRASH_DIRECTORY/dest-parent"; } | sort
}

# check_refused NAME: medo add refuses NAME.tar, medo expand of a
# hand-written treeptr for it exits 8, and nothing changed outside DEST.
check_refused() {
	outside_state >x-before &&
	test_expect_code 8 medo add "$1.tar" deps/x.medo/"$1".treeptr 2>x-err-add &&
	grep "^medo: error: " x-err-add &&
	! test -e deps/x.medo/"$1".treeptr &&
	hand_treeptr "$1.tar" deps/x.medo/"$1".treeptr &&
	outside_state >x-before &&
	test_expect_code 8 medo expand deps/x.medo/"$1".treeptr dest-parent/dest 2>x-err &&
	grep "^medo: error: " x-err &&
	! test -e dest-parent/dest &&
	outside_state >x-after &&
	test_cmp x-before x-after
}

test_expect_success 'setup' '
	silo init deps.silo &&
	mkdir -p deps/x.medo outside dest-parent &&
	echo "{ \"silos\": [\"../../deps.silo\"] }" >deps/x.medo/SILO.json &&
	echo original >outside/target
'

test_expect_success 'path traversal with ../' '
	make_tar dotdot <<-\END &&
	add("ok")
	add("../evil")
	add("a/../../evil2")
	END
	check_refused dotdot &&
	! test -e dest-parent/evil && ! test -e evil && ! test -e evil2
'

test_expect_success 'an absolute path' '
	make_tar absolute <<-END &&
	add("ok")
	add("$TRASH_DIRECTORY/outside/abs-evil")
	END
	check_refused absolute &&
	! test -e outside/abs-evil
'

test_expect_success 'a symlink leading out, then a file written through it' '
	make_tar symlink <<-END &&
	add("link", type=tarfile.SYMTYPE, linkname="../../outside")
	add("link/through-link")
	END
	check_refused symlink &&
	! test -e outside/through-link
'

test_expect_success 'an absolute symlink, then a file written through it' '
	make_tar abslink <<-END &&
	add("dir/link", type=tarfile.SYMTYPE, linkname="$TRASH_DIRECTORY/outside")
	add("dir/link/through-abs")
	END
	check_refused abslink &&
	! test -e outside/through-abs
'

test_expect_success 'a hard link to a file outside, then written through' '
	make_tar hardlink <<-END &&
	add("hl", type=tarfile.LNKTYPE, linkname="../outside/target")
	add("hl", data=b"overwritten\n")
	END
	check_refused hardlink &&
	echo original >expect && test_cmp expect outside/target
'

test_expect_success 'a hard link by absolute path' '
	make_tar abshard <<-END &&
	add("hl", type=tarfile.LNKTYPE, linkname="$TRASH_DIRECTORY/outside/target")
	END
	check_refused abshard &&
	echo original >expect && test_cmp expect outside/target
'

test_expect_success 'a compressed hostile archive is refused as well' '
	make_tar gz <<-\END &&
	add("../evil-gz")
	END
	gzip -n gz.tar && mv gz.tar.gz gz.tar &&
	check_refused gz &&
	! test -e evil-gz
'

test_expect_success 'a refused archive leaves an existing DEST as it was, even with --force' '
	mkdir dest-parent/keep && echo mine >dest-parent/keep/file &&
	test_expect_code 8 medo expand --force deps/x.medo/symlink.treeptr dest-parent/keep &&
	echo mine >expect && test_cmp expect dest-parent/keep/file &&
	ls -A dest-parent >actual && echo keep >expect && test_cmp expect actual
'

test_expect_success 'a safe archive made the same way expands' '
	make_tar safe <<-\END &&
	add("dir/file", data=b"fine\n")
	add("dir/link", type=tarfile.SYMTYPE, linkname="file")
	add("hard", type=tarfile.LNKTYPE, linkname="dir/file")
	END
	medo add safe.tar deps/x.medo/safe.treeptr &&
	medo expand deps/x.medo/safe.treeptr dest-parent/safe &&
	echo fine >expect && test_cmp expect dest-parent/safe/hard &&
	test "$(readlink dest-parent/safe/dir/link)" = file
'

test_expect_success 'in a parallel batch, hostile archives are refused and the others expanded' '
	mkdir -p batch.medo &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >batch.medo/SILO.json &&
	for n in dotdot absolute symlink hardlink safe; do
		cp deps/x.medo/$n.treeptr batch.medo/ || return 1
	done &&
	mkdir dest-parent/batch &&
	outside_state >x-before &&
	test_expect_code 8 medo expand -j 3 batch.medo dest-parent/batch 2>x-err &&
	test_line_count 4 x-err &&
	grep "^medo: error: symlink.treeptr: " x-err &&
	outside_state >x-after &&
	test_cmp x-before x-after &&
	ls -A dest-parent/batch >x-actual &&
	printf "%s\n" .medo-expanded.json safe >x-expect && test_cmp x-expect x-actual &&
	grep -c "\"kind\"" dest-parent/batch/.medo-expanded.json >x-count &&
	echo 1 >x-expect && test_cmp x-expect x-count &&
	echo fine >x-expect && test_cmp x-expect dest-parent/batch/safe/hard
'

test_expect_success 'an archive holding .git/config is refused, in any case' '
	make_tar dotgit <<-\END &&
	add("pkg/.git/config", data=b"[core]\n\tfsmonitor = touch pwned\n")
	END
	check_refused dotgit &&
	grep "refusing entry .pkg/.git/config.*.git. in its path" x-err &&
	make_tar dotgitcase <<-\END &&
	add("pkg/sub/.GiT/hooks/post-checkout")
	END
	check_refused dotgitcase
'

test_expect_success 'an archive holding what NTFS or HFS+ reads as .git is refused' '
	make_tar ntfs <<-\END &&
	add("pkg/.git /config", data=b"[core]\n\tfsmonitor = touch pwned\n")
	END
	check_refused ntfs &&
	grep "refusing entry .pkg/.git /config.*reads as .\.git." x-err &&
	make_tar short <<-\END &&
	add("GIT~1/hooks/post-checkout")
	END
	check_refused short &&
	make_tar dots <<-\END &&
	add("a/.git. . /config")
	END
	check_refused dots &&
	make_tar hfs <<-\END &&
	add(".g\u200cit/config")
	END
	check_refused hfs &&
	make_tar gitmodules <<-\END &&
	add("ok")
	add(".gitmodules", type=tarfile.SYMTYPE, linkname="ok")
	END
	check_refused gitmodules &&
	grep "refusing entry .\.gitmodules.*a symlink" x-err
'

test_expect_success 'medo add, verify and status refuse a directory holding git~1 or .git.' '
	mkdir -p ntfsdir/sub/git~1 && echo x >ntfsdir/sub/git~1/config && echo y >ntfsdir/file &&
	test_expect_code 8 medo add ntfsdir deps/x.medo/ntfsdir.treeptr 2>err &&
	grep "^medo: error: refusing .ntfsdir/sub/git~1.: a name that NTFS or HFS+ reads as .\.git." err &&
	! test -e deps/x.medo/ntfsdir.treeptr &&
	mkdir -p plaindir && echo y >plaindir/file &&
	medo add plaindir deps/x.medo/plaindir.treeptr &&
	mkdir -p dest-parent/p2 && echo y >dest-parent/p2/file && mkdir dest-parent/p2/.git. &&
	test_expect_code 8 medo verify deps/x.medo/plaindir.treeptr dest-parent/p2 2>err &&
	grep "refusing .dest-parent/p2/\.git\.." err &&
	rm -rf dest-parent/p2 deps/x.medo/plaindir.treeptr
'

test_expect_success 'names that only begin with .git are kept' '
	make_tar dotgithub <<-\END &&
	add(".github/workflow.yml")
	add(".gitignore")
	add("a/.git-blame-ignore")
	END
	medo add dotgithub.tar deps/x.medo/dotgithub.treeptr &&
	medo expand deps/x.medo/dotgithub.treeptr dest-parent/dotgithub &&
	test -f dest-parent/dotgithub/.gitignore
'

test_expect_success 'medo add of a directory holding a .git directory is refused' '
	mkdir -p withgit/sub/.Git && echo x >withgit/sub/.Git/config && echo y >withgit/file &&
	test_expect_code 8 medo add withgit deps/x.medo/withgit.treeptr 2>err &&
	grep "^medo: error: refusing .*withgit/sub/.Git.*.git" err &&
	! test -e deps/x.medo/withgit.treeptr
'

test_expect_success 'small files are written on several threads, in archive order where it matters' '
	make_tar order <<-\END &&
	for d in range(40):
	    for f in range(30):
	        add("d%02d/f%02d" % (d, f), data=b"%d %d\n" % (d, f), mode=0o644, mtime=1000000000)
	add("d00/f00", data=b"second\n", mode=0o755)
	add("d01/f01", type=tarfile.SYMTYPE, linkname="f02")
	add("d02/f02", type=tarfile.SYMTYPE, linkname="gone")
	add("d02/f02", data=b"file again\n")
	add("d03/hard", type=tarfile.LNKTYPE, linkname="d39/f29")
	add("d04/big", data=b"x" * 200000)
	add("ro", type=tarfile.DIRTYPE, mode=0o555)
	add("ro/f", data=b"in a read-only directory\n")
	END
	medo add order.tar deps/x.medo/order.treeptr &&
	medo expand deps/x.medo/order.treeptr dest-parent/order &&
	echo second >expect && test_cmp expect dest-parent/order/d00/f00 &&
	test -x dest-parent/order/d00/f00 &&
	test "$(readlink dest-parent/order/d01/f01)" = f02 &&
	echo "file again" >expect && test_cmp expect dest-parent/order/d02/f02 &&
	echo "39 29" >expect && test_cmp expect dest-parent/order/d03/hard &&
	test "$(stat -c %h dest-parent/order/d39/f29)" = 2 &&
	test "$(wc -c <dest-parent/order/d04/big)" = 200000 &&
	echo "20 7" >expect && test_cmp expect dest-parent/order/d20/f07 &&
	test "$(find dest-parent/order -type f | wc -l)" = 1202 &&
	test "$(stat -c %Y dest-parent/order/d20/f07)" = 1000000000 &&
	test "$(stat -c %a dest-parent/order/ro)" = 555 &&
	echo "in a read-only directory" >expect && test_cmp expect dest-parent/order/ro/f &&
	medo verify deps/x.medo/order.treeptr dest-parent/order &&
	chmod u+w dest-parent/order/ro	# or a non-root user cannot clean up
'

test_expect_success 'many directories of small files expand with few descriptors' '
	make_tar dirs <<-\END &&
	for d in range(300):
	    add("d%03d/a" % d, data=b"a\n")
	    add("d%03d/b" % d, data=b"b\n")
	END
	medo add dirs.tar deps/x.medo/dirs.treeptr &&
	(ulimit -n 40 && medo expand deps/x.medo/dirs.treeptr dest-parent/dirs) &&
	test "$(find dest-parent/dirs -type f | wc -l)" = 600 &&
	medo verify deps/x.medo/dirs.treeptr dest-parent/dirs
'

test_done
