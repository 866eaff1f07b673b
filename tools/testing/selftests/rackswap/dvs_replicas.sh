#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=4 tier=full debug=yes timeout=1500
#
# Replicas: node1 keeps a dvs space of 128M in two copies of each 4M slab
# over three donors (node2-node4, 96M each). Bad copy counts are refused;
# the donors together hold exactly two copies of every slab. The donor
# holding the most is killed (its QEMU: a crash) while 48M are read back:
# reads sent to it end with its connection (its requeued and failed I/Os
# grow) and fall to the other copies, every word verified; a write
# after it lands; the copies on the dead donor are dropped and made again
# on the survivors (rebuild: bytes, time and count logged), the space is no
# longer degraded and all 64M read back. Then a second donor is killed:
# every slab keeps one copy, the rebuilt ones among them, and all 64M
# still read back word for word; the space reports itself degraded (no
# third donor to copy to); a write still lands. At the end the survivor
# has granted nothing and its memory and RDMA resources are back.
. ./lib.sh
[ "$NODES" -ge 4 ] || skip_all "needs four nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
PORT=7479
LOAD="port=$PORT slab_size=4M release_delay_s=1 pool_min=2 pool_max=2 heartbeat_ms=500 heartbeat_missed=3 reconnect_delay_ms=500 connect_timeout_ms=2000 reconnect_tries=2"
# four debug kernels on two cores answer a heartbeat late now and then
debug_kernel && LOAD="$LOAD heartbeat_ms=1500 connect_timeout_ms=6000"
tap_plan

check "rxe on the links" rxe_links_up
res_snapshot /tmp/res.a
check "load $MOD" rs_load $LOAD

