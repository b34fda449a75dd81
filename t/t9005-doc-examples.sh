#!/bin/sh
test_description='every shell example of the README and of the manual pages runs, and loses nothing'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

# The examples are read from the files themselves (tools/doc-examples.sh
# says how they are found and marked).  Each runs in bash, in a scratch
# workspace W that holds what the pages name: a silo deps.silo, medo
# directories deps/source.medo (an upstream tarball, the recipes dash and
# cmark) and deps/derived.medo, treeptrs deps/*.treeptr, wedges under
# /wedge, a git history, a web server and an ssh host.  A block whose
# first command is "silo init" starts from a workspace with the sample
# files only.  The blocks of one page run in order in one workspace.
#
# Placeholders: words in capitals stand for what is the reader's own.
#	SERVER		a static web server (the test's nginx; https://SERVER/
#			is its URL)
#	DAV		a WebDAV server that takes pushes (the test's lighttpd;
#			https://DAV/ is its URL)
#	HOST		an ssh host (the test's sshd on 127.0.0.1)
#	URL		a git repository a knot worker clones
#	SHA256, INTEGRITY	the checksum of the download an example names
#	ID		an object id (here, its first 8 digits): of src.tar.gz
# Absolute paths under /wedge, /srv, /tmp, /mnt and /shared are taken
# below W.
#
# A command must exit 0, unless the page shows it printing an error
# ("tool: error: ..."): then it must fail; or the next command is
# "echo $?": then it must exit with the status shown.  After each page,
# every treeptr of every commit still expands from deps.silo (and from
# the web server's copy): a documented recipe must never lose data.

DOCS="$TEST_DIRECTORY/../README $(ls "$TEST_DIRECTORY"/../Documentation/*.scd)"
W_TEMPLATE=$TRASH_DIRECTORY/template

start_httpd && test_set_prereq HTTPD || test_missing_prereq HTTPD "nginx does not start"
. "$TEST_DIRECTORY/lib-webdav.sh"
start_webdav dav && test_set_prereq WEBDAV ||
	test_missing_prereq WEBDAV "lighttpd with mod_webdav does not start (tools/install-deps.sh)"
# The remote side of ssh finds the tools too.
SSHD_EXTRA_CONFIG="SetEnv PATH=$PATH"
. "$TEST_DIRECTORY/lib-sshd.sh"
. "$TEST_DIRECTORY/lib-fuse.sh"
test_lazy_prereq JQ 'command -v jq || { echo jq is missing; false; }'

cat >ssh-config <<EOF
Host HOST
	HostName 127.0.0.1
	Port $port
	IdentityFile $TRASH_DIRECTORY/sshd/user_key
	BatchMode yes
	StrictHostKeyChecking no
	UserKnownHostsFile /dev/null
	LogLevel ERROR
EOF

