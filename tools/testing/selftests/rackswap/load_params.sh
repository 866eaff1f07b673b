#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=3 tier=full debug=no timeout=600
#
# The connection parameters of a client that only connects out: node1
# loads with listen=0 and peers= naming both donors (node2, node3, each
# donating 64M), each entry with its connect options. A peers= entry that
# is not an address and a port, or has a bad or unknown option, fails the
# load with EINVAL and a log line. Loaded with good entries, node1 is
# connected to both donors, in the background, with nothing written to a
# connect file; each peer's options are the entry's (node3's entry gives
# other values than node2's), and each donor's incoming peer shows the
# heartbeat, RPC timeout, ack timeout and queue depth node1 gave (carried
# in the connection request), the defaults for the rest; RDMA is ready to
# both; a space of 32M in two copies (one
# on each donor, so both connections carry data) is written and read back
# word for word. With listen=0 nothing listens on node1: a donor's
# connect to it is refused and node1 has no incoming peer. At the end
# nothing is granted on either donor.
. ./lib.sh
[ "$NODES" -ge 3 ] || skip_all "needs three nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
PORT=7492
# node2's peers= entry takes these connect options, node3's OPTS3: the
# same and more, all but connect_timeout_ms off their defaults
OPTS2="heartbeat_ms=500 reconnect_delay_ms=500 connect_timeout_ms=3000"
LOAD="port=$PORT slab_size=4M $OPTS2"
OPTS3="heartbeat_ms=600 heartbeat_missed=4 rpc_timeout_ms=9000 ack_timeout=15 queue_depth=64 reconnect_delay_ms=500 connect_timeout_ms=3000"
tap_plan

check "rxe on the links" rxe_links_up

if [ "$NODE" = 1 ]; then
	A2=$(link_addr 2 1) A3=$(link_addr 3 1)
	kmsg_mark
	# shellcheck disable=SC2086
	bad_peers() { fails rs_load $LOAD listen=0 "peers=$A2 $PORT,garbage" && ! rs_loaded; }
	check "peers= with a bad entry: the load fails (EINVAL)" bad_peers
	check "... and says why" logged "peers: '$A2 $PORT,garbage' is not"
	log "$(since_mark | grep -m1 peers)"
	# bad_opt OPTION NAME: an entry with OPTION fails the load, logged naming NAME
	bad_opt() {
		kmsg_mark
		fails rs_load $LOAD listen=0 "peers=$A2 $PORT,$A3 $PORT $1" && ! rs_loaded &&
			logged "$2"
	}
	check "peers= entry with heartbeat_ms=99: the load fails, logged" bad_opt heartbeat_ms=99 heartbeat_ms
	check "peers= entry with an unknown option: the load fails, logged" bad_opt nosuch=1 nosuch
	check "peers= entry with a repeated option: the load fails, logged" \
		bad_opt "queue_depth=64 queue_depth=64" queue_depth
	hear2() { hear "$1" && hear "$1"; }
	check "both donors loaded" hear2 up
	check "load with listen=0 peers=\"$A2 $PORT $OPTS2,$A3 $PORT $OPTS3\"" \
		rs_load $LOAD listen=0 "peers=$A2 $PORT $OPTS2,$A3 $PORT $OPTS3"
	p2="" p3=""
	found() {
		p2=$(krdma_peer "address=$A2 $PORT" direction=out) &&
			p3=$(krdma_peer "address=$A3 $PORT" direction=out)
	}
	check "peers= connected to both donors at load" retry 60 found
	# shellcheck disable=SC2086
	check "node2's peer has its entry's options" \
		[ "$(cat $C/peers/$p2/options)" = "$(opts_line $OPTS2)" ]
	# shellcheck disable=SC2086
	check "node3's peer has its entry's options" \
		[ "$(cat $C/peers/$p3/options)" = "$(opts_line $OPTS3)" ]
	log "node2: $(cat $C/peers/$p2/options); node3: $(cat $C/peers/$p3/options)"
	check "RDMA ready to both" retry 60 donors_ready 2 3
	check "a space of 32M in two copies" ctl "create 32M rdma 2"
	check "16M written" ok_res "$(cmd "write 0 $((16 * M)) 9 786432 30000")"
	check "read back: every word verified" ok_res "$(cmd "read 0 $((16 * M)) 9 786432")"
	both_hold() {
		[ "$(cat $C/peers/$p2/stored_bytes)" -gt 0 ] &&
			[ "$(cat $C/peers/$p3/stored_bytes)" -gt 0 ]
	}
	check "both donors hold a copy" both_hold
	told() { tell 2 loaded && tell 3 loaded; }
	check "told the donors to try to connect here" told
	check "their connects were refused" hear2 refused
	no_in() { ! krdma_peer direction=in >/dev/null; }
	check "no incoming peer (listen=0)" no_in
	check "destroy the space" ctl "destroy"
	check "rmmod" rs_unload
	tap_done
fi

check "load $MOD" rs_load $LOAD
echo 64M >$D/donate
# node1 may still be in an earlier test of the boot
check "told node1" tell 1 up 900
check "node1 connected" retry 120 peer_in_live
pin=$(krdma_peer direction=in state=live)
log "node1's options here: $(cat $C/peers/$pin/options)"
# what node1's peers= entry for us gave
if [ "$NODE" = 3 ]; then given=$OPTS3; else given=$OPTS2; fi
# shellcheck disable=SC2086
check "node1's options here: the carried ones from its entry, defaults for the rest" \
	[ "$(opts_read "$pin")" = "$(accepted_opts $given)" ]
check "node1 loaded" hear loaded
e=$(write_err $C/connect "$(conn_str "$(link_addr 1 "$NODE")" $PORT)")
log "connect to node1 (listen=0): '$e'"
check "a connect to node1 is refused" [ -n "$e" ]
no_out() { ! krdma_peer direction=out >/dev/null; }
check "no outgoing peer left" no_out
check "told node1" tell 1 refused
gone() { ! krdma_peer direction=in state=live >/dev/null && [ "$(granted)" = 0 ]; }
check "node1 left, nothing granted" retry 300 gone
check "rmmod" rs_unload
tap_done
