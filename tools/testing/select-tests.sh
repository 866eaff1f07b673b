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
ST=$(cd "$(dirname "$0")/selftests/rackswap" && pwd)
run=$1 nodes=$2
progs=$(make -s -C "$ST" print-tests)
sel=""
for p in $progs; do
	meta=$(sed -n 's/^# rig: //p' "$ST/$p")
	[ -n "$meta" ] || { echo "select-tests: $p has no '# rig:' line" >&2; exit 1; }
	field() { echo " $meta " | sed -n "s/.* $1=\([^ ]*\) .*/\1/p"; }
	[ "$(field nodes)" = "$nodes" ] || continue
	tier=$(field tier) debug=$(field debug)
	case $run:$tier:$debug in
	check:check:* | full:check:* | full:full:* | smoke:*:smoke | debug:*:smoke | debug:*:yes)
		sel="$sel ${p%.sh}" ;;
	check:* | full:* | smoke:* | debug:*) ;;
	*) echo "select-tests: unknown run '$run'" >&2; exit 1 ;;
	esac
done
echo $sel
