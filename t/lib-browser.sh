# A headless Chromium for a test script, driven through its DevTools
# protocol by t/browser.py: its own profile in the trash directory, no
# network but what the pages ask for, stopped (with the processes it
# started) when the script ends.
#
#	. "$TEST_DIRECTORY/lib-browser.sh"
#	start_browser		at the top level, where test_atexit works
#	test_expect_success CHROMIUM '...' 'browser_ready && page URL 1400 out.html'

test_lazy_prereq CHROMIUM 'command -v chromium || { echo "chromium is not installed"; false; }'

BROWSER_DIR=$TRASH_DIRECTORY/chromium

start_browser() {
	command -v chromium >/dev/null || return 0
	mkdir -p "$BROWSER_DIR" || return 1
	# Its sockets go to TMPDIR, whose path must stay under 108 bytes:
	# a short directory of its own, not the trash directory, which may
	# be deep (Chromium stops: "Socket path too long").
	BROWSER_TMP=$(mktemp -d /tmp/silo-browser.XXXXXX) || return 1
	test_atexit "rm -rf \"$BROWSER_TMP\""
	# A session of its own, so that its helpers stop with it.
	TMPDIR=$BROWSER_TMP setsid chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-dev-shm-usage --user-data-dir="$BROWSER_DIR" --remote-debugging-port=0 \
		about:blank >"$BROWSER_DIR.log" 2>&1 &
	BROWSER_PID=$!
	# Its processes gone (zombies aside) before the trash is removed.
	test_atexit "kill -- -$BROWSER_PID; test_wait_for '! ps -o stat= -s $BROWSER_PID | grep -qv ^Z' 30"
}

# Wait until the browser listens (it writes its port into its profile).
browser_ready() {
	test_wait_for "test -s \"$BROWSER_DIR/DevToolsActivePort\"" 60 || {
		cat "$BROWSER_DIR.log" >&2
		return 1
	}
}

# page URL WIDTH OUT [--no-js] [--screenshot=PNG]: load URL at that width,
# its DOM into OUT, the requests it made and its problems into OUT.log
# (t/browser.py).
page() {
	p_url=$1 p_width=$2 p_out=$3 &&
	shift 3 &&
	python3 "$TEST_DIRECTORY/browser.py" "$BROWSER_DIR/DevToolsActivePort" "$p_url" "$p_out" \
		--width="$p_width" "$@" >"$p_out.log"
}
