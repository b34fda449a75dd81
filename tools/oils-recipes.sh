#!/bin/sh
# Build the Oils project's wedge recipes with knot, unchanged, from the
# sources Debian's archive holds at the recipes' exact versions, and say
# which built and why the others did not.
#
#	tools/oils-recipes.sh [--nearest] [--rev REV] [-j N] [--unboxed] OILS_REPO [OUT_DIR]
#
# OILS_REPO is a git repository of Oils (a checkout or a bare mirror).
# Every recipe directory of its deps/source.medo at REV (default HEAD)
# is copied byte for byte (each WEDGE compared with cmp) into OUT_DIR/
# deps/source.medo (default OUT_DIR: a new directory in TMPDIR; one
# given must not exist or be empty), with a fresh silo, OUT_DIR/deps.silo.
# The sources that exist are stored beside the recipes: Debian's upstream
# tarball of a recipe's exact version (tools/fetch-sources.sh, from the
# suite whose Sources index lists it; a file the mirror does not hold is
# said so), and time-helper's, benchmarks/ of the same commit (medo add
# --git).  "knot list" runs over all of them, and "knot build --keep-going
# -v -j N" (N default 1) over those with a source or that fetch their own
# when built (WEDGE_LEAKY_BUILD=1: R-libs, RUnit): knot builds a recipe
# directory without any treeptr from an empty source directory (wedge(5)).
# The others are listed as no-source.
#
# Prints one line per recipe and version: the state (built, cached,
# failed, no-source, invalid), the step that failed, and why, in a few
# words; then the totals and where knot's report is (OUT_DIR/report).
# A build that failed for a command the host lacks names the Debian
# package holding it: the box sees the host's root, read-only, and this
# script installs nothing.  --unboxed builds without the box.
#
# With --nearest, only the recipes that Debian does not hold at their
# exact version are copied, each with one change, checked with diff: its
# WEDGE_VERSION (or WEDGE_VERSION_LIST) line names the nearest version
# the mirror holds, to show whether the rest of the recipe builds with
# knot.  The table marks them "version line edited".
#
# Exits 0 when it ran (the table tells the outcome), 2 on a usage error,
# 1 when it could not run (no repository, a copy that differs, knot that
# could not list or build at all).
#
#	SILO_SOURCES_DIR	the cache of tarballs (default OUT_DIR/sources/cache)
set -eu

TOOLS=$(cd "$(dirname "$0")" && pwd)

usage() {
	sed -n '2,/^set -eu$/s/^# \{0,1\}//p' "$0"
}
usage_error() {
	echo "oils-recipes: $*" >&2
	usage >&2
	exit 2
}
die() {
	echo "oils-recipes: $*" >&2
	exit 1
}

nearest='' rev=HEAD jobs=1 unboxed=''
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--nearest) nearest=1; shift ;;
	--unboxed) unboxed=--unboxed; shift ;;
	--rev) [ $# -ge 2 ] || usage_error "--rev needs a revision"; rev=$2; shift 2 ;;
	--rev=*) rev=${1#*=}; shift ;;
	-j) [ $# -ge 2 ] || usage_error "-j needs a number"; jobs=$2; shift 2 ;;
	-j*) jobs=${1#-j}; shift ;;
	--) shift; break ;;
	-*) usage_error "unknown option '$1'" ;;
	*) break ;;
	esac
