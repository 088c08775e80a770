#!/usr/bin/env bash
# echo service: a 20 MB random file goes through port 7 and must come back
# byte for byte. nc -N half-closes after sending, so this also checks that
# echo finishes its output and closes after the peer's FIN.
source "$(dirname "$0")/lib.sh"

topo_up
start_tcpterm

head -c 20M /dev/urandom >"$TT_WORK/in"
t0=$(now_ms)
rc=0
cli timeout 120 nc -N "$TT_ADDR" 7 <"$TT_WORK/in" >"$TT_WORK/out" || rc=$?
t1=$(now_ms)
[[ $rc -ne 124 ]] || fail "echo of 20 MB did not finish within 120 s (got $(stat -c %s "$TT_WORK/out") bytes back)"
assert_eq 0 "$rc" "nc exit code"
log "20 MB round trip in $((t1 - t0)) ms"
assert_eq "$(stat -c %s "$TT_WORK/in")" "$(stat -c %s "$TT_WORK/out")" "bytes echoed"
assert_eq "$(sha256sum <"$TT_WORK/in" | cut -d' ' -f1)" "$(sha256sum <"$TT_WORK/out" | cut -d' ' -f1)" "sha256 of echoed data"

expect_tcpterm_alive
stop_tcpterm
