#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=3 tier=full debug=yes timeout=1800 mem=1G
#
# mem=1G: a boot of its own (a donor is killed).
#
# The local backing device (backing_dev). node1 swaps on /dev/rackswap0
# (one copy of each 4 MiB slab, over node2 and node3, 256M each) with a
# loop device over a 256M file in a ramfs (/dev/loop0: RAM that is never
# swapped, like brd, but sized here on both kernels: the debug kernel has
# brd built in at 4 MiB) as its backing device.
# - Bad settings are refused with an errno and a log line: a relative
#   path, a missing device, a rackswap device, a change once sized; a
#   device larger than its backing device is not sized.
# - In a cgroup with memory.max=32M a process writes 96 MiB and verifies
#   every word 4 times; once 48 MiB were paged out the donor holding the
#   most is killed (its QEMU: a crash). Its pages read back from the
#   backing device: the process ends with 0 bad words (without one it
#   gets SIGBUS: swap_replicas), the backing device served reads and none
#   failed; swapoff completes.
# On the debug kernel, several times slower, the process writes 48 MiB and
# the donor is killed once 24 MiB were paged out.
. ./lib.sh
[ "$NODES" -ge 3 ] || skip_all "needs three nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
B=/sys/block/rackswap0
PORT=7483
# the debug kernel keeps the default heartbeat (2 s x 3): at 500 ms x 3 its
# busy VMs miss heartbeats of live peers
if debug_kernel; then
	WORK=48 HB=
else
	WORK=96 HB="heartbeat_ms=500 heartbeat_missed=3"
fi
LOAD="port=$PORT slab_size=4M $HB reconnect_delay_ms=500 connect_timeout_ms=2000 reconnect_tries=2"
tap_plan

check "rxe on the links" rxe_links_up
check "load $MOD" rs_load $LOAD

if [ "$NODE" = 1 ]; then
	# refused VALUE ERRNO-TEXT LOG: the write fails with that errno, logged
	refused() {
		kmsg_mark
		refused_with $B/backing_dev "$1" "$2" &&
			since_mark | grep -q "$3" &&
			[ "$(cat $B/backing_dev)" = none ]
	}
	BK=/dev/loop0
	backing() {
		modprobe loop && mkdir -p /tmp/bk && mount -t ramfs ramfs /tmp/bk &&
			truncate -s 256M /tmp/bk/img && losetup $BK /tmp/bk/img &&
			[ "$(cat /sys/block/loop0/size)" = 524288 ]
	}
	check "$BK over a 256M file in a ramfs" backing
	check "backing_dev is none at first" [ "$(cat $B/backing_dev)" = none ]
	check "a relative path: EINVAL, logged" \
		refused loop0 "Invalid argument" "takes a device's path or none"
	check "a missing device: ENOENT, logged" \
		refused /dev/nosuchdisk "No such file or directory" "backing device /dev/nosuchdisk"
	check "a rackswap device: EINVAL, logged" \
		refused /dev/rackswap0 "Invalid argument" "is a rackswap device"
	check "backing_dev $BK" sh -c \
		"echo $BK >$B/backing_dev && [ \$(cat $B/backing_dev) = $BK ]"
	too_big() {
		kmsg_mark
		refused_with $B/disksize 512M "No space left on device" &&
			since_mark | grep -q "backing device $BK: 268435456 bytes" &&
			[ "$(cat $B/disksize)" = 0 ]
	}
	check "disksize 512M over a 256M backing device: ENOSPC, logged" too_big
	check "none, then $BK again" sh -c \
		"echo none >$B/backing_dev && [ \$(cat $B/backing_dev) = none ] &&
		 echo $BK >$B/backing_dev"
	connect_donors $PORT 2 3
	check "disksize 192M" sh -c "echo 192M >$B/disksize"
	changed() {
		kmsg_mark
		refused_with $B/backing_dev none "Device or resource busy" &&
			since_mark | grep -q "reset it before changing its backing device"
	}
	check "backing_dev once sized: EBUSY, logged" changed
	check "mkswap, swapon" sh -c "mkswap /dev/rackswap0 >/dev/null && swapon /dev/rackswap0"
	check "cgroup memory.max=32M" swap_cgroup 32M
	out0=$(vmstat pswpout)
	in_cgroup memtouch seq $WORK 4 >/tmp/seq.out 2>&1 &
	seq=$!
	check "$((WORK / 2)) MiB paged out" retry 600 paged $((WORK / 2))
	k=2
	[ "$(stored_on 3)" -le "$(stored_on 2)" ] || k=3
	s=$((5 - k))
	log "backing_stat $(cat $B/backing_stat)"
	log "killing node$k ($(stored_on $k) bytes stored there, node$s $(stored_on $s))"
	stored_s=$(stored_on $s)
	echo "RIG-KILL $k"
	# memory from the kill to the end, every 30 s (one debug-kernel run
	# went out of memory with 490 MiB of unreclaimable slab: this log is
	# to tell whose)
	mem_now() {
		echo "$(cut -d' ' -f1 /proc/uptime) s: $(grep -E 'MemFree|Unevict|SUnreclaim' /proc/meminfo |
			tr -s ' \n' ' ')slab KiB $(big_slabs 4)" >>/tmp/mem.log
	}
	while kill -0 $seq 2>/dev/null; do
		mem_now
		sleep 30
	done &
	mem_loop=$!
	wait $seq
	rc=$?
	kill $mem_loop 2>/dev/null
	wait $mem_loop
	mem_now
	while read -r l; do log "$l"; done </tmp/mem.log
	log "memtouch: exit $rc: $(tr '\n' ' ' </tmp/seq.out)"
	check "node$k killed mid-workload: $WORK MiB verified 4 times, 0 bad words" \
		sh -c "[ $rc = 0 ] && grep -q ': 0 bad words' /tmp/seq.out"
	st=$(cat $B/backing_stat)
	log "backing_stat $st; io_stat $(cat $B/io_stat); slabs lost $(cat $D/slabs_lost), rebound $(cat $D/slabs_rebound)"
	# writes write_bytes skipped write_errors reads read_bytes read_errors backed
	set -- $st
	check "the backing device took writes, none failed" sh -c "[ $1 -gt 0 ] && [ $4 = 0 ]"
	check "it served reads of the lost slabs, none failed" sh -c "[ $5 -gt 0 ] && [ $7 = 0 ]"
	check "node$k's slabs found lost" [ "$(cat $D/slabs_lost)" -gt 0 ]
	log "stored on node$s: $stored_s bytes before the crash, $(stored_on $s) after"
	check "swapoff completes" swapoff /dev/rackswap0
	check "reset" sh -c "echo 1 >$B/reset"
	check "backing_dev none" sh -c "echo none >$B/backing_dev"
	# the loop is detached at once only if nobody has it open (else
	# the kernel defers it to the last close: the file stays bound)
	released() {
		losetup -d $BK && [ ! -e /sys/block/loop0/loop/backing_file ]
	}
	check "$BK detaches (nothing holds it)" released
	umount /tmp/bk
	rmdir $CG/swap
	check "rmmod" rs_unload
	tap_done
fi

# node1 kills one of the two donors; a survivor waits for it to leave
donor_until_gone 256M 1100