done
case $jobs in ''|*[!0-9]*|0) usage_error "-j needs a positive number, not '$jobs'" ;; esac
[ $# -ge 1 ] && [ $# -le 2 ] || usage_error "needs OILS_REPO and at most OUT_DIR"
repo=$1
for tool in git knot medo silo; do
	command -v $tool >/dev/null 2>&1 || die "'$tool' is not on PATH"
done
commit=$(git -C "$repo" rev-parse --verify -q "$rev^{commit}" 2>/dev/null) ||
	die "'$repo' is no git repository with the revision '$rev'"

if [ $# -eq 2 ]; then
	out=$2
	[ ! -e "$out" ] || [ -z "$(ls -A "$out")" ] || die "'$out' exists and is not empty"
	mkdir -p "$out"
else
	out=$(mktemp -d "${TMPDIR:-/tmp}/oils-recipes.XXXXXX")
fi
out=$(cd "$out" && pwd)
medo_dir=$out/deps/source.medo
mkdir -p "$medo_dir" "$out/sources"
silo init -q "$out/deps.silo"
echo '{ "silos": ["../../deps.silo"] }' >"$medo_dir/SILO.json"

# Where Debian's archive lists each recipe's exact version: recipe,
# Debian source package, suite (the mirror's Sources indexes of
# bullseye, bookworm, trixie and sid).  None lists bash 4.4, 5.2 or
# 5.2.21, dash 0.5.10.2, mksh R52c, re2c 4.3.1, souffle, yash 2.49,
# bloaty, mypy 0.780, pyflakes 2.4.0 or python3 3.10.4; R-libs and RUnit
# have no source.
exact_sources='
busybox busybox bookworm
cmark cmark bullseye
python2 python2.7 bullseye
uftrace uftrace bookworm
zsh zsh bookworm
'
# For --nearest: the version nearest to the recipe's that the mirror
# holds the files of (dash: 0.5.12, the nearest release; bullseye's
# 0.5.11+git20200708 is a git snapshot).  Of uftrace, re2c, yash and mypy
# no version is there to try.
nearest_sources='
bash bash bookworm
cmark cmark bookworm
dash dash bookworm
mksh mksh bookworm
pyflakes pyflakes trixie
python3 python3.11 bookworm
re2c re2c bookworm
uftrace uftrace bookworm
yash yash bookworm
mypy mypy bookworm
'

# Copy the recipes of the commit byte for byte, modes included.
git -C "$repo" ls-tree -r "$commit" deps/source.medo/ >"$out/tree.txt" ||
	die "cannot list deps/source.medo of $commit in '$repo'"
recipes=$(sed -n 's,^[0-9]* blob [0-9a-f]*	deps/source.medo/\([^/]*\)/WEDGE$,\1,p' "$out/tree.txt")
[ -n "$recipes" ] || die "'$repo' has no recipes in deps/source.medo at $commit"
if [ -n "$nearest" ]; then
	keep=
	for r in $recipes; do
		echo "$nearest_sources" | grep -q "^$r " && keep="$keep $r"
	done
	recipes=$keep
fi
# shellcheck disable=SC2086 # one line of words
words=" $(echo $recipes) "
while read -r mode type id path; do
	r=${path#deps/source.medo/}; r=${r%%/*}
	case $words in *" $r "*) ;; *) continue ;; esac
	[ "$type" = blob ] || die "'$path' is a $type, not a file"
	dest=$medo_dir/${path#deps/source.medo/}
	mkdir -p "$(dirname "$dest")"
	case $mode in
	120000) ln -s "$(git -C "$repo" cat-file blob "$id")" "$dest" ;;
	*) git -C "$repo" cat-file blob "$id" >"$dest" || die "cannot read '$path'"
	   [ "$mode" != 100755 ] || chmod 755 "$dest" ;;
	esac
done <"$out/tree.txt"
for r in $recipes; do
	git -C "$repo" cat-file blob "$commit:deps/source.medo/$r/WEDGE" >"$out/WEDGE.orig"
	cmp -s "$out/WEDGE.orig" "$medo_dir/$r/WEDGE" || die "the copy of $r/WEDGE differs from the commit's"
done
rm -f "$out/WEDGE.orig"

# The recipe's versions, read from its one-line assignment (the table's
# version column; knot list says what knot reads).
versions_of() {
	sed -n "s/^WEDGE_VERSION\(_LIST\)\{0,1\}=[\"']\{0,1\}\([^\"'#]*\)[\"']\{0,1\}[[:space:]]*\(#.*\)\{0,1\}\$/\2/p" \
		"$medo_dir/$1/WEDGE" | head -n 1
}

