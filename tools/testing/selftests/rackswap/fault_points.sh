#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=none debug=yes timeout=1200 ioerr=yes
#
# The module's fault points (CONFIG_RACKSWAP_FAULT_INJECTION, built when the
# kernel has the fault-injection debugfs: the debug kernel) under a real
# workload, donor and client in one kernel (loopback mode, 4 MiB slabs, a
# 64 MiB /dev/rackswap0). Skipped when /sys/kernel/debug/rackswap/fault is
# absent. Each point is turned on in turn (verbose=0: no stack dump in the
# log) while fio writes 64k blocks at random over the freshly discarded
# device at QD8 and verifies them (crc32c), so that slabs are bound, the
# pool refilled (allocations, slab RPCs, grant registrations on the donor)
# and RDMA flows:
#   alloc     1 in 10 allocations fails, 8 times
#   rpc_send  every 5th message posted fails, 3 times (each: the
#             connection is lost and made again)
#   reg       every 5th registration step fails, 3 times (the same)
#   post      every 150th post fails, 4 times (the same; the
#             I/Os are requeued)
#   refuse    every 100th RDMA completion reads as refused, twice:
#             each refused I/O is tried again on a new connection and
#             fio passes with no I/O error; then a write refused three
#             times fails with EIO
# For each: failures were injected (the point's "times" counted down; the
# count is logged), fio ended (no hang) with its data verified or with
# clean I/O errors (never a verify failure), and once the point is off
# the connection is ready again and a write+verify fio passes. Then
# allocations that fail during a reconnection (made by one failed receive
# post) only delay it; hot_add and disksize under a failing allocation
# fail with ENOMEM and work afterwards; swap under post faults: a process
# in a cgroup (memory.max=32M) writes 64 MiB and verifies every word;
# swapoff, reset, disconnect, rmmod; kmemleak finds nothing of ours.
. ./lib.sh
F=$DBG/fault
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
H=/sys/class/rackswap-control
B=/sys/block/rackswap0

rxe_loopback_up >/dev/null 2>&1
if ! rs_load loopback=1 donate=256M slab_size=4M release_delay_s=1 \
	heartbeat_ms=500 reconnect_delay_ms=100 reconnect_tries=50; then
	tap_plan
	not_ok "load $MOD"
	tap_done
fi
if [ ! -d $F ]; then
	rs_unload
	skip_all "no $F: $MOD built without CONFIG_RACKSWAP_FAULT_INJECTION"
fi
tap_plan
check "loaded; fault points alloc, rpc_send, reg, post, refuse" sh -c \
	"[ -e /sys/class/infiniband/rxe0 ] && for p in alloc rpc_send reg post refuse; do
		[ -e $F/\$p/probability ] && [ -e $F/\$p/times ] || exit 1; done"
check "every point starts off (probability 0)" sh -c \
	"[ \$(cat $F/*/probability | sort -u) = 0 ]"
# leaks from earlier tests are theirs: only new reports count at the end
if debug_kernel; then
	echo scan >$KMEMLEAK
	echo clear >$KMEMLEAK
fi

# fault_on POINT PROBABILITY INTERVAL TIMES: POINT fails, when its
# INTERVAL-th call comes, with PROBABILITY percent, TIMES times at most;
# verbose=0: no "FAULT_INJECTION" line, no stack dump
fault_on() {
	echo 0 >$F/$1/verbose &&
		echo 0 >$F/$1/space &&
		echo "$3" >$F/$1/interval &&
		echo "$4" >$F/$1/times &&
		echo "$2" >$F/$1/probability
}
fault_off() { echo 0 >$F/$1/probability; }
# injected POINT TIMES: the failures POINT made of the TIMES it was given
injected() { echo $(($2 - $(cat $F/$1/times))); }

ready() {
	[ "$(cat $C/peers/$out/state)" = live ] && [ "$(cat $C/peers/$in/state)" = live ] &&
		[ "$(cat $C/peers/$out/data_qps)" -ge 1 ] && [ "$(cat $C/peers/$in/data_qps)" -ge 1 ]
}
# the pool has a slab again, or every slot is bound (a refill that
# failed is retried every second)
pool_back() {
	[ "$(cat $D/slabs_pooled)" -ge 1 ] || [ "$(cat $D/slabs_bound)" -ge 16 ]
}

