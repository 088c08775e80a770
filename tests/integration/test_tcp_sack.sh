#!/usr/bin/env bash
# SACK blocks, packet by packet (pkt_sack.py): data beyond a hole draws an
# immediate duplicate ACK whose SACK blocks report the islands held, the
# newest first (RFC 2018 §4); filling the hole gives a cumulative ACK with no
# blocks and (echo) every byte in order; at most 4 blocks, 3 with timestamps;
# never a SACK option when the SYN did not carry SACK-permitted.
source "$(dirname "$0")/lib.sh"

topo_up
start_tcpterm

# In a subshell, so that the counters below are checked even when a packet
# check failed; the test still fails at the end.
pkt_rc=0
( pkt pkt_sack.py ) || pkt_rc=$?

expect_tcpterm_alive
stop_tcpterm
assert_gt "$(tt_counter TCPSACKBlocksSent)" 10 "TCPSACKBlocksSent (one per duplicate ACK with blocks)"
assert_gt "$(tt_counter TCPOFOQueue)" 10 "TCPOFOQueue (islands held)"
assert_gt "$(tt_counter TCPOFOMerge)" 1 "TCPOFOMerge (held islands delivered once the hole filled)"
((pkt_rc == 0)) || fail "pkt_sack.py: checks failed, see FAIL lines above"
