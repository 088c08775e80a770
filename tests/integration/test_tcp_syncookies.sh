#!/usr/bin/env bash
# SYN cookies on the wire (pkt_syncookies.py), port 7 with cookies=always:
# window scale and SACK-permitted kept in the SYN-ACK's TSval (RFC 4987 §3.6,
# as Linux does), a completed cookie handshake that then uses window scaling
# (200 KB echoed with more than 64 KB in flight) and SACK, and an ACK with a
# wrong cookie that creates nothing.
source "$(dirname "$0")/lib.sh"

export TT_PREFIX
export TT_ROOT_NETNS=/proc/$$/ns/net

topo_up
start_tcpterm --listen "7=echo,cookies=always"

# In a subshell, so that the counters below are checked even when a packet
# check failed; the test still fails at the end.
pkt_rc=0
( pkt pkt_syncookies.py ) || pkt_rc=$?

expect_tcpterm_alive
stop_tcpterm
assert_eq 9 "$(tt_counter SyncookiesSent)" "SyncookiesSent (every one of the nine SYNs)"
assert_eq 2 "$(tt_counter SyncookiesRecv)" "SyncookiesRecv (the two completed cookie handshakes)"
assert_gt "$(tt_counter SyncookiesFailed)" 1 "SyncookiesFailed (the wrong cookies)"
assert_eq 2 "$(tt_counter PassiveOpens)" "PassiveOpens: only the two cookie connections (no stateful SYN-ACK with cookies=always)"
assert_eq 0 "$(tt_counter TCPRcvWndTrimmed)" "TCPRcvWndTrimmed: nothing sent within the window was dropped"
((pkt_rc == 0)) || fail "pkt_syncookies.py: checks failed, see FAIL lines above"
