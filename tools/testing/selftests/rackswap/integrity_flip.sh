#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=3 tier=full debug=yes timeout=1500 ioerr=yes
#
# Every page checked: a donor whose memory goes bad under its client.
# node1 stores on node2 (donates 256M) and node3 (128M), 4 MiB slabs; on
# node1's word node2 flips one bit in every page of every slab it holds
# (the test module's "flip all", with its CPU). node2 has the more room,
# so it gets the first copy of every slab, the one reads go to first.
# - replicas 2, dvs test space: A MiB written, read back clean; after the
#   flip every word still reads back right, node2's checksum_errors grew
#   by exactly the pages read (A x 256), node3's stayed 0, the log names
#   node2 and the slot, no copy was dropped and no slab lost.
# - replicas 2, /dev/rackswap0 (O_DIRECT dd): B MiB of random bytes
#   written; after the flip they read back the same, 4 KiB at a time (one
#   request in flight: each goes to node2's copy first), integrity_stat
#   counts exactly B x 256 bad pages and as many reads recovered, none
#   failed, as many as node2's checksum_errors grew by; no request failed.
# - replicas 1, swap on /dev/rackswap0 in a cgroup with memory.max=16M:
#   memtouch writes and verifies S MiB; once S/2 MiB were paged out, the
#   flip: the process gets SIGBUS, never a bad word; integrity_stat counts
#   failed reads, its bad pages as many as node2's checksum_errors grew
#   by; swapoff completes.
# On the debug kernel A, B and S are smaller.
. ./lib.sh
[ "$NODES" -ge 3 ] || skip_all "needs three nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
B=/sys/block/rackswap0
PORT=7493
LOAD="port=$PORT slab_size=4M pool_min=1 pool_max=2 release_delay_s=1"
if debug_run; then
	A=8 BW=4 SW=24
else
	A=16 BW=8 SW=32
fi
tap_plan

check "rxe on the links" rxe_links_up
check "load $MOD" rs_load $LOAD

