#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=smoke timeout=600
#
# krdma in the loopback test mode (one kernel, rxe on dummy0): identity in
# sysfs, connect + handshake (both ends live, names and UUIDs seen), echo
# RPCs from 8 threads with every payload verified, counters matching the
# calls, heartbeats, the connect options (the outgoing peer's options file
# shows them, the incoming peer the carried ones), every bad input of the
# connect/disconnect files (errno, a log line, nothing half-applied: bad,
# unknown and repeated connect options too), a protocol version mismatch, disconnect
# with RPCs in flight, and a clean unload.
. ./lib.sh
K=/sys/kernel/rackswap
C=$K/krdma
PORT=7472
THREADS=8
CALLS=${CALLS:-1000}
tap_plan

# write_err FILE STRING: writes STRING, prints the error text ("" if none)
write_err() {
	# one write(2) by dd, which reports its errno
	printf '%s' "$2" | dd of="$1" bs=4096 2>/tmp/err && { echo ""; return; }
	grep 'error writing' /tmp/err | sed 's/.*: //'
}
peer_ids() { ls $C/peers 2>/dev/null | sort -n; }
# test_ok ERR TEXT PATTERN: no write error and TEXT matches PATTERN
test_ok() { [ -z "$1" ] && echo "$2" | grep -q "$3"; }
# in_range A LOW HIGH B: LOW <= A < HIGH and LOW <= B < HIGH
in_range() { [ "$1" -ge "$2" ] && [ "$1" -lt "$3" ] && [ "$4" -ge "$2" ] && [ "$4" -lt "$3" ]; }
ms_since() { echo "$1 $(uptime_s)" | awk '{ printf "%d", ($2 - $1) * 1000 }'; }

check "rxe0 on dummy0" rxe_loopback_up
check "load with loopback=1, no reconnection" rs_load loopback=1 connect_timeout_ms=3000 heartbeat_ms=500 reconnect_tries=0
check "nodename is the hostname" [ "$(cat $K/nodename)" = "$(hostname)" ]
check "uuid is the DMI product UUID" [ "$(cat $K/uuid)" = "$(cat /sys/class/dmi/id/product_uuid)" ]
inc=$(cat $K/incarnation)
check "incarnation set ($inc)" [ "$inc" -gt 0 ]

# connect through sysfs: an outgoing and an incoming peer, both live
t0=$(uptime_s)
err=$(write_err $C/connect "$(conn_str $LOOP_ADDR $PORT)")
check "connect $LOOP_ADDR $PORT (${err:-ok}, $(ms_since "$t0") ms)" [ -z "$err" ]
out=$(krdma_peer direction=out)
in=$(krdma_peer direction=in)
sleep 1
both_live() {
	[ -n "$out" ] && [ -n "$in" ] && [ "$(cat $C/peers/$out/state)" = live ] &&
		[ "$(cat $C/peers/$in/state)" = live ]
}
check "outgoing peer $out and incoming peer $in are live" both_live
handshake_seen() {
	[ "$(cat $C/peers/$out/name)" = "$(hostname)" ] && [ "$(cat $C/peers/$in/name)" = "$(hostname)" ] &&
		[ "$(cat $C/peers/$out/uuid)" = "$(cat $K/uuid)" ] && [ "$(cat $C/peers/$in/incarnation)" = "$inc" ]
}
check "handshake: both see name $(hostname) and our uuid" handshake_seen
check "address of the outgoing peer" [ "$(cat $C/peers/$out/address)" = "$LOOP_ADDR $PORT" ]
log "options: out $(cat $C/peers/$out/options); in $(cat $C/peers/$in/options)"
# shellcheck disable=SC2086
check "options of the outgoing peer: the connect string's ($RS_OPTS), defaults for the rest" \
	[ "$(cat $C/peers/$out/options)" = "$(opts_line $RS_OPTS)" ]
# shellcheck disable=SC2086
check "options of the incoming peer: heartbeat_ms=500 carried, defaults for the rest" \
	[ "$(opts_read "$in")" = "$(accepted_opts $RS_OPTS)" ]
cat $DBG/krdma/peers | sed 's/^/# /'

