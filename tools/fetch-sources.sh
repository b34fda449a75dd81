#!/bin/sh
# Fetch the upstream tarballs (*.orig.tar.*) of Debian source packages,
# checked against the sha256 in their .dsc, into a cache outside the tree.
#
#	tools/fetch-sources.sh [--suite SUITE]... [--medo DIR] [PACKAGE[=RECIPE]...]
#				(default packages: dash cmark)
#
# Prints one line per package: "PACKAGE VERSION PATH" (the upstream
# version and the cached tarball).  With --medo, also stores each tarball
# in the silo of the source medo DIR and writes its treeptr in the
# recipe directory DIR/RECIPE (RECIPE is PACKAGE unless given, as in
# python2.7=python2), named NAME-VERSION.treeptr: NAME is the recipe's
# WEDGE_TARBALL_NAME when its WEDGE sets it to a plain word, else RECIPE
# (medo add, with the Debian pool URL in its provenance).
#
# APT runs with a private configuration in a temporary directory: a
# sources list holding the deb-src twins of this machine's own Debian
# "deb" entries (one-line .list files and deb822 .sources files alike),
# and its own lists and cache.  With --suite (repeated, or several
# separated by commas), the sources are those suites instead, from the
# URIs of the machine's entries for its own release (bullseye's
# cmark 0.29.0 on a bookworm machine); with several, APT takes the
# highest version among them.  /etc/apt is only read, never written; no
# root is needed.
#
#	SILO_SOURCES_DIR	the cache (default
#				${XDG_CACHE_HOME:-$HOME/.cache}/silo-sources)
#	SILO_APT_DIR		the APT configuration read (default /etc/apt)
set -eu

CACHE=${SILO_SOURCES_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/silo-sources}
APT_DIR=${SILO_APT_DIR:-/etc/apt}

# The comment at the top of this file is the usage.
usage() {
	sed -n '2,/^set -eu$/s/^# \{0,1\}//p' "$0"
}

usage_error() {
	echo "fetch-sources: $*" >&2
	usage >&2
	exit 2
}

medo_dir=
suites=
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help)
		usage
		exit 0
		;;
	--medo|--suite)
		[ $# -ge 2 ] || usage_error "$1 needs a value"
		opt=$1 val=$2
		shift 2
		;;
	--medo=*|--suite=*)
		opt=${1%%=*} val=${1#*=}
		shift
		;;
	--)
		shift
		break
		;;
	-*)
		usage_error "unknown option '$1' (packages are named without a dash)"
		;;
	*)
		break
		;;
	esac
	case $opt in
	--medo)
		[ -n "$val" ] || usage_error "--medo needs a directory"
		medo_dir=$val
		;;
	--suite)
		for s in $(echo "$val" | tr ',' ' '); do
			case $s in
			[!a-z]*|*[!a-z0-9-]*)
				usage_error "bad suite '$s' (a Debian codename such as bullseye, in lower case)"
				;;
			esac
			case " $suites " in *" $s "*) ;; *) suites="${suites:+$suites }$s" ;; esac
		done
		[ -n "$suites" ] || usage_error "--suite needs a suite, such as bullseye"
		;;
	esac
done
for p in "$@"; do
	case $p in
	-*)
		usage_error "unknown option '$p' (packages are named without a dash)"
		;;
	esac
	pkg=${p%%=*} recipe=${p#*=}
	# Debian source package names: lower case letters, digits, + - .
	case $pkg in
	''|[!a-z0-9]*|*[!a-z0-9.+-]*)
		usage_error "bad package '$pkg' in '$p' (a Debian source package, such as python2.7)"
		;;
	esac
	case $recipe in
	''|.*|*[!A-Za-z0-9._+~-]*)
		usage_error "bad recipe '$recipe' in '$p' (PACKAGE=RECIPE names a recipe directory, such as python2.7=python2)"
		;;
	esac
