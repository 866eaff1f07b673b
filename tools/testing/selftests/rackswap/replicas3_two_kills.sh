#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=4 tier=full debug=no timeout=1200 mem=1000M
#
# mem=1000M: a boot of its own (it kills two of the three donors).
#
# Three copies of every slab lose nothing when two donors die. node1 swaps
# on /dev/rackswap0 (4 MiB slabs, replicas=3) over node2-node4 (320M
# each) in a cgroup v2 with memory.max=64M: one process writes 128 MiB and
# verifies it three times, then reads it all once more; two touch random
# pages of 32 MiB. Once 48 MiB were paged out the donor holding the most
# is killed, once 16 MiB more were paged out a second one. Every process
# ends with 0 bad words, no request failed, no slab lost; with one donor
# left the copies cannot be made again (degraded stays above 0, the copies
# of both dead donors counted as dropped); swapoff reads everything back
# from the survivor.
. ./lib.sh
[ "$NODES" -ge 4 ] || skip_all "needs four nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
B=/sys/block/rackswap0
PORT=7490
LOAD="port=$PORT slab_size=4M heartbeat_ms=500 heartbeat_missed=3 reconnect_delay_ms=500 connect_timeout_ms=2000 reconnect_tries=2"
tap_plan

check "rxe on the links" rxe_links_up
check "load $MOD" rs_load $LOAD

if [ "$NODE" = 1 ]; then
	connect_donors $PORT 2 3 4
	# most: the donor (of $*) we store the most on
	most() {
		local n k=$1
		for n in "$@"; do
			[ "$(stored_on $n)" -le "$(stored_on $k)" ] || k=$n
		done
		echo $k
	}
	check "replicas 3, disksize 320M" sh -c "echo 3 >$B/replicas && echo 320M >$B/disksize"
	check "mkswap, swapon" sh -c "mkswap /dev/rackswap0 >/dev/null && swapon /dev/rackswap0"
	check "cgroup memory.max=64M" swap_cgroup 64M
	out0=$(vmstat pswpout)
	in_cgroup memtouch -v 1 seq 128 3 >/tmp/seq.out &
	seq=$!
	rand_run 2 32 20000 &
	rnd=$!
	check "48 MiB paged out" retry 600 paged 48
	log "stored: node2 $(stored_on 2), node3 $(stored_on 3), node4 $(stored_on 4)"
	k=$(most 2 3 4)
	# every slab on all three (equal once no slab is being bound)
	same() { [ "$(stored_on 2)" = "$(stored_on 3)" ] && [ "$(stored_on 3)" = "$(stored_on 4)" ]; }
	check "three copies: every donor holds as much as the others" retry 60 same
	log "killing node$k"
	echo "RIG-KILL $k"
	check "64 MiB paged out" retry 600 paged 64
	rest=""
	for n in 2 3 4; do [ $n = $k ] || rest="$rest $n"; done
	# shellcheck disable=SC2086 # the two survivors
	k2=$(most $rest)
	log "killing node$k2 ($(stored_on $k2) bytes stored there)"
	echo "RIG-KILL $k2"
	wait $seq
	log "$(cat /tmp/seq.out)"
	check "128 MiB verified 3 times and read once more across both kills: 0 bad words" \
		grep -q ': 0 bad words' /tmp/seq.out
	check "2 random processes: 0 bad words" wait $rnd
	log "$(cat /tmp/rand.* | tr '\n' ';')"
	log "dropped $(cat $D/copies_dropped), rebuilt $(cat $D/copies_rebuilt), degraded $(cat $B/degraded); io_stat $(cat $B/io_stat)"
	check "no request failed" [ "$(cut -d' ' -f6 $B/io_stat)" = 0 ]
	check "no slab lost" [ "$(cat $D/slabs_lost)" = 0 ]
	degraded() { [ "$(cat $B/degraded)" -gt 0 ] && [ "$(cat $D/copies_dropped)" -gt 0 ]; }
	check "one donor left: copies dropped, slabs degraded" retry 120 degraded
	check "swapoff reads everything back from the survivor" swapoff /dev/rackswap0
	check "no request failed" [ "$(cut -d' ' -f6 $B/io_stat)" = 0 ]
	check "reset" sh -c "echo 1 >$B/reset"
	rmdir $CG/swap
	check "rmmod" rs_unload
	tap_done
fi

# node1 kills two of the three donors; a survivor waits for it to leave
donor_until_gone 320M 1100
