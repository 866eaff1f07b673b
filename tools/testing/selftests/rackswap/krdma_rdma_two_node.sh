#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=2 tier=check debug=yes timeout=900
#
# One-sided RDMA between two VMs. node2 connects to node1 and gets grants
# of node1's memory: 4 threads write random pages and read them back, every
# word verified. Link flap under load (node2's cable pulled for 4 s): the
# connection drops, the I/Os are requeued, node2 reconnects, node1 registers
# its grants again under new keys, every word verified. Module reload on
# node2 (a new incarnation) while node1 holds grants for it: node1 voids
# them and the new node2 starts afresh. Module reload on node1 while node2
# holds grants for it: node2's peer reconnects, finds the new incarnation
# and voids them.
. ./lib.sh
[ "$NODES" -ge 2 ] || skip_all "needs two nodes"
C=/sys/kernel/rackswap/krdma
# a port of its own: node2 may start this test while node1 still runs the
# previous one, whose module listens on the default port
PORT=7473
LOAD="port=$PORT heartbeat_ms=500 reconnect_delay_ms=500"
tap_plan

check "rxe on the links" rxe_links_up
check "load $MOD" rs_load $LOAD

if [ "$NODE" = 2 ]; then
	connect() { conn_str "$(link_addr 1 2)" $PORT >$C/connect; }
	retry 150 connect 2>/dev/null
	p=$(krdma_peer direction=out state=live)
	check "connected to node1 (peer $p)" [ -n "$p" ]
	ready() { [ "$(cat $C/peers/$p/data_qps)" = 1 ]; }
	check "its data QP is up" retry 30 ready
	# node1 may not allow test grants yet
	check "node1 grants test pages" retry 30 sh -c "printf '%s 1 1 1 1' $p >$DK/rdma_test"

	printf '%s 4 256 2 16' "$p" >$DK/rdma_test
	res=$(cat $DK/rdma_test)
	log "$res"
	check "4096 page I/Os from 4 threads to node1, every word verified" rdma_ok "$res" 4096

	# link flap under load
	(printf '%s 4 256 12 16 1 60000' "$p" >$DK/rdma_test 2>/dev/null; cat $DK/rdma_test >/tmp/flap.res) &
	bg=$!
	sleep 2
	cable 1 out
	sleep 4
	cable 1 in
	wait $bg
	log "$(cat /tmp/flap.res)"
	log "reconnects $(cat $C/peers/$p/reconnects), requeued $(cat $C/peers/$p/io_requeued)"
	check "link flap under load: 24576 I/Os, every word verified" rdma_ok "$(cat /tmp/flap.res)" 24576
	[ "$(cat $C/peers/$p/reconnects)" -ge 1 ] ||
		rdma_diag "node2: no reconnection after the flap"
	check "node2 reconnected" [ "$(cat $C/peers/$p/reconnects)" -ge 1 ]
	check "I/Os waited for the reconnection (requeued)" [ "$(cat $C/peers/$p/io_requeued)" -gt 0 ]

	# keep 2 grants on node1, then come back as a new incarnation
	printf '%s 2 64 1 8 1 10000 0' "$p" >$DK/rdma_test
	check "2 grants kept on node1" rdma_ok "$(cat $DK/rdma_test)" 256
	# node1 counts them while we are still here (a slow kernel's node1
	# could look after our rmmod)
	check "node1 counted the grants it holds for us" hear counted 300
	sleep 2
	check "rmmod" rs_unload
	sleep 2
	check "reload (a new incarnation)" rs_load $LOAD
	echo 512 >$DK/test_grant_pages
	retry 30 connect 2>/dev/null
	p=$(krdma_peer direction=out state=live)
	check "connected to node1 again" [ -n "$p" ]
	inc1=$(cat $C/peers/$p/incarnation)
	# node1 takes 2 grants from us, then restarts
	restarted() {
		[ "$(cat $C/peers/$p/incarnation)" != "$inc1" ] &&
			[ "$(cat $C/peers/$p/state)" = live ]
	}
	check "node1 restarted: the same peer reconnected to its new incarnation" retry 200 restarted
	voided() { [ "$(cat $C/peers/$p/grants_voided)" = 2 ] && [ "$(cat $C/peers/$p/grants)" = 0 ]; }
	check "the 2 grants node1's old incarnation held are void" retry 10 voided
	sleep 4
	check "rmmod" rs_unload
	tap_done
fi

echo 512 >$DK/test_grant_pages
check "node2 connected" retry 200 peer_in_live
p=$(krdma_peer direction=in state=live)
inc=$(cat $C/peers/$p/incarnation)
regs0=$(cat $C/peers/$p/registrations)
reconnected() { [ "$(cat $C/peers/$p/reconnects)" -ge 1 ] && [ "$(cat $C/peers/$p/state)" = live ]; }
retry 120 reconnected || rdma_diag "node1: node2 not back after the flap"
check "node2 came back after the link flap" reconnected
rekeyed() { [ "$(cat $C/peers/$p/registrations)" -gt "$((regs0 + 4))" ]; }
check "the grants of node2 registered again under new keys ($regs0 -> $(cat $C/peers/$p/registrations))" retry 30 rekeyed
held() { [ "$(cat $C/peers/$p/grants)" = 2 ]; }
# node2 keeps its 2 grants once its flap run has ended (until then each of
# its 4 threads holds one): on the debug kernel that was once not done 60 s
# after the reconnection
check "2 grants held for node2" retry 300 held
tell 2 counted || log "node2 did not hear that we counted"
new_node2() {
	q=$(krdma_peer direction=in state=live) && [ "$(cat $C/peers/$q/incarnation)" != "$inc" ]
}
check "node2 is back as a new incarnation" retry 120 new_node2
voided() { dmesg | grep -q "peer $p (node2): 2 grants voided"; }
check "the old incarnation's 2 grants were voided" retry 10 voided
q=$(krdma_peer direction=in state=live)
check "the old relationship is gone, the new one holds no grant" \
	sh -c "[ ! -e $C/peers/$p ] && [ \$(cat $C/peers/$q/grants) = 0 ]"
# take 2 grants from node2 and keep them, then restart
qready() { [ "$(cat $C/peers/$q/data_qps)" = 1 ]; }
retry 30 qready
printf '%s 2 16 1 4 1 10000 0' "$q" >$DK/rdma_test
check "2 grants of node2's kept" rdma_ok "$(cat $DK/rdma_test)" 64
check "rmmod" rs_unload
check "reload (a new incarnation)" rs_load $LOAD
check "node2 reconnected to the new incarnation" retry 60 peer_in_live
sleep 8
check "rmmod" rs_unload
tap_done
