#!/bin/sh
# Fetch the upstream tarballs (*.orig.tar.*) of Debian source packages,
# checked against the sha256 in their .dsc, into a cache outside the tree.
#
#	tools/fetch-sources.sh [--medo DIR] [PACKAGE...]	(default: dash cmark)
#
# Prints one line per package: "PACKAGE VERSION PATH" (the upstream
# version and the cached tarball).  With --medo, also stores each tarball
# in the silo of the source medo DIR and writes its treeptr beside the
# recipe, DIR/PACKAGE/PACKAGE-VERSION.treeptr (medo add, with the
# Debian pool URL in its provenance).  APT runs with a private configuration
# in a temporary directory: a sources list holding the deb-src twins of
# this machine's own Debian "deb" entries (one-line .list files and deb822
# .sources files alike), and its own lists and cache.  /etc/apt is only
# read, never written; no root is needed.
#
#	SILO_SOURCES_DIR	the cache (default
#				${XDG_CACHE_HOME:-$HOME/.cache}/silo-sources)
set -eu

CACHE=${SILO_SOURCES_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/silo-sources}

# The comment at the top of this file is the usage.
usage() {
	sed -n '2,/^set -eu$/s/^# \{0,1\}//p' "$0"
}

medo_dir=
case ${1:-} in
-h|--help)
	usage
	exit 0
	;;
--medo)
	[ $# -ge 2 ] || { echo "fetch-sources: --medo needs a directory" >&2; exit 2; }
	medo_dir=$2
	shift 2
	;;
esac
for p in "$@"; do
	case $p in
	-*)
		echo "fetch-sources: unknown option '$p' (packages are named without a dash)" >&2
		usage >&2
		exit 2
		;;
	esac
done
[ $# -gt 0 ] || set -- dash cmark
pkgs=$*

die() {
	echo "fetch-sources: $*" >&2
	exit 1
}

# The cached tarball of PACKAGE, if a previous run checked it: "VERSION PATH".
cached() {
	[ -f "$CACHE/$1.fetched" ] || return 1
	read -r v f <"$CACHE/$1.fetched" || return 1
	[ -f "$CACHE/$f" ] || return 1
	echo "$v $CACHE/$f"
}

need=
for p in $pkgs; do
	cached "$p" >/dev/null || need="$need $p"
done

if [ -n "$need" ]; then
	command -v apt-get >/dev/null 2>&1 || die "no apt-get on this machine"
	work=$(mktemp -d "${TMPDIR:-/tmp}/fetch-sources.XXXXXX")
	trap 'rm -rf "$work"' EXIT INT TERM
	mkdir -p "$work/parts" "$work/lists/partial" "$work/cache/archives/partial" "$work/dl"
	: >"$work/sources.list"
	# One-line entries: "deb [opts] URI suite comp..." -> "deb-src ...".
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^[[:space:]]*deb\([[:space:]].*debian.*\)$/deb-src\1/p' "$f" >>"$work/sources.list"
	done
	# deb822 stanzas: "Types: deb" -> "Types: deb-src", Debian URIs only.
	n=0
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		awk '
			function flush() {
				if (text != "" && deb && !skip && uri ~ /debian/)
					printf "%s\n", text
				text = ""; deb = 0; uri = ""; skip = 0
			}
			/^[[:space:]]*$/ { flush(); next }
			/^#/ { next }
			/^Types:/ { if ($0 ~ /[[:space:]]deb([[:space:]]|$)/) deb = 1
				    text = text "Types: deb-src\n"; next }
			/^URIs:/ { uri = $0 }
			/^Enabled:[[:space:]]*no/ { deb = 0; text = ""; skip = 1 }
			{ text = text $0 "\n" }
			END { flush() }
		' "$f" >"$work/parts/src$n.sources"
	done
	[ -s "$work/sources.list" ] || grep -q . "$work"/parts/*.sources 2>/dev/null ||
		die "no Debian deb entries in /etc/apt/sources.list or /etc/apt/sources.list.d"
	set -- -q -o Dir::Etc::SourceList="$work/sources.list" \
		-o Dir::Etc::SourceParts="$work/parts" \
		-o Dir::State::Lists="$work/lists" \
		-o Dir::Cache="$work/cache" \
		-o Debug::NoLocking=1
	# As root, apt drops to the _apt user, who cannot write our
	# private directories.
	[ "$(id -u)" -ne 0 ] || set -- "$@" -o APT::Sandbox::User=root
	apt-get "$@" update >"$work/update.log" 2>&1 ||
		{ cat "$work/update.log" >&2; die "apt-get update failed (private configuration in $work)"; }
	mkdir -p "$CACHE"
	for p in $need; do
		(cd "$work/dl" && apt-get "$@" source --download-only "$p") >"$work/source.log" 2>&1 ||
			{ cat "$work/source.log" >&2; die "cannot download the source package '$p'"; }
		dsc=$(ls "$work/dl/${p}_"*.dsc 2>/dev/null | head -n 1)
		[ -n "$dsc" ] || die "no .dsc downloaded for '$p'"
		# "Checksums-Sha256:" lines: " SHA256 SIZE FILE"
		line=$(sed -n '/^Checksums-Sha256:/,/^[^ ]/p' "$dsc" | grep "^ .* ${p}_[^ ]*\.orig\.tar\.[a-z0-9]*\$" | head -n 1)
		[ -n "$line" ] || die "'$dsc' names no ${p}_*.orig.tar.* with a sha256"
		sum=$(echo "$line" | awk '{ print $1 }'); file=$(echo "$line" | awk '{ print $3 }')
		got=$(sha256sum "$work/dl/$file" | awk '{ print $1 }')
		[ "$got" = "$sum" ] || die "'$file' has sha256 $got, not $sum as '$dsc' says"
		version=${file#${p}_}
		version=${version%.orig.tar.*}
		cp "$work/dl/$file" "$CACHE/$file.tmp" && mv "$CACHE/$file.tmp" "$CACHE/$file"
		cp "$dsc" "$CACHE/"
		echo "$version $file" >"$CACHE/$p.fetched.tmp" && mv "$CACHE/$p.fetched.tmp" "$CACHE/$p.fetched"
		rm -f "$work/dl/"*
	done
fi

for p in $pkgs; do
	line=$(cached "$p") || die "'$p' was not fetched"
	echo "$p $line"
	[ -n "$medo_dir" ] || continue
	version=${line%% *}
	file=${line#* }
	case $p in lib*) pool=$(echo "$p" | cut -c1-4) ;; *) pool=$(echo "$p" | cut -c1) ;; esac
	medo add --url "http://deb.debian.org/debian/pool/main/$pool/$p/$(basename "$file")" \
		"$file" "$medo_dir/$p/$p-$version.treeptr" ||
		die "cannot add '$file' to '$medo_dir'"
done
