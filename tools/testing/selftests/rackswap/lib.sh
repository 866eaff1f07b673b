# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the rackswap selftests (sourced). TAP output, the node's place
# in the rig, RDMA set-up and leak snapshots.

KSFT_SKIP=4
# the block devices' module; rs_load/rs_unload handle all of ours
MOD=rackswap
# what each module shows in debugfs: the product's diagnostics, and the
# test module's files (krdma's tests and test knobs; dvs's test spaces)
DBG=/sys/kernel/debug/rackswap
DK=/sys/kernel/debug/rackswap_test/krdma
DT=/sys/kernel/debug/rackswap_test/dvs

# --- TAP ---------------------------------------------------------------
_tap_n=0
_tap_failed=0
# The plan goes at the end (TAP 13 allows it): it is the count of checks
# made, so a test cannot announce more or fewer than it ran.
tap_plan() { echo "TAP version 13"; }
ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
# the first failure also shows the kernel's last words on the matter (a
# CI log is often all there is to go on)
not_ok() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $*"
	[ $_tap_failed = 1 ] || return 0
	dmesg | grep -E 'rackswap|krdma|dvs|rxe|infiniband' | tail -n 40 | sed 's/^/# dmesg: /'
}
# check DESCRIPTION COMMAND...: one TAP line from a command's status
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
# fails COMMAND...: true when the command fails (its errors not shown)
fails() { ! "$@" 2>/dev/null; }
skip_all() { echo "1..0 # SKIP $*"; exit $KSFT_SKIP; }
tap_done() {
	echo "1..$_tap_n"
	[ $_tap_failed = 0 ] || { echo "# $_tap_failed of $_tap_n failed"; exit 1; }
	exit 0
}
log() { echo "# $*"; }

# --- the rig -------------------------------------------------------------
rig_arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n 1; }
# field KEY LINE: the value of KEY=value in LINE (a test module's result)
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
NODE=$(rig_arg rig.node)
NODE=${NODE:-1}
NODES=$(rig_arg rig.nodes)
NODES=${NODES:-1}
# debug_kernel: true on the debug kernel (KASAN, lockdep, kmemleak), where
# everything runs several times slower: the swap tests size down there
debug_kernel() { [ -e /sys/kernel/debug/kmemleak ]; }
# debug_run: true when any node of the run boots the debug kernel (vm.sh -k
# debug,stock: only node1), where a test's settings must agree on all nodes
debug_run() { case ",$(rig_arg rig.kernels)," in *,debug,*) true ;; *) debug_kernel ;; esac; }

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# --- our modules -----------------------------------------------------------
# In load order: krdma, dvs (it needs krdma), rackswap (it needs dvs) and the
# test module (it needs krdma and dvs; the tests drive it).
MODS="krdma dvs rackswap rackswap_test"

# param_mod NAME: the module of ours that has parameter NAME
param_mod() {
	local m
	for m in krdma dvs rackswap; do
		modinfo -F parm "$m" 2>/dev/null | grep -q "^$1:" && { echo "$m"; return 0; }
	done
	return 1
}

# The settings that were module parameters before they moved (issue 34):
# the connect options, which go in every
# connect string (and peers= entry) a test writes; the device attributes,
# written before disksize (which fixes them), in this order; of those, the
# ones the dvs test space's next create takes ($DT).
CONN_OPTS="heartbeat_ms heartbeat_missed connect_timeout_ms rpc_timeout_ms reconnect_delay_ms reconnect_tries data_qps queue_depth ack_timeout"
DEV_ATTRS="slab_size pool_min pool_max release_delay_s replicas encrypt completion_spin_us disksize"
DT_ATTRS="slab_size pool_min pool_max release_delay_s"
# the connect options of the last rs_load ("k=v k=v", or empty)
RS_OPTS=

# rs_load [NAME=VALUE...]: loads our modules (krdma, dvs, rackswap,
# rackswap_test), then applies each setting where it lives now:
# - a module parameter (krdma: port listen peers nodename uuid; rackswap:
#   num_devices hw_queues blk_queue_depth) goes to modprobe of its module
#   (a value may hold spaces: peers=);
# - a connect option ($CONN_OPTS) goes in RS_OPTS, which the test puts in
#   every connect string it writes (conn_str) and in its peers= entries
#   (rs_load does not add it to peers=: the test writes what it means);
#   given twice, the last value counts;
# - loopback=B: $DK/loopback (the test module's hook);
# - poll_spin_us, inline_softirq: /sys/kernel/rackswap/krdma/NAME;
# - donate, grace_period_s, rebuild_rate_mb, client_limit_mb:
#   /sys/kernel/rackswap/dvs/NAME;
# - $DEV_ATTRS: /sys/block/rackswap*/NAME of every device made at load, in
#   the order of $DEV_ATTRS (disksize last); the first four ($DT_ATTRS)
#   also $DT/NAME, the dvs test space's settings for its next create.
# A name that is none of these fails it, as does a module refusing to load
# or a refused write (stderr names it); a failed rs_load leaves no module
# of ours loaded.
rs_load() {
	local a k m o kp='' dp='' bp='' set=''
	RS_OPTS=
	for a in "$@"; do
		k=${a%%=*}
		case " $CONN_OPTS " in
		*" $k "*)
			o=''
			for m in $RS_OPTS; do [ "${m%%=*}" = "$k" ] || o="$o$m "; done
			RS_OPTS="$o$a"
			continue
			;;
		esac
		case " loopback poll_spin_us inline_softirq donate grace_period_s rebuild_rate_mb client_limit_mb $DEV_ATTRS " in
		*" $k "*)
			set="$set$a