# echo RPCs: 8 threads, random payloads verified by the module
b_out=$(cat $C/peers/$out/rpcs_out)
b_in=$(cat $C/peers/$in/rpcs_in)
for size in 512 0 2032; do
	err=$(write_err $DK/rpc_test "$out $THREADS $CALLS $size")
	res=$(cat $DK/rpc_test)
	log "$res"
	rdma statistic show link rxe0/1 | tr -s ' ' | sed 's/^/# /'
	check "rpc_test $THREADS x $CALLS calls of $size bytes: all verified" \
		test_ok "$err" "$res" "ok=$((THREADS * CALLS)) errors=0 mismatches=0"
done
n=$((3 * THREADS * CALLS))
a_out=$(cat $C/peers/$out/rpcs_out)
a_in=$(cat $C/peers/$in/rpcs_in)
log "rpcs_out +$((a_out - b_out)), rpcs_in +$((a_in - b_in)) for $n calls (heartbeats add 2 a second)"
check "counters: rpcs_out and rpcs_in grew by the calls made" \
	in_range $((a_out - b_out)) $n $((n + 1000)) $((a_in - b_in))
check "rpc_test with a payload over the maximum is refused" [ -n "$(write_err $DK/rpc_test "$out 1 1 2033")" ]
rtt_measured() { [ "$(cat $C/peers/$out/rtt_us)" -gt 0 ]; }
check "heartbeats measure an rtt" retry 30 rtt_measured

# bad input: errno, a log line each, and no new peer
bad() { # expected-error-text description string [file]
	local f=${4:-$C/connect} before after e
	before=$(peer_ids | wc -l)
	kmsg_mark
	e=$(write_err "$f" "$3")
	after=$(peer_ids | wc -l)
	if echo "$e" | grep -qi "$1" && [ "$before" = "$after" ] && since_mark | grep -q krdma; then
		return 0
	fi
	log "$2: got '$e' (want '$1'), peers $before -> $after, log: $(since_mark | tail -n 1)"
	return 1
}
long=$(printf '%0200d' 0)
fails=0
nl='
'
for t in "$nl|empty line" "garbage|garbage" "$LOOP_ADDR|no port" "$LOOP_ADDR 0|port 0" \
	"$LOOP_ADDR 65536|port 65536" "$LOOP_ADDR -1|port -1" "$LOOP_ADDR 7x|port 7x" \
	"300.1.2.3 $PORT|bad IPv4" "::g $PORT|bad IPv6" "0.0.0.0 $PORT|any address" \
	"224.0.0.1 $PORT|multicast" "$long|overlong" "1.2.3.4 5 6|extra field"; do
	s=${t%|*}
	bad "invalid argument" "${t#*|}" "$s" || fails=$((fails + 1))
done
check "13 malformed connect strings: EINVAL + log line, no peer" [ $fails = 0 ]
# bad connect options (to an address with no host behind it: one taken
# would wait out the deadline): EINVAL, a log line naming the option, no
# peer
bad_opt() { # option-named-in-the-log options
	bad "invalid argument" "$2" "10.99.0.77 $PORT $2" && since_mark | grep -q "$1"
}
fails=0
for t in "nosuch|nosuch=1" "heartbeat_ms|heartbeat_ms=500 heartbeat_ms=500" \
	"queue_depth|queue_depth=64 ack_timeout=10 queue_depth=32" "heartbeat_ms|heartbeat_ms" \
	"heartbeat_ms|heartbeat_ms=" "heartbeat_ms|heartbeat_ms=99" "heartbeat_ms|heartbeat_ms=10001" \
	"heartbeat_missed|heartbeat_missed=0" "connect_timeout_ms|connect_timeout_ms=30001" \
	"rpc_timeout_ms|rpc_timeout_ms=2000" "rpc_timeout_ms|heartbeat_ms=500 rpc_timeout_ms=500" \
	"reconnect_delay_ms|reconnect_delay_ms=9" "reconnect_tries|reconnect_tries=1001" \
	"data_qps|data_qps=17" "queue_depth|queue_depth=15" "ack_timeout|ack_timeout=21" \
	"ack_timeout|ack_timeout=1x" "reconnect_tries|reconnect_tries=-1"; do
	bad_opt "${t%%|*}" "${t#*|}" || fails=$((fails + 1))
done
check "18 bad, unknown or repeated connect options: EINVAL + log line naming it, no peer" [ $fails = 0 ]
check "a bad option through debugfs connect: EINVAL" \
	bad "invalid argument" debugfs "10.99.0.77 $PORT nosuch=1" $DBG/krdma/connect
