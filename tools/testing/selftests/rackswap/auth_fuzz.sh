#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=yes timeout=900
#
# The authenticated handshake's fields fuzzed, in one kernel (loopback
# mode, keyed as auth_replay is). The test module's test_auth_fuzz connects
# to this node a few hundred times (fewer on the debug kernel, and within
# a time budget), each attempt with one field changed, chosen from a fixed
# seed (logged; AUTH_FUZZ_SEED=N picks another): every field of the
# connect request's hello, of the accept's hello and nonce, and of a data
# connection's hello with its tag; every field of the connecting side's
# HELLO message, before the proof (what a sender with the key may choose:
# name, reconnect_ms, reserved, nonce) and after it (what a relay may
# change: header, name, nonce, proof), and of the accepting side's HELLO;
# and the lengths of each, truncated or (the HELLOs) over-long; set to 0,
# 1, max, max-1, a random value or with one bit flipped. Each attempt must
# be refused, counted in auth_stat (auth_failed or refused_early), with no
# proof held that the refusing side did not check first, and no peer
# left; or, where the field is
# the sender's to choose (a valid name, its nonce) or the change left the
# bytes as they were, accepted with its data QPs up. No kernel warning.
# The run must try both outcomes. Before and after, a correct handshake
# connects; after, no peer and no stranger is left, and no key was logged.
. ./lib.sh
C=/sys/kernel/rackswap/krdma
PORT=7472
SEED=${AUTH_FUZZ_SEED:-35}
if debug_run; then COUNT=60 BUDGET=420 MIN=20; else COUNT=300 BUDGET=45 MIN=40; fi
tap_plan

no_peers() { [ -z "$(ls $C/peers)" ]; }
disconnect() {
	echo "$LOOP_ADDR $PORT" >$C/disconnect && retry 30 no_peers
}
# control: a correct handshake goes live both ways, then disconnects
control() {
	local a0
	a0=$(auth_stat 1)
	loop_connect
	check "$1: both proofs held" [ "$(auth_stat 1)" = $((a0 + 2)) ]
	check "$1: disconnect, no peer left" disconnect
}
# warned: a kernel warning, bug or lockdep report since the mark
warned() {
	since_mark | grep -qE 'WARNING:|BUG:|Oops|KASAN:|circular locking|inconsistent lock|UBSAN:'
}

check "rxe0 on dummy0" rxe_loopback_up
check "load (loopback=1, no reconnection)" rs_load loopback=1 reconnect_tries=0
ME=$(cat /sys/kernel/rackswap/uuid 2>/dev/null)
check "our key set" sh -c "echo $AUTH_KEY1 >$C/key"
check "our UUID allowed with it" sh -c "echo '$ME $AUTH_KEY1' >$C/allow"
control "positive control before"

kmsg_mark
log "seed $SEED: $COUNT attempts within $BUDGET s"
t0=$(date +%s)
check "fuzz: seed $SEED, $COUNT attempts" \
	sh -c "echo '$LOOP_ADDR $PORT $SEED $COUNT $BUDGET' >$DK/test_auth_fuzz"
R=$(cat $DK/test_auth_fuzz)
log "result after $(($(date +%s) - t0)) s: $R"
log "auth_stat $(cat $C/auth_stat) (authenticated auth_failed strangers peak refused dropped refused_early)"
since_mark | grep 'test_auth_fuzz: attempt' | head -n 20 | sed 's/^/# /'
check "the run ended (seed $(field seed "$R"), stop=$(field stop "$R"))" \
	sh -c "case '$R' in ok*stop=done|ok*stop=time) true ;; *) false ;; esac"
check "no attempt failed ($(field failed "$R") failed)" [ "$(field failed "$R")" = 0 ]
check "at least $MIN attempts ($(field attempts "$R"))" \
	[ "$(field attempts "$R")" -ge $MIN ]
check "both refused ($(field refused "$R")) and accepted ($(field accepted "$R")) attempts" \
	sh -c "[ '$(field refused "$R")' -ge 1 ] && [ '$(field accepted "$R")' -ge 1 ]"
check "no kernel warning" fails warned

control "positive control after"
check "no peer, no stranger left" sh -c "[ -z \"\$(ls $C/peers)\" ] && [ $(auth_stat 3) = 0 ]"
check "at most 16 strangers at once" [ "$(auth_stat 4)" -le 16 ]
check "no key was ever logged" no_key_logged
check "rmmod" rs_unload
tap_done
