#!/usr/bin/env bash
# Keepalive, packet by packet (pkt_keepalive.py): with a 1 s idle time, 0.5 s
# between probes and 2 probes, an idle connection gets a probe (SEG.SEQ =
# SND.NXT-1, no data, RFC 1122 4.2.3.6) after ~1 s; answering keeps it, a
# talking peer never gets one, two unanswered probes end it with a RST.
source "$(dirname "$0")/lib.sh"

topo_up
start_tcpterm --tcp.keepalive_idle_ms 1000 --tcp.keepalive_interval_ms 500 --tcp.keepalive_probes 2

# In a subshell, so that the counters below are checked even when a packet
# check failed; the test still fails at the end.
pkt_rc=0
( pkt pkt_keepalive.py ) || pkt_rc=$?

expect_tcpterm_alive
stop_tcpterm
assert_eq 4 "$(tt_counter TCPKeepAlive)" "TCPKeepAlive (2 answered + 2 unanswered probes)"
assert_eq 1 "$(tt_counter TCPAbortOnKeepalive)" "TCPAbortOnKeepalive (one dead peer)"
((pkt_rc == 0)) || fail "pkt_keepalive.py: checks failed, see FAIL lines above"
