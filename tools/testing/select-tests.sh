#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# select-tests.sh RUN NODES [MEM]: the selftests (in TEST_PROGS order) that
# belong to a run, need NODES VMs and ask for the VM memory MEM (their
# "mem=" field; none: the rig's default), from their "# rig:" lines;
# "select-tests.sh mems RUN NODES" lists the memory fields those tests use
# ("-" for the default), one per line. RUN is one of
#   check   stock kernel, tier=check
#   full    stock kernel, tier=check or tier=full
#   scale   stock kernel, tier=scale
#   smoke   debug kernel, debug=smoke (part of make check)
#   debug   debug kernel, debug=smoke or debug=yes
#   mixed   node1 on the debug kernel, the other nodes on the stock one,
#           debug=mixed
set -euo pipefail
. "$(dirname "$0")/rig/lib.sh"
mems=0
[ "$1" != mems ] || { mems=1; shift; }
run=$1 nodes=$2 want_mem=${3:-}
progs=$(make -s -C "$SELFTESTS" print-tests)
sel=""
for p in $progs; do
	t=${p%.sh}
	grep -q '^# rig: ' "$SELFTESTS/$p" || die "$p has no '# rig:' line"
	[ "$(rig_field "$t" nodes)" = "$nodes" ] || continue
	m=$(rig_field "$t" mem)
	[ $mems = 1 ] || [ "$m" = "$want_mem" ] || continue
	case $run:$(rig_field "$t" tier):$(rig_field "$t" debug) in
	check:check:* | full:check:* | full:full:* | scale:scale:* | smoke:*:smoke | debug:*:smoke | debug:*:yes | mixed:*:mixed)
		if [ $mems = 1 ]; then sel="$sel ${m:--}"; else sel="$sel $t"; fi ;;
	check:* | full:* | scale:* | smoke:* | debug:* | mixed:*) ;;
	*) echo "select-tests: unknown run '$run'" >&2; exit 1 ;;
	esac
done
if [ $mems = 1 ]; then
	echo $sel | tr ' ' '\n' | sort -u | sed '/^$/d'
else
	echo $sel
fi
