#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# select-tests.sh RUN NODES: the selftests (in TEST_PROGS order) that belong
# to a run and need NODES VMs, from their "# rig:" lines. RUN is one of
#   check   stock kernel, tier=check
#   full    stock kernel, tier=check or tier=full
#   smoke   debug kernel, debug=smoke (part of make check)
#   debug   debug kernel, debug=smoke or debug=yes
set -euo pipefail
. "$(dirname "$0")/rig/lib.sh"
run=$1 nodes=$2
progs=$(make -s -C "$SELFTESTS" print-tests)
sel=""
for p in $progs; do
	t=${p%.sh}
	grep -q '^# rig: ' "$SELFTESTS/$p" || die "$p has no '# rig:' line"
	[ "$(rig_field "$t" nodes)" = "$nodes" ] || continue
	case $run:$(rig_field "$t" tier):$(rig_field "$t" debug) in
	check:check:* | full:check:* | full:full:* | smoke:*:smoke | debug:*:smoke | debug:*:yes)
		sel="$sel $t" ;;
	check:* | full:* | smoke:* | debug:*) ;;
	*) echo "select-tests: unknown run '$run'" >&2; exit 1 ;;
	esac
done
echo $sel