"
			continue
			;;
		esac
		m=$(param_mod "$k") || {
			echo "rs_load: no module of ours has parameter $k" >&2
			return 1
		}
		a="'$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'"
		case $m in
		krdma) kp="$kp $a" ;;
		dvs) dp="$dp $a" ;;
		*) bp="$bp $a" ;;
		esac
	done
	eval "modprobe krdma $kp" || return 1
	if ! eval "modprobe dvs $dp"; then rmmod krdma; return 1; fi
	if ! eval "modprobe rackswap $bp"; then rmmod dvs krdma; return 1; fi
	if ! modprobe rackswap_test; then rmmod rackswap dvs krdma; return 1; fi
	rs_settings "$set" || { rs_unload; return 1; }
}

# rs_settings LINES: rs_load's writes of its NAME=VALUE lines (the last
# value of a name counts), each where it lives, in order
rs_settings() {
	local k v f b
	for k in loopback poll_spin_us inline_softirq donate grace_period_s \
		rebuild_rate_mb client_limit_mb $DT_ATTRS; do
		printf '%s' "$1" | grep -q "^$k=" || continue
		v=$(printf '%s' "$1" | sed -n "s/^$k=//p" | tail -n 1)
		case $k in
		loopback) f=$DK/loopback ;;
		poll_spin_us | inline_softirq) f=/sys/kernel/rackswap/krdma/$k ;;
		donate | grace_period_s | rebuild_rate_mb | client_limit_mb) f=/sys/kernel/rackswap/dvs/$k ;;
		*) f=$DT/$k ;;
		esac
		rs_set "$f" "$k" "$v" || return 1
	done
	for b in /sys/block/rackswap*; do
		[ -e "$b" ] || continue
		for k in $DEV_ATTRS; do
			printf '%s' "$1" | grep -q "^$k=" || continue
			v=$(printf '%s' "$1" | sed -n "s/^$k=//p" | tail -n 1)
			rs_set "$b/$k" "$k" "$v" || return 1
		done
	done
}
# rs_set FILE NAME VALUE: writes VALUE to FILE; says so on stderr if refused
rs_set() {
	local e
	if ! e=$(printf '%s\n' "$3" 2>&1 >"$1"); then
		echo "rs_load: $2=$3: $1 refused it: $e" >&2
		return 1
	fi
}

# conn_str ADDR PORT: the connect string for ADDR PORT with the connect
# options of the last rs_load (RS_OPTS)
conn_str() { echo "$1 $2${RS_OPTS:+ $RS_OPTS}"; }

# the connect options' defaults, in the order a peer's options file
# (/sys/kernel/rackswap/krdma/peers/N/options) lists them
CONN_DEFAULTS="heartbeat_ms=2000 heartbeat_missed=3 connect_timeout_ms=10000 rpc_timeout_ms=10000 reconnect_delay_ms=1000 reconnect_tries=10 data_qps=0 queue_depth=128 ack_timeout=16"
# the ones the accepting side of a connection takes from the connecting
# side (in the connection request)
CONN_CARRIED="heartbeat_ms heartbeat_missed rpc_timeout_ms ack_timeout queue_depth"

# opts_line [K=V...]: the options file of a peer connected with options
# K=V... (other words, e.g. port=, ignored): every option, the default for
# each one not given; the last value of one given twice
opts_line() {
	local d k v o l=''
	for d in $CONN_DEFAULTS; do
		k=${d%%=*}
		v=${d#*=}
		for o in "$@"; do [ "${o%%=*}" != "$k" ] || v=${o#*=}; done
		l="$l${l:+ }$k=$v"
	done
	echo "$l"
}
# accepted_opts [K=V...]: the options of the accepting side of a connect
# with options K=V...: the carried ones from K=V..., the defaults for the
# rest; data_qps left out (the two sides agree on it as before: see
# opts_read)
accepted_opts() {
	local d k l=''
	for d in $(opts_line "$@"); do
		k=${d%%=*}
		case " $CONN_CARRIED " in
		*" $k "*) ;;
		*) d=$(opts_line | tr ' ' '\n' | grep "^$k=") ;;
		esac
		[ "$k" = data_qps ] || l="$l${l:+ }$d"
	done
	echo "$l"
}
# opts_read ID: peer ID's options file without data_qps (as accepted_opts)
opts_read() {
	tr ' ' '\n' <"/sys/kernel/rackswap/krdma/peers/$1/options" | grep -v '^data_qps=' |
		tr '\n' ' ' | sed 's/ $//'
}

# rs_unload: unloads every module of ours that is loaded, last loaded
# first; stops at the first one that refuses (it says why), failing.
rs_unload() {
	local m
	for m in rackswap_test rackswap dvs krdma; do
		[ -e "/sys/module/$m" ] || continue
		rmmod "$m" || return 1
	done
}

# rs_loaded: true when any module of ours is loaded
rs_loaded() {
	local m
	for m in $MODS; do [ -e "/sys/module/$m" ] && return 0; done
	return 1
}

# mod_pinned M: module M holds a reference to itself (its count is above
# the modules that use it): rmmod M is refused whatever goes first
mod_pinned() {
	[ "$(cat "/sys/module/$1/refcnt")" -gt "$(find "/sys/module/$1/holders/" -mindepth 1 | wc -l)" ]
}

# link_addr A B: the address of node A on its link to node B
link_addr() {
	if [ "$1" -lt "$2" ]; then echo "10.99.$1$2.$1"; else echo "10.99.$2$1.$1"; fi
}

# link_netdev N: our netdev on the link to node N
link_netdev() {
	ip -o -4 addr show | awk -v a="$(link_addr "$NODE" "$1")" '$4 ~ "^" a "/" { print $2 }'
}

