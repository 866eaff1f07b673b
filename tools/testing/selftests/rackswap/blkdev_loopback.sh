#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=yes timeout=1200
#
# The block devices without swap, donor and client in one kernel
# (loopback mode, 4 MiB slabs):
# - bad values of every block parameter fail the load; the device's
#   settings are attributes set before disksize: bad disksizes are refused
#   (EINVAL, logged), the slab size rs_load set reads back, disksize sizes
#   the device, and slab_size, pool_min, pool_max and release_delay_s are
#   refused once it is sized (EBUSY, value unchanged); hw_queues=1 and
#   blk_queue_depth=16 give one queue of 16 requests; hot_add makes an
#   unsized /dev/rackswap1 with the default settings (64M slabs), which
#   takes its own slab size before disksize; hot_remove refuses bad numbers,
#   a missing device (ENODEV) and an open one (EBUSY), then removes it;
# - fio --verify=crc32c on the rdma device and on a dram device: random
#   4k writes at QD1, 64k mixed read/write at QD8 (from offset 32K) and 1m
#   writes at QD32 (4K-aligned): many of the last two span slab boundaries; the device's
#   byte counters equal what fio moved, and the read latency histogram
#   counts every read;
# - completion_spin_us on the rdma device: bad values refused (EINVAL,
#   logged, value unchanged), before disksize too; at 200 us fio 4k randrw QD1 and
#   64k randrw QD8 verify, their bytes match the device's, every QD1
#   request spun once (spin_stat: completed + timed out = requests), some
#   were completed by their submitter, the latency histogram and in_flight
#   still add up; at 0 spin_stat stops moving; a device made later starts
#   at 0 whatever the others spin, refuses bad values and takes its own
#   (it then spins in the tracepoint part);
# - the tracepoints: 4 MiB of direct writes and reads give one submit and
#   one complete event (status 0) per request counted in io_stat, adding
#   up to 4 MiB each way, and one bind for the slab; a discard of the slab
#   gives it back (release event, reason empty).
. ./lib.sh
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
H=/sys/class/rackswap-control
B0=/sys/block/rackswap0
B1=/sys/block/rackswap1
TR=/sys/kernel/tracing
tap_plan

check "rxe0 on dummy0" rxe_loopback_up
# refused_load PARAM: the load fails and no module of ours stays loaded
refused_load() { fails rs_load "$1" && ! rs_loaded && [ ! -e /sys/kernel/rackswap ]; }
for a in num_devices=17 num_devices=x hw_queues=257 blk_queue_depth=0 \
	blk_queue_depth=1025; do
	check "$a is refused at load, nothing left loaded" refused_load "$a"
done
# one hardware queue of 16 requests: fio's QD32 waits for tags
check "load with hw_queues=1 blk_queue_depth=16 loopback=1 donate=256M slab_size=4M" \
	rs_load loopback=1 donate=256M slab_size=4M release_delay_s=1 \
	hw_queues=1 blk_queue_depth=16
# the device's settings, before disksize
check "disksize abc is refused (EINVAL)" refused_with $B0/disksize abc "Invalid argument"
k4() {
	kmsg_mark
	refused_with $B0/disksize 1000 "Invalid argument" &&
		logged 'rackswap0: disksize .1000. is not a positive multiple of 4K'
}
check "disksize 1000 (not 4K) is refused, logged" k4
check "disksize -4096 is refused" bad_write $B0/disksize -4096
kmsg_mark
check "completion_spin_us refuses 1001, -1, x before disksize (value unchanged)" \
	bad_write $B0/completion_spin_us 1001 -1 x
check "completion_spin_us 1001: logged" logged 'rackswap0: completion_spin_us .1001. is not 0-1000'
check "rackswap0 still unsized" [ "$(cat $B0/disksize)" = 0 ]
check "rackswap0: slab_size 4M, release_delay_s 1 (set by rs_load)" \
	sh -c "[ \$(cat $B0/slab_size) = $((4 * M)) ] && [ \$(cat $B0/release_delay_s) = 1 ]"
check "disksize 64M" sh -c "echo 64M >$B0/disksize"
check "rackswap0 is 64M" [ "$(cat $B0/disksize)" = $((64 * M)) ]
# sized_busy DEV: the settings that disksize fixed refuse a change (EBUSY)
# and keep their values
sized_busy() {
	local a v
	for a in slab_size:8M pool_min:3 pool_max:8 release_delay_s:5; do
		v=$(cat "/sys/block/$1/${a%%:*}")
		refused_with "/sys/block/$1/${a%%:*}" "${a#*:}" "Device or resource busy" || return 1
		[ "$(cat "/sys/block/$1/${a%%:*}")" = "$v" ] || { log "$1: ${a%%:*} changed"; return 1; }
	done
}
check "sized: slab_size, pool_min, pool_max, release_delay_s refused (EBUSY, unchanged)" sized_busy rackswap0
check "one hardware queue of 16 requests" \
	sh -c "[ \$(ls $B0/mq | wc -l) = 1 ] && [ \$(cat $B0/mq/0/nr_tags) = 16 ]"
