#!/usr/bin/env bash
# Hostile segments (pkt_hostile.py), against tcpterm and then, as the
# reference, against the Linux kernel at the same address:
# - the off-path challenge-ACK side channel (CVE-2016-5696): 20 in-window
#   RSTs on the attacker's own connection right after 1200 spoofed SYNs at a
#   live tuple, and at a tuple that does not exist, must draw the same number
#   of challenge ACKs (before the per-connection limit: 0 of 20 against 14
#   of 20; Linux: 1 of 20 either way);
# - SYN+FIN and SYN+RST get no answer; data without ACK, or without a
#   timestamp on a timestamped connection, is dropped; in TIME_WAIT an older
#   SYN gets nothing and a newer one an ISS above the old SND.NXT (RFC 6191);
# - IPv4 IDs count per connection from a random start; RSTs carry 0.
# The "figure:" lines of both runs are printed side by side at the end.
source "$(dirname "$0")/lib.sh"

export TT_PREFIX
export TT_ROOT_NETNS=/proc/$$/ns/net

topo_up
start_tcpterm
pkt_rc=0
( TARGET=tcpterm pkt pkt_hostile.py ) | tee "$TT_WORK/tcpterm.out" || pkt_rc=$?
expect_tcpterm_alive
stop_tcpterm
assert_gt "$(tt_counter TCPBadFlags)" 3 "TCPBadFlags (SYN+FIN and SYN+RST at a listener and a closed port)"
assert_gt "$(tt_counter TCPSYNChallenge)" 500 "TCPSYNChallenge (the spoofed SYNs at the live tuple)"
assert_gt "$(tt_counter TCPACKSkippedChallenge)" 500 "TCPACKSkippedChallenge (all but one per 500 ms)"
assert_eq 1 "$(tt_counter TCPAckMissing)" "TCPAckMissing"
assert_eq 1 "$(tt_counter PAWSNoTimestamp)" "PAWSNoTimestamp"
assert_eq 1 "$(tt_counter TCPTimeWaitSynDropped)" "TCPTimeWaitSynDropped"
((pkt_rc == 0)) || fail "pkt_hostile.py against tcpterm: checks failed, see FAIL lines above"

# The reference: Linux at 198.18.0.1 (the client must ARP for its MAC anew).
ip -n "$TT_APP_NS" addr add "$TT_ADDR/24" dev tt-app0
# Full checksums on the wire: the packet socket sees what veth hands over.
ip netns exec "$TT_APP_NS" ethtool -K tt-app0 tx off >/dev/null
ip -n "$TT_CLI_NS" neigh flush dev tt-cli0
ip netns exec "$TT_APP_NS" "$TT_PY" -u "$TT_ROOT/tests/integration/linux_servers.py" >"$TT_WORK/linux.log" 2>&1 &
linux_pid=$!
for _ in $(seq 50); do grep -q ready "$TT_WORK/linux.log" && break; sleep 0.1; done
linux_rc=0
( TARGET=linux pkt pkt_hostile.py ) | tee "$TT_WORK/linux.out" || linux_rc=$?
kill "$linux_pid" 2>/dev/null || true
wait "$linux_pid" 2>/dev/null || true
log "side by side (figure: tcpterm | linux):"
awk '$1 == "figure:" { name = $3; $1 = $2 = $3 = ""; sub(/^ +/, "");
                       if (FILENAME ~ /tcpterm/) { order[++n] = name; tt[name] = $0 } else lx[name] = $0 }
     END { for (i = 1; i <= n; i++) printf "    %s: %s | %s\n", order[i], tt[order[i]],
                                            (order[i] in lx) ? lx[order[i]] : "-" }' \
  "$TT_WORK/tcpterm.out" "$TT_WORK/linux.out"
((linux_rc == 0)) || fail "pkt_hostile.py against Linux (the reference) failed: see above"