# cable N out|in: the cable of our link to node N pulled out, or put back:
# the rig has QEMU take our NIC's link down (up). The NIC loses its carrier
# and no packet crosses, as when a cable or a switch port fails; the
# netdev stays up, with its addresses and routes. Waits until the carrier
# says so. (Link faults are not "ip link set down": see tools/testing/rig/
# vm.sh on what that does to soft-RoCE on 6.1.) Prints the request on the
# results port: call it from the test's own shell, not in $(...) or a pipe.
cable() {
	local dev want=1 state=on
	dev=$(link_netdev "$1")
	[ -n "$dev" ] || { log "cable: no link to node$1"; return 1; }
	[ "$2" = out ] && want=0 state=off
	echo "RIG-LINK $1 $state"
	retry 30 carrier_is "$dev" $want
}
carrier_is() { [ "$(cat "/sys/class/net/$1/carrier" 2>/dev/null)" = "$2" ]; }

# The loopback test mode: donor and swapper in one kernel, rxe on a dummy
# netdev (rxe does not work on lo).
LOOP_ADDR=10.99.0.1
rxe_loopback_up() {
	modprobe -a dummy rdma_rxe ib_uverbs rdma_ucm || return 1
	ip link set dummy0 mtu 9000 up || return 1
	ip addr add $LOOP_ADDR/24 dev dummy0 2>/dev/null
	[ -e /sys/class/infiniband/rxe0 ] || rdma link add rxe0 type rxe netdev dummy0
}

# rxe on each of this node's links to other nodes (eth*, 10.99.x.y)
rxe_links_up() {
	local d dev
	modprobe -a rdma_rxe ib_uverbs rdma_ucm || return 1
	for d in /sys/class/net/eth*; do
		[ -e "$d" ] || continue
		dev=${d##*/}
		[ -e "/sys/class/infiniband/rxe_$dev" ] ||
			rdma link add "rxe_$dev" type rxe netdev "$dev" || return 1
	done
}

# krdma_peer FILE=VALUE...: the id of the first krdma peer whose sysfs files
# hold those values (e.g. direction=out state=live); fails when none does
krdma_peer() {
	local p kv ok
	for p in $(ls /sys/kernel/rackswap/krdma/peers 2>/dev/null); do
		ok=1
		for kv in "$@"; do
			[ "$(cat "/sys/kernel/rackswap/krdma/peers/$p/${kv%%=*}" 2>/dev/null)" = "${kv#*=}" ] ||
				{ ok=0; break; }
		done
		[ $ok = 1 ] && { echo "$p"; return 0; }
	done
	return 1
}

# peer_in_live: a peer that connected to us is live (its id not shown)
peer_in_live() { krdma_peer direction=in state=live >/dev/null; }

# loop_connect: this node connects to itself (loopback=1), with the connect
# options of rs_load (RS_OPTS), and both sides' data QPs come up; sets $out
# and $in, the two peers' ids
loop_connect() {
	local k=/sys/kernel/rackswap/krdma
	check "connect to ourselves" sh -c "echo '$(conn_str $LOOP_ADDR 7472)' > $k/connect"
	out=$(krdma_peer direction=out)
	in=$(krdma_peer direction=in)
	check "data QPs up" retry 30 sh -c \
		"[ \$(cat $k/peers/$out/data_qps) -ge 1 ] && [ \$(cat $k/peers/$in/data_qps) -ge 1 ]"
}

# bad_write FILE VALUE...: each value refused, the file's value unchanged
bad_write() {
	local f=$1 v0 v
	v0=$(cat "$f")
	shift
	for v in "$@"; do
		printf '%s' "$v" | dd of="$f" 2>/dev/null && { log "$f took '$v'"; return 1; }
	done
	[ "$(cat "$f")" = "$v0" ]
}

# retry SECONDS COMMAND...: run COMMAND until it succeeds or time is up
retry() {
	local end=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -lt $end ] || return 1
		sleep 1
	done
}

# rping ROLE ADDR SECONDS OUT: an rping server (-s) or client (-c) on ADDR
# moving RPING_COUNT 4 KiB pings that it validates (-V), with its output in
# OUT; a client retries until the server listens or SECONDS pass.
RPING_COUNT=50
rping_run() {
	local flags="-a $2 -C $RPING_COUNT -S 4096 -V -v"
	if [ "$1" = server ]; then
		# shellcheck disable=SC2086
		timeout "$3" rping -s $flags >"$4" 2>&1
	else
		# shellcheck disable=SC2086
		retry "$3" timeout 30 rping -c $flags >"$4" 2>&1
	fi
}
# rping_verdict ROLE RC OUT: one TAP line: rping ended well and printed
# every ping's data
rping_verdict() {
	local n
	n=$(grep -c 'ping data' "$3")
	log "rping $1: rc=$2, $n of $RPING_COUNT pings"
	if [ "$2" = 0 ] && [ "$n" = $RPING_COUNT ]; then
		ok "rping $1: $RPING_COUNT validated pings"
	else
		not_ok "rping $1: $RPING_COUNT validated pings"
		tail -n 5 "$3" | sed "s/^/# $1: /"
	fi
}

# --- swap workloads -----------------------------------------------------------
CG=/sys/fs/cgroup
# vmstat KEY: a counter of /proc/vmstat (pswpin, pswpout...)
# --- refusals and the kernel log --------------------------------------------
# kmsg_mark: marks the kernel log; since_mark: prints what came after it
MARK=0
kmsg_mark() {
	MARK=$((MARK + 1))
	echo "rackswap-selftest: mark $MARK" >/dev/kmsg
}
since_mark() {
	dmesg -s 4194304 | sed -n "/rackswap-selftest: mark $MARK\$/,\$p" | tail -n +2
}
# logged TEXT: the kernel logged TEXT since the last mark
logged() { since_mark | grep -q "$1"; }
# write_err FILE VALUE: the error a write of VALUE gets (strerror text),
# empty when it is taken
write_err() {
	printf '%s' "$2" | dd of="$1" 2>/tmp/werr.$$ >/dev/null
	sed -n "s/^dd: error writing '.*': //p" /tmp/werr.$$
	rm -f /tmp/werr.$$
}
# refused_with FILE VALUE STRERROR: a write of VALUE fails with STRERROR
refused_with() {
	local e
	e=$(write_err "$1" "$2")
	[ "$e" = "$3" ] || { log "$1 <- '$2': '$e', want '$3'"; return 1; }
}

vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
# swap_cgroup LIMIT: the cgroup v2 "swap" with memory.max=LIMIT
swap_cgroup() {
	mount -t cgroup2 none $CG 2>/dev/null
	echo +memory >$CG/cgroup.subtree_control
	mkdir -p $CG/swap && echo "$1" >$CG/swap/memory.max
}
# in_cgroup CMD...: run CMD in the cgroup "swap"
in_cgroup() { sh -c "echo \$\$ >$CG/swap/cgroup.procs && exec $*"; }

# seq_verify MIB PASSES: memtouch writes MIB MiB in the cgroup and verifies
# every word PASSES times, then reads it all once more without rewriting
# it; checks 0 bad words, that a quarter of it or more was paged out
# (pswpout) and that the read-only pass paged some back in (pswpin)
seq_verify() {
	local out0 in0 r
	out0=$(vmstat pswpout)
	in0=$(vmstat pswpin)
	r=$(in_cgroup memtouch -v 1 seq "$1" "$2")
	log "$r; pswpout +$(($(vmstat pswpout) - out0)), pswpin +$(($(vmstat pswpin) - in0))"
	check "$1 MiB written and verified $2 time(s) in the cgroup, read once more: 0 bad words" \
		sh -c "echo '$r' | grep -q ': 0 bad words'"
	check "it paged out (pswpout grew by $(($1 / 4)) MiB or more)" \
		[ "$(vmstat pswpout)" -ge $((out0 + $1 * 64)) ]
	check "the read-only pass paged in (pswpin grew)" \
		sh -c "echo '$r' | grep -q 'pswpin +[1-9]'"
}

# paged MIB: pswpout grew by MIB MiB or more since $out0 (set by the test)
paged() { [ "$(vmstat pswpout)" -ge $((out0 + $1 * 256)) ]; }

# sort_job LINES: writes /tmp/sortjob, a real program for the swap tests:
# sort of LINES generated 99-byte lines (it holds them all: about 120
# bytes of memory each), printing the md5sum of its output
sort_job() {
	cat >/tmp/sortjob <<EOS
awk 'BEGIN { srand(7); p = sprintf("%90s", "")
	for (i = 0; i < $1; i++) printf "%08x%s\\n", int(rand() * 4294967296), p }' |
	sort | md5sum
EOS
}

# rand_run N MIB TOUCHES: N processes at once in the cgroup, each touching
# TOUCHES random pages of its own MIB MiB (memtouch rand, every page written
# and verified; output in /tmp/rand.*); true when every one found 0 bad words
rand_run() {
	local i pids=
	rm -f /tmp/rand.*
	for i in $(seq "$1"); do
		in_cgroup memtouch rand "$2" "$3" >/tmp/rand.$i &
		pids="$pids $!"
	done
	wait $pids
	[ "$(cat /tmp/rand.* | grep -c ': 0 bad words')" = "$1" ]
}

# rand_verify N MIB TOUCHES: rand_run, logged and checked
rand_verify() {
	local bad=0
	rand_run "$@" || bad=1
	log "$(cat /tmp/rand.* | tr '\n' ';')"
	check "$1 processes of $2 MiB, random pages: 0 bad words" [ $bad = 0 ]
}

# sort_verify LINES LIMIT: sort of LINES generated lines (sort_job) in the
# cgroup under memory.max=LIMIT gives the same checksum as without a limit,
# and paged out (pswpout grew by 8 MiB or more)
sort_verify() {
	local ref got out0 t0
	sort_job "$1"
	ref=$(sh /tmp/sortjob)
	echo "$2" >$CG/swap/memory.max
	out0=$(vmstat pswpout)
	t0=$(date +%s)
	got=$(in_cgroup sh /tmp/sortjob)
	log "sort of $1 lines: $got under $2 in $(($(date +%s) - t0)) s, unlimited $ref; pswpout +$(($(vmstat pswpout) - out0))"
	check "sort under $2: same output as without a limit" \
		sh -c "[ -n '$ref' ] && [ '$got' = '$ref' ]"
	check "sort paged out" [ "$(vmstat pswpout)" -gt $((out0 + 2048)) ]
}

