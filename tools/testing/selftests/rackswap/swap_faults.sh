#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=4 tier=full debug=mixed timeout=1500 mem=1024M
#
# mem=1024M (the rig's default for several VMs, spelt apart): a boot of its
# own, away from swap_replicas and dvs_replicas, which kill donors.
#
# Link faults and a donor restart under swap, with two copies of every
# slab. node1 swaps on /dev/rackswap0 (4 MiB slabs, replicas=2) over three
# donors (node2-node4, 400M each: any two hold two copies of the whole
# device) in a cgroup v2 with memory.max=64M; a workload runs throughout
# (processes writing 128 MiB and verifying it twice, one after the other,
# and a process outside the cgroup). Each fault comes once 32 MiB more
# were paged out (in make check-debug, node1 on the debug kernel and the
# donors on the stock one: 64 MiB processes, a fault each 16 MiB):
# (a link down is its cable pulled: lib.sh's cable)
# - node1's link to node2 down for 10 s, then up (beyond the heartbeat's
#   6 s, within node2's grace period): node2 reconnects, its grants kept;
# - node1's RDMA device to node3 deleted for 2 s ("rdma link delete",
#   then "add"): the connection is torn down and made again;
# - node1's link to node4 down for 30 s while node4 (grace period 10 s)
#   frees node1's slabs and reloads its module: node1 reconnects to a new
#   incarnation, voids the copies there and rebuilds them.
# Before the next fault every copy is made again (degraded 0: replicas=2
# holds for one fault at a time). Every process ends with 0 bad words, no
# request fails, no slab is lost, the copies are rebuilt (degraded back
# to 0: time and bytes logged) and swapoff brings everything back: once
# node1 reset its device, while it is still connected, no donor grants
# anything (the frees of copies dropped while a donor was away reached it
# once it was back).
#
# node4 learns when to restart from what it sees: node1's slabs freed at
# the end of its grace period.
. ./lib.sh
[ "$NODES" -ge 4 ] || skip_all "needs four nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
B=/sys/block/rackswap0
PORT=7484
# the default heartbeat (2 s x 3): with 500 ms x 3, four busy emulated VMs
# on two cores lost each other spuriously within the first minute
LOAD="port=$PORT slab_size=4M reconnect_delay_ms=500 connect_timeout_ms=2000 reconnect_tries=100"
# MIB: each process's size; STEP: MiB paged out between faults
if debug_run; then MIB=64 STEP=16; else MIB=128 STEP=32; fi
tap_plan

check "rxe on the links" rxe_links_up
check "load $MOD" rs_load $LOAD

