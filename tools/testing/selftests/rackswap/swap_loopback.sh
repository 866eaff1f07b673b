#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=no timeout=1200
#
# /dev/rackswap0 as swap, donor and swapper in one kernel (loopback mode,
# 4 MiB slabs). Bad values for the device's files are refused and change
# nothing; mkswap + swapon; while swapped on, reset and rmmod are refused.
# In a cgroup v2 with memory.max=64M: one process writes 256 MiB and
# verifies every word, twice; four processes at once touch random pages
# of 64 MiB each (4x the limit), every page verified. pswpout and pswpin
# grow; the device's write bytes match what the donor holds; swapoff
# brings everything back; reset gives every slab back (granted 0).
. ./lib.sh
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
B=/sys/block/rackswap0
M=1048576
tap_plan


check "rxe0 on dummy0" rxe_loopback_up
check "load with loopback=1 donate=512M slab_size=4M" modprobe $MOD \
	loopback=1 donate=512M slab_size=4M heartbeat_ms=500
check "/dev/rackswap0 exists, size 0" [ "$(cat $B/disksize)" = 0 ]
check "disksize refuses abc, 0, 1000, -1 (EINVAL)" bad_write $B/disksize abc 0 1000 -1
check "backend refuses foo" bad_write $B/backend foo
check "reset refuses 2" sh -c "! echo 2 >$B/reset 2>/dev/null"
check "replicas refuses 0, 4, x" bad_write $B/replicas 0 4 x
check "replicas 2: not supported yet (EOPNOTSUPP, logged)" sh -c \
	"! echo 2 >$B/replicas 2>/dev/null && dmesg | grep -q 'only 1 copy is supported'"
check "replicas 1 is taken" sh -c "echo 1 >$B/replicas && [ \$(cat $B/replicas) = 1 ]"
check "connect to ourselves" sh -c "echo '$LOOP_ADDR 7472' > $C/connect"
out=$(krdma_peer direction=out)
in=$(krdma_peer direction=in)
ready() { [ "$(cat $C/peers/$out/data_qps)" -ge 1 ] && [ "$(cat $C/peers/$in/data_qps)" -ge 1 ]; }
check "data QPs up" retry 30 ready
check "disksize 512M" sh -c "echo 512M >$B/disksize"
check "a second disksize is refused (EBUSY)" bad_write $B/disksize 256M
check "backend cannot change once sized" bad_write $B/backend dram
check "mkswap" sh -c "mkswap /dev/rackswap0 >/dev/null"
check "swapon" swapon /dev/rackswap0
check "reset refused while swapped on" sh -c "! echo 1 >$B/reset 2>/dev/null"
check "rmmod refused while swapped on" sh -c "! rmmod $MOD 2>/dev/null"

check "cgroup memory.max=64M" swap_cgroup 64M
out0=$(vmstat pswpout)
in0=$(vmstat pswpin)
r=$(in_cgroup memtouch seq 256 2)
log "$r; pswpout +$(($(vmstat pswpout) - out0)), pswpin +$(($(vmstat pswpin) - in0))"
check "256 MiB written and verified twice under 64M: 0 bad words" \
	sh -c "echo '$r' | grep -q ': 0 bad words'"
check "it paged out (pswpout grew)" [ "$(vmstat pswpout)" -gt $((out0 + 16384)) ]
check "and in (pswpin grew)" [ "$(vmstat pswpin)" -gt "$in0" ]
for i in 1 2 3 4; do
	in_cgroup memtouch rand 64 30000 >/tmp/rand.$i &
done
wait
log "$(cat /tmp/rand.1 /tmp/rand.2 /tmp/rand.3 /tmp/rand.4 | tr '\n' ';')"
check "4 processes of 64 MiB, random pages: 0 bad words" \
	[ "$(grep -c ': 0 bad words' /tmp/rand.1 /tmp/rand.2 /tmp/rand.3 /tmp/rand.4 | grep -c ':1')" = 4 ]
log "io_stat: $(cat $B/io_stat)"
granted=$(cat $D/granted_bytes)
stored=$(($(cat $C/peers/$out/stored_bytes) + $(cat $C/peers/$in/stored_bytes)))
log "donor granted $granted, client stores $stored, slabs bound $(cat $D/slabs_bound) pooled $(cat $D/slabs_pooled)"
check "the donor's granted bytes equal the client's stored bytes" [ "$granted" = "$stored" ]
check "slabs were granted for the swap" [ "$granted" -gt 0 ]
check "swapoff" swapoff /dev/rackswap0
check "no request failed" [ "$(cut -d' ' -f6 $B/io_stat)" = 0 ]
check "reset" sh -c "echo 1 >$B/reset"
check "size 0 again" [ "$(cat $B/disksize)" = 0 ]
check "nothing granted any more" [ "$(cat $D/granted_bytes)" = 0 ]
rmdir $CG/swap
check "rmmod" rmmod $MOD
tap_done