check "the same string through debugfs connect: EINVAL" bad "invalid argument" debugfs "garbage" $DBG/krdma/connect
check "connect twice to the same peer: EEXIST" bad "exists" twice "$(conn_str $LOOP_ADDR $PORT)"
check "disconnect an unknown address: ENOENT" bad "no such file" unknown "10.99.0.9 $PORT" $C/disconnect
check "disconnect an unknown name: ENOENT" bad "no such file" unknown nosuchnode $C/disconnect
t0=$(uptime_s)
e=$(write_err $C/connect "$(conn_str 10.99.0.77 $PORT)")
ms=$(ms_since "$t0")
log "connect to an address with no host: '$e' after $ms ms (deadline 3000 ms)"
# the write ends at the deadline: bounded at ten times it (the emulator's
# scheduling, not the deadline, is what varies)
no_host_ok() { echo "$e" | grep -qi "timed out" && [ "$ms" -lt 30000 ] && [ "$(peer_ids | wc -l)" = 2 ]; }
check "no host behind the address: '$e' within the connect deadline" no_host_ok

# disconnect with RPCs in flight: the calls fail fast, nothing hangs
(write_err $DK/rpc_test "$out $THREADS 100000 512" >/tmp/inflight.err; cat $DK/rpc_test >/tmp/inflight.res) &
bg=$!
sleep 2
t0=$(uptime_s)
e=$(write_err $C/disconnect "$(hostname)")
wait $bg
ms=$(ms_since "$t0")
log "disconnect under load: '$e'; rpc_test: $(cat /tmp/inflight.err) $(cat /tmp/inflight.res) ($ms ms)"
check "disconnect by name with RPCs in flight" test_ok "$e" "$(peer_ids)" "^$"
check "in-flight calls failed with ENOTCONN (-107)" grep -q 'first_error=-107' /tmp/inflight.res

# protocol version mismatch: advertise major 9, the listener refuses
echo 9 >$DK/test_proto_major
kmsg_mark
e=$(write_err $DBG/krdma/connect "$(conn_str $LOOP_ADDR $PORT)")
echo 0 >$DK/test_proto_major
log "version 9 to a listener that speaks 2: '$e'; $(since_mark | grep -m1 'speaks protocol')"
version_refused() {
	echo "$e" | grep -qi "protocol not supported" &&
		since_mark | grep -q 'protocol version 9.2 refused: this node speaks 2.2' &&
		since_mark | grep -q 'it speaks protocol 2.2, this node 9.2' && [ -z "$(peer_ids)" ]
}
check "version mismatch refused, both versions logged" version_refused


# malformed messages (a test knob sends them): the receiver refuses each
# with a log line and closes the connection; nothing else breaks
connect_loop() { write_err $C/connect "$(conn_str $LOOP_ADDR $PORT)" >/dev/null; krdma_peer direction=out; }
no_peer() { [ -z "$(peer_ids)" ]; }
fails=0
for t in "len|malformed message" "short|malformed message" "op|out of range" \
	"slot|out of range" "response|unexpected response" "hello|second hello"; do
	kind=${t%%|*}
	kmsg_mark
	p=$(connect_loop)
	e=$(write_err $DK/test_send_bad "$p $kind")
	if [ -n "$p" ] && [ -z "$e" ] && retry 10 no_peer && since_mark | grep -q "${t#*|}"; then
		log "$kind: $(since_mark | grep -m1 "${t#*|}")"
	else
		log "$kind: peer '$p', error '$e', peers left: $(peer_ids | tr '\n' ' '), log: $(since_mark | grep krdma | tail -n 2)"
		fails=$((fails + 1))
	fi
done
check "6 malformed messages refused, logged, connection closed" [ $fails = 0 ]
p=$(connect_loop)
e=$(write_err $DK/test_call_op "$p 63")
log "call to op 63 (no handler): '$e'"
unknown_op() { echo "$e" | grep -qi "not supported" && [ "$(cat $C/peers/$p/state)" = live ]; }
check "an op with no handler: EOPNOTSUPP, connection stays" unknown_op
check "disconnect" sh -c "echo '$LOOP_ADDR $PORT' > $C/disconnect"

# unload; self-connect is refused without loopback; clean unload again
check "rmmod with no peer" rs_unload
check "reload without loopback" rs_load
check "incarnation changes at every load" [ "$(cat $K/incarnation)" != "$inc" ]
check "connect to own address without loopback: EINVAL" bad "invalid argument" self "$(conn_str $LOOP_ADDR $PORT)"
check "rmmod" rs_unload
tap_done