if [ "$NODE" = 1 ]; then
	connect_donors $PORT 2 3 4
	# netdev N: node1's network device on its link to node N
	reconnects() { cat $C/peers/$1/reconnects; }
	# back P N: peer P reconnected more than N times and is ready for RDMA
	back() {
		[ "$(reconnects "$1")" -gt "$2" ] &&
			[ "$(cat $C/peers/$1/state)" = live ] &&
			[ "$(cat $C/peers/$1/data_qps)" -ge 1 ]
	}
	back_or_diag() {
		retry 180 back "$@" && return 0
		rdma_diag "node1: peer $1 not back"
		return 1
	}

	check "replicas 2, disksize 384M" sh -c "echo 2 >$B/replicas && echo 384M >$B/disksize"
	check "mkswap, swapon" sh -c "mkswap /dev/rackswap0 >/dev/null && swapon /dev/rackswap0"
	check "cgroup memory.max=64M" swap_cgroup 64M
	out0=$(vmstat pswpout)
	rm -f /tmp/stop /tmp/seq.out
	# one verified run after another until the faults are over
	(
		while [ ! -e /tmp/stop ]; do
			in_cgroup memtouch seq $MIB 2 >>/tmp/seq.out 2>&1 ||
				echo "exit $?" >>/tmp/seq.out
		done
	) &
	seq=$!
	memtouch seq 16 200 >/tmp/outside.out &
	outside=$!

	check "$STEP MiB paged out" retry 600 paged $STEP
	rc=$(reconnects $p2)
	dropped0=$(cat $D/copies_dropped)
	cable 2 out
	sleep 10
	cable 2 in
	check "link to node2 down 10 s: node2 reconnected" back_or_diag $p2 "$rc"
	rebuilt() { [ "$(cat $B/degraded)" = 0 ]; }
	# one fault at a time: copies that missed writes during a fault are
	# dropped and rebuilt, and replicas=2 promises nothing for a second
	# fault before that ends (the debug kernel's rebuild is slow enough
	# for the next fault to come first: slabs were lost so). A write
	# holds a copy whose donor is away for 5 s at most: a fault longer
	# than that (node2's 10 s) makes the never-ending writes of the
	# workload miss copies, and degraded 0 counts only once those were
	# counted as dropped (since $dropped0, taken before the fault). A
	# shorter one (node3's device, 2 s) may drop none: its writes wait
	# and land; the space's tick (1 s) has seen any drop 2 s after.
	dropped() { [ "$(cat $D/copies_dropped)" -gt "$dropped0" ]; }
	whole() {
		local t0
		t0=$(date +%s)
		if [ "$2" = must-drop ]; then
			retry 120 dropped || { log "$1: no copy dropped"; return 1; }
		else
			sleep 2
		fi
		retry 600 rebuilt || return 1
		log "after $1: degraded 0 in $(($(date +%s) - t0)) s; dropped $(($(cat $D/copies_dropped) - dropped0)) (since the fault), rebuilt $(cat $D/copies_rebuilt) so far"
	}
	check "copies that missed writes dropped, every copy made again (degraded 0)" \
		whole "node2's link" must-drop

	check "$((2 * STEP)) MiB paged out" retry 600 paged $((2 * STEP))
	dev=$(link_netdev 3)
	rc=$(reconnects $p3)
	dropped0=$(cat $D/copies_dropped)
	rdma link delete "rxe_$dev"
	sleep 2
	check "rdma link add rxe_$dev again" rdma link add "rxe_$dev" type rxe netdev "$dev"
	check "RDMA device to node3 deleted 2 s: node3 reconnected" back_or_diag $p3 "$rc"
	check "every copy made again (degraded 0)" whole "node3's RDMA device"

	check "$((3 * STEP)) MiB paged out" retry 600 paged $((3 * STEP))
	rc=$(reconnects $p4)
	dropped0=$(cat $D/copies_dropped)
	t0=$(date +%s)
	cable 4 out
	sleep 30
	cable 4 in
	check "link to node4 down 30 s: node4 reconnected" back_or_diag $p4 "$rc"
	check "it restarted meanwhile: new incarnation logged" sh -c \
		"dmesg | grep -q '($(cat $C/peers/$p4/name)): the remote restarted'"
	check "the copies node4 held were dropped" retry 120 dropped
	check "the copies rebuilt (degraded 0)" retry 600 rebuilt
	log "degraded for $(($(date +%s) - t0)) s after node4's link went down; dropped $(cat $D/copies_dropped), rebuilt $(cat $D/copies_rebuilt): $(cat $D/rebuild_bytes) bytes in $(cat $D/rebuild_ms) ms"

	touch /tmp/stop
	wait $seq
	wait $outside
	log "$(tr '\n' ';' </tmp/seq.out)"
	runs=$(grep -c '^memtouch' /tmp/seq.out)
	check "$runs runs of $MIB MiB verified twice: 0 bad words in each" sh -c \
		"[ $runs -ge 1 ] && [ \$(grep -c ': 0 bad words' /tmp/seq.out) = $runs ] && ! grep -q '^exit' /tmp/seq.out"
	check "the process outside the cgroup: 0 bad words" grep -q ': 0 bad words' /tmp/outside.out
	log "io_stat $(cat $B/io_stat); reconnects: node2 $(reconnects $p2), node3 $(reconnects $p3), node4 $(reconnects $p4)"
	check "no request failed" [ "$(cut -d' ' -f6 $B/io_stat)" = 0 ]
	check "no slab lost" [ "$(cat $D/slabs_lost)" = 0 ]
	dmesg | grep rackswap | grep -v 'reconnecting in' | tail -n 60 | sed 's/^/# /'
	check "swapoff" swapoff /dev/rackswap0
	check "reset" sh -c "echo 1 >$B/reset"
	log "frees deferred while a donor was away: $(cat $D/frees_deferred)"
	told() { tell 2 reset && tell 3 reset && tell 4 reset; }
	check "told the donors: everything given back" told
	heard() { hear checked && hear checked && hear checked; }
	check "each donor checked that it grants nothing, still connected" heard
	rmdir $CG/swap
	check "rmmod" rs_unload
	tap_done
fi

echo 400M >$D/donate
check "node1 connected" retry 200 peer_in_live
# node1 gone: not connected and nothing granted (away within the grace
# period, it still holds its slabs here)
none() { ! krdma_peer direction=in state=live >/dev/null && [ "$(granted)" = 0 ]; }
# node1 away for 60 s: what this side sees, once
(
	away=0
	while [ ! -e /tmp/sf.stop ]; do
		if krdma_peer direction=in state=live >/dev/null; then
			away=0
		else
			away=$((away + 1))
			[ $away = 60 ] && rdma_diag "node$NODE: node1 away for 60 s"
		fi
		sleep 1
	done
) &
watch=$!
if [ "$NODE" = 4 ]; then
	echo 10 >$D/grace_period_s
	some() { [ "$(granted)" -gt 0 ]; }
	check "node1 stores slabs here" retry 600 some
	zero() { [ "$(granted)" = 0 ]; }
	check "node1 gone beyond the 10 s grace period: its slabs freed" retry 900 zero
	# shellcheck disable=SC2086
	reload() { rs_unload && rs_load $LOAD && echo 400M >$D/donate; }
	check "modules reloaded (a new incarnation)" reload
	check "node1 connected again" retry 200 peer_in_live
fi
check "node1 gave everything back (told)" hear reset 1500
nothing() { [ "$(granted)" = 0 ]; }
check "nothing granted while node1 is still connected: no free lost" \
	retry 60 nothing
check "told node1" tell 1 checked
check "node1 left" retry 300 none
touch /tmp/sf.stop
wait $watch
check "nothing granted at the end" [ "$(granted)" = 0 ]
check "rmmod" rs_unload
tap_done