check "backend rdma" [ "$(cat $B0/backend)" = rdma ]

# hot_add / hot_remove (write-only: nothing to read back; no device goes)
bad_remove() {
	local v n
	n=$(ls -d /sys/block/rackswap* | wc -l)
	for v in "$@"; do
		printf '%s' "$v" | dd of=$H/hot_remove 2>/dev/null && { log "hot_remove took '$v'"; return 1; }
	done
	[ "$(ls -d /sys/block/rackswap* | wc -l)" = "$n" ]
}
id=$(cat $H/hot_add)
check "hot_add prints 1" [ "$id" = 1 ]
check "/dev/rackswap1 exists, unsized, 64M slabs (the default)" \
	sh -c "[ -b /dev/rackswap1 ] && [ \$(cat $B1/disksize) = 0 ] && [ \$(cat $B1/slab_size) = $((64 * M)) ]"
check "hot_remove refuses abc, -1, 16, 1x (EINVAL)" bad_remove abc -1 16 1x
check "hot_remove 5: no such device (ENODEV)" sh -c "! echo 5 >$H/hot_remove 2>/dev/null && dmesg | grep -q 'no rackswap5'"
exec 3</dev/rackswap1
check "hot_remove 1 while open: EBUSY" sh -c "! echo 1 >$H/hot_remove 2>/dev/null && dmesg | grep -q 'rackswap1 is in use'"
check "reset while open: refused" sh -c "! echo 1 >$B1/reset 2>/dev/null"
exec 3<&-
check "hot_remove 1" sh -c "echo 1 >$H/hot_remove"
check "rackswap1 is gone" sh -c "[ ! -e $B1 ] && [ ! -e /dev/rackswap1 ]"
check "hot_add again prints 1" [ "$(cat $H/hot_add)" = 1 ]
check "reset rackswap1 (unused: frees its space)" sh -c "echo 1 >$B1/reset"
check "backend dram" sh -c "echo dram >$B1/backend"
# 4M slabs as rackswap0's: fio's 64k blocks from 32K on span slabs
check "slab_size 4M" sh -c "echo 4M >$B1/slab_size && [ \$(cat $B1/slab_size) = $((4 * M)) ]"
check "disksize 64M" sh -c "echo 64M >$B1/disksize"
check "slab_size once sized: EBUSY" refused_with $B1/slab_size 2M "Device or resource busy"

loop_connect

# field N of io_stat / the sum of read_latency
io_f() { cut -d' ' -f"$2" /sys/block/$1/io_stat; }
lat_sum() { awk '{ for (i = 1; i <= NF; i++) s += $i } END { print s }' /sys/block/$1/read_latency; }

# fio_job DEV NAME ARGS...: one verified fio job; the device's bytes must
# equal fio's (terse fields 6 and 47: KiB read and written, verify included)
fio_job() {
	local dev=$1 name=$2 r0 w0 t rd wr err
	shift 2
	r0=$(io_f "$dev" 4)
	w0=$(io_f "$dev" 5)
	t=$(fio --name="$name" --filename=/dev/"$dev" --ioengine=libaio \
		--direct=1 --size=64M --verify=crc32c --minimal "$@" 2>/tmp/fio.err) ||
		{ log "fio $name: $(tail -5 /tmp/fio.err)"; return 1; }
	err=$(echo "$t" | cut -d';' -f5)
	rd=$(echo "$t" | cut -d';' -f6)
	wr=$(echo "$t" | cut -d';' -f47)
	log "$dev $name: err $err, read ${rd}K, written ${wr}K; device read $((($(io_f "$dev" 4) - r0) / 1024))K written $((($(io_f "$dev" 5) - w0) / 1024))K"
	[ "$err" = 0 ] && [ "$wr" -gt 0 ] &&
		[ $(($(io_f "$dev" 4) - r0)) = $((rd * 1024)) ] &&
		[ $(($(io_f "$dev" 5) - w0)) = $((wr * 1024)) ]
}

