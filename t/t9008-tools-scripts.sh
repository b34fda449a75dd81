#!/bin/sh
test_description='tools/fetch-sources.sh: usage, suites and recipe names; tools/oils-recipes.sh; make demo keeps what it made'
. "$(dirname "$0")/test-lib.sh"

TOOLS=$TEST_DIRECTORY/../tools

test_expect_success 'fetch-sources.sh -h and --help print the usage, fetch nothing' '
	for h in -h --help; do
		SILO_SOURCES_DIR=$PWD/cache sh "$TOOLS/fetch-sources.sh" $h >out 2>err &&
		test_must_be_empty err &&
		grep -q "^	tools/fetch-sources.sh \[--suite SUITE\]... \[--medo DIR\] \[PACKAGE\[=RECIPE\]...\]" out &&
		grep -q "^	SILO_SOURCES_DIR	the cache" out &&
		! test -e cache || return 1
	done
'

test_expect_success 'fetch-sources.sh refuses an unknown option before fetching' '
	test_expect_code 2 env SILO_SOURCES_DIR=$PWD/cache sh "$TOOLS/fetch-sources.sh" dash --verbose >out 2>err &&
	test_must_be_empty out &&
	head -n 1 err >first &&
	echo "fetch-sources: unknown option '\''--verbose'\'' (packages are named without a dash)" >expect &&
	test_cmp expect first &&
	! test -e cache
'

test_expect_success 'fetch-sources.sh refuses a badly spelled suite, package or recipe before fetching' '
	cat >cases <<-\EOC &&
	--suite	--suite needs a value
	--suite Bookworm dash	bad suite '\''Bookworm'\'' (a Debian codename such as bullseye, in lower case)
	--suite=bookworm,1x dash	bad suite '\''1x'\'' (a Debian codename such as bullseye, in lower case)
	--suite , dash	--suite needs a suite, such as bullseye
	--medo= dash	--medo needs a directory
	Python2.7=python2	bad package '\''Python2.7'\'' in '\''Python2.7=python2'\'' (a Debian source package, such as python2.7)
	=python2	bad package '\'''\'' in '\''=python2'\'' (a Debian source package, such as python2.7)
	python2.7=	bad recipe '\'''\'' in '\''python2.7='\'' (PACKAGE=RECIPE names a recipe directory, such as python2.7=python2)
	python2.7=../x	bad recipe '\''../x'\'' in '\''python2.7=../x'\'' (PACKAGE=RECIPE names a recipe directory, such as python2.7=python2)
	EOC
	while IFS="	" read -r args message; do
		test_expect_code 2 env SILO_SOURCES_DIR=$PWD/cache \
			sh "$TOOLS/fetch-sources.sh" $args >out 2>err &&
		test_must_be_empty out &&
		echo "fetch-sources: $message" >expect &&
		head -n 1 err >first &&
		test_cmp expect first &&
		! test -e cache || return 1
	done <cases
'

# An apt-get that shows the private sources it was given, fetching nothing.
test_expect_success 'fetch-sources.sh --suite: the suites from the URIs of the machine'\''s own release' '
	mkdir -p apt/sources.list.d bin &&
	cat >apt/sources.list <<-\EOC &&
	deb http://mirror.example/debian bookworm main contrib
	deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm-updates main
	deb http://security.example/debian-security bookworm-security main
	deb http://ppa.example/ubuntu jammy main
	EOC
	cat >apt/sources.list.d/debian.sources <<-\EOC &&
	Types: deb
	URIs: http://deb.example/debian
	Suites: bookworm bookworm-updates
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

	Types: deb
	URIs: http://deb.example/debian-security
	Suites: bookworm-security
	Components: main
	EOC
	cat >bin/apt-get <<-\EOC &&
	#!/bin/sh
	for a in "$@"; do
		case $a in
		Dir::Etc::SourceList=*) cat "${a#*=}" ;;
		Dir::Etc::SourceParts=*) cat "${a#*=}"/*.sources ;;
		esac
	done
	exit 1
	EOC
	chmod 755 bin/apt-get &&
	test_expect_code 1 env PATH="$PWD/bin:$PATH" SILO_APT_DIR=$PWD/apt SILO_SOURCES_DIR=$PWD/cache \
		sh "$TOOLS/fetch-sources.sh" --suite bullseye --suite sid,bullseye python2.7=python2 >out 2>err &&
	test_must_be_empty out &&
	cat >expect <<-\EOC &&
	deb-src http://mirror.example/debian bullseye main contrib
	deb-src http://mirror.example/debian sid main contrib
	Types: deb-src
	URIs: http://deb.example/debian
	Suites: bullseye sid
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

	fetch-sources: apt-get update failed (private configuration in DIR)
	EOC
	sed "s/(private configuration in .*)/(private configuration in DIR)/" err >actual &&
	test_cmp expect actual
'

test_lazy_prereq MIRROR '
	curl -sf -o /dev/null --max-time 30 http://deb.debian.org/debian/dists/bookworm/Release ||
	{ echo "http://deb.debian.org/debian cannot be reached"; false; }
'

test_expect_success MIRROR 'fetch-sources.sh names a suite the mirror does not have' '
	test_expect_code 1 env SILO_SOURCES_DIR=$PWD/cache \
		sh "$TOOLS/fetch-sources.sh" --suite nosuchsuite dash >out 2>err &&
	test_must_be_empty out &&
	tail -n 1 err >last &&
	echo "fetch-sources: the suite '\''nosuchsuite'\'' is not on the mirror (no Release file; see above)" >expect &&
	test_cmp expect last
'

# The demo from a copy of its script on a small tree, with no
# fetch-sources.sh beside it: it runs its first half, skips knot, and ends.
test_expect_success 'a demo that ends well keeps its directory and says where' '
	mkdir -p u/src/tools u/src/lib u/bin u/tmp &&
	cp "$TOOLS/demo.sh" u/src/tools/ &&
	echo "a header" >u/src/lib/strbuf.h && echo "int x;" >u/src/lib/x.c &&
	printf "#!/bin/sh\nexit 0\n" >u/bin/bwrap && chmod 755 u/bin/bwrap &&
	PATH=$PWD/u/bin:$PATH TMPDIR=$PWD/u/tmp sh u/src/tools/demo.sh >out 2>err &&
	grep "^knot: skipped, the dash source could not be fetched: " out &&
	ls u/tmp >left && test_line_count 1 left &&
	d=$PWD/u/tmp/$(cat left) &&
	tail -n 1 out >last &&
	echo "done; the demo'\''s files are kept in $d (remove it with: rm -rf $d)" >expect &&
	test_cmp expect last &&
	test -f "$d/deps/src.medo/project.treeptr" &&
	silo verify --silo "$d/deps.silo"
'

test_done
