#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=3 tier=full debug=no timeout=1200
#
# Two clients on one donor, kept apart: node1 donates 384M; node2 and
# node3 both connect to it and swap on /dev/rackswap0 (128M, 4 MiB slabs)
# at the same time (node1 starts them together), each 96 MiB written and
# verified twice in a cgroup with memory.max=32M: 0 bad words on both,
# both paged out and in. memtouch salts every run's words with its own
# random value and process id, so a page of the other client's (or of an
# earlier run) served in place of one's own is a bad word. node1 accounts each client
# on its own: its holders list node2 and node3, each with the bytes of
# that peer's granted_bytes (krdma) and of what that client says it
# stores on node1; the two add up to the donor's granted_bytes. Then node2
# writes 96 MiB again and its cgroup is frozen half way (40M or more of
# it on node1, nothing in flight); node3 swaps off and resets its device:
# node3's grants go (its peer's granted bytes 0), node2's granted bytes
# and the donor's checksum of every slab of node2's stay as they were.
# node3, its swap device gone, turns rogue on its connection (the DVS
# test battery of dvs-rogue.c): given the id of one of node2's slabs, its
# FREE of that slab is refused (ENOENT) like the rest of the battery,
# node1 counts the refusals, the slab and its checksum stay. node3
# unloads; node2's cgroup is thawed: every word written before the
# freeze, stored on node1 meanwhile, verifies (0 bad words; pswpin grew).
# At the end nothing is granted.
#
# The battery only speaks the DVS protocol: a client cannot aim one-sided
# RDMA at another peer's grant from here, as no interface hands a remote
# node another peer's keys (test_rogue_rdma, the one-sided part, runs in
# one kernel only: rogue_peer.sh).
. ./lib.sh
[ "$NODES" -ge 3 ] || skip_all "needs three nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
B=/sys/block/rackswap0
SUMS=$DT/donor_sums
PORT=7490
LOAD="port=$PORT slab_size=4M pool_min=2 pool_max=2 reconnect_delay_ms=500"
tap_plan

# heard: the next line another node tells us (tell), within 1200 s
heard() { next_word 1200; }

check "rxe on the links" rxe_links_up
check "load $MOD" rs_load $LOAD

if [ "$NODE" != 1 ]; then
	swap_client $PORT 128M
	check "cgroup memory.max=32M" swap_cgroup 32M
	check "told node1 we are ready" tell 1 ready
	check "node1 says go" hear go
	t0=$(date +%s)
	seq_verify 96 2
	log "node$NODE swapped for $(($(date +%s) - t0)) s"
	stored() { cat $C/peers/$p/stored_bytes; }
	# the pool refills after the last slab taken: wait until it holds
	s=-1
	steady() {
		local s1
		s1=$(stored)
		[ "$s1" = "$s" ] && return 0
		s=$s1
		return 1
	}
	check "our stored bytes on node1 are steady" retry 60 steady
	check "told node1 what we store there ($s)" tell 1 "node$NODE $s"
fi

if [ "$NODE" = 3 ]; then
	check "node1 says reset" hear reset 1800
	check "swapoff" swapoff /dev/rackswap0
	check "no request failed" [ "$(cut -d' ' -f6 $B/io_stat)" = 0 ]
	check "reset" sh -c "echo 1 >$B/reset"
	check "nothing stored on node1 any more" [ "$(stored)" = 0 ]
	rmdir $CG/swap
	foreign=$(heard)
	log "one of node2's slabs on node1: '$foreign'"
	r=$(cmd "rogue $p $foreign")
	log "rogue DVS requests: $r (ok <refused> <sent> <dropped> <unknown ops>)"
	dmesg | grep 'dvs rogue' | sed 's/^/# /'
	# shellcheck disable=SC2086 # the result's fields
	set -- $r
	check "every DVS request refused as expected, the FREE of node2's slab among them ($2 of $3)" \
		sh -c "[ '$1' = ok ] && [ '$2' = '$3' ] && [ '$3' -ge 15 ]"
	check "told node1 the battery's counts" tell 1 "sent=$3 unknown=$5"
	check "our connection is back" retry 60 peer_live "$p"
	check "node1 says unload" hear unload
	check "rmmod" rs_unload
	tap_done
fi

if [ "$NODE" = 2 ]; then
	check "node1 says hold" hear hold 1800
	used() { awk '$1 == "/dev/rackswap0" { print $4 }' /proc/swaps; }
	in_cgroup memtouch seq 96 1 >/tmp/tc.hold &
	job=$!
	# 40M of it on node1: the fill is under way (96M in 32M)
	half() { [ "$(used)" -ge $((40 * 1024)) ] || ! kill -0 $job 2>/dev/null; }
	retry 600 half
	echo 1 >$CG/swap/cgroup.freeze
	check "96 MiB more under way, 40M of it swapped out, frozen" \
		sh -c "[ $(used) -ge $((40 * 1024)) ] && kill -0 $job"
	frozen() { grep -q '^frozen 1' $CG/swap/cgroup.events; }
	idle() { [ "$(cut -d' ' -f8 $B/io_stat)" = 0 ]; }
	still() { frozen && idle; }
	check "its cgroup frozen, nothing in flight" retry 60 still
	s=-1
	check "our stored bytes on node1 are steady" retry 60 steady
	log "frozen: swap used $(used) KiB, stored on node1 $(stored), io_stat $(cat $B/io_stat)"
	check "told node1 we hold" tell 1 held
	check "node1 says thaw" hear thaw
	check "still running (not killed meanwhile)" kill -0 $job
	in0=$(vmstat pswpin)
	echo 0 >$CG/swap/cgroup.freeze
	wait $job
	rc=$?
	log "$(cat /tmp/tc.hold) (exit $rc); pswpin +$(($(vmstat pswpin) - in0))"
	check "every word written before the freeze verifies: 0 bad words" \
		sh -c "[ $rc = 0 ] && grep -q ': 0 bad words' /tmp/tc.hold"
	check "read back from node1 (pswpin grew)" [ "$(vmstat pswpin)" -gt "$in0" ]
	check "no request failed" [ "$(cut -d' ' -f6 $B/io_stat)" = 0 ]
	swap_client_end
	tap_done
