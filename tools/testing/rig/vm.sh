#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm.sh [options] TEST...: boots one VM, or N VMs joined by point-to-point
# links, runs the named selftests in each, and reports them.
#
#   -k K[,K...]      kernel, stock or debug (default stock); a list gives
#                    node 1, 2, ... each its own (the last one for the
#                    nodes beyond it): "debug,stock" is node1 on the debug
#                    kernel, the others on the stock one
#   -n N             number of nodes (default 1; 1..9)
#   -o DIR           where console logs and results go (default build/runs/...)
#   -i INITRD        an initramfs already built for that kernel (one
#                    kernel only)
#   -a ARGS          extra kernel command line
#   -m MEM[,MEM...]  memory per VM (default 2G for one VM, 1G each for more);
#                    a list gives node 1, 2, ... each its own (the last
#                    one for the nodes beyond it)
#   -B               benchmark boot: none of the leak checks' slab options
#                    below (they slow every allocation)
#   -q               quiet: only the summary lines
#
# One VM: "-nic none"; its tests put rxe on a dummy netdev. N VMs: each pair
# (i < j) is joined by an e1000 link over a unix socket (i is the server),
# MTU 9000, subnet 10.99.<ij>.0/24; "-smp 1" each. No VM packet can leave
# the host: there is no other network device, and never "-netdev user".
#
# la57=off: with 5-level paging (-cpu max under TCG) the debug kernel's KASAN
# reports a wild access in an early interrupt at every boot, which also
# turns lockdep off for the whole run.
#
# Kernel command line: slab_nomerge keeps slab caches apart and slub_debug=U
# keeps SLUB from caching free objects per CPU, so /proc/slabinfo counts
# objects in use exactly (the stock kernel's leak check); oops=panic ends a
# broken VM at once.
#
# Each node's console is build/.../nodeN.console, its results port
# nodeN.results. QEMU is killed after the tests' timeouts plus the boot time;
# a VM that died or timed out fails every test it did not report, unless a
# test killed it on purpose (RIG-KILL, below). A VM that does not reach its
# tests in time is booted again, once, with all the others (boot watch,
# below).
# Exit status: 0 when every test passed or skipped.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

kernel=stock nodes=1 out="" initrd="" append="" quiet=0 mem="" bench=0
while getopts "k:n:o:i:a:m:Bq" o; do
	case $o in
	k) kernel=$OPTARG ;;
	n) nodes=$OPTARG ;;
	o) out=$OPTARG ;;
	i) initrd=$OPTARG ;;
	a) append=$OPTARG ;;
	m) mem=$OPTARG ;;
	B) bench=1 ;;
	q) quiet=1 ;;
	*) die "usage: vm.sh [-k stock|debug[,...]] [-n N] [-o DIR] [-i INITRD] [-a ARGS] [-m MEM] [-B] [-q] TEST..." ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || die "no test named"
case $nodes in [1-9]) ;; *) die "nodes must be 1..9" ;; esac
tests="$*"