# Why a version has no source, and which version lines were edited:
# "RECIPE VERSION REASON" lines.
: >"$out/sources/why"
: >"$out/sources/edited"
fetch() {	# RECIPE PACKAGE SUITE
	if ! SILO_SOURCES_DIR=${SILO_SOURCES_DIR:-$out/sources/cache} \
		sh "$TOOLS/fetch-sources.sh" --suite "$3" "$2=$1" </dev/null >"$out/sources/$1.out" 2>"$out/sources/$1.err"; then
		# "E: Failed to fetch http://.../python2.7_2.7.18-8.dsc  404  Not Found"
		why=$(sed -n 's,^E: Failed to fetch [^ ]*/\([^/ ]*\) *404 .*,\1,p' "$out/sources/$1.err" | head -n 1)
		[ -z "$why" ] || why="$2 of $3: $why is not on the mirror (404)"
		[ -n "$why" ] || why="$2 of $3: $(tail -n 1 "$out/sources/$1.err" | sed 's/^fetch-sources: //')"
		for v in $(versions_of "$1"); do
			echo "$1 $v $why" >>"$out/sources/why"
		done
		return 1
	fi
	read -r _ got _ <"$out/sources/$1.out"
	echo "$got"
}
store() {	# RECIPE PACKAGE SUITE
	SILO_SOURCES_DIR=${SILO_SOURCES_DIR:-$out/sources/cache} \
		sh "$TOOLS/fetch-sources.sh" --suite "$3" --medo "$medo_dir" "$2=$1" </dev/null >/dev/null 2>>"$out/sources/$1.err" ||
		die "cannot store the source of $1 (see $out/sources/$1.err)"
}

if [ -n "$nearest" ]; then echo "$nearest_sources"; else echo "$exact_sources"; fi >"$out/sources/table"
while read -r r pkg suite; do
	[ -n "$r" ] && [ -d "$medo_dir/$r" ] || continue
	got=$(fetch "$r" "$pkg" "$suite") || continue
	want=$(versions_of "$r")
	if [ -n "$nearest" ]; then
		# The one change: the version line names Debian's version.
		cp "$medo_dir/$r/WEDGE" "$out/WEDGE.orig"
		sed "s/^\(WEDGE_VERSION\(_LIST\)\{0,1\}=[\"']\{0,1\}\)[^\"'#]*\([\"']\{0,1\}\)/\1$got\3/" \
			"$out/WEDGE.orig" >"$medo_dir/$r/WEDGE"
		n=$(diff "$out/WEDGE.orig" "$medo_dir/$r/WEDGE" | grep -c '^>' || :)
		[ "$n" -eq 1 ] || die "editing the version line of $r/WEDGE changed $n lines"
		echo "$r $got version line edited: $want -> $got ($pkg, $suite)" >>"$out/sources/edited"
		rm -f "$out/WEDGE.orig"
		store "$r" "$pkg" "$suite"
		continue
	fi
	case " $want " in
	*" $got "*) store "$r" "$pkg" "$suite" ;;
	*) for v in $want; do echo "$r $v Debian's $pkg of $suite is $got" >>"$out/sources/why"; done ;;
	esac
done <"$out/sources/table"

# time-helper's source is benchmarks/ of the same commit (see wedge(5)).
if [ -z "$nearest" ] && [ -d "$medo_dir/time-helper" ]; then
	for v in $(versions_of time-helper); do
		medo add -q --git="$repo@$commit:benchmarks" "$medo_dir/time-helper/time-helper-$v.treeptr" \
			2>"$out/sources/time-helper.err" ||
			echo "time-helper $v medo add --git failed: $(tail -n 1 "$out/sources/time-helper.err")" >>"$out/sources/why"
	done
fi

cd "$out"
# knot list exits 5 when a recipe is invalid: its table is still there.
ls_status=0
knot list $unboxed deps/source.medo >list.txt 2>list.err || ls_status=$?
case $ls_status in 0|5) ;; *) cat list.err >&2; die "knot list failed (exit status $ls_status)" ;; esac
# knot reads a recipe directory without any treeptr as sourceless (built
# from an empty source directory, wedge(5)): that is what R-libs and
# RUnit are, which fetch their packages when built (WEDGE_LEAKY_BUILD=1).
# Any other recipe without a source here is not built, but listed.
build='' unbuilt=''
for r in $recipes; do
	if ls "deps/source.medo/$r/"*.treeptr >/dev/null 2>&1 ||
		grep -q "^WEDGE_LEAKY_BUILD=[\"']\{0,1\}1" "deps/source.medo/$r/WEDGE"; then
		build="$build deps/source.medo/$r"
	else
		unbuilt="$unbuilt $r"
	fi