fi

# --- node1, the donor ------------------------------------------------------
echo 384M >$D/donate
both_in() {
	p2=$(krdma_peer direction=in state=live name=node2) &&
		p3=$(krdma_peer direction=in state=live name=node3)
}
check "node2 and node3 connected" retry 200 both_in
g() { cat $C/peers/$1/granted_bytes 2>/dev/null || echo 0; }
# holder PEER: its holders line's bytes (none: 0)
holder() { awk -v p="$1" '$1 == p { b = $4 } END { print b + 0 }' $D/holders; }
check "node2 ready" hear ready
check "node3 ready" hear ready
check "told node2 go" tell 2 go
check "told node3 go" tell 3 go
t0=$(date +%s)
# more than the 2 slabs each pool holds from the start
both_hold() { [ "$(g $p2)" -gt $((8 * M)) ] && [ "$(g $p3)" -gt $((8 * M)) ]; }
check "both swap into our memory" retry 600 both_hold
log "both hold slabs $(($(date +%s) - t0)) s after go: node2 $(g $p2), node3 $(g $p3)"
# each client tells what it stores here once its run is over
told_node2=-1 told_node3=-1
for i in 1 2; do
	l=$(heard)
	log "heard: $l"
	# shellcheck disable=SC2086
	set -- $l
	eval "told_$1=$2"
done
log "holders: $(cat $D/holders | tr '\n' ';'); granted $(cat $D/granted_bytes)"
# apart PEER TOLD: the peer's granted bytes, its holders line and what
# the client told agree
apart() { [ "$(g $1)" = "$2" ] && [ "$(holder $1)" = "$2" ]; }
check "node2's granted bytes: its peer's count = its holders line = what node2 stores here ($told_node2)" \
	apart "$p2" "$told_node2"
check "node3's: the same ($told_node3)" apart "$p3" "$told_node3"
check "two holders, and they add up to the donor's granted bytes" sh -c \
	"[ \$(wc -l <$D/holders) = 2 ] && [ \$(cat $D/granted_bytes) = $((told_node2 + told_node3)) ]"

# node2 holds its data here, frozen; node3 resets
check "told node2 hold" tell 2 hold
check "node2 holds, frozen" hear held
g2=$(g $p2)
awk -v p="$p2" '$1 == p' $SUMS >/tmp/sums.a
log "node2: $g2 bytes, $(wc -l </tmp/sums.a) slabs; node3: $(g $p3) bytes"
check "node2's slabs: as many as its granted bytes say" \
	[ $(($(wc -l </tmp/sums.a) * 4 * M)) = "$g2" ]
check "told node3 reset" tell 3 reset
gone3() { [ "$(g $p3)" = 0 ] && [ "$(holder $p3)" = 0 ]; }
check "node3's grants go" retry 120 gone3
log "holders: $(cat $D/holders | tr '\n' ';'); granted $(cat $D/granted_bytes)"
check "node2's stay: its granted bytes, the donor's total" \
	[ "$(g $p2) $(holder $p2) $(cat $D/granted_bytes)" = "$g2 $g2 $g2" ]
awk -v p="$p2" '$1 == p' $SUMS >/tmp/sums.b
check "the donor's checksum of every slab of node2's is unchanged" cmp -s /tmp/sums.a /tmp/sums.b

# node3 as a rogue: a slab of node2's to free
ref0=$(cat $D/requests_refused)
foreign=$(awk 'NR == 1 { print $2 }' /tmp/sums.a)
check "told node3 one of node2's slabs ($foreign)" tell 3 "$foreign"
r=$(heard)
ref1=$(cat $D/requests_refused)
log "node3's battery: $r; we refused $((ref1 - ref0))"
check "we refused each request of node3's we serve ($((ref1 - ref0)) = sent - unknown ops)" \
	[ $((ref1 - ref0)) = $(($(field sent "$r") - $(field unknown "$r"))) ]
awk -v p="$p2" '$1 == p' $SUMS >/tmp/sums.c
check "node2's slabs, the one node3 tried to free among them, are all there, unchanged" \
	cmp -s /tmp/sums.a /tmp/sums.c
check "node2's granted bytes unchanged" [ "$(g $p2)" = "$g2" ]
check "told node3 unload" tell 3 unload
n3gone() { ! krdma_peer direction=in name=node3 >/dev/null; }
check "node3 left" retry 120 n3gone
check "node2's grants still there" [ "$(g $p2) $(cat $D/granted_bytes)" = "$g2 $g2" ]
check "told node2 thaw" tell 2 thaw

none() { [ "$(cat $D/granted_bytes)" = 0 ]; }
check "after node2's reset nothing is granted" retry 600 none
n2gone() { ! krdma_peer direction=in name=node2 >/dev/null; }
check "node2 left" retry 120 n2gone
check "holders empty" [ -z "$(cat $D/holders)" ]
check "rmmod" rs_unload
tap_done