done
[ $# -gt 0 ] || set -- dash cmark
# Checked above: no spaces, no wildcards.
specs=$*
pkgs=
for p in $specs; do
	pkgs="$pkgs ${p%%=*}"
done

# The cache of a package is per set of suites: bullseye's cmark is not
# bookworm's.
tag=
[ -z "$suites" ] || tag=@$(echo "$suites" | tr ' ' '+')

die() {
	echo "fetch-sources: $*" >&2
	exit 1
}

# The cached tarball of PACKAGE, if a previous run checked it: "VERSION PATH".
cached() {
	[ -f "$CACHE/$1$tag.fetched" ] || return 1
	read -r v f <"$CACHE/$1$tag.fetched" || return 1
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
	for f in "$APT_DIR/sources.list" "$APT_DIR"/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^[[:space:]]*deb\([[:space:]].*debian.*\)$/deb-src\1/p' "$f" >>"$work/sources.list"
	done
	# deb822 stanzas: "Types: deb" -> "Types: deb-src", Debian URIs only.
	n=0
	for f in "$APT_DIR"/sources.list.d/*.sources; do
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
		die "no Debian deb entries in $APT_DIR/sources.list or $APT_DIR/sources.list.d"
	if [ -n "$suites" ]; then
		# The entries of the machine's own release (a suite without
		# a dash: bookworm, not bookworm-updates) give their URIs,
		# components and options to the suites asked for.
		awk -v suites="$suites" '
			{
				i = 2
				if ($i ~ /^\[/) {
					while ($i !~ /\]$/ && i < NF) i++
					i++
				}
				if (i + 1 > NF || $(i + 1) ~ /-/) next
				n = split(suites, s, " ")
				for (k = 1; k <= n; k++) {
					line = $0; $(i + 1) = s[k]
					if (!seen[$0]++) print
					$0 = line
				}
			}
		' "$work/sources.list" >"$work/suites.list" &&
			mv "$work/suites.list" "$work/sources.list"
		for f in "$work"/parts/*.sources; do
			[ -f "$f" ] || continue
			awk -v suites="$suites" '
				function flush() {
					if (text != "" && own) printf "%s\n", text
					text = ""; own = 0
				}
				/^[[:space:]]*$/ { flush(); next }
				/^Suites:/ {
					for (k = 2; k <= NF; k++) if ($k !~ /-/) own = 1
					text = text "Suites: " suites "\n"; next
				}
				{ text = text $0 "\n" }
				END { flush() }
			' "$f" >"$f.tmp" && mv "$f.tmp" "$f"
		done
		[ -s "$work/sources.list" ] || grep -q . "$work"/parts/*.sources 2>/dev/null ||
			die "no Debian deb entries of this machine's release to take the URIs of '$suites' from"
	fi
	set -- -q -o Dir::Etc::SourceList="$work/sources.list" \
		-o Dir::Etc::SourceParts="$work/parts" \
		-o Dir::State::Lists="$work/lists" \
		-o Dir::Cache="$work/cache" \
		-o Debug::NoLocking=1
	# As root, apt drops to the _apt user, who cannot write our
	# private directories.
	[ "$(id -u)" -ne 0 ] || set -- "$@" -o APT::Sandbox::User=root
	if ! apt-get "$@" update >"$work/update.log" 2>&1; then
		cat "$work/update.log" >&2
		for s in $suites; do
			! grep -q " $s Release' does not have a Release file" "$work/update.log" ||
				die "the suite '$s' is not on the mirror (no Release file; see above)"
		done
		die "apt-get update failed (private configuration in $work)"
	fi
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
		echo "$version $file" >"$CACHE/$p$tag.fetched.tmp" && mv "$CACHE/$p$tag.fetched.tmp" "$CACHE/$p$tag.fetched"
		rm -f "$work/dl/"*
	done
fi

for p in $specs; do
	pkg=${p%%=*} recipe=${p#*=}
	line=$(cached "$pkg") || die "'$pkg' was not fetched"
	echo "$pkg $line"
	[ -n "$medo_dir" ] || continue
	version=${line%% *}
	file=${line#* }
	# WEDGE_TARBALL_NAME='Python' (a plain word, quoted or not), if set.
	name=$(sed -n "s/^WEDGE_TARBALL_NAME=[\"']\{0,1\}\([A-Za-z0-9._+~-]\{1,\}\)[\"']\{0,1\}[[:space:]]*\(#.*\)\{0,1\}\$/\1/p" \
		"$medo_dir/$recipe/WEDGE" 2>/dev/null | tail -n 1)
	case $pkg in lib*) pool=$(echo "$pkg" | cut -c1-4) ;; *) pool=$(echo "$pkg" | cut -c1) ;; esac
	medo add --url "http://deb.debian.org/debian/pool/main/$pool/$pkg/$(basename "$file")" \
		"$file" "$medo_dir/$recipe/${name:-$recipe}-$version.treeptr" ||
		die "cannot add '$file' to '$medo_dir'"
done
