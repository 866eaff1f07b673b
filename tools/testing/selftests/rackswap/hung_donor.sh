#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=3 tier=full debug=no timeout=1200
#
# A donor that stops answering without dying (a stalled machine: its link
# stays up, requests reach it, nothing comes back; in the rig every packet
# it sends to node1 is lost, netem loss 100% on its side, for 40 s).
# (Stopping its QEMU instead also stops node1's: QEMU's stream link then
# blocks the sender.) node1 swaps on /dev/rackswap0 (4 MiB slabs,
# replicas=2) over node2 and node3 (320M each) in a cgroup v2 with
# memory.max=64M; processes write 96 MiB and verify it twice, one after
# the other, throughout. Once 32 MiB were paged out node2 stops answering.
# node1 declares it lost (missed heartbeats), swap-ins go on from node3's
# copies (pswpin grows while node2 is silent), no request fails; once
# node2 answers again node1 reconnects to it and the copies that missed
# writes are made again (degraded 0). Every run verified, no slab lost,
# swapoff, and nothing is granted on either donor while node1 is still
# connected (no free lost, none left to the grace period).
. ./lib.sh
[ "$NODES" -ge 3 ] || skip_all "needs three nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
B=/sys/block/rackswap0
PORT=7488
# iproute2's tc (busybox's applet knows no netem)
TC=/usr/sbin/tc
LOAD="port=$PORT slab_size=4M reconnect_delay_ms=500 connect_timeout_ms=2000 reconnect_tries=100"
tap_plan

check "rxe on the links" rxe_links_up
check "sch_netem loads (the rig builds it in)" modprobe sch_netem
check "load $MOD" rs_load $LOAD

if [ "$NODE" = 1 ]; then
	connect_donors $PORT 2 3
	check "replicas 2, disksize 256M" sh -c "echo 2 >$B/replicas && echo 256M >$B/disksize"
	check "mkswap, swapon" sh -c "mkswap /dev/rackswap0 >/dev/null && swapon /dev/rackswap0"
	check "cgroup memory.max=64M" swap_cgroup 64M
	out0=$(vmstat pswpout)
	rm -f /tmp/stop /tmp/seq.out
	(
		while [ ! -e /tmp/stop ]; do
			in_cgroup memtouch seq 96 2 >>/tmp/seq.out 2>&1 ||
				echo "exit $?" >>/tmp/seq.out
		done
	) &
	seq=$!
	check "32 MiB paged out" retry 600 paged 32
	rc=$(cat $C/peers/$p2/reconnects)
	held=$(stored_on 2)
	check "told node2 to stop answering ($held bytes there)" tell 2 hang
	t0=$(date +%s)
	not_live() { [ "$(cat $C/peers/$p2/state)" != live ]; }
	check "node2 silent: declared lost" retry 60 not_live
	log "node2 declared lost after $(($(date +%s) - t0)) s: $(cat $C/peers/$p2/state)"
	in0=$(vmstat pswpin)
	in_grew() { [ "$(vmstat pswpin)" -gt $((in0 + 256)) ]; }
	check "swap-ins go on from node3 while node2 is silent (pswpin +1 MiB)" retry 30 in_grew
	log "pswpin +$(($(vmstat pswpin) - in0)) while node2 was silent; io_stat $(cat $B/io_stat)"
	check "node2 answers again" hear answering 300
	back() { [ "$(cat $C/peers/$p2/reconnects)" -gt "$rc" ] && peer_live $p2; }
	check "node2 reconnected" retry 300 back
	whole() { [ "$(cat $B/degraded)" = 0 ] && [ "$(cat $D/copies_dropped)" -gt 0 ]; }
	check "the copies that missed writes were dropped and made again (degraded 0)" \
		retry 600 whole
	log "dropped $(cat $D/copies_dropped), rebuilt $(cat $D/copies_rebuilt): $(cat $D/rebuild_bytes) bytes in $(cat $D/rebuild_ms) ms"
	touch /tmp/stop
	wait $seq
	log "$(tr '\n' ';' </tmp/seq.out)"
	runs=$(grep -c '^memtouch' /tmp/seq.out)
	check "$runs runs of 96 MiB verified twice: 0 bad words in each" sh -c \
		"[ $runs -ge 1 ] && [ \$(grep -c ': 0 bad words' /tmp/seq.out) = $runs ] && ! grep -q '^exit' /tmp/seq.out"
	log "io_stat $(cat $B/io_stat)"
	check "no request failed" [ "$(cut -d' ' -f6 $B/io_stat)" = 0 ]
	check "no slab lost" [ "$(cat $D/slabs_lost)" = 0 ]
	check "swapoff" swapoff /dev/rackswap0
	check "reset" sh -c "echo 1 >$B/reset"
	log "frees deferred while a donor was away: $(cat $D/frees_deferred)"
	told() { tell 2 reset && tell 3 reset; }
	check "told the donors: everything given back" told
	# connected until the donors saw every free: one that waited for the
	# silent donor goes once it answers again, not at our unload (there
	# the donor would keep the slab for its grace period)
	heard() { hear checked && hear checked; }
	check "each donor checked that it grants nothing, still connected" heard
	rmdir $CG/swap
	check "rmmod" rs_unload
	tap_done
fi

echo 320M >$D/donate
# node1 may still be in an earlier test of the boot (two_clients ran 365 s
# on node1, 131 s here)
check "node1 connected" retry 900 peer_in_live
if [ "$NODE" = 2 ]; then
	check "told to stop answering" hear hang
	dev=$(link_netdev 1)
	check "every packet to node1 lost (netem loss 100% on $dev)" \
		$TC qdisc add dev "$dev" root netem loss 100%
	sleep 40
	check "answering again" $TC qdisc del dev "$dev" root
	check "told node1" tell 1 answering
fi
check "node1 gave everything back (told)" hear reset 1100
nothing() { [ "$(granted)" = 0 ]; }
check "nothing granted while node1 is still connected: no free lost" \
	retry 120 nothing
check "told node1" tell 1 checked
check "rmmod" retry 60 rs_unload
tap_done
