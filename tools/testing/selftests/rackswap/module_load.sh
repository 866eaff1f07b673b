#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=smoke timeout=600
#
# The modules' metadata (the 8 parameters left) and dependencies (modprobe rackswap brings krdma and
# dvs; modprobe -r rackswap takes them away again), then load/unload 2 x CYCLES
# times (default 20): each load creates the debugfs directory with the
# right version, each unload removes it; no RDMA resource, slab object or free memory goes
# missing cycle after cycle (a leak check on the stock kernel; the debug kernel adds
# kmemleak in kmemleak.sh). The warm-up load makes /dev/rackswap0; the
# counted cycles load with num_devices=0: on 6.1 adding and removing any
# blk-mq disk leaves one inode_cache object and one dentry behind (null_blk
# does the same: +20 over 20 load/unload cycles, measured in the rig).
. ./lib.sh
CYCLES=${CYCLES:-$(rig_arg rackswap.cycles)}
CYCLES=${CYCLES:-20}
tap_plan

ver=$(modinfo -F version $MOD)
check "modinfo: version ($ver)" [ -n "$ver" ]
for m in $MODS; do
	check "modinfo $m: description" [ -n "$(modinfo -F description $m)" ]
	check "modinfo $m: license GPL" [ "$(modinfo -F license $m)" = GPL ]
	check "modinfo $m: version $ver" [ "$(modinfo -F version $m)" = "$ver" ]
	# every parameter has a description ("name:description (type)")
	nodesc=$(modinfo -F parm $m | grep -v '^[a-z_0-9]*:[^ (]' || true)
	check "modinfo $m: every parameter has a description" [ -z "$nodesc" ]
	[ -z "$nodesc" ] || log "without description: $nodesc"
done
# the parameters left (issue 34): the rest are connect options, device
# attributes or sysfs settings
parms() { modinfo -F parm "$1" | sed -n 's/^\([a-z_0-9]*\):.*/\1/p' | sort | tr '\n' ' '; }
check "krdma's parameters: listen nodename peers port uuid" [ "$(parms krdma)" = "listen nodename peers port uuid " ]
check "dvs has no parameter" [ -z "$(parms dvs)" ]
check "rackswap's parameters: blk_queue_depth hw_queues num_devices" \
	[ "$(parms rackswap)" = "blk_queue_depth hw_queues num_devices " ]
# each layer needs the one below and nothing above it
deps() { modinfo -F depends "$1" | tr ',' '\n' | grep -xE 'krdma|dvs|rackswap|rackswap_test' | sort | tr '\n' ' '; }
check "krdma needs none of ours" [ -z "$(deps krdma)" ]
check "dvs needs krdma" [ "$(deps dvs)" = "krdma " ]
check "rackswap needs dvs and krdma, not the test module" [ "$(deps rackswap)" = "dvs krdma " ]
check "the test module needs dvs and krdma" [ "$(deps rackswap_test)" = "dvs krdma " ]
check "the test module imports the RACKSWAP_TEST namespace" \
	[ "$(modinfo -F import_ns rackswap_test)" = RACKSWAP_TEST ]
deps_loaded() {
	[ -e /sys/module/krdma ] && [ -e /sys/module/dvs ] &&
		[ ! -e /sys/module/rackswap_test ]
}
check "modprobe $MOD" modprobe $MOD
check "... loaded krdma and dvs first (depmod), not the test module" deps_loaded
# modprobe -r also tries the dependencies of krdma (rdma_cm, ib_core...),
# which soft-RoCE holds: it says so and fails, having removed ours
modprobe -r $MOD 2>/tmp/mr.err
log "modprobe -r $MOD: $(tr '\n' ' ' </tmp/mr.err)"
check "modprobe -r $MOD unloads rackswap, dvs and krdma" fails rs_loaded
rs_unload

# one load/unload: the debugfs directory appears with the version, and goes
cycle() {
	rs_load "$@" || { log "rs_load failed"; return 1; }
	if [ "$1" != num_devices=0 ] && [ ! -e /sys/block/rackswap0 ]; then
		log "no /sys/block/rackswap0 after the load"
		rs_unload
		return 1
	fi
	v=$(head -n 1 $DBG/version 2>/dev/null)
	if [ "$v" != "$MOD $ver" ]; then
		log "debugfs version reads '$v', want '$MOD $ver'"
		rs_unload
		return 1
	fi
	rs_unload || { log "rmmod failed"; return 1; }
	if [ -e $DBG ] || rs_loaded; then
		log "$DBG or a module of ours still there after rmmod"
		return 1
	fi
}

# rxe up so that RDMA resources are counted; one warm-up cycle before the
# first snapshot (first-load allocations are not leaks)
check "rxe up on dummy0" rxe_loopback_up
check "warm-up load/unload (with /dev/rackswap0)" cycle
check "kernel logged load and unload" sh -c "dmesg | grep -q '$MOD: version $ver loaded' && dmesg | grep -q '$MOD: unloaded'"
# two runs of CYCLES cycles, snapshots before, between and after
res_snapshot /tmp/res.a
t0=$(uptime_s)
i=0
while [ $i -lt $((2 * CYCLES)) ] && cycle num_devices=0; do
	i=$((i + 1))
	[ $i = "$CYCLES" ] && res_snapshot /tmp/res.b
done
log "$i load/unload cycles in $(echo "$t0 $(uptime_s)" | awk '{ printf "%.1f", $2 - $1 }')s"
res_snapshot /tmp/res.c
if [ $i = $((2 * CYCLES)) ] && res_compare /tmp/res.a /tmp/res.b /tmp/res.c "$CYCLES"; then
	ok "2 x $CYCLES load/unload cycles, nothing leaked"
else
	not_ok "2 x $CYCLES load/unload cycles, nothing leaked ($i done)"
fi
tap_done
