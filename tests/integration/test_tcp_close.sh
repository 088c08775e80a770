#!/usr/bin/env bash
# Connection close, packet by packet (pkt_close.py, scapy): half-close on
# echo, simultaneous close and TIME_WAIT on daytime with RFC 1337, TIME_WAIT
# reuse by a newer SYN (RFC 6191, RFC 9293 §3.6.1); and half-close with a
# real client: nc -N shuts down its sending side, the echo still arrives.
source "$(dirname "$0")/lib.sh"

topo_up
start_tcpterm

pkt pkt_close.py

# Real client: nc -N sends FIN once stdin ends and keeps reading until the
# server closes; echo must answer after that FIN and then close.
out=$(printf 'half-close with nc\n' | cli timeout 5 nc -N "$TT_ADDR" 7) || fail "nc -N to echo failed or timed out (exit $?)"
assert_eq "half-close with nc" "$out" "nc -N: the echo arrives after the client's FIN"

expect_tcpterm_alive
stop_tcpterm
assert_gt "$(tt_counter TCPTimeWaitRstIgnored)" 0 "TCPTimeWaitRstIgnored (RFC 1337)"
assert_gt "$(tt_counter TWRecycled)" 3 "TWRecycled (four TIME_WAIT entries reused)"
