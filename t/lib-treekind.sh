# Helpers for tests of the tree kind (medo add --kind=tree).

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