test_expect_success 'the examples are found: README and every command page has some' '
	sh "$TEST_DIRECTORY/../tools/doc-examples.sh" $DOCS >examples &&
	grep "^@block " examples | sed "s/^@block \([^:]*\):.*/\1/" | sort -u >pages &&
	test "$(wc -l <pages)" -ge 38 &&
	grep -q "/README\$" pages &&
	for p in "$TEST_DIRECTORY"/../Documentation/*.1.scd; do
		grep -qx "$p" pages || { echo "no example in $p"; return 1; }
	done &&
	{ grep "^@block .* skip " examples >marked || :; } &&
	test "$(wc -l <marked)" -le 3
'

test_expect_success 'setup: the workspace the pages name' '
	mkdir -p "$W_TEMPLATE" && cd "$W_TEMPLATE" &&
	echo hello >hello.txt &&
	for v in 3.10.3 3.10.4; do
		mkdir -p py/Python-$v &&
		printf "This is Python version %s\n" $v >py/Python-$v/README.rst &&
		printf "#!/bin/sh\necho configured\n" >py/Python-$v/configure &&
		tar -C py --mtime=@0 --owner=0 --group=0 -cJf Python-$v.tar.xz Python-$v || return 1
	done &&
	rm -rf py &&
	mkdir -p src/lib && echo "int main(void) { return 0; }" >src/main.c && echo "/* lib */" >src/lib/x.c &&
	tar -czf src.tar.gz src &&
	mkdir -p lp/package && echo "module.exports = 1" >lp/package/index.js &&
	tar -C lp -czf left-pad-1.3.0.tgz package && rm -rf lp &&
	python3 "$TEST_DIRECTORY/mkimage.py" layer slim-layer.tar d:etc f:etc/motd:hello &&
	python3 "$TEST_DIRECTORY/mkimage.py" docker slim.tar slim-layer.tar && rm slim-layer.tar &&
	for d in wedge/re2c-3.0 wedge/oils-for-unix.org/pkg/re2c/3.0; do
		mkdir -p $d/bin $d/share/doc &&
		printf "#!/bin/sh\necho re2c 3.0\n" >$d/bin/re2c && chmod +x $d/bin/re2c &&
		echo "re2c, a lexer generator" >$d/share/doc/README || return 1
	done &&
	mkdir -p wedge/oils-for-unix.org/pkg/python3/3.10.4 tmp mnt/shared srv/git shared &&

	silo init -q deps.silo &&
	silo put -q --silo deps.silo hello.txt &&
	mkdir -p deps/source.medo deps/derived.medo/debian/bookworm &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >deps/SILO.json &&
	echo "{ \"silos\": [\"../../deps.silo\", \"$HTTPD_URL/deps.silo/\"] }" >deps/source.medo/SILO.json &&
	echo "{ \"silos\": [\"../../deps.silo\"] }" >deps/derived.medo/SILO.json &&
	mkdir -p deps/opaque.medo/debian && cp deps/derived.medo/SILO.json deps/opaque.medo/ &&
	medo add -q --opaque slim.tar deps/opaque.medo/debian/slim.treeptr &&
	medo add --url https://www.python.org/ftp/python/3.10.4/Python-3.10.4.tar.xz \
		Python-3.10.4.tar.xz deps/source.medo/Python-3.10.4.treeptr &&
	silo put -q --silo deps.silo Python-3.10.3.tar.xz src.tar.gz &&
	medo add wedge/re2c-3.0 deps/derived.medo/debian/bookworm/re2c-3.0.treeptr &&
	medo add --kind=tree wedge/re2c-3.0 deps/re2c.treeptr &&
	mkdir -p nm/react-scripts/bin && echo "#!/usr/bin/env node" >nm/react-scripts/bin/react-scripts.js &&
	medo add -q --kind=tree nm deps/node_modules.treeptr &&
	medo add -q --kind=tree nm deps/source.medo/node_modules.treeptr && rm -rf nm &&
	mkdir -p v/a/sub &&
	echo one >v/a/a && echo same >v/a/b &&
	medo add -q --kind=tree v/a deps/v1.treeptr &&
	echo two >v/a/a && echo new >v/a/sub/new &&
	medo add -q --kind=tree v/a deps/v2.treeptr &&
	echo "only in history" >v/a/old &&
	medo add -q --kind=tree v/a deps/old.treeptr &&
	mkdir v/old && echo "an old tree" >v/old/f &&
	medo add -q v/old deps/source.medo/old.treeptr && rm -rf v &&
	medo add -q --kind=tree --silo deps.silo src src.treeptr &&
	knot_recipe dash 0.5.12 && knot_recipe cmark 0.30.2 &&

	git init -q && git config user.email doc@example.org && git config user.name doc &&
	git add deps && git commit -q -m "all of it" &&
	git rm -q deps/old.treeptr deps/source.medo/old.treeptr && git commit -q -m "without old" &&
	if BOX; then
		knot build -q deps/source.medo &&
		git add deps && git commit -q -m built
	fi &&
	medo expand -q deps/derived.medo/debian/bookworm wedge/oils-for-unix.org/pkg &&
	git clone -q --bare . srv/git/deps.git &&
	silo init -q mirror.silo &&
	# Everything stored is a month old: a prune really prunes.
	find deps.silo -type f -exec touch -d "1 month ago" {} + &&
	mkdir -p srv/www &&
	cp -a deps.silo srv/www/deps.silo && cp -a deps.silo shared/deps.silo &&
	mkdir -p "$HOME/.ssh" &&
	ssh-keygen -q -t ed25519 -N "" -C builder@example.org -f "$HOME/.ssh/id_ed25519"