# --- leak snapshots (stock kernel: slab and memory counts; debug: kmemleak) --
# res_snapshot FILE: RDMA resource counts, active objects per slab cache
# (slab_nomerge on the command line keeps caches apart) and free memory;
# on the debug kernel also how many of kmemleak's reports are ours.
# Shrinking every cache first moves the per-CPU slabs back to the lists, so
# that "active objects" counts objects in use, not slab-sized chunks. Each
# write to a cache's shrink file opens a sysfs file, whose open node (72
# bytes, kmalloc-96) kernfs frees with kfree_rcu(), which 6.1 holds up to
# 5 s: read before then, a snapshot counts up to one per cache (donors once
# showed +113 and +201 kmalloc-96 objects, none of them leaked), so the
# counts are read 6 s after the loop, with RDMA's taken before it. Free
# memory is MemFree plus the pages parked on the per-CPU free lists
# (/proc/zoneinfo's pageset counts): MemFree leaves those out, and with one
# CPU they hold up to several MiB, going up and down with no leak at all.
res_snapshot() {
	local s
	rdma resource show | sed 's/^/rdma /' >/tmp/res.rdma
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1 # let RCU-deferred frees run
	for s in /sys/kernel/slab/*/shrink; do
		echo 1 >"$s" 2>/dev/null
	done
	# the shrink files' own deferred frees (above)
	echo 3 >/proc/sys/vm/drop_caches
	sleep 6
	{
		cat /tmp/res.rdma
		awk 'NR > 2 { print "slab", $1, $2 }' /proc/slabinfo
		awk '$1 == "MemFree:" { kb = $2 }
			$1 == "count:" { pcp += $2 }
			END { print "memfree", kb + pcp * 4 }' /proc/meminfo /proc/zoneinfo
		! debug_kernel || echo "kmemleak $(kmemleak_ours)"
	} >"$1"
}

# big_slabs [N]: the N (default 6) slab caches holding the most memory,
# "name:KiB" on one line, for a test's log when memory runs short
big_slabs() {
	awk 'NR > 2 { printf "%d %s\n", $3 * $4 / 1024, $1 }' /proc/slabinfo |
		sort -rn | head -n "${1:-6}" | awk '{ printf "%s:%s ", $2, $1 }'
}

# res_rdma_same A B: the RDMA resource counts of snapshots A and B are equal
res_rdma_same() {
	grep '^rdma' "$1" >/tmp/rdma.a
	grep '^rdma' "$2" >/tmp/rdma.b
	diff /tmp/rdma.a /tmp/rdma.b >/tmp/rdma.diff && return 0
	log "rdma resource counts changed:"
	sed 's/^/#   /' /tmp/rdma.diff
	return 1
}

# res_kmemleak_same A B: on the debug kernel, kmemleak reports no more
# objects of ours in snapshot B than in A (the debug kernel's slab counts
# drift: KASAN's quarantine and slow RCU hold freed objects for a while);
# on the stock kernel true
res_kmemleak_same() {
	local a b
	a=$(awk '$1 == "kmemleak" { print $2 }' "$1")
	b=$(awk '$1 == "kmemleak" { print $2 }' "$2")
	[ -n "$a$b" ] || return 0
	log "kmemleak: ${a:-?} -> ${b:-?} report(s) of ours"
	[ -n "$a" ] && [ -n "$b" ] && [ "$b" -le "$a" ] && return 0
	[ ! -f /tmp/kmemleak ] || sed 's/^/# /' /tmp/kmemleak
	return 1
}

# res_back A OBJS KB: the resources are back after a run (module unloaded):
# snapshots until res_delta against A passes, up to twelve, 10 s apart
# (objects the kernel frees late stay out of a verdict: RCU callbacks,
# the connection manager's timewait and retries, deferred work; with the
# module unloaded, none of them is ours: a leak of ours stays); the last
# comparison is logged. Seen: a donor's kmalloc-96 +113 objects still
# there 30 s after its run (dvs_replicas), +201 once in dvs_three_node.
res_back() {
	local i rc
	for i in $(seq 12); do
		[ "$i" = 1 ] || sleep 10
		res_snapshot /tmp/res.b
		res_delta "$1" /tmp/res.b "$2" "$3" >/tmp/res.log 2>&1
		rc=$?
		[ $rc != 0 ] || break
	done
	cat /tmp/res.log
	return $rc
}

# res_common A B: what every leak check compares: RDMA resource counts and,
# on the debug kernel, kmemleak's reports (where it is the whole check:
# returns 1); res_bad says whether anything differed
res_common() {
	res_bad=0
	res_rdma_same "$1" "$2" || res_bad=1
	debug_kernel || return 0
	res_kmemleak_same "$1" "$2" || res_bad=1
	return 1
}

# res_compare A B C CYCLES [KB]: A, B and C were taken before, between and
# after two runs of CYCLES cycles. Fails when an RDMA resource count
# changed, or when something grew in both runs: a slab cache by CYCLES
# objects or more (one per cycle is a leak), or free memory dropped by more
# than KB (default 64) KiB per cycle. Growth in one run only is noise (page
# cache, the test's own files). RES_KNOWN="cache ...": caches the kernel
# itself leaks one object of per cycle (on 6.1 adding and removing a
# blk-mq disk keeps an inode_cache object and a dentry: see module_load.sh);
# they fail at two objects per cycle. On the debug kernel the slab and
# memory counts are replaced by kmemleak's reports (res_kmemleak_same).
res_compare() {
	res_common "$1" "$3" || return $res_bad
	# files told apart by their order, not their names (two may be one file)
	awk -v n="$4" -v kb="${5:-64}" -v known=" ${RES_KNOWN:-} " '
		FNR == 1 { f++ }
		{ k = $1 == "slab" ? $1 " " $2 : $1 }
		f == 1 { a[k] = $NF; next }
		f == 2 { b[k] = $NF; next }
		{
			lim = index(known, " " $2 " ") ? 2 * n : n
			if ($1 == "slab" && b[k] - a[k] >= lim && $3 - b[k] >= lim) {
				printf "#   slab %s: %d -> %d -> %d objects\n", $2, a[k], b[k], $3
				bad = 1
			}
			if ($1 == "memfree") {
				printf "# free memory %d -> %d -> %d kB\n", a[k], b[k], $2
				if (a[k] - b[k] > kb * n && b[k] - $2 > kb * n) {
					print "#   free memory dropped in both runs"
					bad = 1
				}
			}
		}
		END { exit bad }' "$1" "$2" "$3" || res_bad=1
	return $res_bad
}

# the slab objects one run may add to a cache without counting as a leak:
# the kernel's own first-use growth was at most 25 in these tests (one run
# each on 6.1: dentry, inode and kernfs caches of the disk, skbuffs); a
# leak of one object per slab bound (dozens) or per request reaches it
RES_OBJS=64
# res_delta A B OBJS KB: A was taken before one run, B after it (module
# unloaded). Fails when an RDMA resource count changed, a slab cache holds
# OBJS objects or more than in A, or free memory dropped by more than KB
# KiB; logs the caches that grew most. One run cannot tell a leak from the
# kernel's own first-use allocations, so OBJS is a bound above those (a
# leak per slab, grant or request of a run is hundreds to thousands). On
# the debug kernel the slab and memory counts are replaced by kmemleak's
# reports (res_kmemleak_same).
res_delta() {
	res_common "$1" "$2" || return $res_bad
	awk -v lim="$3" -v kb="$4" '
		FNR == 1 { f++ }
		{ k = $1 == "slab" ? $1 " " $2 : $1 }
		f == 1 { a[k] = $NF; next }
		$1 == "slab" && $3 - a[k] >= lim / 16 { grew[$2] = $3 - a[k] }
		$1 == "slab" && $3 - a[k] >= lim {
			printf "#   slab %s: %d -> %d objects\n", $2, a[k], $3
			bad = 1
		}
		$1 == "memfree" {
			printf "# free memory %d -> %d kB\n", a[k], $2
			if (a[k] - $2 > kb) {
				printf "#   free memory dropped by more than %d kB\n", kb
				bad = 1
			}
		}
		END {
			s = ""
			for (c in grew)
				s = s " " c ":+" grew[c]
			print "# slab caches grown by " int(lim / 16) " or more:" s
			exit bad
		}' "$1" "$2" || res_bad=1
	return $res_bad
}

# --- kmemleak (debug kernel) -------------------------------------------------
KMEMLEAK=/sys/kernel/debug/kmemleak
# kmemleak_ours: scans, then prints how many of kmemleak's reports are ours:
# their backtrace names one of our modules (krdma, dvs, rackswap,
# rackswap_test), or holds a module address that no longer resolves (ours
# are the only modules the tests unload). The reports are
# left in /tmp/kmemleak. An object is reported once it is 5 s old and was
# seen by two scans. Reports stay listed until cleared: a test compares
# counts, or checks for none (kmemleak_check).
kmemleak_ours() {
	sleep 6
	echo scan >$KMEMLEAK
	sleep 6
	echo scan >$KMEMLEAK
	cat $KMEMLEAK >/tmp/kmemleak
	# a report is the lines from "unreferenced object" to the next one
	awk '/^unreferenced object/ { if (rep != "" && mine) n++; rep = $0; mine = 0; next }
		/rackswap|\[krdma\]|\[dvs\]/ || /\[<ffffffffc[0-9a-f]*>\] 0xffffffffc/ { mine = 1 }
		{ rep = rep "\n" $0 }
		END { if (rep != "" && mine) n++; print n + 0 }' /tmp/kmemleak
}

# kmemleak_check [BEFORE]: one TAP line: kmemleak reports no more objects
# of ours than BEFORE (a count from kmemleak_ours; default 0); logs the
# reports (ours in full, the first 60 lines of others')
kmemleak_check() {
	local ours total
	ours=$(kmemleak_ours)
	total=$(grep -c '^unreferenced object' /tmp/kmemleak)
	log "kmemleak: $total report(s), $ours ours (${1:-0} before)"
	if [ "$ours" -le "${1:-0}" ]; then
		ok "no new kmemleak report of our modules"
		[ "$total" = 0 ] || sed 's/^/# other: /' /tmp/kmemleak | head -n 60
	else
		not_ok "no new kmemleak report of our modules"
		sed 's/^/# /' /tmp/kmemleak
	fi
}

# --- authentication (issue 35) -------------------------------------------------
# keys for the tests (32 bytes each, 64 hex digits): two good ones and a wrong one
AUTH_KEY1=6ab9f1eb8f7d3388f4f9d586f66e99fd54080df2c446f0e58668b09c08a16dd0
AUTH_KEY2=015f7e6bc5aeaf483724089e9252cc13b50951a6b69412522765cff4d780306e
AUTH_KEY_BAD=2f05d4b689d270cafb02285f35f44866f7dc8a2d368a3f9d1124373eeab31fb1
# node_uuid N: the UUID a test gives node N (rs_load uuid=...), so that the
# other nodes can allow it
node_uuid() { printf '00000000-0000-4000-8000-%012d\n' "$1"; }
# auth_stat COLUMN: a column of krdma's auth_stat: 1 authenticated,
# 2 auth_failed, 3 strangers, 4 strangers_peak, 5 strangers_refused,
# 6 strangers_dropped, 7 refused_early
auth_stat() { cut -d' ' -f"$1" /sys/kernel/rackswap/krdma/auth_stat; }
# no_key_logged: none of the keys above is in the kernel log
no_key_logged() { ! dmesg | grep -qi -e $AUTH_KEY1 -e $AUTH_KEY2 -e $AUTH_KEY_BAD; }
# connect_err ADDR PORT: the error a connect to ADDR PORT gets (with the
# connect options of rs_load), "" when it went live
connect_err() { write_err /sys/kernel/rackswap/krdma/connect "$(conn_str "$1" "$2")"; }
# no_peer_at ADDR PORT: no peer of ours is at that address
no_peer_at() { ! krdma_peer "address=$1 $2" >/dev/null; }
# keyed_donor: node1 donates 512M, allows node2 (node_uuid 2) with
# AUTH_KEY1, tells node2 so (keyed_work hears it) and waits until node2 is
# connected; sets $p, our peer id of node2
keyed_donor() {
	echo 512M >/sys/kernel/rackswap/dvs/donate
	check "node2 allowed with key 1" \
		sh -c "echo '$(node_uuid 2) $AUTH_KEY1' >/sys/kernel/rackswap/krdma/allow"
	check "told node2" tell 2 keyed
	check "node2 connected" retry 200 peer_in_live
	p=$(krdma_peer direction=in state=live)
}
# keyed_work PORT MIB: node2 holds AUTH_KEY1, waits for node1 to allow it
# (keyed_donor), swaps on node1 (swap_client, 2 x MIB big) in the cgroup
# "swap" with memory.max=48M and starts a workload there in the background
# (memtouch writes MIB MiB and verifies every word twice; $work, output
# in /tmp/work.out); returns once 8 MiB were paged out. Sets $p and $rc0,
# the connection's reconnects at the start.
keyed_work() {
	check "our key: key 1" sh -c "echo $AUTH_KEY1 >/sys/kernel/rackswap/krdma/key"
	check "node1 is keyed" hear keyed
	swap_client "$1" $(($2 * 2))M
	check "cgroup memory.max=48M" swap_cgroup 48M
	rc0=$(cat "/sys/kernel/rackswap/krdma/peers/$p/reconnects")
	in_cgroup memtouch -v 1 seq "$2" 2 >/tmp/work.out 2>&1 &
	work=$!
	out0=$(vmstat pswpout)
	check "the workload pages out" retry 300 paged 8
}
# keyed_work_end [N]: the end of keyed_work's workload: 0 bad words, N
# reconnections (default 0) meanwhile, no request failed; then swapoff,
# reset, and the cgroup goes
keyed_work_end() {
	local n=${1:-0}
	wait "$work"
	log "$(cat /tmp/work.out)"
	check "the workload: 0 bad words" grep -q ': 0 bad words' /tmp/work.out
	check "reconnections meanwhile: $n" \
		[ "$(cat "/sys/kernel/rackswap/krdma/peers/$p/reconnects")" = $((rc0 + n)) ]
	check "no request failed" [ "$(cut -d' ' -f6 /sys/block/rackswap0/io_stat)" = 0 ]
	check "swapoff" swapoff /dev/rackswap0
	check "reset" sh -c "echo 1 >/sys/block/rackswap0/reset"
	rmdir $CG/swap 2>/dev/null
}

# --- the dvs test space (debugfs, see dvs-test.c) --------------------------
S=$DT/space
M=1048576
# cmd COMMAND: one command to the test space; prints its result
cmd() { echo "$1" >$S && cat $S; }
# ctl COMMAND: one command to the test space, quietly
ctl() { echo "$1" >$S; }
# ok_res RESULT: an "ok" result
ok_res() { case "$1" in ok*) return 0 ;; esac; log "result: $1"; return 1; }
# granted: the bytes this node grants (as a donor)
granted() { cat /sys/kernel/rackswap/dvs/granted_bytes; }

# rdma_ok RESULT IOS: a krdma rdma_test result (debugfs) with IOS page I/Os,
# every one ok: none failed, no page differed, no page changed after a
# failed read
rdma_ok() { echo "$1" | grep -q "ios=$2 ok=$2 errors=0 mismatches=0 touched=0"; }

# rdma_diag WHAT: what the RDMA stack, the neighbour table and krdma see,
# logged (for a reconnection that does not come)
rdma_diag() {
	local g p
	log "--- $1"
	ip neigh show 2>&1 | sed 's/^/#   /'
	ip -o link 2>&1 | sed 's/^/#   /'
	for g in /sys/class/net/eth*/statistics; do
		echo "#   ${g%/statistics}: rx $(cat $g/rx_packets) tx $(cat $g/tx_packets) rx_dropped $(cat $g/rx_dropped) tx_dropped $(cat $g/tx_dropped) rx_missed $(cat $g/rx_missed_errors)"
	done
	for g in /sys/class/infiniband/rxe*/ports/1/hw_counters; do
		echo "#   ${g%/ports/1/hw_counters}:" $(cd $g && grep . *)
	done
	rdma link 2>&1 | sed 's/^/#   /'
	rdma res show cm_id 2>&1 | sed 's/^/#   /'
	rdma res show qp 2>&1 | sed 's/^/#   /'
	for g in /sys/class/infiniband/rxe*/ports/1/gids/[0-3]; do
		echo "#   $g $(cat "$g" 2>/dev/null)"
	done
	for p in /sys/kernel/rackswap/krdma/peers/*; do
		[ -e "$p/state" ] && echo "#   peer ${p##*/} $(cat "$p/state") reconnects $(cat "$p/reconnects")"
	done
	dmesg | tail -n 60 | sed 's/^/#   /'
}

