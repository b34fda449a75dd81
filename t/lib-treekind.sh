# Helpers for tests of the tree kind (medo add --kind=tree).

# FUSE (medo mount) needs /dev/fuse, fusermount3 and the right to mount: try it.
test_lazy_prereq FUSE '
	test -c /dev/fuse && command -v fusermount3 >/dev/null &&
	mkdir -p probe-src probe-mnt && echo p >probe-src/p &&
	silo init probe.silo >/dev/null &&
	medo add --kind=tree --silo=probe.silo probe-src probe.treeptr &&
	medo mount --silo=probe.silo probe.treeptr probe-mnt &&
	test "$(cat probe-mnt/p)" = p &&
	medo mount -u probe-mnt
'

# corrupt_packed_blob SILO ID: overwrite 4 bytes inside the packed entry
# of blob ID (100 bytes into it), in whichever pack of SILO holds it
# (packs are written read-only).
corrupt_packed_blob() {
	for idx_ in "$1"/pack/*.idx; do
		off_=$(git verify-pack -v "$idx_" | sed -n "s/^$2 blob *[0-9]* *[0-9]* *\([0-9]*\)$/\1/p") ||
			return 1
		if test -n "$off_"; then
			chmod u+w "${idx_%.idx}.pack" &&
			printf "\377\377\377\377" |
			dd of="${idx_%.idx}.pack" bs=1 seek=$((off_ + 100)) conv=notrunc 2>/dev/null ||
				return 1
		fi
	done
}

# Trees of the tree kind made by hand with git, for what medo add never
# writes.

# mktree_raw REPO: write into git repository REPO the tree object made of
# the lines "MODE NAME ID" on stdin, sorted as git sorts them and written
# byte for byte with no other check (names git mktree would refuse);
# print its id.
mktree_raw() {
	python3 -c '
import sys
entries = []
for line in sys.stdin.buffer.read().split(b"\n"):
    if line:
        mode, rest = line.split(b" ", 1)
        name, oid = rest.rsplit(b" ", 1)
        entries.append((name + (b"/" if mode == b"40000" else b""), mode, name, oid))
sys.stdout.buffer.write(b"".join(m + b" " + n + b"\0" + bytes.fromhex(o.decode())
                                 for _, m, n, o in sorted(entries)))
' | git -C "$1" hash-object -t tree --literally -w --stdin
}

# sizes_of REPO TREE: the size table of TREE (its leaves in the order of
# git ls-tree -r).
sizes_of() {
	git -C "$1" ls-tree -r -l "$2" | awk '{ print $4 }'
}

# tree_treeptr REPO TREE SIZES SILO OUT [LIST]: pack TREE of REPO (every
# object it reaches, or the ids in the file LIST) and the size table in
# the file SIZES into a new pack of SILO, and write OUT, a treeptr of kind
# tree naming them, as medo add --kind=tree would.
tree_treeptr() {
	tt_sizes=$(git -C "$1" hash-object -w --stdin <"$3") &&
	{
		if test -n "$6"; then cat "$6"; else git -C "$1" rev-list --objects "$2" | cut -d" " -f1; fi &&
		echo "$tt_sizes"
	} >"$5.objects" &&
	tt_pack=$(git -C "$1" pack-objects -q "$(cd "$4" && pwd)/pack/pack" <"$5.objects") &&
	printf '{"treeptr": 1, "object-format": "sha1", "kind": "tree", "object": "%s", "size": %d, "tree": "%s", "packs": ["pack-%s"]}\n' \
		"$tt_sizes" $(wc -c <"$3") "$2" "$tt_pack" >"$5"
}
