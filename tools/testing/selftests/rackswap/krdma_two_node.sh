#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=2 tier=check debug=yes timeout=400
#
# krdma between two VMs: node2 connects to node1 through sysfs; both ends
# go live and see each other's name and UUID; node2's peer has exactly the
# connect options it gave (the rest at their defaults), node1's peer of
# node2 the heartbeat, RPC timeout, ack timeout and queue depth node2 gave
# (carried in the connection request) and the defaults for the rest;
# node2 runs echo RPCs from 8
# threads with verified payloads; node1 checks it served them; node2
# disconnects and node1 sees the peer go; both unload cleanly.
. ./lib.sh
[ "$NODES" -ge 2 ] || skip_all "needs two nodes"
C=/sys/kernel/rackswap/krdma
CALLS=500
tap_plan

uuid_of() { printf '5241434b-5357-4150-8000-%012d' "$1"; }
other=$((3 - NODE))
check "rxe on the links" rxe_links_up
# node2's connect options, every carried one off its default
OPTS="heartbeat_ms=1000 heartbeat_missed=4 rpc_timeout_ms=8000 ack_timeout=15 queue_depth=64 reconnect_tries=5"
# shellcheck disable=SC2086
check "load $MOD" rs_load $OPTS

identity_ok() {
	p=$(krdma_peer name=node$other state=live) &&
		[ "$(cat $C/peers/$p/uuid)" = "$(uuid_of $other)" ]
}

if [ "$NODE" = 2 ]; then
	# node1 may still be booting: retry the connect until its deadline
	retry 150 sh -c "echo '$(conn_str "$(link_addr 1 2)" 7472)' > $C/connect" 2>/dev/null
	check "connect to node1 through sysfs" identity_ok
	p=$(krdma_peer name=node$other state=live)
	log "options: $(cat $C/peers/$p/options)"
	# shellcheck disable=SC2086
	check "its options: the connect string's, defaults for the rest" \
		[ "$(cat $C/peers/$p/options)" = "$(opts_line $OPTS)" ]
	printf '%s 8 %s 1024' "$p" $CALLS >$DK/rpc_test
	rc=$?
	res=$(cat $DK/rpc_test)
	log "$res"
	rpc_ok() { [ $rc = 0 ] && echo "$res" | grep -q "ok=$((8 * CALLS)) errors=0 mismatches=0"; }
	check "8 x $CALLS echo RPCs of 1 KiB to node1, verified" rpc_ok
	# let node1 count them before we go
	sleep 3
	check "disconnect node1 by name" sh -c "echo node1 > $C/disconnect"
else
	check "node2 connected: live, its name and UUID seen" retry 200 identity_ok
	p=$(krdma_peer name=node$other state=live)
	log "options: $(cat $C/peers/$p/options)"
	# shellcheck disable=SC2086
	check "node2's options here: heartbeat, RPC timeout, ack timeout, queue depth node2's" \
		[ "$(opts_read "$p")" = "$(accepted_opts $OPTS)" ]
	served_ok() { [ "$(cat $C/peers/$p/rpcs_in)" -ge $((8 * CALLS)) ]; }
	check "served node2's $((8 * CALLS)) calls" retry 60 served_ok
	gone() {
		! krdma_peer name=node$other state=live >/dev/null &&
			! krdma_peer name=node$other state=connecting >/dev/null
	}
	check "node2's disconnect seen" retry 60 gone
fi
check "rmmod" rs_unload
tap_done
