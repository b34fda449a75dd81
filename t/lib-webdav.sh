# WebDAV servers on 127.0.0.1 for a test script, stopped when it ends:
# a real lighttpd with mod_webdav (which checks If-None-Match and
# If-Match atomically), nginx's dav module and rclone serve webdav
# (which ignore them).
#
#	. "$TEST_DIRECTORY/lib-webdav.sh"
#	start_webdav NAME [MODE]	# sets WEBDAV_URL, WEBDAV_ROOT, WEBDAV_LOG
#	start_nginx_dav NAME		# the same variables
#	start_rclone_dav NAME		# the same, no log
#
# MODE: rw (the default); auth (every request needs basic auth as
# $WEBDAV_USER:$WEBDAV_PASSWORD: 401 without); token (every request
# needs "Authorization: Bearer $WEBDAV_TOKEN": 403 without); push-only
# (the configuration silo-push(1) shows, read from the page itself:
# reads open to anyone, writes with basic auth as above).  Each server has its own
# directory $TRASH_DIRECTORY/NAME, its files under NAME/root, and an
# access log NAME/access.log (webdav_requests reads it).

command -v free_port >/dev/null 2>&1 || . "$TEST_DIRECTORY/lib-httpd.sh"

LIGHTTPD=${LIGHTTPD:-/usr/sbin/lighttpd}
WEBDAV_USER=pusher
WEBDAV_PASSWORD=dav-s3cret
WEBDAV_TOKEN=tok-4e1b9c

# The lighttpd configuration of silo-push(1)'s EXAMPLES, its paths ours.
webdav_doc_config() {
	sed -n '/^server.modules += ( "mod_access"/,/^```/p' \
		"$TEST_DIRECTORY/../Documentation/silo-push.1.scd" | sed '$d' |
	sed -e "s|\"/srv/www\"|\"$1/root\"|" \
		-e "s|\"/var/lib/lighttpd/webdav.db\"|\"$1/webdav.db\"|" \
		-e "s|\"/etc/lighttpd/silo-pushers\"|\"$1/users\"|"
}

start_webdav() {
	wd_dir=$TRASH_DIRECTORY/$1
	wd_mode=${2:-rw}
	mkdir -p "$wd_dir/root" "$wd_dir/tmp" || return 1
	wd_port=$(free_port) || return 1
	{
		cat <<-EOT
		server.bind = "127.0.0.1"
		server.port = $wd_port
		server.pid-file = "$wd_dir/lighttpd.pid"
		server.errorlog = "$wd_dir/error.log"
		server.upload-dirs = ( "$wd_dir/tmp" )
		server.max-worker = 0
		mimetype.assign = ( "" => "application/octet-stream" )
		server.modules = ( "mod_accesslog" )
		accesslog.filename = "|exec cat >>'$wd_dir/access.log'"
		accesslog.format = "%m %U %s %I %O"
		EOT
		case $wd_mode in
		push-only)
			webdav_doc_config "$wd_dir"
			;;
		*)
			cat <<-EOT
			server.modules += ( "mod_access", "mod_auth", "mod_authn_file", "mod_webdav" )
			server.document-root = "$wd_dir/root"
			static-file.etags = "enable"
			webdav.activate = "enable"
			webdav.sqlite-db-name = "$wd_dir/webdav.db"
			EOT
			;;
		esac
		if [ "$wd_mode" = auth ]; then
			cat <<-EOT
			auth.backend = "plain"
			auth.backend.plain.userfile = "$wd_dir/users"
			auth.require = ( "" => ( "method" => "basic", "realm" => "silo", "require" => "valid-user" ) )
			EOT
		fi
		if [ "$wd_mode" = token ]; then
			cat <<-EOT
			\$REQUEST_HEADER["Authorization"] != "Bearer $WEBDAV_TOKEN" {
				url.access-deny = ( "" )
			}
			EOT
		fi
	} >"$wd_dir/lighttpd.conf" &&
	echo "$WEBDAV_USER:$WEBDAV_PASSWORD" >"$wd_dir/users" &&
	"$LIGHTTPD" -tt -f "$wd_dir/lighttpd.conf" >"$wd_dir/start.err" 2>&1 &&
	"$LIGHTTPD" -f "$wd_dir/lighttpd.conf" >>"$wd_dir/start.err" 2>&1 || {
		cat "$wd_dir/start.err" >&2
		return 1
	}
	test_atexit "kill \$(cat '$wd_dir/lighttpd.pid')"
	webdav_started "$wd_dir" $wd_port
}

# The variables of a server started in DIR, listening on PORT, once it
# answers.
webdav_started() {
	WEBDAV_URL=http://127.0.0.1:$2
	WEBDAV_ROOT=$1/root
	WEBDAV_LOG=$1/access.log
	test_wait_for 'curl -s -o /dev/null "$WEBDAV_URL/"' 10
}

# nginx with its dav module: PUT, DELETE, MKCOL, COPY, MOVE, and no
# conditions checked on them.
start_nginx_dav() {
	nginx_start "$TRASH_DIRECTORY/$1" "$TRASH_DIRECTORY/$1/root" \
		"dav_methods PUT DELETE MKCOL COPY MOVE; create_full_put_path on;" &&
	webdav_started "$TRASH_DIRECTORY/$1" $nginx_port
}

# rclone serve webdav, which ignores If-None-Match and If-Match too but
# answers PROPFIND.
start_rclone_dav() {
	wd_dir=$TRASH_DIRECTORY/$1
	mkdir -p "$wd_dir/root" || return 1
	wd_port=$(free_port) || return 1
	RCLONE_CONFIG=/dev/null rclone serve webdav --addr "127.0.0.1:$wd_port" \
		"$wd_dir/root" >"$wd_dir/rclone.log" 2>&1 &
	wd_pid=$!
	test_atexit "kill $wd_pid"
	webdav_started "$wd_dir" $wd_port
}

# Wait until lighttpd at URL has logged every request it answered
# before now into LOG: it logs in order, through a pipe, after it
# answers, so a request of its own seen there means the others are.
webdav_sync() {
	# a count in a file: a mark is often taken in a subshell
	wd_seq=$(($(cat "$TRASH_DIRECTORY/webdav-seq" 2>/dev/null || echo 0) + 1)) &&
	echo $wd_seq >"$TRASH_DIRECTORY/webdav-seq" &&
	curl -s -o /dev/null "$2/.sync-$wd_seq" &&
	test_wait_for "grep -q '^GET /.sync-$wd_seq ' '$1'" 10
}

# A mark for webdav_requests: the lines lighttpd at URL logged in LOG.
webdav_mark() {
	webdav_sync "$1" "$2" && wc -l <"$1"
}

# The requests lighttpd at URL logged in LOG since MARK (0: all), as
# "METHOD PATH STATUS", the base path PREFIX taken off.
webdav_requests() {
	webdav_sync "$1" "$2" &&
	tail -n +$(($3 + 1)) "$1" | grep -v "^GET /\.sync-" | cut -d" " -f1-3 | sed "s| $4/| /|"
}