# fio_run IO_SIZE: random 64k writes over the device at QD8, verified
# (crc32c); sets fio_rc and fio_err (fio's error number; "none": no result)
fio_run() {
	local t
	t=$(timeout 600 fio --name=fp --filename=/dev/rackswap0 --ioengine=libaio \
		--direct=1 --size=64M --rw=randwrite --bs=64k --iodepth=8 \
		--io_size="$1" --verify=crc32c --minimal 2>/tmp/fio.err)
	fio_rc=$?
	fio_err=$(echo "$t" | cut -d';' -f5)
	[ -n "$fio_err" ] || fio_err=none
	log "fio $1: rc $fio_rc, error $fio_err; $(tr '\n' ' ' </tmp/fio.err | cut -c1-300)"
	[ $fio_rc = 0 ] && [ "$fio_err" = 0 ]
}
# no corruption: fio was not killed (hang) and found no bad block (EILSEQ,
# "verify" messages); I/O errors are clean failures
fio_clean() {
	[ $fio_rc != 124 ] && [ "$fio_err" != 84 ] &&
		! grep -qiE 'verify.*(fail|bad)|bad magic|crc32c' /tmp/fio.err
}

# discarded: every slab goes back, so the next writes bind slabs again
discarded() {
	blkdiscard /dev/rackswap0 && retry 30 sh -c "[ \$(cat $D/slabs_bound) = 0 ]"
}

loop_connect
check "disksize 64M" sh -c "echo 64M >$B/disksize"
check "fio write+verify before any fault" fio_run 8M

# point POINT PROBABILITY INTERVAL TIMES: the workload under POINT
point() {
	local p=$1 n f0 r0
	f0=$(cat $D/alloc_failures)
	r0=$(($(cat $C/peers/$out/reconnects) + $(cat $C/peers/$in/reconnects)))
	check "$p: the device's slabs all went back (discard)" discarded
	check "$p: on (probability $2, interval $3, times $4, verbose 0)" fault_on "$@"
	fio_run 16M
	fault_off "$p"
	n=$(injected "$p" "$4")
	log "$p: $n fault(s) injected; fio rc $fio_rc error $fio_err; slab alloc failures +$(($(cat $D/alloc_failures) - f0)); reconnects +$(($(cat $C/peers/$out/reconnects) + $(cat $C/peers/$in/reconnects) - r0))"
	check "$p: $n fault(s) injected" [ "$n" -gt 0 ]
	check "$p: fio ended, verified or with clean I/O errors (no hang, no bad data)" fio_clean
	check "$p: off; both peers live, RDMA ready" retry 120 ready
	check "$p: the pool refills" retry 60 pool_back
	check "$p: fio write+verify passes again" fio_run 8M
}
point alloc 10 1 8
point rpc_send 100 5 3
point reg 100 5 3
point post 100 150 4

# refuse: a completion that reads as the remote's refusal (an invalid
# request: soft-RoCE has answered valid writes so under load) resets the
# connection, and the I/O is tried again on the next one
check "refuse: the device's slabs all went back (discard)" discarded
f0=$(cat $C/peers/$out/io_failed)
r0=$(cat $C/peers/$out/reconnects)
check "refuse: on (probability 100, interval 100, times 2, verbose 0)" fault_on refuse 100 100 2
fio_run 16M
fault_off refuse
n=$(injected refuse 2)
log "refuse: $n refusal(s) injected; fio rc $fio_rc error $fio_err; io_failed +$(($(cat $C/peers/$out/io_failed) - f0)); reconnects +$(($(cat $C/peers/$out/reconnects) - r0))"
check "refuse: 2 refusals injected" [ "$n" = 2 ]
check "refuse: fio verified, no I/O failed (each refused one tried again)" sh -c \
	"[ $fio_rc = 0 ] && [ $fio_err = 0 ] && [ $(cat $C/peers/$out/io_failed) = $f0 ]"
check "refuse: the connection was made again" [ "$(cat $C/peers/$out/reconnects)" -gt "$r0" ]
check "refuse: both peers live, RDMA ready" retry 120 ready
# a refusal that repeats is real: an I/O refused three times fails
dd if=/dev/urandom of=/tmp/blk bs=4k count=1 2>/dev/null
check "refuse: on for every completion, 3 times" fault_on refuse 100 1 3
dd if=/tmp/blk of=/dev/rackswap0 bs=4k count=1 oflag=direct 2>/tmp/dd.err
rc=$?
fault_off refuse
log "refuse: dd exit $rc: $(tr '\n' ' ' </tmp/dd.err)"
check "refuse: a 4k write refused 3 times fails with EIO (3 refusals made)" sh -c \
	"[ $rc != 0 ] && grep -qiE 'input/output error|I/O error' /tmp/dd.err && [ $(injected refuse 3) = 3 ]"
