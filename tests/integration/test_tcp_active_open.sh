#!/usr/bin/env bash
# Active open and simultaneous open, packet by packet (pkt_active_open.py):
# tcpterm connects when told through DPDK telemetry (/tcpterm/connect) to a
# real Linux listener (nc -l, daytime: the line arrives, both sides close
# cleanly) and to the scripted peer: the SYN's options and source port, the
# three-way handshake, crossing SYNs (RFC 9293 §3.10.7.3, Figure 8) completed
# by a SYN,ACK or by an ACK, a RST,ACK refusing the connection, and SYN
# retransmission with backoff when nothing answers.
source "$(dirname "$0")/lib.sh"

# For tcppeer.telemetry(): our DPDK file prefix, and this (root) network
# namespace, where dpdk-telemetry.py runs.
export TT_PREFIX
export TT_ROOT_NETNS=/proc/$$/ns/net

topo_up
start_tcpterm

# In a subshell, so that the counters below are checked even when a packet
# check failed; the test still fails at the end.
pkt_rc=0
( pkt pkt_active_open.py ) || pkt_rc=$?

expect_tcpterm_alive
stop_tcpterm
# (a), (b), six for the window check, two (c), (d), (e).
assert_eq 12 "$(tt_counter ActiveOpens)" "ActiveOpens (twelve connects asked for)"
# (d) refused by RST,ACK and (e) ended by RST,ACK in SYN_SENT.
assert_eq 2 "$(tt_counter AttemptFails)" "AttemptFails (RST,ACK in SYN_SENT, twice)"
assert_gt "$(tt_counter RetransSegs)" 2 "RetransSegs (the SYN retransmissions of (d) and (e))"
((pkt_rc == 0)) || fail "pkt_active_open.py: checks failed, see FAIL lines above"
