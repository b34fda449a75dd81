# Sourced by tools/bench.sh and tools/bench-lazy.sh: a throwaway nginx.
#
#	bench_nginx DIR ACCESS_LOG
#
# serves DIR/www on a free port of 127.0.0.1, with its files in DIR
# (DIR/nginx.pid); ACCESS_LOG is a path or "off".  Sets $url; returns
# non-zero if nginx does not start.
bench_nginx() {
	bn_dir=$1 bn_log=$2
	mkdir -p "$bn_dir/www" "$bn_dir/tmp"
	bn_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	bn_user=
	[ "$(id -u)" -eq 0 ] && bn_user="user root root;"
	cat >"$bn_dir/nginx.conf" <<-EOT
	$bn_user
	worker_processes 2;
	pid $bn_dir/nginx.pid;
	error_log $bn_dir/error.log;
	events { worker_connections 256; }
	http {
		access_log $bn_log;
		client_body_temp_path $bn_dir/tmp/body;
		proxy_temp_path $bn_dir/tmp/proxy;
		fastcgi_temp_path $bn_dir/tmp/fastcgi;
		uwsgi_temp_path $bn_dir/tmp/uwsgi;
		scgi_temp_path $bn_dir/tmp/scgi;
		default_type application/octet-stream;
		sendfile on;
		server { listen 127.0.0.1:$bn_port; root $bn_dir/www; }
	}
	EOT
	/usr/sbin/nginx -p "$bn_dir" -c "$bn_dir/nginx.conf" -e "$bn_dir/error.log" || return 1
	url=http://127.0.0.1:$bn_port
}