if [ "$NODE" = 1 ]; then
	both_ready() { hear ready 300 && hear ready 300; }
	check "both donors donate" both_ready
	connect_donors $PORT 2 3
	errs() { cat "$C/peers/$(eval echo "\$p$1")/checksum_errors"; }
	integ() { cut -d' ' -f"$1" $B/integrity_stat; }
	none_on2() { [ "$(stored_on 2)" = 0 ]; }
	# flip: node2 flips a bit in every page it holds; FLIP: its result,
	# "ok:<slabs>:<pages>"
	flip() {
		local r=0
		ask 2 flip || r=1
		FLIP=$ANSWER
		log "stored there: $(cat $C/peers/$p2/stored_slabs) slabs"
		return $r
	}
	# flipped_all: node2 flipped every page of every slab we store there
	flipped_all() {
		local s
		s=$(cat $C/peers/$p2/stored_slabs)
		[ "$FLIP" = "ok:$s:$((s * 1024))" ]
	}

	# --- replicas 2: the dvs test space -------------------------------
	check "a space of ${A}M in 2 copies" ctl "create ${A}M rdma 2"
	check "its pool fills" ctl "fill 60000"
	check "${A}M written" ok_res "$(cmd "write 0 $((A * M)) 5 $M 30000")"
	check "read back: every word verified" ok_res "$(cmd "read 0 $((A * M)) 5 $M")"
	check "no checksum error yet" [ "$(errs 2)$(errs 3)" = 00 ]
	check "both donors hold a copy of every slab" [ "$(stored_on 2)" = "$(stored_on 3)" ]
	drop0=$(cat $D/copies_dropped)
	kmsg_mark
	check "node2 flips a bit in every page it holds" flip
	check "... of every slab of ours" flipped_all
	e2=$(errs 2)
	r=$(cmd "read 0 $((A * M)) 5 $M")
	log "read after the flip: $r; checksum_errors node2 $(errs 2), node3 $(errs 3)"
	check "read back after the flip: every word verified" ok_res "$r"
	check "node2's checksum_errors grew by every page read ($((A * 256)))" \
		[ "$(errs 2)" = $((e2 + A * 256)) ]
	check "node3's stayed 0" [ "$(errs 3)" = 0 ]
	since_mark | grep 'read back corrupt' | head -n 3 | sed 's/^/# /'
	check "the log names node2 and the slot" \
		logged "peer $p2 (node2): .* of slot [0-9]* read back corrupt"
	check "no copy dropped, no slab lost" \
		[ "$(cat $D/copies_dropped) $(cat $D/slabs_lost)" = "$drop0 0" ]
	check "destroy the space" ctl "destroy"
	check "nothing stored on node2 any more" retry 30 none_on2

	# --- replicas 2: the block device -----------------------------------
	check "rackswap0: replicas 2, disksize 64M" \
		sh -c "echo 2 >$B/replicas && echo 64M >$B/disksize"
	dd if=/dev/urandom of=/tmp/pat bs=1M count=$BW 2>/dev/null
	check "${BW}M of random bytes written (O_DIRECT)" \
		dd if=/tmp/pat of=/dev/rackswap0 bs=1M oflag=direct status=none
	# same BS: the device's first BW MiB, read in O_DIRECT blocks of BS
	# KiB one after the other, are the pattern's bytes
	same() {
		dd if=/dev/rackswap0 bs=$(($1 * 1024)) count=$((BW * 1024 / $1)) \
			iflag=direct status=none | cmp - /tmp/pat
	}
	check "read back: the same bytes" same 1024
	check "integrity_stat 0 0 0" [ "$(cat $B/integrity_stat)" = "0 0 0" ]
	kmsg_mark
	check "node2 flips a bit in every page it holds" flip
	check "... of every slab of ours" flipped_all
	e2=$(errs 2)
	check "read back after the flip, 4 KiB at a time: the same bytes" same 4
	log "integrity_stat $(cat $B/integrity_stat); io_stat $(cat $B/io_stat)"
	check "integrity_stat: $((BW * 256)) bad pages, as many reads recovered, none failed" \
		[ "$(cat $B/integrity_stat)" = "$((BW * 256)) $((BW * 256)) 0" ]
	check "node2's checksum_errors grew by as many" [ "$(errs 2)" = $((e2 + BW * 256)) ]
	check "no request failed" [ "$(cut -d' ' -f6 $B/io_stat)" = 0 ]
	check "reset" sh -c "echo 1 >$B/reset"
	check "nothing stored on node2 any more" retry 30 none_on2

	# --- replicas 1: swap ---------------------------------------------
	check "replicas 1, disksize 128M, mkswap, swapon" sh -c \
		"echo 1 >$B/replicas && echo 128M >$B/disksize && mkswap /dev/rackswap0 >/dev/null && swapon /dev/rackswap0"
	check "cgroup memory.max=16M" swap_cgroup 16M
	out0=$(vmstat pswpout)
	in_cgroup memtouch seq $SW 20 >/tmp/mt.out 2>&1 &
	mt=$!
	check "$((SW / 2)) MiB paged out" retry 600 paged $((SW / 2))
	e2=$(errs 2)
	b0=$(integ 1)
	check "node2 flips a bit in every page it holds" flip
	wait $mt
	rc=$?
	log "memtouch: exit $rc: $(tr '\n' ' ' </tmp/mt.out)"
	log "integrity_stat $(cat $B/integrity_stat); io_stat $(cat $B/io_stat)"
	# SIGBUS: 128 + 7; a bad word would have printed a summary line
	check "the process got SIGBUS, never a bad word" \
		sh -c "[ $rc = 135 ] && ! grep -q 'bad words' /tmp/mt.out"
	check "swapoff completes" swapoff /dev/rackswap0
	check "integrity_stat: reads failed on corrupt pages" [ "$(integ 3)" -gt 0 ]
	as_many() { [ $(($(integ 1) - b0)) = $(($(errs 2) - e2)) ] && [ "$(integ 1)" -gt "$b0" ]; }
	check "its bad pages as many as node2's checksum_errors grew by" as_many
	check "reset" sh -c "echo 1 >$B/reset"
	rmdir $CG/swap
	check "node2 told we are done" tell 2 done
	check "rmmod" rs_unload
	tap_done
fi

# the donors: node2 has more room than node3, and flips on node1's word
if [ "$NODE" = 2 ]; then
	echo 256M >$D/donate
else
	echo 128M >$D/donate
fi
check "node1 told we donate $(cat $D/donate) bytes" tell 1 ready
check "node1 connected" retry 200 peer_in_live
if [ "$NODE" = 2 ]; then
	serve_words 1 flip "flip all" 900
	check "node1 is done after $n flips (3)" [ "$w $n" = "done 3" ]
fi
check "node1 left" retry 1400 donor_alone
check "nothing granted at the end" [ "$(granted)" = 0 ]
check "rmmod" rs_unload
tap_done
