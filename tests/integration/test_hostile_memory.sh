#!/usr/bin/env bash
# The hoarding peer (issue: hostile peers, "memory that cannot be hoarded"):
# one source address holds 40 connections to a listener that never reads and
# sends them 20k segments/s: 1-byte in-order segments, full-sized ones and 1-byte
# segments beyond a hole (pkt_hoard.py), while curl and ping run from the
# same namespace. The pool is small (6143 mbufs) so that the worker's memory
# marks are reached. Before the memory rules, this pinned 65,504 of 65,535
# mbufs within 5 s and curl and ping failed for good; Linux closes the window
# after ~106 KB and serves everyone.
# Passes when every curl and ping succeeds during the flood, the port never
# failed an RX refill (RxNoMbuf 0), the hoarder's RST gets in, and the
# counters show coalescing, pressure and the largest holders reset.
source "$(dirname "$0")/lib.sh"

export TT_PREFIX
export TT_ROOT_NETNS=/proc/$$/ns/net
export HOARD_PORT=8000 HOARD_CONNS=40 HOARD_SECONDS=${HOARD_SECONDS:-8}

topo_up
start_tcpterm --mbufs 6143 --listen 80=http --listen 8000=hold,backlog=256

ok_curl=0; bad_curl=0
curl_loop() {
  local end=$((SECONDS + HOARD_SECONDS + 6))
  while ((SECONDS < end)); do
    if cli curl -s -o /dev/null -m 2 "http://$TT_ADDR/"; then echo ok; else echo bad; fi
    sleep 0.2
  done
}
curl_loop >"$TT_WORK/curl.txt" 2>&1 &
curl_pid=$!
cli ping -i 0.2 -W 1 -c $(( (HOARD_SECONDS + 6) * 5 )) "$TT_ADDR" >"$TT_WORK/ping.txt" 2>&1 &
ping_pid=$!

pkt_rc=0
( pkt pkt_hoard.py ) || pkt_rc=$?
wait "$curl_pid" || true
wait "$ping_pid" || true

ok_curl=$(grep -c '^ok$' "$TT_WORK/curl.txt" || true)
bad_curl=$(grep -c '^bad$' "$TT_WORK/curl.txt" || true)
ping_summary=$(grep 'packets transmitted' "$TT_WORK/ping.txt" || echo "no ping summary")
log "curl during the flood: $ok_curl ok, $bad_curl failed; ping: $ping_summary"
expect_tcpterm_alive
stop_tcpterm
assert_gt "$ok_curl" 20 "curl requests completed during the flood"
assert_eq 0 "$bad_curl" "curl requests that failed during the flood"
assert_grep ' 0% packet loss' "$TT_WORK/ping.txt" "every ping answered during the flood"
assert_eq 0 "$(tt_counter RxNoMbuf)" "RxNoMbuf (failed RX refills)"
assert_gt "$(tt_counter TCPRcvCoalesce)" 1000 "TCPRcvCoalesce (1-byte segments merged)"
assert_gt "$(tt_counter TCPMemoryPressures)" 0 "TCPMemoryPressures (the worker reached tcp.mem_pressure)"
assert_gt "$(tt_counter TCPAbortOnMemory)" 0 "TCPAbortOnMemory (largest holders reset at tcp.mem_high)"
assert_eq 0 "$(tt_counter TCPMemoryMbufs)" "TCPMemoryMbufs after the stop (every queue freed)"
((pkt_rc == 0)) || fail "pkt_hoard.py: checks failed, see FAIL lines above"