for dev in rackswap0 rackswap1; do
	check "$dev: fio 4k randwrite QD1, verified" fio_job $dev r4k \
		--rw=randwrite --bs=4k --iodepth=1 --io_size=8M
	# from 32K on: every 64th block spans a slab boundary
	check "$dev: fio 64k randrw QD8 (spans slabs), verified" fio_job $dev rw64k \
		--rw=randrw --rwmixread=30 --bs=64k --offset=32k --iodepth=8 --io_size=16M
	check "$dev: fio 1m randwrite QD32 4K-aligned (spans slabs), verified" fio_job $dev w1m \
		--rw=randwrite --bs=1m --blockalign=4k --iodepth=32 --io_size=32M
	log "$dev io_stat: $(cat /sys/block/$dev/io_stat); read_latency: $(cat /sys/block/$dev/read_latency)"
	check "$dev: no request failed" [ "$(io_f $dev 6)" = 0 ]
	check "$dev: read_latency counts every read" [ "$(lat_sum $dev)" = "$(io_f $dev 1)" ]
done
check "the rdma device's slabs are on the donor" [ "$(cat $D/granted_bytes)" -gt 0 ]

# completion_spin_us on the rdma device
S0=$B0/completion_spin_us
# field N of spin_stat (completed timed_out); their sum: requests that spun
spin_f() { cut -d' ' -f"$1" "/sys/block/$2/spin_stat"; }
spun() { awk '{ print $1 + $2 }' "/sys/block/$1/spin_stat"; }
# rqs DEV: read and write requests submitted so far
rqs() { echo $(($(io_f "$1" 1) + $(io_f "$1" 2))); }
# einval FILE VALUE: the write fails with EINVAL
einval() { printf '%s' "$2" | dd of="$1" 2>&1 | grep -q 'Invalid argument'; }
check "rackswap0: completion_spin_us 0 by default, nothing spun" \
	sh -c "[ \$(cat $S0) = 0 ] && [ \"\$(cat $B0/spin_stat)\" = '0 0' ]"
check "completion_spin_us refuses 1001, -1, abc, 5x, 99999999999 (value unchanged)" \
	bad_write $S0 1001 -1 abc 5x 99999999999
check "... with EINVAL" einval $S0 1001
check "... and a log line" \
	sh -c "dmesg | grep -q 'rackswap0: completion_spin_us .abc. is not 0-1000'"
check "completion_spin_us takes 200" sh -c "echo 200 >$S0 && [ \$(cat $S0) = 200 ]"
n0=$(rqs rackswap0) s0=$(spun rackswap0) d0=$(spin_f 1 rackswap0)
check "rackswap0, spin 200 us: fio 4k randrw QD1, verified" fio_job rackswap0 s4k \
	--rw=randrw --bs=4k --iodepth=1 --io_size=8M
n=$(($(rqs rackswap0) - n0)) sp=$(($(spun rackswap0) - s0)) d=$(($(spin_f 1 rackswap0) - d0))
log "QD1: $n requests, $sp spun, $d completed by their submitter; spin_stat $(cat $B0/spin_stat)"
check "QD1: every request spun once (completed + timed out = requests)" \
	sh -c "[ $n -gt 0 ] && [ $sp = $n ]"
check "QD1: some were completed by their submitter" [ "$d" -gt 0 ]
n0=$(rqs rackswap0) s0=$(spun rackswap0) d0=$(spin_f 1 rackswap0)
check "rackswap0, spin 200 us: fio 64k randrw QD8 (spans slabs), verified" fio_job rackswap0 s64k \
	--rw=randrw --rwmixread=30 --bs=64k --offset=32k --iodepth=8 --io_size=16M
n=$(($(rqs rackswap0) - n0)) sp=$(($(spun rackswap0) - s0)) d=$(($(spin_f 1 rackswap0) - d0))
log "QD8: $n requests, $sp spun (the last of each batch), $d completed by their submitter"
check "QD8: at most one spin per request, some completed by their submitter" \
	sh -c "[ $sp -le $n ] && [ $d -gt 0 ]"
check "completion_spin_us takes 0" sh -c "echo 0 >$S0 && [ \$(cat $S0) = 0 ]"
s1=$(cat $B0/spin_stat)
check "rackswap0, spin 0: fio 4k randrw QD1, verified" fio_job rackswap0 n4k \
	--rw=randrw --bs=4k --iodepth=1 --io_size=4M
check "spin_stat does not move at 0" [ "$(cat $B0/spin_stat)" = "$s1" ]
log "rackswap0 io_stat: $(cat $B0/io_stat); read_latency: $(cat $B0/read_latency)"
check "rackswap0: still no request failed, none in flight" \
	[ "$(io_f rackswap0 6) $(io_f rackswap0 8)" = "0 0" ]
