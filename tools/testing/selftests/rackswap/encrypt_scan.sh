#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=2 tier=full debug=no timeout=1500
#
# Pages encrypted on the wire and on donors: what a donor holds of a
# client's swap. node1 donates 384M; node2 swaps on /dev/rackswap0 (256M,
# 4 MiB slabs) stored there, in a cgroup with memory.max=16M, where
# memtouch writes MIB MiB, a marker at the start of every 64-byte line of
# every page, in 3 rounds, verifying every word. While half of it was paged
# out, node2 asks node1 to scan every page of the memory it granted for the
# marker (the test module's "scan", with node1's CPU).
# - encrypt=1: encrypt_driver names the gcm(aes) driver (logged: aesni when
#   the CPU's AES instructions are used), empty before disksize and after
#   reset; encrypt refused once sized (EBUSY); node1 finds the marker 0
#   times in the pages it granted (some scanned); every word verified,
#   integrity_stat 0 0 0, no request failed.
# - reset, encrypt=0, the same workload (the negative control): node1
#   finds the marker (more than 0 times); every word verified.
# - encrypt=1 with the dram backend: disksize refused (EINVAL).
. ./lib.sh
[ "$NODES" -ge 2 ] || skip_all "needs two nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
B=/sys/block/rackswap0
PORT=7500
LOAD="port=$PORT slab_size=4M"
# 16 bytes: memtouch puts them at the start of every 64-byte line
MARKER=RSWAP-ENC-MARK16
MIB=48
tap_plan

check "rxe on the links" rxe_links_up
check "load $MOD" rs_load $LOAD

if [ "$NODE" = 2 ]; then
	BUSY="Device or resource busy"
	INVAL="Invalid argument"
	# field N: field N of node1's last scan of the memory it granted for
	# the marker, "ok:<hits>:<slabs>:<pages>" (ask)
	field() { echo "$ANSWER" | cut -d: -f"$1"; }
	stored() { cat $C/peers/$p/stored_bytes; }
	none_stored() { [ "$(stored)" = 0 ]; }
	# run: memtouch writes and verifies the marked pages in the cgroup;
	# node1 scans once half of them were paged out
	run() {
		local mt rc
		out0=$(vmstat pswpout)
		in_cgroup memtouch -m $MARKER seq $MIB 3 >/tmp/mt.out 2>&1 &
		mt=$!
		check "$((MIB / 2)) MiB paged out" retry 600 paged $((MIB / 2))
		check "slabs are stored on node1" [ "$(stored)" -gt 0 ]
		check "node1 scans the memory it granted" ask 1 scan
		check "... some pages of it" [ "$(field 4)" -gt 0 ]
		wait $mt
		rc=$?
		log "memtouch: exit $rc: $(tr '\n' ' ' </tmp/mt.out)"
		log "integrity_stat $(cat $B/integrity_stat); io_stat $(cat $B/io_stat)"
		check "every word verified: 0 bad words" \
			sh -c "[ $rc = 0 ] && grep -q ': 0 bad words' /tmp/mt.out"
		check "integrity_stat 0 0 0" [ "$(cat $B/integrity_stat)" = "0 0 0" ]
		check "no request failed" [ "$(cut -d' ' -f6 $B/io_stat)" = 0 ]
	}

	# --- encrypt=1 ---------------------------------------------------
	check "encrypt 1" sh -c "echo 1 >$B/encrypt"
	check "encrypt_driver empty while not sized" [ -z "$(cat $B/encrypt_driver)" ]
	swap_client $PORT 256M
	drv=$(cat $B/encrypt_driver)
	case $drv in
	*aesni*) log "encrypt_driver: $drv (the CPU's AES instructions)" ;;
	*) log "encrypt_driver: $drv (no AES instructions)" ;;
	esac
	check "encrypt_driver names a gcm(aes) driver" \
		sh -c "echo '$drv' | grep -q 'gcm.*aes'"
	check "encrypt refused once sized: EBUSY" refused_with $B/encrypt 0 "$BUSY"
	check "... still 1" [ "$(cat $B/encrypt)" = 1 ]
	check "cgroup memory.max=16M" swap_cgroup 16M
	run
	check "encrypted: node1 found the marker nowhere" [ "$(field 2)" = 0 ]
	check "swapoff" swapoff /dev/rackswap0
	check "reset" sh -c "echo 1 >$B/reset"
	check "nothing stored on node1 any more" retry 30 none_stored
	check "encrypt_driver empty after reset" [ -z "$(cat $B/encrypt_driver)" ]

	# --- encrypt=0: the negative control -------------------------------
	check "encrypt 0, disksize 256M, mkswap, swapon" sh -c \
		"echo 0 >$B/encrypt && echo 256M >$B/disksize && mkswap /dev/rackswap0 >/dev/null && swapon /dev/rackswap0"
	check "encrypt_driver empty" [ -z "$(cat $B/encrypt_driver)" ]
	run
	check "not encrypted: node1 found the marker" [ "$(field 2)" -gt 0 ]
	check "swapoff" swapoff /dev/rackswap0
	check "reset" sh -c "echo 1 >$B/reset"
	check "nothing stored on node1 any more" retry 30 none_stored

	# --- the dram backend keeps its pages here: nothing to encrypt ------
	check "backend dram, encrypt 1" sh -c "echo dram >$B/backend && echo 1 >$B/encrypt"
	kmsg_mark
	check "disksize refused: EINVAL" refused_with $B/disksize 16M "$INVAL"
	check "... logged" logged "rackswap0: encrypt: 1 is not 0 (the dram backend"
	check "not sized" [ "$(cat $B/disksize)" = 0 ]
	check "backend rdma, encrypt 0" sh -c "echo 0 >$B/encrypt && echo rdma >$B/backend"

	rmdir $CG/swap
	check "node1 told we are done" tell 1 done
	check "rmmod" rs_unload
	tap_done
fi

echo 384M >$D/donate
check "node2 connected" retry 200 peer_in_live
serve_words 2 scan "scan $MARKER" 1200
check "node2 is done after $n scans (2)" [ "$w $n" = "done 2" ]
check "node2 left" retry 600 donor_alone
check "nothing granted at the end" [ "$(granted)" = 0 ]
check "rmmod" rs_unload
tap_done
