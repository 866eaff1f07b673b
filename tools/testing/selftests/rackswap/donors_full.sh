#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=2 tier=full debug=no timeout=1200 ioerr=yes
#
# Swap to a donor out of room: node1 donates 64M (16 slabs of 4M); node2
# swaps on /dev/rackswap0 (256M) from a cgroup that must page out more
# than that: 116 MiB written and verified by memtouch (salted) under
# memory.high=48M (reclaim and throttling, never the OOM killer:
# memory.max=192M holds it all). Once node1 has granted all 64M (16 slabs,
# free_bytes 0), node2 asks it for no more (its STAT says there is no
# room), its refill of the pool fails (alloc_failures grows; logged: no
# slab, ENOSPC) and its swap writes to slots of slabs it could not get
# fail (io_stat failures, "Write-error on swap-device" in the log): those
# pages stay in memory. node2 then lifts memory.high: the workload
# finishes, every word verified (0 bad words): the pages whose swap-out
# failed, kept in memory, and the ones stored on node1, read back. node1
# never granted more than its limit (node2 stores exactly 64M there,
# during and after). At the end nothing is granted.
#
# The workload is sized so that little of it fails to swap out (116 MiB:
# 48M in memory, 64M on node1): a write the device cannot place holds its
# hardware queue for a second (RS_RESOURCE_WAIT, BLK_STS_RESOURCE) before
# it fails, and every request queued behind it, swap-in reads too, waits.
# With 160 MiB (about 45M of writes queued when the donor filled) the
# failures went on at one 64K write a second for over 9 minutes; with
# 116 MiB, 232 writes failed, one a second, and the test took 240 s.
. ./lib.sh
[ "$NODES" -ge 2 ] || skip_all "needs two nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
B=/sys/block/rackswap0
PORT=7491
LOAD="port=$PORT slab_size=4M pool_min=2 pool_max=2 reconnect_delay_ms=500"
LIMIT=$((64 * M))
tap_plan

check "rxe on the links" rxe_links_up
check "load $MOD" rs_load $LOAD

if [ "$NODE" = 2 ]; then
	swap_client $PORT 256M
	cg() { swap_cgroup 192M && echo 48M >$CG/swap/memory.high; }
	check "cgroup memory.max=192M, memory.high=48M" cg
	io_f() { cut -d' ' -f"$1" $B/io_stat; }
	stored() { cat $C/peers/$p/stored_bytes; }
	f0=$(io_f 6) a0=$(cat $D/alloc_failures) out0=$(vmstat pswpout)
	kmsg_mark
	in_cgroup memtouch seq 116 1 >/tmp/df.out &
	job=$!
	# the first swap write that found no room failed (or the run ended)
	failed() { [ "$(io_f 6)" -gt "$f0" ] || ! kill -0 $job 2>/dev/null; }
	retry 900 failed
	log "io_stat $(cat $B/io_stat); stored on node1 $(stored); memory.current $(cat $CG/swap/memory.current); pswpout +$(($(vmstat pswpout) - out0))"
	check "a swap write failed while the workload ran" \
		sh -c "[ $(io_f 6) -gt $f0 ] && kill -0 $job"
	check "node1 holds our 64M, its limit" [ "$(stored)" = $LIMIT ]
	logged() { since_mark | grep -q "$1"; }
	check "the write errors are logged" retry 30 logged 'Write-error on swap-device'
	check "memory.high lifted" sh -c "echo max >$CG/swap/memory.high"
	wait $job
	rc=$?
	log "$(cat /tmp/df.out) (exit $rc); io_stat $(cat $B/io_stat); alloc_failures $a0 -> $(cat $D/alloc_failures); pswpout +$(($(vmstat pswpout) - out0))"
	check "116 MiB written and verified: 0 bad words" \
		sh -c "[ $rc = 0 ] && grep -q ': 0 bad words' /tmp/df.out"
	check "not OOM-killed" [ "$(since_mark | grep -c 'Killed process')" = 0 ]
	check "it paged out 64M or more (pswpout)" [ "$(vmstat pswpout)" -ge $((out0 + 64 * 256)) ]
	check "our refill of the pool failed (alloc_failures grew)" \
		[ "$(cat $D/alloc_failures)" -gt "$a0" ]
	check "logged: no slab (ENOSPC)" logged 'no slab for a space of .*-ENOSPC'
	check "still 64M stored on node1, no more" [ "$(stored)" = $LIMIT ]
	swap_client_end
	tap_done
fi

echo 64M >$D/donate
in2() { p=$(krdma_peer direction=in state=live); }
check "node2 connected" retry 200 in2
full() { [ "$(cat $D/granted_bytes)" = $LIMIT ]; }
check "node2 takes all 64M we donate" retry 900 full
check "16 slabs, free_bytes 0" [ "$(cat $D/granted_slabs) $(cat $D/free_bytes)" = "16 0" ]
log "holders: $(cat $D/holders)"
check "node2's peer holds the 64M" [ "$(cat $C/peers/$p/granted_bytes)" = $LIMIT ]
none() { [ "$(cat $D/granted_bytes)" = 0 ]; }
check "after node2's reset nothing is granted" retry 900 none
gone() { ! krdma_peer direction=in state=live >/dev/null; }
check "node2 left" retry 120 gone
check "rmmod" rs_unload
tap_done