check "rackswap0: read_latency still counts every read" [ "$(lat_sum rackswap0)" = "$(io_f rackswap0 1)" ]

# tracepoints
[ -d $TR/events ] || mount -t tracefs nodev $TR
check "tracefs has events/rackswap" [ -d $TR/events/rackswap/rackswap_rq_submit ]
check "hot_remove 1" sh -c "echo 1 >$H/hot_remove"
check "a fresh rackswap1 (rdma): hot_add" sh -c "[ \$(cat $H/hot_add) = 1 ] && [ \$(cat $B1/backend) = rdma ]"
S1=$B1/completion_spin_us
check "it spins 0 (the default)" [ "$(cat $S1)" = 0 ]
check "its completion_spin_us refuses 1001, -1, abc (value unchanged)" bad_write $S1 1001 -1 abc
check "it takes 20 before disksize, rackswap0 still 0" \
	sh -c "echo 20 >$S1 && [ \$(cat $S1) = 20 ] && [ \$(cat $S0) = 0 ]"
check "rackswap1: slab_size 4M, disksize 64M" \
	sh -c "echo 4M >$B1/slab_size && echo 64M >$B1/disksize && [ \$(cat $B1/disksize) = $((64 * M)) ]"
echo 1 >$TR/events/rackswap/enable
echo >$TR/trace
w0=$(io_f rackswap1 2)
r0=$(io_f rackswap1 1)
sp0=$(spun rackswap1)
dd if=/dev/urandom of=/tmp/pat bs=1M count=4 2>/dev/null
dd if=/tmp/pat of=/dev/rackswap1 bs=1M count=4 oflag=direct 2>/dev/null
check "4 MiB back, same bytes" sh -c "dd if=/dev/rackswap1 bs=1M count=4 iflag=direct 2>/dev/null | cmp - /tmp/pat"
w=$(($(io_f rackswap1 2) - w0))
r=$(($(io_f rackswap1 1) - r0))
# tr_count EVENT OP [STATUS]: events of rackswap1; tr_bytes: their lengths
tr_lines() { grep "$1: rackswap1 $2 pos=" $TR/trace | grep "${3:-}"; }
tr_count() { tr_lines "$@" | wc -l; }
tr_bytes() { tr_lines "$@" | sed 's/.* len=\([0-9]*\).*/\1/' | awk '{ s += $1 } END { print s + 0 }'; }
log "trace: $(tr_count rackswap_rq_submit write) write submits for $w writes, $(tr_count rackswap_rq_submit read) read submits for $r reads"
check "one write submit traced per write request" [ "$(tr_count rackswap_rq_submit write)" = "$w" ]
check "they add up to 4 MiB" [ "$(tr_bytes rackswap_rq_submit write)" = $((4 * M)) ]
check "as many write completes, status 0, 4 MiB" sh -c "[ $(tr_count rackswap_rq_complete write 'status=0 ') = $w ] && [ $(tr_bytes rackswap_rq_complete write) = $((4 * M)) ]"
check "one read submit and complete (status 0) per read, 4 MiB" sh -c "[ $(tr_count rackswap_rq_submit read) = $r ] && [ $(tr_count rackswap_rq_complete read 'status=0 ') = $r ] && [ $(tr_bytes rackswap_rq_complete read) = $((4 * M)) ]"
sp=$(($(spun rackswap1) - sp0))
log "rackswap1 spin_stat: $(cat $B1/spin_stat) for $((w + r)) requests"
check "rackswap1's requests spun (1 to one per request)" sh -c "[ $sp -ge 1 ] && [ $sp -le $((w + r)) ]"
check "one slab bound (4 MiB at 0: slot 0)" [ "$(grep rackswap_slab_bind $TR/trace | grep -c 'slot=0 backend=rdma')" = 1 ]
check "discard of the 4 MiB" sh -c "blkdiscard -o 0 -l $((4 * M)) /dev/rackswap1"
rel() { grep rackswap_slab_release $TR/trace | grep -q 'slot=0 reason=empty'; }
check "the slab goes back (release traced, reason empty)" retry 20 rel
check "discard traced" grep -q 'rackswap_rq_submit: rackswap1 discard pos=0 len=4194304' $TR/trace
echo 0 >$TR/events/rackswap/enable

check "hot_remove 1" sh -c "echo 1 >$H/hot_remove"
check "reset rackswap0" sh -c "echo 1 >$B0/reset"
check "nothing granted any more" [ "$(cat $D/granted_bytes)" = 0 ]
check "disconnect" sh -c "echo '$LOOP_ADDR 7472' >$C/disconnect"
check "rmmod" rs_unload
check "rackswap-control is gone" [ ! -e $H ]
tap_done