# tell N WORD [S]: sends WORD to node N, where hear takes it (TCP port 7600
# on the test link), trying for up to S seconds (default 120): for what the
# nodes cannot see of each other. hear WORD
# [S]: waits up to S seconds (default 900) for a word, true if it is WORD.
# hear acknowledges the word it took and tell tries again until it gets
# that: two nodes telling one at once (its listener takes one connection)
# once lost the second word, and the test waited 20 minutes for it. A
# word goes with our node number and its sequence number to that node
# ($TELL_DIR/told.N): a word told again because its acknowledgement was
# lost is acknowledged and dropped ($TELL_DIR/heard.N holds the last
# number taken from node N), or it would be the answer to the next hear.
TELL_DIR=${TELL_DIR:-/tmp}
tell() {
	local n
	n=$(($(cat "$TELL_DIR/told.$1" 2>/dev/null || echo 0) + 1))
	echo $n >"$TELL_DIR/told.$1"
	retry "${3:-120}" tell_once "$1" "$NODE $n $2"
}
tell_once() {
	[ "$(echo "$2" | nc "$(link_addr "$1" "$NODE")" 7600 2>/dev/null)" = ok ]
}
hear() {
	local w
	w=$(next_word "${2:-900}")
	[ "$w" = "$1" ] && return 0
	log "hear: wanted '$1', heard '$w' ($(date +%s))"
	return 1
}
# next_word S: prints the next word told to us, within S seconds
next_word() {
	local end=$(($(date +%s) + $1)) left
	rm -f "$TELL_DIR/heard"
	while [ ! -e "$TELL_DIR/heard" ]; do
		left=$((end - $(date +%s)))
		[ $left -gt 0 ] || return 0
		T=$TELL_DIR timeout $left nc -l -p 7600 -e /bin/sh -c 'read -r f n w
			l=$(cat "$T/heard.$f" 2>/dev/null || echo 0)
			if [ "$n" -gt "$l" ]; then
				echo "$n" >"$T/heard.$f"
				echo "$w" >"$T/heard"
			fi
			echo ok' 2>/dev/null
	done
	cat "$TELL_DIR/heard"
}

