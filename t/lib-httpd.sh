# Start a real nginx on 127.0.0.1 for a test script, serving $HTTPD_ROOT
# (a directory in the trash directory) at $HTTPD_URL, stopped when the
# script ends.  Also: $HTTPD_URL/err500/... answers 500.
#
#	. "$(dirname "$0")/lib-httpd.sh"
#	start_httpd || { skip_all...; }
#
# $HTTPD_URL/private/... needs basic authentication as ci:s3cret.

NGINX=${NGINX:-/usr/sbin/nginx}
HTTPD_DIR=$TRASH_DIRECTORY/httpd
HTTPD_ROOT=$HTTPD_DIR/www

# A TCP port nobody listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# nginx_start DIR ROOT LINES: an nginx serving ROOT on a free port of
# 127.0.0.1, with LINES in its server block and its own files in DIR,
# stopped when the script ends; sets nginx_port.
nginx_start() {
	mkdir -p "$2" "$1/tmp" || return 1
	nginx_port=$(free_port) || return 1
	user_line=
	[ "$(id -u)" -eq 0 ] && user_line="user root root;"
	cat >"$1/nginx.conf" <<-EOT
	$user_line
	worker_processes 1;
	daemon on;
	pid $1/nginx.pid;
	error_log $1/error.log;
	events { worker_connections 128; }
	http {
		access_log $1/access.log;
		client_body_temp_path $1/tmp/body;
		proxy_temp_path $1/tmp/proxy;
		fastcgi_temp_path $1/tmp/fastcgi;
		uwsgi_temp_path $1/tmp/uwsgi;
		scgi_temp_path $1/tmp/scgi;
		default_type application/octet-stream;
		# What a browser needs to show a site (medo web).
		types {
			text/html html;
			text/css css;
			text/javascript js;
			application/json json;
		}
		server {
			listen 127.0.0.1:$nginx_port;
			root $2;
			$3
		}
	}
	EOT
	"$NGINX" -p "$1" -c "$1/nginx.conf" -e "$1/error.log" 2>"$1/start.err" || {
		cat "$1/start.err" >&2
		return 1
	}
	test_atexit "kill \$(cat '$1/nginx.pid')"
	test_wait_for "curl -s -o /dev/null http://127.0.0.1:$nginx_port/" 10
}

start_httpd() {
	mkdir -p "$HTTPD_DIR" || return 1
	# /private/ needs user "ci", password "s3cret".
	echo "ci:$(openssl passwd -apr1 s3cret)" >"$HTTPD_DIR/htpasswd" || return 1
	nginx_start "$HTTPD_DIR" "$HTTPD_ROOT" "location /err500/ { return 500; }
		location /private/ {
			auth_basic \"silo\";
			auth_basic_user_file $HTTPD_DIR/htpasswd;
		}" || return 1
	HTTPD_PORT=$nginx_port
	HTTPD_URL=http://127.0.0.1:$HTTPD_PORT
	export HTTPD_URL HTTPD_PORT
}

# The number of requests nginx logged so far: a mark for requests_since.
mark() {
	wc -l <"$HTTPD_DIR/access.log"
}

# The requests nginx logged since mark $1, as "METHOD PATH".
requests_since() {
	tail -n +$(($1 + 1)) "$HTTPD_DIR/access.log" | sed -n 's/^[^"]*"\([A-Z]*\) \([^ ]*\) .*/\1 \2/p'
}

# A server for faults nginx cannot produce (t/fault-server.py): MODE is
# truncate, stall, or flip.  Sets FAULT_URL.
start_fault_server() {
	FAULT_PORT=$(free_port) || return 1
	python3 "$TEST_DIRECTORY/fault-server.py" "$FAULT_PORT" "$1" "$2" \
		>"$TRASH_DIRECTORY/fault-$1.log" 2>&1 &
	fault_pid=$!
	test_atexit "kill $fault_pid"
	FAULT_URL=http://127.0.0.1:$FAULT_PORT
	test_wait_for 'curl -s -o /dev/null --max-time 1 "$FAULT_URL/config.json"' 10
}