if [ "$NODE" = 1 ]; then
	connect_donors $PORT 2 3 4
	bad_copies() {
		! echo "create 64M rdma 4" >$S 2>/dev/null &&
			! echo "create 64M rdma 0" >$S 2>/dev/null &&
			! echo "create 64M dram 2" >$S 2>/dev/null &&
			dmesg | grep -q 'copies: 4 is not 1-3 (rdma backend) or 1 (dram backend)'
	}
	check "4, 0 copies and 2 dram copies refused (EINVAL, logged)" bad_copies
	check "a space of 128M in 2 copies" ctl "create 128M rdma 2"
	check "its pool fills" ctl "fill 60000"
	r=$(cmd "write 0 $((48 * M)) 5 786432 30000")
	log "48M written: $r"
	check "48M written in 768K I/Os" ok_res "$r"
	check "read back: every word verified" ok_res "$(cmd "read 0 $((48 * M)) 5 786432")"
	two_copies() {
		local slabs=$(($(cat $D/slabs_bound) + $(cat $D/slabs_pooled)))
		local sum=$(($(stored_on 2) + $(stored_on 3) + $(stored_on 4)))
		log "slabs $slabs; stored: node2 $(stored_on 2) node3 $(stored_on 3) node4 $(stored_on 4)"
		[ "$sum" = $((2 * slabs * 4 * M)) ] &&
			[ "$(stored_on 2)" -le $((slabs * 4 * M)) ] &&
			[ "$(stored_on 3)" -le $((slabs * 4 * M)) ] &&
			[ "$(stored_on 4)" -le $((slabs * 4 * M)) ]
	}
	check "the donors hold two copies of every slab, none two of one" retry 30 two_copies

	# kill the donor holding the most, then read everything at once
	k=2
	for n in 3 4; do
		[ "$(stored_on $n)" -le "$(stored_on $k)" ] || k=$n
	done
	# the read starts, then node k dies under it: its reads in flight and
	# those sent before its death is noticed end with the connection
	# (requeued, then failed) and fall to the other copies. Its counters
	# are sampled while the read runs: its peer goes once it is closed.
	pk=$(eval echo "\$p$k")
	lost_ios() {
		echo $(($(cat $C/peers/$pk/io_requeued) + $(cat $C/peers/$pk/io_failed)))
	}
	lost0=$(lost_ios)
	log "killing node$k under a read ($(stored_on $k) bytes stored there; requeued+failed $lost0)"
	t0=$(date +%s)
	cmd "read 0 $((48 * M)) 5 786432" >/tmp/rd.out &
	rd=$!
	echo "RIG-KILL $k"
	lost=$lost0
	while kill -0 $rd 2>/dev/null; do
		v=$(lost_ios 2>/dev/null) && lost=$v
		sleep 1
	done
	wait $rd
	r=$(cat /tmp/rd.out)
	log "read across the kill: $r ($(($(date +%s) - t0)) s); node$k's requeued+failed I/Os $lost0 -> $lost"
	check "reads sent to node$k ended with its connection (requeued or failed)" [ "$lost" -gt "$lost0" ]
	check "node$k killed: all 48M read back, every word verified" ok_res "$r"
	r=$(cmd "write $((48 * M)) $((16 * M)) 6 786432 30000")
	check "16M more written" ok_res "$r"
	rebuilt() {
		[ "$(cat $D/copies_rebuilt)" -gt 0 ] && [ "$(cat $D/slabs_degraded)" = 0 ] &&
			[ "$(cat $D/slabs_lost)" = 0 ]
	}
	check "node$k's copies made again on the survivors, nothing lost" retry 300 rebuilt
	log "dropped $(cat $D/copies_dropped), rebuilt $(cat $D/copies_rebuilt), $(cat $D/rebuild_bytes) bytes in $(cat $D/rebuild_ms) ms"
	check "all 64M read back after the rebuild (first 48M)" ok_res "$(cmd "read 0 $((48 * M)) 5 786432")"
	check "... and the next 16M" ok_res "$(cmd "read $((48 * M)) $((16 * M)) 6 786432")"

	# a second donor dies: one copy of each slab is left
	for n in 2 3 4; do
		[ $n = $k ] && continue
		k2=$n
		break
	done
	log "killing node$k2"
	echo "RIG-KILL $k2"
	sleep 1
	r=$(cmd "read 0 $((48 * M)) 5 786432")
	check "node$k2 killed too: the first 48M read back from the last copies" ok_res "$r"
	check "... and the next 16M" ok_res "$(cmd "read $((48 * M)) $((16 * M)) 6 786432")"
	degraded() { [ "$(cat $D/slabs_degraded)" -gt 0 ]; }
	check "degraded: no third donor to copy to" retry 120 degraded
	check "a write still lands (4M)" ok_res "$(cmd "write $((64 * M)) $((4 * M)) 7 786432 30000")"
	check "... and reads back" ok_res "$(cmd "read $((64 * M)) $((4 * M)) 7 786432")"
	check "no slab lost" [ "$(cat $D/slabs_lost)" = 0 ]
	log "dropped $(cat $D/copies_dropped), rebuilt $(cat $D/copies_rebuilt), degraded $(cat $D/slabs_degraded)"
	check "destroy the space" ctl "destroy"
	check "nothing degraded any more" [ "$(cat $D/slabs_degraded)" = 0 ]
	dmesg | grep -E 'rackswap|dvs' | tail -n 30 | sed 's/^/# /'
	check "rmmod" rs_unload
	tap_done
fi

echo 96M >$D/donate
check "node1 connected" retry 200 peer_in_live
# gone and holding nothing here: a connection lost and made again is not
# node1 leaving
none() { ! krdma_peer direction=in state=live >/dev/null && [ "$(granted)" = 0 ]; }
# node1 kills two of the three donors; the survivor waits for it to leave
check "node1 left" retry 1100 none
check "nothing granted at the end" [ "$(granted)" = 0 ]
check "rmmod" rs_unload
check "RDMA resources, slab objects (+$RES_OBJS) and memory (4M) back" \
	res_back /tmp/res.a $RES_OBJS 4096
tap_done
