#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=2 tier=check debug=no timeout=600
#
# krdma on a link that loses packets. Both nodes drop 3% of what they send
# to each other (netem on the link's netdev, under soft-RoCE), so rxe
# retransmits: node1's control QP sends a grant's answer, registers the
# next grant (LOCAL_INV + REG_MR), and then goes back to resend the answer
# (rxe 6.1 runs the local operations behind it again). node2 takes 8 small
# grants at a time from node1, many times over, and writes and reads them
# back, every word verified. Nothing may break: no connection lost on
# either side, no I/O failed or requeued, every grant registered once, and
# the retransmissions happened (rxe's counters and netem's drops say so).
# debug=no: the debug kernel is built without sch_netem.
. ./lib.sh
[ "$NODES" -ge 2 ] || skip_all "needs two nodes"
tap_plan
check "sch_netem loads (the rig builds it in)" modprobe sch_netem || tap_done
C=/sys/kernel/rackswap/krdma
PORT=7486
# retransmit after 4 ms (4.096 us << 10), not 268 ms: many losses, short run
LOAD="port=$PORT ack_timeout=10"
RUNS=120
THREADS=8

other=$((3 - NODE))
check "rxe on the links" rxe_links_up
check "load $MOD" rs_load $LOAD
dev=$(link_netdev $other)
rxe_retries() { cat /sys/class/infiniband/rxe*/ports/1/hw_counters/completer_retry_err | awk '{ s += $1 } END { print s + 0 }'; }
retries0=$(rxe_retries)
# a peer's counters: "<file>=<value> ..."
peer_stats() {
	local f
	for f in state reconnects rpc_errors registrations grants io_requeued io_failed io_stalls; do
		printf '%s=%s ' $f "$(cat $C/peers/$1/$f)"
	done
}
unbroken() { [ "$(cat $C/peers/$p/reconnects)" = 0 ] && [ "$(cat $C/peers/$p/state)" = live ]; }
# the losses; netem's "dropped" count as tc -s prints it. iproute2's tc
# (busybox's sh would run its own tc applet, which knows no netem)
TC=/usr/sbin/tc
lossy() { $TC qdisc add dev "$dev" root netem loss 3%; }
dropped() { $TC -s qdisc show dev "$dev" | awk '/dropped/ { sub(",", "", $7); print $7; exit }'; }

if [ "$NODE" = 2 ]; then
	connect() { conn_str "$(link_addr 1 2)" $PORT >$C/connect; }
	check "connect to node1" retry 150 connect 2>/dev/null
	p=$(krdma_peer direction=out state=live)
	ready() { [ "$(cat $C/peers/$p/data_qps)" = 1 ]; }
	check "its data QP is up" retry 30 ready
	check "node1 grants test pages" retry 30 sh -c "printf '%s 1 1 1 1' $p >$DK/rdma_test"
	# the retry above may have met node1 still registering its grants
	# (GRANTS answers EAGAIN then, counted as an RPC error): count from here
	e0=$(cat $C/peers/$p/rpc_errors)
	check "3% of our packets to node1 dropped (netem on $dev)" lossy
	tell 1 lossy
	hear lossy 300 || log "node1 did not say its side is lossy"
	bad=0
	i=0
	while [ $i -lt $RUNS ]; do
		printf '%s %s 2 1 4' "$p" $THREADS >$DK/rdma_test 2>/dev/null
		res=$(cat $DK/rdma_test)
		rdma_ok "$res" 32 ||
			{ bad=$((bad + 1)); log "run $i: $res"; }
		i=$((i + 1))
	done
	log "last run: $res"
	log "peer: $(peer_stats $p)"
	check "$RUNS runs of $THREADS grants from node1, every word verified" [ $bad = 0 ]
	check "no connection lost" unbroken
	check "no I/O failed, requeued or stalled" sh -c \
		"[ \$(cat $C/peers/$p/io_failed)\$(cat $C/peers/$p/io_requeued)\$(cat $C/peers/$p/io_stalls) = 000 ]"
	check "no RPC failed under loss (rpc_errors $e0 before)" \
		[ "$(cat $C/peers/$p/rpc_errors)" = "$e0" ]
	log "netem dropped $(dropped) packets; rxe retransmitted $(($(rxe_retries) - retries0)) times"
	check "netem dropped packets of ours" [ "$(dropped)" -gt 0 ]
	tell 1 done
	hear unloaded 300 || log "node1 did not say it unloaded"
	$TC qdisc del dev "$dev" root
	check "rmmod" rs_unload
	tap_done
fi

echo 64 >$DK/test_grant_pages
check "node2 connected" retry 200 peer_in_live
p=$(krdma_peer direction=in state=live)
hear lossy 300 || log "node2 did not say its side is lossy"
# after node2's first probe grant: from here, RUNS x THREADS grants
regs0=$(cat $C/peers/$p/registrations)
check "3% of our packets to node2 dropped (netem on $dev)" lossy
tell 2 lossy
check "node2 is done" hear done 900
log "peer: $(peer_stats $p)"
check "no connection lost" unbroken
# every grant registered once (a second registration is a second key)
regs=$(($(cat $C/peers/$p/registrations) - regs0))
check "$((RUNS * THREADS)) grants registered, each once ($regs)" \
	[ "$regs" = $((RUNS * THREADS)) ]
retries=$(($(rxe_retries) - retries0))
log "netem dropped $(dropped) packets; rxe retransmitted $retries times"
check "netem dropped packets of ours" [ "$(dropped)" -gt 0 ]
check "our QPs retransmitted (rxe completer_retry_err)" [ "$retries" -gt 0 ]
ungranted() { [ "$(cat $C/peers/$p/grants)" = 0 ]; }
check "every grant given back" retry 30 ungranted
$TC qdisc del dev "$dev" root
check "rmmod" rs_unload
tell 2 unloaded
tap_done