'

SHA256=$(sha256sum "$W_TEMPLATE/Python-3.10.4.tar.xz" | cut -d" " -f1)
INTEGRITY=sha512-$(openssl dgst -sha512 -binary "$W_TEMPLATE/left-pad-1.3.0.tgz" | base64 -w0)
ID=$(git hash-object "$W_TEMPLATE/src.tar.gz" | cut -c1-8)

# What only some pages name: a recipe whose build fails and one that is
# not a recipe (knot-build, knot-validate); a wedge edited since medo
# expand put it there (medo-status); no treeptr yet where an example
# adds one (medo-add: another user's umask makes another tar).
page_setup() {
	case $1 in
	*/medo-add.1.scd)
		rm "$2/deps/derived.medo/debian/bookworm/re2c-3.0.treeptr"
		;;
	*/knot-build.1.scd | */knot-validate.1.scd)
		(cd "$2" && knot_recipe broken 1.0 "wedge-make() { echo failing; false; }") &&
		mkdir "$2/broken" && echo "WEDGE_NAME=broken" >"$2/broken/WEDGE"
		;;
	*/medo-status.1.scd)
		echo "an edit" >>"$2/wedge/oils-for-unix.org/pkg/re2c-3.0/share/doc/README"
		;;
	esac
}

# The web server's root: a copy of the workspace's srv/www, and the
# downloads the pages name.
serve_workspace() {
	rm -rf "$HTTPD_ROOT" && mkdir -p "$HTTPD_ROOT/ftp/python/3.10.4" "$HTTPD_ROOT/left-pad/-" &&
	cp "$W_TEMPLATE/Python-3.10.4.tar.xz" "$HTTPD_ROOT/ftp/python/3.10.4/" &&
	cp "$W_TEMPLATE/left-pad-1.3.0.tgz" "$HTTPD_ROOT/left-pad/-/" &&
	if test -d "$1/srv/www"; then
		cp -a "$1/srv/www/." "$HTTPD_ROOT/" && rm -rf "$1/srv/www"
	fi &&
	ln -s "$HTTPD_ROOT" "$1/srv/www"
}

# doc_script W: the commands of one block (records on stdin) as a bash
# script for workspace W, placeholders filled in, each command's exit
# status checked.  A pipeline fails when any of its commands fails, as
# under pipefail, but a writer stopped by SIGPIPE (status 141) because a
# reader such as "head -3" had enough is what the reader's shell sees too.
doc_script() {
	echo 'doc_pipe() { doc_st=${@: -1}; for s in "$@"; do case $s in 0|141) ;; *) doc_st=$s ;; esac; done; }'
	echo 'ssh() { command ssh -F "$DOC_SSH_CONFIG" "$@"; }'
	sed -e "s#\\(^[\$>] \\|[ =:'\"(<]\\)/\\(wedge\\|srv\\|tmp\\|mnt\\|shared\\)\\(/\\|\$\\| \\)#\\1$1/\\2\\3#g" \
		-e "s|https://SERVER/|$HTTPD_URL/|g" -e "s|https://DAV/|$WEBDAV_URL/|g" \
		-e "s|\\bSHA256\\b|$SHA256|g" -e "s|\\bINTEGRITY\\b|$INTEGRITY|g" \
		-e "s|\\bID\\b|$ID|g" -e "s|\\bURL\\b|$1/srv/git/deps.git|g" |
	awk '
	function finish() {
		if (cmd == "") return
		n++
		if (cmd == "echo $?") {
			# It alone checks the status of the command before.
			pending = ""
			printf "[ \"$doc_st\" = %s ] || { echo \"doc: exit status $doc_st, not %s\" >&2; exit 1; }\n", \
				shown, shown
		} else {
			if (pending != "") print pending
			printf "%s\ndoc_pipe \"${PIPESTATUS[@]}\"\n", cmd
			pending = "[ $doc_st " (fails ? "-ne" : "-eq") " 0 ] || { echo \"doc: command " n \
				" exited $doc_st\" >&2; exit 1; }"
		}
		cmd = ""; shown = ""; fails = 0
	}
	/^\$ / {
		finish()
		cmd = substr($0, 3)
		next
	}
	/^> / { cmd = cmd "\n" substr($0, 3); next }
	/^= / {
		l = substr($0, 3)
		if (shown == "") shown = l
		if (l ~ /^[a-z]+: error: /) fails = 1
		next
	}
	END {
		finish()
		print pending
		print "exit 0"
	}'
}

