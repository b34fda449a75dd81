# Helpers for the tests of garbage collection and its checks (t23xx).

GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid
GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid
export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL

# field NAME TREEPTR: a field of a treeptr ("object", "tree").
field() {
	sed -n "s/^  \"$1\": \"\([0-9a-f]*\)\",$/\1/p" "$2"
}

# age_silo SILO: every file of SILO modified long ago, past any grace
# period.
age_silo() {
	find "$1" -type f -exec touch -d 2020-01-01 {} +
}

# copy_without SILO COPY ID: a copy of SILO at COPY without object ID:
# its packs rewritten by git into one without it (their .moved files
# name it), its loose objects copied.
copy_without() {
	rm -rf "$2" x.git && silo init "$2" && git init -q --bare x.git &&
	cp "$1"/pack/*.pack "$1"/pack/*.idx x.git/objects/pack/ &&
	new=$(git -C x.git cat-file --batch-all-objects --batch-check="%(objectname)" |
		grep -v -x "$3" | git -C x.git pack-objects -q "$PWD/$2/pack/pack") &&
	for p in "$1"/pack/*.pack; do
		b=$(basename "$p" .pack) && echo pack-$new >"$2/pack/$b.moved" || return 1
	done &&
	cp -R "$1"/objects/. "$2"/objects/ &&
	rm -f "$2/objects/$(echo $3 | cut -c1-2)/$(echo $3 | cut -c3-).gz" &&
	silo repack --silo "$2" -q
}