# ask N WORD: tells node N WORD (served there by serve_words) and sets
# ANSWER to its answer (within 600 s); fails unless that starts with "ok:"
ask() {
	tell "$1" "$2" || return 1
	ANSWER=$(next_word 600)
	log "node$1 on $2: $ANSWER"
	case $ANSWER in ok:*) ;; *) return 1 ;; esac
}
# serve_words N WORD COMMAND S: each WORD told us (each within S seconds)
# runs the test module's dvs COMMAND, whose result (spaces as colons;
# "error" when it failed) is told back to node N; until another word,
# left in $w, with $n the WORDs served
serve_words() {
	local r
	n=0
	while w=$(next_word "$4") && [ "$w" = "$2" ]; do
		n=$((n + 1))
		r=$(cmd "$3" 2>&1)
		log "$2 $n: $r"
		tell "$1" "$(echo "${r:-error}" | tr ' ' :)"
	done
}

# connect_donors PORT N...: node1 connects to nodes N... on PORT (with the
# connect options of rs_load, RS_OPTS) and waits until one-sided RDMA flows
# to each; sets pN to our peer id of node N
connect_donors() {
	local port=$1 n
	shift
	for n in "$@"; do
		check "connected to node$n" retry 150 sh -c \
			"echo '$(conn_str "$(link_addr $n 1)" $port)' >/sys/kernel/rackswap/krdma/connect 2>/dev/null"
		eval "p$n=\$(krdma_peer 'address=$(link_addr $n 1) $port')"
	done
	check "RDMA ready to node(s) $*" retry 60 donors_ready "$@"
}
# donors_ready N...: our peers of nodes N... (pN) are live with a data QP
donors_ready() {
	local n
	for n in "$@"; do
		peer_live "$(eval echo "\$p$n")" || return 1
	done
}
# donor_until_gone SIZE SECONDS: the donors' part of a test in which node1
# kills donors: donate SIZE, wait for node1 to connect, then (a survivor)
# for it to leave, up to SECONDS; nothing granted at the end; rmmod. Ends
# the test.
donor_until_gone() {
	echo "$1" >/sys/kernel/rackswap/dvs/donate
	check "node1 connected" retry 200 peer_in_live
	check "node1 left" retry "$2" donor_alone
	check "nothing granted at the end" [ "$(granted)" = 0 ]
	check "rmmod" rs_unload
	tap_done
}
# donor_alone: no peer that connected to us has been live for 10 s. A
# peer that misses its heartbeats on a starved rig is not live for the
# seconds its client takes to reconnect: once taken for the client's
# leaving, the survivor of replicas3_two_kills unloaded under node1 and
# node1 lost its third copy.
donor_alone() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		! peer_in_live || return 1
		sleep 1
	done
}

