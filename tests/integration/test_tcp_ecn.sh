#!/usr/bin/env bash
# ECN (RFC 3168) with a real Linux peer: the client namespace sets
# net.ipv4.tcp_ecn=1, so its SYNs ask for ECN, and tcpterm (tcp.ecn=passive,
# the default) agrees. nftables in the client namespace then marks 5 % of the
# ECT(0) data packets CE in both directions while 2 MB go through echo:
#  - tcpterm sees the client's CE marks (InCEPkts) and echoes ECE, which the
#    client's nftables counts on the way in;
#  - the client echoes ECE for tcpterm's marked packets, and tcpterm cuts its
#    window (TCPECNCwndReduced);
#  - tcpterm's data arrives as ECT(0) (the client's IpExtInECT0Pkts);
# and the bytes come back unchanged. With tcp.ecn=off the client sees no ECN.
source "$(dirname "$0")/lib.sh"

topo_up
cli sysctl -qw net.ipv4.tcp_ecn=1

start_tcpterm --tcp.ecn off
assert_eq "ecn=0" "$(cli "$TT_PY" -B "$TT_ROOT/tests/integration/tcpinfo_probe.py" --ecn "$TT_ADDR")" \
  "tcp.ecn=off: the client's connection does not use ECN"
stop_tcpterm
assert_eq 0 "$(tt_counter TCPECNNegotiated)" "tcp.ecn=off: TCPECNNegotiated"

start_tcpterm
assert_eq "ecn=1" "$(cli "$TT_PY" -B "$TT_ROOT/tests/integration/tcpinfo_probe.py" --ecn "$TT_ADDR")" \
  "tcp.ecn=passive: the client's connection uses ECN (TCPI_OPT_ECN)"

cli nft -f - <<'NFT' || fail "cannot load the CE-marking nftables rules"
table inet tt_ecn {
  counter ece_from_tcpterm {}
  counter ce_to_tcpterm {}
  counter ce_from_tcpterm {}
  chain mark_out {
    type filter hook output priority mangle; policy accept;
    tcp dport 7 ip ecn ect0 numgen random mod 20 < 1 counter name ce_to_tcpterm ip ecn set ce
  }
  chain mark_in {
    type filter hook prerouting priority mangle; policy accept;
    tcp sport 7 tcp flags & ecn == ecn counter name ece_from_tcpterm
    tcp sport 7 ip ecn ect0 numgen random mod 20 < 1 counter name ce_from_tcpterm ip ecn set ce
  }
}
NFT

head -c 2M /dev/urandom >"$TT_WORK/in"
cli nstat -n  # start the client's counters from here
rc=0
cli timeout 60 nc -N "$TT_ADDR" 7 <"$TT_WORK/in" >"$TT_WORK/out" || rc=$?
assert_eq 0 "$rc" "nc exit code (2 MB echo through CE marks)"
assert_eq "$(sha256sum <"$TT_WORK/in" | cut -d' ' -f1)" "$(sha256sum <"$TT_WORK/out" | cut -d' ' -f1)" \
  "sha256 of 2 MB echoed"

nft_packets() { cli nft list counter inet tt_ecn "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
ce_out=$(nft_packets ce_to_tcpterm)
ce_in=$(nft_packets ce_from_tcpterm)
ece=$(nft_packets ece_from_tcpterm)
log "nftables: $ce_out client packets marked CE, $ce_in tcpterm packets marked CE, $ece ECE segments from tcpterm"
assert_gt "$ce_out" 0 "client data packets were ECT(0) and got CE marks"
assert_gt "$ce_in" 0 "tcpterm data packets were ECT(0) and got CE marks"
assert_gt "$ece" 0 "tcpterm echoed ECE to the client"
ect0=$(cli nstat -az IpExtInECT0Pkts | awk '/IpExtInECT0Pkts/ {print $2}')
assert_gt "${ect0:-0}" 0 "client's IpExtInECT0Pkts (tcpterm's data is ECT(0))"

cli nft delete table inet tt_ecn
cli sysctl -qw net.ipv4.tcp_ecn=2
expect_tcpterm_alive
stop_tcpterm
assert_gt "$(tt_counter TCPECNNegotiated)" 1 "TCPECNNegotiated (probe and echo connections)"
assert_gt "$(tt_counter InCEPkts)" 0 "InCEPkts (CE marks seen on the client's data)"
assert_gt "$(tt_counter TCPECNCwndReduced)" 0 "TCPECNCwndReduced (the client's ECE cut tcpterm's window)"
