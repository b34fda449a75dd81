# A throwaway S3 server for a test script: Ceph's radosgw over a one-node
# cluster (one monitor, one OSD keeping its data in memory, no manager),
# all of it in $TRASH_DIRECTORY/rgw and on 127.0.0.1, stopped when the
# script ends.  Works as root and as any other user.
#
#	. "$TEST_DIRECTORY/lib-radosgw.sh"
#	start_radosgw || test_skip_all RADOSGW "$RADOSGW_WHY"
#
# Then $S3_ENDPOINT (http://127.0.0.1:PORT), $S3_ACCESS_KEY and
# $S3_SECRET_KEY (a user's keys) and the bucket $S3_BUCKET are there;
# s3_curl ARGS... runs curl signed with those keys (path style),
# s3_upload DIR PREFIX puts every file under DIR at s3://$S3_BUCKET/PREFIX/.
# Starting takes 2 to 4 s: settings below make the monitor commit its
# maps at once instead of every second.

RGW_DIR=$TRASH_DIRECTORY/rgw
S3_ACCESS_KEY=silotestaccess
S3_SECRET_KEY=silotestsecret0123456789
S3_BUCKET=bkt

# Is the daemon of pid $1 still running (not a zombie waiting for pid 1)?
rgw_alive_() {
	st_=$(sed 's/.*) //' /proc/"$1"/stat 2>/dev/null | cut -d' ' -f1) &&
	test -n "$st_" && test "$st_" != Z && test "$st_" != X
}

# Stop the daemon named $1 (client.rgw, osd.0, mon.a) and wait for it.
rgw_stop_one_() {
	f_=$RGW_DIR/run/$1.pid
	test -s "$f_" || return 0
	p_=$(cat "$f_")
	# only ours: the pid may have been reused after a crash
	grep -qa -- "$RGW_DIR/ceph.conf" /proc/"$p_"/cmdline 2>/dev/null || return 0
	kill -TERM "$p_" 2>/dev/null
	i_=0
	while rgw_alive_ "$p_" && test $i_ -lt 100; do
		sleep 0.05
		i_=$((i_ + 1))
	done
	rgw_alive_ "$p_" && kill -KILL "$p_" 2>/dev/null
	return 0
}

# One at a time, clients first: radosgw talks to the OSD while it stops,
# and the OSD tells the monitor it is going.
stop_radosgw() {
	rgw_stop_one_ client.rgw
	rgw_stop_one_ osd.0
	rgw_stop_one_ mon.a
}

rgw_free_port_() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Start it all; on failure, $RADOSGW_WHY says why and nothing is left
# running.
start_radosgw() {
	for p_ in monmaptool ceph-mon ceph-osd ceph radosgw radosgw-admin uuidgen curl python3; do
		command -v $p_ >/dev/null 2>&1 || {
			RADOSGW_WHY="$p_ is not installed (tools/install-deps.sh)"
			return 1
		}
	done
	test_atexit stop_radosgw
	if ! start_radosgw_; then
		RADOSGW_WHY="radosgw does not start: $RADOSGW_WHY (logs: $RGW_DIR/out)"
		stop_radosgw
		return 1
	fi
	export S3_ENDPOINT S3_ACCESS_KEY S3_SECRET_KEY S3_BUCKET
}