# nth LIST N: the Nth item of a comma list, or its last one
nth() {
	local m i=$(($2 - 1))
	IFS=, read -r -a m <<<"$1"
	[ $i -lt ${#m[@]} ] || i=$((${#m[@]} - 1))
	echo "${m[$i]}"
}
# each kernel of the list: its image, version and initramfs
declare -A kimage kver kinitrd
kernels=$(for n in $(seq 1 "$nodes"); do nth "$kernel" "$n"; done | sort -u)
[ -z "$initrd" ] || [ "$(echo "$kernels" | wc -l)" = 1 ] ||
	die "-i INITRD takes one kernel, not '$kernel'"
for k in $kernels; do
	kernel_env "$k"
	kimage[$k]=$KIMAGE kver[$k]=$KVER
	kinitrd[$k]=$initrd
	[ -n "$initrd" ] || kinitrd[$k]=$("$RIG_DIR/build-initramfs.sh" "$k") || exit 1
done
command -v socat >/dev/null || die "no socat (link faults use it): run 'make setup'"
[ -n "$out" ] || out=$BUILD/runs/${kernel//,/-}-n$nodes-$(date +%Y%m%d-%H%M%S)
# QEMU splits its options (socket paths) at commas
case $out in *,*) die "output directory must not contain a comma: $out" ;; esac
mkdir -p "$out"
rm -f "$out"/node*.console.hung "$out"/node*.regs.hung "$out/rebooted"

# Deadline: every test's own timeout, plus booting (slow on the debug kernel).
tmo=0
for t in $tests; do
	tmo=$((tmo + $(rig_field "$t" timeout)))
done
boot=60 bootwait=180 stagger=30
if [ -n "${kimage[debug]:-}" ]; then
	boot=240 bootwait=420 stagger=90
fi
# node_kargs N: node N's own kernel arguments. The debug kernel's ACPI
# interpreter is slow enough under TCG to hit the AML loop timeout in the
# PCI routing method (_PRT), leaving the e1000 NICs without an interrupt;
# the BIOS's PIRQ table serves.
node_kargs() {
	[ "$(nth "$kernel" "$1")" != debug ] || echo pci=noacpi
}
tmo=$((tmo + boot + stagger * (nodes - 1)))
bootwait=${RIG_BOOT_WAIT:-$bootwait}

if [ "$nodes" = 1 ]; then
	smp=2 dmem=2G
else
	smp=1 dmem=1G
fi
mem=${mem:-$dmem}
# node_mem N: node N's memory from the list
node_mem() { nth "$mem" "$1"; }
slabargs="slab_nomerge slub_debug=U kmemleak=on"
[ $bench = 0 ] || slabargs=""

# A test may crash a node on purpose (a dead peer): it prints "RIG-KILL <n>"
# on its results port and the QEMU of node n is killed with SIGKILL, as a
# real crash; node n's results then say "RIG-KILLED by node<k> in <test>".
#
# A test may pull the cable of its node's link to node m: it prints
# "RIG-LINK <m> off" ("on": put back) and QEMU's "set_link" takes node n's
# NIC on that link down (up): the guest's NIC loses its carrier and no
# packet crosses, while its netdev stays up with its addresses and routes.
# The NIC's link, not the stream netdev's: a netdev taken down in the
# middle of writing a frame drops the rest of it, which breaks the
# stream's framing (the peer QEMU closes the connection, and this one then
# crashes on its next frame once the link is up).
# (Not "ip link set down" in the guest: on 6.1's soft-RoCE a connection
# message sent while the netdev is administratively down puts the RDMA
# device's QP1 into an error state that the kernel lifts only for sending:
# the device never hears a connection reply again until it is re-created.)
# Each request is done once, in order, and logged in links.log.
watch_requests() {
	local n m l lines done_n
	local -a links_done
	while sleep 0.5; do
		for n in $(seq 1 "$nodes"); do
			lines=$(tr -d '\r' <"$out/node$n.results" 2>/dev/null |
				sed -n 's/^RIG-LINK \([1-9]\) \(on\|off\)$/\1 \2/p')
			done_n=${links_done[$n]:-0}
			while read -r m state; do
				[ -n "$m" ] || continue
				if [ "$n" -lt "$m" ]; then l=$n$m; else l=$m$n; fi
				echo "set_link nic$l $state" |
					socat - "UNIX-CONNECT:$out/node$n.mon" >/dev/null 2>&1
				echo "$(date +%T) node$n: link$l $state (rc $?)" >>"$out/links.log"
				done_n=$((done_n + 1))
			done < <(echo "$lines" | tail -n +"$((done_n + 1))" | grep .)
			links_done[n]=$done_n
			for m in $(tr -d '\r' <"$out/node$n.results" 2>/dev/null |
				sed -n 's/^RIG-KILL \([1-9]\)$/\1/p'); do
				grep -qx "$m" "$out/killed" 2>/dev/null && continue
				echo "$m" >>"$out/killed"
				kill -9 "$(cat "$out/node$m.pid")" 2>/dev/null
				# the test that asked: only its result may be missing
				echo "RIG-KILLED by node$n in $(tr -d '\r' <"$out/node$n.results" |
					sed -n 's/^RIG-TEST //p' | tail -n 1)" >>"$out/node$m.results"
			done
		done
	done
}

# started N: node N is past its early boot ("Run /init" on its console) or
# stagger seconds passed. The nodes boot one after another: four that
# calibrated their clocks at once on two cores hung now and then (the
# debug kernel, at the TSC or APIC timer calibration), and one at a time
# reaches init sooner (a debug boot alone: ~20 s; four together: ~150 s).
# run-tests starts the tests together once every peer answers.
started() {
	local t0=$SECONDS
	while [ $((SECONDS - t0)) -lt "$stagger" ]; do
		grep -q 'Run /init' "$out/node$1.console" 2>/dev/null && return 0
		kill -0 "${pids[$(($1 - 1))]}" 2>/dev/null || return 0
		sleep 1
	done
}

# launch: boots every node (their timeout processes in pids) and starts
# the watcher of the tests' requests (watcher)
launch() {
	local n m l k side uuid hold net mon
	rm -f "$out"/node*.{console,results,pid,mon,qemu} "$out"/link*.sock "$out/killed" "$out/links.log"
	pids=()
	for n in $(seq 1 "$nodes"); do
		net=(-nic none)
		for m in $(seq 1 "$nodes"); do
			[ "$m" = "$n" ] && continue
			if [ "$n" -lt "$m" ]; then l=$n$m side=on; else l=$m$n side=off; fi
			net+=(-netdev "stream,id=l$l,server=$side,addr.type=unix,addr.path=$out/link$l.sock"
				-device "e1000,netdev=l$l,id=nic$l,mac=52:54:00:99:$l:0$n")
		done
		hold=""
		[ "$attempt" = 1 ] && [ "${RIG_HOLD_BOOT:-}" = "$n" ] && hold=rig.hold=1
		uuid=$(printf '5241434b-5357-4150-8000-%012d' "$n")
		# A QEMU monitor socket per node: the link faults below use it, and
		# so can a person for a hung guest ("sendkey alt-sysrq-w" after the
		# test enabled sysrq)
		mon=(-monitor "unix:$out/node$n.mon,server=on,wait=off")
		k=$(nth "$kernel" "$n")
		timeout --kill-after=10 "$tmo" qemu-system-x86_64 -nodefaults -accel tcg -cpu max,la57=off \
			-m "$(node_mem "$n")" -smp "$smp" -display none -no-reboot -uuid "$uuid" \
			-kernel "${kimage[$k]}" -initrd "${kinitrd[$k]}" \
			-append "console=ttyS0 loglevel=7 panic=-1 oops=panic $slabargs rig.node=$n rig.nodes=$nodes rig.kernels=$kernel rig.tests=${tests// /,} $(node_kargs "$n") $hold $append" \
			-serial "file:$out/node$n.console" -serial "file:$out/node$n.results" \
			-pidfile "$out/node$n.pid" "${mon[@]}" \
			"${net[@]}" >"$out/node$n.qemu" 2>&1 &
		pids+=($!)
		# a link's server side must listen before its client starts
		for m in $(seq $((n + 1)) "$nodes"); do
			for _ in $(seq 100); do
				[ -S "$out/link$n$m.sock" ] && break
				sleep 0.1
			done
			[ -S "$out/link$n$m.sock" ] || echo "rig: node$n did not open link$n$m" >&2
		done
		[ "$n" = "$nodes" ] || started "$n"
	done
	watch_requests &
	watcher=$!
}

# Boot watch: every node must reach its tests (RIG-BEGIN on its results
# port) within bootwait seconds, about three times a normal boot under load
# (4 VMs on 2 cores). A VM that hangs while booting is not a test's failure
# (seen once under TCG: the debug kernel stopped for good right after
# "APIC calibration not consistent with PM-Timer", before init): every VM
# is killed and booted again, once, since QEMU's stream links do not
# reconnect (one node cannot boot again alone). The hung console is kept as
# nodeN.console.hung (the boot logs at loglevel 7, init lowers it to 5, so
# it ends at the step that hung), its CPU registers, sampled three times, as
# nodeN.regs.hung, and the event is logged on stderr and in DIR/rebooted
# (check.sh counts those). RIG_BOOT_WAIT=S sets bootwait; RIG_HOLD_BOOT=N
# makes node N's first boot wait in init (rig.hold), which is how
# tools/testing/unit/rig_boot_watch.sh tests this.
#
# booted: 0 once every node reached its tests or one that did not ended
# (died while booting: the reports judge that), 1 when bootwait passed
# first (the late nodes in $late)
booted() {
	local n t0=$SECONDS
	while :; do
		late=""
		for n in $(seq 1 "$nodes"); do
			grep -q '^RIG-BEGIN' "$out/node$n.results" 2>/dev/null && continue
			kill -0 "${pids[$((n - 1))]}" 2>/dev/null || return 0
			late="$late node$n"
		done
		[ -n "$late" ] || return 0
		[ $((SECONDS - t0)) -lt "$bootwait" ] || return 1
		sleep 2
	done
}

attempt=1
launch
[ $quiet = 1 ] || echo "rig: $nodes x $kernel ($(echo ${kver[*]} | tr ' ' ,)) VM(s) running '$tests' (deadline ${tmo}s), logs in $out"
if ! booted; then
	msg="rig: boot watch:$late did not reach the tests in ${bootwait}s; booting all $nodes VM(s) again"
	for n in $late; do
		msg="$msg; $n's console ends: $(tail -n 1 "$out/$n.console" | tr -d '\r')"
		# where its CPU is: running (RIP moves) or halted (HLT=1)
		for _ in 1 2 3; do
			echo "info registers" |
				socat -t 2 - "UNIX-CONNECT:$out/$n.mon" 2>&1 |
				grep -E '^(RAX|RSI|R8 |R12|RIP|CS |CR0)'
			sleep 1
		done >"$out/$n.regs.hung"
	done
	echo "$msg" | tee -a "$out/rebooted" >&2
	kill "$watcher" 2>/dev/null
	for n in $(seq 1 "$nodes"); do
		kill -9 "$(cat "$out/node$n.pid" 2>/dev/null)" 2>/dev/null
	done
	wait "${pids[@]}" "$watcher" 2>/dev/null
	for n in $late; do
		mv "$out/$n.console" "$out/$n.console.hung"
	done
	attempt=2
	launch
fi

qrc=0
for i in "${!pids[@]}"; do
	wait "${pids[$i]}"
	rc=$?
	grep -qx "$((i + 1))" "$out/killed" 2>/dev/null && continue
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		echo "rig: node$((i + 1)) killed after ${tmo}s" | tee -a "$out/node$((i + 1)).results" >&2
		qrc=1
	fi
done
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
args=()
[ $quiet = 1 ] && args+=(-q)
"$RIG_DIR/results.sh" "${args[@]}" "$out" "$nodes" $tests
rc=$?
[ $rc = 0 ] && [ $qrc != 0 ] && rc=1
exit $rc
