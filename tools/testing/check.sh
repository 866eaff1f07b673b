#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh check|full|debug: the test tiers behind "make check",
# "make check-full" and "make check-debug". Installs what is missing, then
# runs each step, and ends with "N passed, N failed, N skipped"; exits
# non-zero on any failure.
#
#   check   build (W=1, -Werror), lint, host unit tests, the stock-kernel
#           selftests of tier "check" (one VM, then two VMs), and the smoke
#           selftests on the debug kernel when it is present
#   full    the same host steps, the in-tree build (intree.sh) and every
#           stock-kernel selftest of tiers check and full
#   scale   the build, then the stock-kernel selftests of tier scale
#           (memory pressure, stress)
#   debug   every selftest meant for the debug kernel (debug=mixed: on
#           node1 only, the other nodes on the stock kernel)
#
# PART=I/N runs part I of N of a tier, for a tier longer than its budget
# (make check-debug PART=1/2, then PART=2/2): the rig runs go by their
# number of VMs (N=2: 1-2 VMs, then 3-4 VMs; N=4: one count each), the host
# steps in part 1. Each part ends with its own counts.
set -uo pipefail
. "$(dirname "$0")/rig/lib.sh"
T=$TOP/tools/testing
tier=${1:-check}
case $tier in check | full | scale | debug) ;; *) die "unknown tier '$tier'" ;; esac

part=${PART:-1/1}
pi=${part%/*} pn=${part#*/}
case $pi/$pn in
[1-4]/[124]) [ "$pi" -le "$pn" ] || die "PART=$part: part past the last" ;;
*) die "PART=$part: want I/N with N 1, 2 or 4" ;;
esac
# in_part NODES: the rig runs of NODES VMs belong to this part
in_part() { [ $((($1 - 1) * pn / 4 + 1)) = "$pi" ]; }

LOGS=$BUILD/check/$tier
[ "$pn" = 1 ] || LOGS=$LOGS-part$pi-of-$pn
rm -rf "$LOGS"
mkdir -p "$LOGS"
passed=0 failed=0 skipped=0 rebooted=0
start=$(date +%s)

# step NAME COMMAND...: one counted step, its output in $LOGS/NAME.log
step() {
	local name=$1 t0=$SECONDS
	shift
	if "$@" >"$LOGS/$name.log" 2>&1; then
		passed=$((passed + 1))
		echo "ok - $name ($((SECONDS - t0))s)"
	else
		failed=$((failed + 1))
		echo "not ok - $name ($((SECONDS - t0))s), log: $LOGS/$name.log"
		tail -n 30 "$LOGS/$name.log" | sed 's/^/    | /'
	fi
}

# vm_run KERNEL NODES RUN [MEM]: the selftests of RUN that need NODES VMs
# (and VM memory MEM), in one boot; each test counts on its own
# vm_runs KERNEL NODES RUN: vm_run for each VM memory those tests ask for
vm_runs() {
	local m
	for m in $("$T/select-tests.sh" mems "$3" "$2"); do
		[ "$m" = - ] && m=""
		vm_run "$1" "$2" "$3" "$m"
	done
}
vm_run() {
	local kernel=$1 nodes=$2 run=$3 mem=${4:-} tests out counts rc memarg=()
	tests=$("$T/select-tests.sh" "$run" "$nodes" "$mem") || { failed=$((failed + 1)); return; }
	[ -n "$tests" ] || return 0
	# QEMU splits its options at commas: none in the log directory
	out=$LOGS/vm-${kernel//,/-}-n$nodes${mem:+-m${mem//,/-}}
	[ -z "$mem" ] || memarg=(-m "$mem")
	echo "# $kernel kernel, $nodes VM(s)${mem:+ ($mem)}: $tests"
	"$RIG_DIR/vm.sh" -k "$kernel" -n "$nodes" "${memarg[@]}" -o "$out" $tests >"$out.log" 2>&1
	rc=$?
	grep -v -e '^RIG-COUNTS' -e '^rig: .* running' "$out.log"
	# a VM hung while booting and the run was booted again (vm.sh)
	[ ! -f "$out/rebooted" ] || rebooted=$((rebooted + 1))
	counts=$(sed -n 's/^RIG-COUNTS //p' "$out.log")
	if [ -z "$counts" ]; then
		failed=$((failed + 1))
		echo "not ok - rig run ($kernel, $nodes VMs) did not finish (rc=$rc):"
		tail -n 30 "$out.log" | sed 's/^/    | /'
		return
	fi
	set -- $counts
	passed=$((passed + $1)) failed=$((failed + $2)) skipped=$((skipped + $3))
}

if ! "$RIG_DIR/setup.sh"; then
	echo "not ok - setup (installing the rig's packages) failed"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

case $tier in
check | full)
	if [ "$pi" = 1 ]; then
		step build make -C "$TOP" modules
		step lint "$T/lint.sh"
		for u in "$T"/unit/*.sh; do
			step "unit-$(basename "$u" .sh)" "$u"
		done
		[ "$tier" = full ] && step intree-build "$T/intree.sh"
	fi
	for n in 1 2 3 4; do
		in_part $n && vm_runs stock $n "$tier"
	done
	if [ "$tier" = check ] && in_part 1; then
		if debug_present; then
			vm_run debug 1 smoke
		else
			skipped=$((skipped + 1))
			echo "ok - debug-kernel smoke # SKIP no debug kernel in $DEBUG_KERNEL_DIR"
		fi
	fi
	;;
scale)
	[ "$pi" = 1 ] && step build make -C "$TOP" modules
	for n in 1 2 3 4; do
		in_part $n && vm_runs stock $n scale
	done
	;;
debug)
	if debug_present; then
		for n in 1 2 3 4; do
			in_part $n || continue
			vm_runs debug $n debug
			vm_runs debug,stock $n mixed
		done
	else
		failed=$((failed + 1))
		echo "not ok - no debug kernel in $DEBUG_KERNEL_DIR (set DEBUG_KERNEL_DIR)"
	fi
	;;
esac

target="make check"
[ "$tier" = check ] || target="make check-$tier"
[ "$pn" = 1 ] || target="$target PART=$part"
echo "# $target: $(($(date +%s) - start))s, $rebooted rig run(s) booted again, logs in $LOGS"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
