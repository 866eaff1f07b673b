#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=yes timeout=300
#
# The ABI files (Documentation/ABI/testing, shipped in the initramfs as
# /rig/abi) match what the modules create, both ways. With every kind of
# object present (a peer each way, a sized device), each
# documented path exists (<N> a device, <id> a peer, <point> a fault
# point when the build has them), and each file under /sys/kernel/rackswap,
# /sys/class/rackswap-control and /sys/kernel/debug/rackswap, and each
# file of /sys/block/rackswap0 that a block device of another driver
# (null_blk's nullb0) does not have, is documented: its own "What:" entry,
# or a line of its directory's entry that starts with its name (a table).
. ./lib.sh
ABI=/rig/abi
T=/tmp/abi
rm -rf $T
mkdir -p $T
tap_plan

check "the ABI files are in the initramfs" [ -d $ABI ]
check "rxe0 on dummy0" rxe_loopback_up
check "load with loopback=1" rs_load loopback=1 donate=64M
loop_connect
check "rackswap0 sized (dram backend)" sh -c \
	"echo dram >/sys/block/rackswap0/backend && echo 16M >/sys/block/rackswap0/disksize"
check "null_blk's nullb0, the other driver's disk" modprobe null_blk nr_devices=1

sed -n 's/^What:[[:space:]]*//p' $ABI/* | sort -u >$T/what
check "the ABI files document paths ($(wc -l <$T/what))" [ -s $T/what ]

# --- every documented path exists -------------------------------------------
id=$(krdma_peer direction=out)
point=$(ls $DBG/fault 2>/dev/null | head -n 1)
missing=0
while read -r w; do
	case $w in
	$DBG/fault/*)
		if [ -z "$point" ]; then
			log "no fault points in this build: $w not looked for"
			continue
		fi
		;;
	esac
	p=$(echo "$w" | sed "s/<N>/0/g; s/<id>/$id/g; s/<point>/$point/g")
	[ -e "$p" ] || { log "documented, missing: $w"; missing=$((missing + 1)); }
done <$T/what
check "every documented path exists" [ $missing = 0 ]

# --- every file of ours is documented ---------------------------------------
# norm PATH: the documented form of PATH (placeholders for ids)
norm() {
	echo "$1" | sed -e "s|^/sys/block/rackswap[0-9]*/|/sys/block/rackswap<N>/|" \
		-e "s|/krdma/peers/[0-9]*/|/krdma/peers/<id>/|" \
		-e "s|^$DBG/fault/[^/]*/|$DBG/fault/<point>/|"
}
# documented PATH: its own entry, or its name leads a line of its
# directory's entry
documented() {
	local n d
	n=$(norm "$1")
	grep -qxF "$n" $T/what && return 0
	d=${n%/*}/
	grep -qxF "$d" $T/what || return 1
	awk -v d="$d" -v f="${n##*/}" '
		/^What:/ { on = ($2 == d) }
		on && $1 == f { found = 1 }
		END { exit !found }' $ABI/*
}
{
	find /sys/kernel/rackswap /sys/class/rackswap-control/ $DBG -type f
	for f in /sys/block/rackswap0/*; do
		[ -f "$f" ] && [ ! -e "/sys/block/nullb0/${f##*/}" ] && echo "$f"
	done
} | grep -v '/uevent$' >$T/ours
undoc=0
while read -r f; do
	documented "$f" || { log "not documented: $f"; undoc=$((undoc + 1)); }
done <$T/ours
log "$(wc -l <$T/ours) files of ours looked at"
check "every file of ours is documented" [ $undoc = 0 ]

rmmod null_blk
echo 1 >/sys/block/rackswap0/reset
rs_unload
check "unloaded" fails rs_loaded
tap_done