# The prerequisites of a block, from what its commands use.
block_prereqs() {
	p=
	grep -q "^[\$>] .*\\bknot " "$1" && p="$p,BOX"
	grep -q "^[\$>] .*\\bmedo mount " "$1" && p="$p,FUSE"
	grep -q "^[\$>] .*\\(\\bHOST\\b\\|\\bssh \\)" "$1" && p="$p,SSHD"
	grep -q "^[\$>] .*\\(https://SERVER\\|curl \\)" "$1" && p="$p,HTTPD"
	grep -q "^[\$>] .*https://DAV/" "$1" && p="$p,WEBDAV"
	grep -q "^[\$>] .*\\bjq " "$1" && p="$p,JQ"
	echo "${p#,}"
}

# no_loss W: every treeptr of every commit of W expands from W's
# deps.silo, and from the web server's copy.
no_loss() {
	for c in $(git -C "$1" rev-list --all); do
		git -C "$1" ls-tree -r $c | sed -n "s/^[0-9]* blob \\([0-9a-f]*\\)\t\\(.*\\.treeptr\\)\$/\\1 \\2/p"
	done | sort -u -k1,1 >treeptrs &&
	while read blob tp; do
		git -C "$1" cat-file blob $blob >check.treeptr &&
		for s in "$1/deps.silo" "$HTTPD_ROOT/deps.silo"; do
			test -d "$s" || continue
			rm -rf check-out &&
			medo expand -q --silo "$s" check.treeptr check-out 2>check.err ||
				{ echo "lost: $tp ($blob) from $s: $(cat check.err)"; return 1; }
		done || return 1
	done <treeptrs
}

# Split the examples into blocks, one test each; pages in order.
sh "$TEST_DIRECTORY/../tools/doc-examples.sh" $DOCS >all-examples
awk '/^@block /{ n++ } { print >("block-" sprintf("%03d", n)) }' all-examples
page=
for b in block-*; do
	set -- $(head -n 1 $b)
	where=${2#"$TEST_DIRECTORY/../"}
	file=${where%:*}
	how=$3
	if [ "$file" != "$page" ]; then
		page=$file
		pagedir=$TRASH_DIRECTORY/w-$(basename "$file")
	fi
	if [ "$how" = skip ]; then
		shift 3
		say "not run: $where: $*"
		continue
	fi
	prereqs=$(block_prereqs $b)
	fresh=
	sed -n 2p $b | grep -q '^\$ silo init ' && fresh=1
	test_expect_success ${prereqs:+$prereqs} "$where: $(sed -n 2p $b | cut -c3-60)" '
		w=$pagedir && { test -z "$fresh" || w=$TRASH_DIRECTORY/fresh-${b#block-}; } &&
		if ! test -d "$w"; then
			mkdir -p "$w" &&
			if test -n "$fresh"; then
				(cd "$W_TEMPLATE" && cp -a hello.txt Python-3.10.4.tar.xz src wedge tmp mnt "$w/") &&
				mkdir "$w/srv"
			else
				cp -a "$W_TEMPLATE/." "$w/"
			fi &&
			serve_workspace "$w" &&
			page_setup "$page" "$w"
		fi &&
		tail -n +2 $b | doc_script "$w" >$b.sh &&
		test_when_finished "grep \" $w/\" /proc/mounts | cut -d\" \" -f2 | xargs -r -n 1 fusermount3 -u" &&
		(cd "$w" && DOC_SSH_CONFIG=$TRASH_DIRECTORY/ssh-config RSYNC_RSH="ssh -F $TRASH_DIRECTORY/ssh-config" \
			GIT_SSH_COMMAND="ssh -F $TRASH_DIRECTORY/ssh-config" bash "$TRASH_DIRECTORY/$b.sh") &&
		if test -d "$w/.git" && grep -q "^[\$>] .*\\(prune\\|rm \\|repack\\|push\\)" $b; then
			no_loss "$w"
		fi
	'
done

test_done
