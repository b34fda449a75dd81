# The FUSE prerequisite of medo mount's tests: /dev/fuse open to this
# user, fusermount3, and the right to mount; tried with a real mount,
# unmounted whatever happens (the mount's process then ends).  mounted
# DIR: whether DIR (below the current directory) is a FUSE mount.

test_lazy_prereq FUSE '
	{ test -c /dev/fuse && test -r /dev/fuse && test -w /dev/fuse; } ||
		{ echo "/dev/fuse is missing or not open to $(id -un)"; exit 1; }
	command -v fusermount3 >/dev/null || { echo "fusermount3 is missing (Debian: fuse3)"; exit 1; }
	mkdir -p probe-src probe-mnt && echo p >probe-src/p &&
	silo init probe.silo >/dev/null &&
	medo add --kind=tree --silo=probe.silo probe-src probe.treeptr &&
	medo mount --silo=probe.silo probe.treeptr probe-mnt &&
	{
		test "$(cat probe-mnt/p)" = p
		ok=$?
		medo mount -u probe-mnt || fusermount3 -u -z probe-mnt
		test $ok -eq 0
	}
'

mounted() {
	grep -q " $PWD/$1 fuse" /proc/mounts
}