done
build_status=0
# shellcheck disable=SC2086
[ -z "$build" ] || knot build $unboxed --keep-going -v -j "$jobs" --build-dir=.knot --report="$out/report" $build \
	>build.out 2>build.err || build_status=$?
[ -z "$build" ] || [ -f report/tasks.tsv ] ||
	{ cat build.err >&2; die "knot build made no report (exit status $build_status)"; }

# A command a log says is missing, and the Debian package holding it.
host_package() {
	case $1 in
	Rscript|R) echo r-base-core ;;
	cmake) echo cmake ;;
	c++|g++) echo g++ ;;
	cc|gcc) echo gcc ;;
	make) echo make ;;
	pkg-config) echo pkg-config ;;
	bison|yacc) echo bison ;;
	strip) echo binutils ;;
	python3) echo python3 ;;
	*) return 1 ;;
	esac
}

# "STEP REASON" for a failed task's log.
why_failed() {
	log=$1
	step=$(sed -n 's/^knot: \([a-z-]*\) failed.*/\1/p' "$log" | tail -n 1)
	[ -n "$step" ] || step=$(sed -n 's/^+* *\(wedge-[a-z-]*\) .*/\1/p' "$log" | tail -n 1)
	cmd=$(sed -n 's/^.*: \([^ :]*\): command not found$/\1/p' "$log" | head -n 1)
	if [ -n "$cmd" ]; then
		pkg=$(host_package "$cmd") && reason="$cmd not found (host package $pkg)" ||
			reason="$cmd not found"
	elif net=$(grep -i -E -m 1 'could not resolve|resolve host|unable to access|cannot open URL|Network is unreachable|name resolution' "$log"); then
		url=$(echo "$net" | grep -o -E -m 1 '[a-z]+://[^/ :]+' | head -n 1)
		reason="needs the network: ${url:-$(echo "$net" | cut -c1-60)} cannot be reached"
	else
		reason=$(grep -E -i 'error|not found|cannot|no such' "$log" | grep -v '^knot:' | tail -n 1 | cut -c1-90)
		[ -n "$reason" ] || reason=$(grep -v '^knot:' "$log" | tail -n 1 | cut -c1-90)
	fi
	echo "${step:--} $reason"
}

line() {
	printf '%-24s %-10s %-18s %s\n' "$1" "$2" "$3" "$4"
}
not_in_debian="not in Debian's archive at this version"
line RECIPE/VERSION STATE STEP REASON
: >states
# The tasks knot ran or found cached: tasks.tsv columns 8 wedge, 9
# version, 11 cache, 12 log.
{ [ ! -f report/tasks.tsv ] || awk -F '\t' 'NR > 1 { print $8, $9, $11, $12 }' report/tasks.tsv; } |
while read -r name version cache log; do
	reason='' step=-
	case $cache in
	hit) state=cached ;;
	built) state=built ;;
	failed) state=failed
		res=$(why_failed "report/$log")
		step=${res%% *} reason=${res#* }
		# a build that could not start says why on knot's stderr only
		[ -n "$reason" ] || reason=$(grep -F "$name/$version" build.err | sed -n 's/; log: .*//; s/^knot: error: //p' |
			head -n 1 | cut -c1-120) ;;
	no-source) state=no-source
		reason=$(sed -n "s/^$name $version //p" sources/why | head -n 1)
		[ -n "$reason" ] || reason=$not_in_debian ;;
	invalid) state=invalid
		reason=$(grep -v '^knot:' "report/$log" 2>/dev/null | tail -n 1 | cut -c1-90) ;;
	*) state=$cache ;;
	esac
	edited=$(sed -n "s/^$name $version \(version line edited: .*\)/\1/p" sources/edited)
	[ -z "$edited" ] || reason="$edited${reason:+; $reason}"
	line "$name/$version" "$state" "$step" "$reason"
	echo "$state" >>states
done
for r in $unbuilt; do
	for v in $(versions_of "$r"); do
		reason=$(sed -n "s/^$r $v //p" sources/why | head -n 1)
		line "$r/$v" no-source - "${reason:-$not_in_debian}"
		echo no-source >>states
	done
done
printf 'total:'
for s in built cached failed no-source invalid; do
	printf ' %s %s' "$(grep -c "^$s\$" states || :)" "$s"
done
echo
echo "(report: $out/report/index.html; knot build exit status $build_status)"
