#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=2 tier=full debug=yes timeout=1500
#
# Link flaps, repeated (FLAPS, default 12, 4 on the debug kernel;
# rackswap.flaps=N on the kernel command line): node2's link to node1 goes
# down for 1 to 5 s and up again while RDMA I/O runs across it (2 threads,
# QD16, 24576 page I/Os to node1's test grants, every word verified); each
# time node2's peer must reconnect within 60 s and the I/O complete intact.
# The flaps are by turns the cable pulled (lib.sh's cable) and "ip link set
# down" (on 6.1's soft-RoCE safe only because krdma sends no CM message
# while the netdev is down: see the admin guide's Known limits). On a
# failure both nodes dump what the RDMA stack and the neighbour table see.
. ./lib.sh
[ "$NODES" -ge 2 ] || skip_all "needs two nodes"
C=/sys/kernel/rackswap/krdma
PORT=7478
FLAPS=${FLAPS:-$(rig_arg rackswap.flaps)}
if debug_kernel; then FLAPS=${FLAPS:-4}; else FLAPS=${FLAPS:-12}; fi
LOAD="port=$PORT heartbeat_ms=500 reconnect_delay_ms=500"
tap_plan

check "rxe on the links" rxe_links_up
check "load $MOD" rs_load $LOAD
echo 512 >$DK/test_grant_pages
if [ "$NODE" = 2 ]; then
	connect() { conn_str "$(link_addr 1 2)" $PORT >$C/connect; }
	retry 150 connect 2>/dev/null
	p=$(krdma_peer direction=out state=live)
	check "connected to node1 (peer $p)" [ -n "$p" ]
	check "node1 grants test pages" retry 30 sh -c "printf '%s 1 1 1 1' $p >$DK/rdma_test"
	live() { [ "$(cat $C/peers/$p/state)" = live ] && [ "$(cat $C/peers/$p/reconnects)" -gt "$1" ]; }
	i=0 bad=0 io_bad=0
	while [ $i -lt "$FLAPS" ]; do
		i=$((i + 1))
		rc=$(cat $C/peers/$p/reconnects)
		(printf '%s 2 256 24 16 1 60000' "$p" >$DK/rdma_test 2>/dev/null
		 cat $DK/rdma_test >/tmp/flap.res) &
		bg=$!
		sleep $((i % 3 + 1))
		if [ $((i % 2)) = 1 ]; then
			how="cable pulled"
			cable 1 out
			sleep $((i % 5 + 1))
			cable 1 in
		else
			how="ip link set down"
			ip link set eth0 down
			sleep $((i % 5 + 1))
			ip link set eth0 up
		fi
		t0=$(date +%s)
		if retry 60 live "$rc"; then
			log "flap $i ($how): back in $(($(date +%s) - t0)) s"
		else
			bad=$((bad + 1))
			log "flap $i ($how): not back after 60 s"
			rdma_diag "node2, flap $i"
			# let node1 dump too, then see whether it recovers
			touch /tmp/stuck
			retry 120 live "$rc" && log "flap $i: back later, after $(($(date +%s) - t0)) s"
		fi
		wait $bg
		log "flap $i: $(cat /tmp/flap.res)"
		rdma_ok "$(cat /tmp/flap.res)" 24576 || io_bad=$((io_bad + 1))
		sleep 2
	done
	check "I/O under every flap verified ($io_bad runs not)" [ $io_bad = 0 ]
	check "$FLAPS link flaps, every one reconnected within 60 s ($bad not)" [ $bad = 0 ]
	check "rmmod" rs_unload
	tap_done
fi

check "node2 connected" retry 200 peer_in_live
p=$(krdma_peer direction=in state=live)
# until node2 is gone after its last flap, or away for 200 s
down=0
while [ -e $C/peers/$p ] && [ $down -lt 200 ]; do
	if [ "$(cat $C/peers/$p/state)" = live ]; then
		down=0
	else
		down=$((down + 1))
		[ "$(cat $C/peers/$p/reconnects)" -ge "$FLAPS" ] && [ $down -ge 5 ] && break
		[ $down = 40 ] && rdma_diag "node1, node2's peer not live for 40 s"
	fi
	sleep 1
done
log "node2's peer: reconnects $(cat $C/peers/$p/reconnects 2>/dev/null)"
check "rmmod" rs_unload
tap_done
