#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=3 tier=full debug=no timeout=900
#
# A dvs space of node1 over two donors, node2 (donates 64M) and node3
# (donates nothing, later 128M); 4 MiB slabs. Writes across chunk and
# slab boundaries read back word for word; node3 is never used while it
# donates nothing; when node2 is full a write fails cleanly (ENOSPC) and
# the data stays intact; node3 raising its limit is picked up; a granting
# donor's rmmod says "in use" and lists its holder; a discard gives slabs
# back (node2's granted bytes go down); node1's link to node2 down (its
# cable pulled: lib.sh's cable) for 3 s
# (within node2's 15 s grace period): nothing lost; down for 20 s (beyond
# its 5 s grace period): node2 frees the slabs, node1 finds them lost (EIO)
# and the others intact, whether it reconnects or gives up. At the end every donor has granted nothing and
# its memory and RDMA resources are back.
#
# The nodes signal each other through what they can see: node1 tells node3
# to raise its limit by disconnecting from it.
. ./lib.sh
[ "$NODES" -ge 3 ] || skip_all "needs three nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
PORT=7475
LOAD="port=$PORT slab_size=4M release_delay_s=1 pool_min=2 pool_max=2 heartbeat_ms=500 reconnect_delay_ms=500 connect_timeout_ms=3000"
tap_plan

check "rxe on the links" rxe_links_up
res_snapshot /tmp/res.a
check "load $MOD" rs_load $LOAD