start_radosgw_() {
	mkdir -p "$RGW_DIR/mon" "$RGW_DIR/osd" "$RGW_DIR/out" "$RGW_DIR/run" \
		"$RGW_DIR/rgw" "$RGW_DIR/crash" &&
	conf=$RGW_DIR/ceph.conf &&
	monport=$(rgw_free_port_) && rgwport=$(rgw_free_port_) &&
	while test "$rgwport" = "$monport"; do rgwport=$(rgw_free_port_) || return 1; done &&
	fsid=$(uuidgen) || { RADOSGW_WHY="no free port"; return 1; }
	cat >"$conf" <<-EOF
	[global]
	fsid = $fsid
	mon host = v2:127.0.0.1:$monport
	mon initial members = a
	public addr = 127.0.0.1
	ms bind msgr1 = false
	ms bind msgr2 = true
	auth cluster required = none
	auth service required = none
	auth client required = none
	ms mon client mode = crc
	osd pool default size = 1
	osd pool default min size = 1
	osd pool default pg num = 8
	osd pool default pgp num = 8
	osd pool default pg autoscale mode = off
	osd crush chooseleaf type = 0
	mon allow pool size one = true
	mon max pg per osd = 1000
	mon warn on pool no redundancy = false
	mon data avail warn = 1
	mon data avail crit = 0
	paxos propose interval = 0.05
	paxos min wait = 0.01
	client mount timeout = 30
	run dir = $RGW_DIR/run
	crash dir = $RGW_DIR/crash
	log file = $RGW_DIR/out/\$name.log
	mon cluster log file = $RGW_DIR/out/cluster.log
	log to stderr = false
	err to stderr = true
	keyring = $RGW_DIR/keyring

	[mon]
	mon data = $RGW_DIR/mon
	admin socket = $RGW_DIR/run/\$name.asok
	pid file = $RGW_DIR/run/\$name.pid

	[osd]
	osd data = $RGW_DIR/osd
	osd objectstore = memstore
	memstore device bytes = 1073741824
	admin socket = $RGW_DIR/run/\$name.asok
	pid file = $RGW_DIR/run/\$name.pid
	osd heartbeat grace = 60
	osd mon shutdown timeout = 1

	[client.rgw]
	rgw frontends = beast endpoint=127.0.0.1:$rgwport
	rgw data = $RGW_DIR/rgw
	rgw thread pool size = 64
	rgw init timeout = 60
	admin socket = $RGW_DIR/run/\$name.asok
	pid file = $RGW_DIR/run/\$name.pid
	auth client required = none
	ms mon client mode = crc
	EOF
	RADOSGW_WHY="the monitor does not start"
	monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$monport]" \
		"$RGW_DIR/monmap" >/dev/null 2>&1 &&
	ceph-mon -c "$conf" -i a --mkfs --monmap "$RGW_DIR/monmap" >"$RGW_DIR/out/mkfs.log" 2>&1 &&
	ceph-mon -c "$conf" -i a 2>>"$RGW_DIR/out/mon.stderr" || return 1
	RADOSGW_WHY="the OSD does not start"
	osd_uuid=$(uuidgen) &&
	ceph -c "$conf" osd new "$osd_uuid" >/dev/null 2>>"$RGW_DIR/out/ceph.stderr" &&
	ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$RGW_DIR/out/mkfs.log" 2>&1 &&
	ceph-osd -c "$conf" -i 0 2>>"$RGW_DIR/out/osd.stderr" &&
	test_wait_for 'ceph -c "$conf" osd dump 2>/dev/null | grep -q "^osd\.0 up"' 30 || return 1
	RADOSGW_WHY="radosgw does not answer"
	radosgw -c "$conf" -n client.rgw 2>>"$RGW_DIR/out/rgw.stderr" &&
	S3_ENDPOINT=http://127.0.0.1:$rgwport &&
	test_wait_for 'curl -s -o /dev/null "$S3_ENDPOINT/"' 60 || return 1
	RADOSGW_WHY="cannot make a user and a bucket"
	radosgw-admin -c "$conf" -n client.admin user create --uid=silo --display-name=silo \
		--access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" \
		>"$RGW_DIR/user.json" 2>>"$RGW_DIR/out/admin.stderr" &&
	test "$(s3_curl -o "$RGW_DIR/out/mkbucket.xml" -w "%{http_code}" -X PUT \
		"$S3_ENDPOINT/$S3_BUCKET")" = 200
}

# curl, signed with the test user's keys.
s3_curl() {
	curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}

# Put every file under directory $1 at s3://$S3_BUCKET/$2/, as they are.
s3_upload() {
	(cd "$1" && find . -type f | sed "s|^\./||" | sort) >"$TRASH_DIRECTORY/.s3-upload" &&
	while read -r f_; do
		test "$(s3_curl -o /dev/null -w "%{http_code}" -T "$1/$f_" \
			"$S3_ENDPOINT/$S3_BUCKET/$2/$f_")" = 200 || return 1
	done <"$TRASH_DIRECTORY/.s3-upload"
}

# The environment that reads and writes the bucket with the test user's keys.
s3_env() {
	AWS_ENDPOINT_URL=$S3_ENDPOINT AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY \
		AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY "$@"
}
