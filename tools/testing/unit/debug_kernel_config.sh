#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-debug-kernel.sh --check-fragment: the rig's debug-kernel.config is
# a subset of the prebuilt debug kernel's debug.config (same settings, same
# values), and the check itself catches a missing or different setting.
# No kernel is built.
. "$(dirname "$0")/tap.lib"
. "$(dirname "$0")/../rig/lib.sh"
S=$(dirname "$0")/../rig/build-debug-kernel.sh
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT

if [ -e "$DEBUG_KERNEL_DIR/debug.config" ]; then
	expect "debug-kernel.config holds in $DEBUG_KERNEL_DIR/debug.config" 0 \
		"$S" --check-fragment "$DEBUG_KERNEL_DIR/debug.config"
else
	ok "# SKIP no $DEBUG_KERNEL_DIR/debug.config"
fi
# the fragment's settings, as a reference that holds them all
sed -n '/^CONFIG_/p' "$(dirname "$S")/debug-kernel.config" >"$D/all"
expect "the fragment holds in its own settings" 0 "$S" --check-fragment "$D/all"
grep -v '^CONFIG_KASAN=' "$D/all" >"$D/nokasan"
expect "a reference without KASAN: refused" 1 "$S" --check-fragment "$D/nokasan"
sed 's/^CONFIG_DEFAULT_HUNG_TASK_TIMEOUT=.*/CONFIG_DEFAULT_HUNG_TASK_TIMEOUT=120/' "$D/all" >"$D/hung"
expect "a reference with another hung-task timeout: refused" 1 "$S" --check-fragment "$D/hung"
sed 's/^CONFIG_DEBUG_KMEMLEAK_AUTO_SCAN=n$/# CONFIG_DEBUG_KMEMLEAK_AUTO_SCAN is not set/' "$D/all" >"$D/notset"
expect "'=n' and 'is not set' are the same setting" 0 "$S" --check-fragment "$D/notset"
done_testing