if [ "$NODE" = 1 ]; then
	A2=$(link_addr 2 1) A3=$(link_addr 3 1)
	connect() { conn_str "$1" $PORT >$C/connect 2>/dev/null; }
	check "connected to node2" retry 150 connect "$A2"
	check "connected to node3" retry 150 connect "$A3"
	p2=$(krdma_peer "address=$A2 $PORT")
	p3=$(krdma_peer "address=$A3 $PORT")
	ready() { [ "$(cat $C/peers/$1/data_qps)" -ge 1 ] && [ "$(cat $C/peers/$1/state)" = live ]; }
	both() { ready $p2 && ready $p3; }
	check "RDMA ready to both" retry 60 both
	check "a space of 256M" ctl "create 256M rdma"
	check "its pool fills" ctl "fill 60000"
	r=$(cmd "write 0 $((48 * M)) 5 786432 30000")
	log "write burst of 48M: $r; hits $(cat $D/pool_hits) misses $(cat $D/pool_misses) allocs $(cat $D/allocs) avg $(cat $D/alloc_us_avg) us max $(cat $D/alloc_us_max) us"
	check "48M written in 768K I/Os" ok_res "$r"
	check "read back: every word verified" ok_res "$(cmd "read 0 $((48 * M)) 5 786432")"
	check "node3 (donates nothing) holds nothing" [ "$(cat $C/peers/$p3/stored_bytes)" = 0 ]
	check "node2 holds it all" [ "$(cat $C/peers/$p2/stored_bytes)" -ge $((48 * M)) ]
	r=$(cmd "write $((48 * M)) $((32 * M)) 6 $M 3000")
	log "beyond node2's 64M: $r"
	check "node2 full: a write fails with ENOSPC" sh -c "echo '$r' | grep -q '^error -28'"
	check "the data is intact" ok_res "$(cmd "read 0 $((48 * M)) 5 786432")"

	# tell node3 to raise its limit, then come back to it
	echo "$A3 $PORT" >$C/disconnect
	sleep 3
	check "connected to node3 again" retry 60 connect "$A3"
	p3=$(krdma_peer "address=$A3 $PORT" state=live)
	r=$(cmd "write $((48 * M)) $((64 * M)) 6 786432 90000")
	log "after node3 raised its limit: $r"
	check "64M more written: node3's new capacity is used" ok_res "$r"
	check "node3 holds slabs now" [ "$(cat $C/peers/$p3/stored_bytes)" -gt 0 ]
	check "first 48M verified" ok_res "$(cmd "read 0 $((48 * M)) 5 786432")"
	check "next 64M verified" ok_res "$(cmd "read $((48 * M)) $((64 * M)) 6 786432")"
	log "stored: node2 $(cat $C/peers/$p2/stored_bytes), node3 $(cat $C/peers/$p3/stored_bytes)"

	rel0=$(cat $D/slabs_released)
	ctl "discard 0 $((16 * M))"
	released() { [ "$(cat $D/slabs_released)" -ge $((rel0 + 4)) ]; }
	check "discard of 16M: 4 slabs went back" retry 30 released

	# node1's link to node2 down within node2's grace period
	rc0=$(cat $C/peers/$p2/reconnects)
	cable 2 out
	sleep 3
	cable 2 in
	back() { [ "$(cat $C/peers/$p2/reconnects)" -gt "$1" ] && ready $p2; }
	check "node2 reconnected after 3 s down" retry 90 back "$rc0"
	check "within the grace period: nothing lost" ok_res "$(cmd "read $((16 * M)) $((32 * M)) 5 786432")"
	check "the rest intact" ok_res "$(cmd "read $((48 * M)) $((64 * M)) 6 786432")"
	check "no slab lost" [ "$(cat $D/slabs_lost)" = 0 ]

	# beyond it (node2 lowers its grace period to 5 s meanwhile)
	sleep 8
	rc0=$(cat $C/peers/$p2/reconnects)
	cable 2 out
	sleep 20
	cable 2 in
	# node1 learns it when it reconnects (node2 no longer has the grants)
	# or when it gives up reconnecting (reconnect_tries): either way
	lost() { [ "$(cat $D/slabs_lost)" -gt 0 ]; }
	check "beyond the grace period: node2's slabs are lost" retry 120 lost
	log "node2's peer: $(cat $C/peers/$p2/state 2>/dev/null || echo closed), reconnects $(cat $C/peers/$p2/reconnects 2>/dev/null)"
	r=$(cmd "read $((16 * M)) $((4 * M)) 5")
	check "a read there fails with EIO" sh -c "echo '$r' | grep -q '^error -5'"
	# 48M-64M went to node2 before it was full, the rest to node3
	check "node3's part intact" ok_res "$(cmd "read $((64 * M)) $((48 * M)) 6 786432")"
	log "lost $(cat $D/slabs_lost), released $(cat $D/slabs_released), bound $(cat $D/slabs_bound)"
	check "destroy the space" ctl "destroy"
	# a closed peer's directory is gone: it stores nothing either
	stored0() {
		for f in $C/peers/*/stored_bytes; do
			[ ! -e "$f" ] || [ "$(cat "$f")" = 0 ] || return 1
		done
	}
	check "nothing stored on the donors any more" stored0
	dmesg | grep rackswap | tail -n 40 | sed 's/^/# /'
	check "rmmod" rs_unload
	tap_done
fi

check "node1 connected" retry 200 peer_in_live
p=$(krdma_peer direction=in state=live)

if [ "$NODE" = 2 ]; then
	echo 64M >$D/donate
	echo 15 >$D/grace_period_s
	full() { [ "$(granted)" = $((64 * M)) ]; }
	check "node1 filled the 64M" retry 300 full
	log "holders: $(cat $D/holders)"
	check "dvs holds itself while slabs are granted: rmmod refused" mod_pinned dvs
	check "node1's peer is listed as holder of the 64M" \
		grep -q "^$p [^ ]* 16 $((64 * M))\$" $D/holders
	less() { [ "$(granted)" -lt $((64 * M)) ] && [ "$(granted)" -gt 0 ]; }
	# node1 keeps 2 slabs pooled: after its discard of 4 it takes 2 back
	check "node1's discard gave slabs back" retry 300 less
	g=$(granted)
	rc() { [ "$(cat $C/peers/$p/reconnects)" -ge 1 ] && [ "$(cat $C/peers/$p/state)" = live ]; }
	check "node1 came back within the grace period" retry 300 rc
	check "its slabs were kept" [ "$(granted)" = "$g" ]
	echo 5 >$D/grace_period_s
	zero() { [ "$(granted)" = 0 ]; }
	check "node1 gone beyond the 5 s grace period: its slabs freed" retry 300 zero
	check "logged" sh -c "dmesg | grep -q 'did not come back'"
else
	check "donating nothing, node3 granted nothing" [ "$(granted)" = 0 ]
	gone() { [ ! -e $C/peers/$p ]; }
	check "node1 disconnected (the signal)" retry 300 gone
	check "still nothing granted" [ "$(granted)" = 0 ]
	echo 128M >$D/donate
	used() { [ "$(granted)" -gt 0 ]; }
	check "node1 uses node3's new capacity" retry 300 used
fi
# gone and holding nothing here: a connection lost and made again is not
# node1 leaving
none() { ! krdma_peer direction=in state=live >/dev/null && [ "$(granted)" = 0 ]; }
check "node1 left" retry 600 none
check "nothing granted at the end" [ "$(granted)" = 0 ]
check "rmmod" rs_unload
check "RDMA resources, slab objects (+$RES_OBJS) and memory (4M) back" \
	res_back /tmp/res.a $RES_OBJS 4096
tap_done
