# Commands on a pseudo-terminal, for tests of progress; sourced after test-lib.sh.

# Run a command with stderr on a pseudo-terminal (python's pty); what the
# terminal got goes to the file named first, carriage returns as newlines.
# ON_TTY_TOUCH, lines "TEXT<tab>FILE": each FILE is created once the
# terminal has shown its TEXT, for a command that waits for it.
on_tty() {
	out=$1
	shift
	python3 - "$out" "$@" <<-'EOT'
	import os, pty, sys
	out, argv = sys.argv[1], sys.argv[2:]
	touch = [l.split("\t", 1) for l in os.environ.get("ON_TTY_TOUCH", "").splitlines() if l]
	pid, fd = pty.fork()
	if pid == 0:
	    # stdout stays a pipe to us: only stderr is the terminal
	    os.execvp("sh", ["sh", "-c", 'exec "$@" >/dev/null', "sh"] + argv)
	data = b""
	while True:
	    try:
	        chunk = os.read(fd, 65536)
	    except OSError:
	        break
	    if not chunk:
	        break
	    data += chunk
	    for text, path in [t for t in touch if t[0].encode() in data]:
	        open(path, "a").close()
	        touch.remove([text, path])
	_, status = os.waitpid(pid, 0)
	open(out, "wb").write(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
	sys.exit(os.waitstatus_to_exitcode(status))
	EOT
}

test_lazy_prereq PTY 'python3 -c "import pty, os; pty.fork" && test -e /dev/ptmx'