# stored_on N: bytes we store on node N (after connect_donors; 0 once gone)
stored_on() {
	cat "/sys/kernel/rackswap/krdma/peers/$(eval echo "\$p$1")/stored_bytes" 2>/dev/null || echo 0
}

# --- a swap client of node1 -------------------------------------------------
# swap_client PORT SIZE: this node connects to node1 on PORT (with the
# connect options of rs_load, RS_OPTS) and swaps on /dev/rackswap0, SIZE
# big, stored there; sets $p, our peer id of node1
swap_client() {
	local a
	a=$(conn_str "$(link_addr 1 "$NODE")" "$1")
	check "connected to node1" retry 150 sh -c \
		"echo '$a' >/sys/kernel/rackswap/krdma/connect 2>/dev/null"
	p=$(krdma_peer direction=out state=live)
	check "its data QP is up" retry 30 peer_live "$p"
	check "disksize $2" sh -c "echo $2 >/sys/block/rackswap0/disksize"
	check "mkswap" sh -c "mkswap /dev/rackswap0 >/dev/null"
	check "swapon" swapon /dev/rackswap0
}
# peer_live ID: the peer is live with a data QP up
peer_live() {
	local q
	# no such peer (its connect failed): no number, no error line
	q=$(cat "/sys/kernel/rackswap/krdma/peers/$1/data_qps" 2>/dev/null)
	[ "${q:-0}" -ge 1 ] &&
		[ "$(cat "/sys/kernel/rackswap/krdma/peers/$1/state" 2>/dev/null)" = live ]
}
# swap_client_end: swapoff and reset: nothing stored on node1 any more;
# the cgroup "swap" goes; rmmod
swap_client_end() {
	check "swapoff" swapoff /dev/rackswap0
	check "reset" sh -c "echo 1 >/sys/block/rackswap0/reset"
	check "nothing stored on node1 any more" \
		[ "$(cat /sys/kernel/rackswap/krdma/peers/$p/stored_bytes)" = 0 ]
	rmdir $CG/swap 2>/dev/null
	check "rmmod" rs_unload
}