check "refuse: off; both peers live, RDMA ready" retry 120 ready
check "refuse: fio write+verify passes again" fio_run 8M

# a connection lost by a failed receive post (the heartbeats repost every
# 500 ms), and the next two allocations fail: the reconnection's buffers
# or key refresh; it only takes longer
r0=$(cat $C/peers/$out/reconnects)
both_on() { fault_on alloc 100 1 2 && fault_on post 100 1 1; }
check "reconnect: alloc on (interval 1, times 2), then post (times 1)" both_on
check "reconnect: the connection was lost and made again" retry 120 sh -c \
	"[ \$(cat $C/peers/$out/reconnects) -gt $r0 ]"
check "reconnect: both peers live, RDMA ready" retry 120 ready
fault_off alloc
fault_off post
na=$(injected alloc 2)
np=$(injected post 1)
log "reconnect: $np post and $na alloc fault(s) injected, reconnects +$(($(cat $C/peers/$out/reconnects) - r0))"
check "reconnect: the post fault was injected" [ "$np" = 1 ]
check "reconnect: alloc faults were injected ($na)" [ "$na" -gt 0 ]
check "reconnect: fio write+verify passes" fio_run 8M

# errors a user sees: hot_add and disksize fail with ENOMEM, and work after.
# task-filter: only the allocations of a task with make-it-fail set may
# fail, so the one made for the user, not a background refill's.
# user_fault CMD: CMD in a shell whose next allocation fails; its status
user_fault() {
	local rc
	echo Y >$F/alloc/task-filter && fault_on alloc 100 1 1 || return 0
	sh -c "echo 1 >/proc/self/make-it-fail && $1" 2>/dev/null
	rc=$?
	fault_off alloc
	echo N >$F/alloc/task-filter
	return $rc
}
user_fault "read id <$H/hot_add"
rc=$?
check "hot_add under a failing allocation: refused, one fault, logged" sh -c \
	"[ $rc != 0 ] && [ $(injected alloc 1) = 1 ] && dmesg | grep -q 'hot_add: no device made (-12)'"
check "hot_add then works (rackswap1)" sh -c "[ \$(cat $H/hot_add) = 1 ]"
user_fault "echo 16M >/sys/block/rackswap1/disksize"
rc=$?
check "disksize under a failing allocation: refused, one fault, logged" sh -c \
	"[ $rc != 0 ] && [ $(injected alloc 1) = 1 ] && dmesg | grep -q 'rackswap1: not sized'"
check "the device stays unsized" [ "$(cat /sys/block/rackswap1/disksize)" = 0 ]
check "disksize then works" sh -c "echo 16M >/sys/block/rackswap1/disksize"
check "hot_remove 1" sh -c "echo 1 >$H/hot_remove"

# swap under post faults: the I/Os of each lost connection are requeued
check "swap: mkswap, swapon" sh -c "mkswap /dev/rackswap0 >/dev/null && swapon /dev/rackswap0"
check "swap: cgroup memory.max=32M" swap_cgroup 32M
check "swap: post on (interval 300, times 3)" fault_on post 100 300 3
out0=$(vmstat pswpout)
r=$(in_cgroup memtouch seq 64 1)
fault_off post
n=$(injected post 3)
log "swap: $r; pswpout +$(($(vmstat pswpout) - out0)); $n post fault(s) injected"
check "swap: it paged out (16 MiB or more)" [ "$(vmstat pswpout)" -ge $((out0 + 4096)) ]
check "swap: 64 MiB written and verified under post faults: 0 bad words" \
	sh -c "echo '$r' | grep -q ': 0 bad words'"
check "swap: post faults were injected ($n)" [ "$n" -gt 0 ]
check "swapoff" swapoff /dev/rackswap0
rmdir $CG/swap 2>/dev/null

check "reset rackswap0" sh -c "echo 1 >$B/reset"
# by name: both of our peers (the client's and the donor's) close for good,
# so slabs whose grant answer a lost connection took are freed too (else
# the donor keeps them for the client grace_period_s)
check "disconnect both peers (by node name)" sh -c \
	"echo \$(cat /sys/kernel/rackswap/nodename) >$C/disconnect"
check "the donor grants nothing any more" retry 60 sh -c "[ \$(cat $D/granted_bytes) = 0 ]"
check "rmmod" retry 30 rs_unload
check "the fault directory is gone" [ ! -e $DBG ]
if debug_kernel; then
	kmemleak_check
fi
tap_done
