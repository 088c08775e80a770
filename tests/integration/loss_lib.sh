# shellcheck shell=bash
# Data transfer under loss, shared by tests/integration/test_loss_transfer.sh
# and bench/loss_vs_linux.sh (source it; it sets no traps and no shell
# options). Three namespaces, a bridge between client and server:
#
#   $LT_CLI (tt-cli0 198.18.0.2) -- $LT_BR (br0: brc0, bra0) -- $LT_APP (tt-app0)
#
# The bridge drops frames (nftables, lt_set_loss) or queues them (tc tbf,
# lt_set_rate): dropping in the client namespace would hit segments before
# GSO and look like a local drop to the sender. The server in $LT_APP is
# tcpterm (tt-app0 by net_af_packet, no kernel address) or the Linux kernel
# (lt_linux_start: tests/integration/linux_servers.py at 198.18.0.1).
#
# Needs LT_CLI LT_BR LT_APP (namespace names) and LT_TMP (a scratch dir).
# Each transfer sets lt_secs (wall time), lt_rc (0, 124 on timeout) and
# lt_result, and ends after LT_TIMEOUT seconds (default 120).

LT_ADDR=198.18.0.1
LT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LT_LINUX_PID=""

lt_down() {
  local ns pid
  for ns in "$LT_CLI" "$LT_BR" "$LT_APP"; do
    ip netns list | awk '{print $1}' | grep -qx -- "$ns" || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}

lt_up() {
  local ns i
  lt_down
  for ns in "$LT_CLI" "$LT_BR" "$LT_APP"; do
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  ip -n "$LT_CLI" link add tt-cli0 type veth peer name brc0 netns "$LT_BR"
  ip -n "$LT_APP" link add tt-app0 type veth peer name bra0 netns "$LT_BR"
  ip -n "$LT_BR" link add br0 type bridge
  for i in brc0 bra0; do ip -n "$LT_BR" link set "$i" master br0; ip -n "$LT_BR" link set "$i" up; done
  ip -n "$LT_BR" link set br0 up
  ip -n "$LT_CLI" addr add 198.18.0.2/24 dev tt-cli0
  # Full checksums on the wire (and no TSO): tcpterm checks every checksum.
  ip netns exec "$LT_CLI" ethtool -K tt-cli0 tx off >/dev/null
  ip -n "$LT_CLI" link set tt-cli0 up
  ip netns exec "$LT_APP" ethtool -K tt-app0 gro off >/dev/null 2>&1 || true
  ip -n "$LT_APP" link set tt-app0 up
}

lt_set_loss() {  # PERCENT of forwarded frames dropped, both ways (0: none)
  ip netns exec "$LT_BR" nft delete table bridge loss 2>/dev/null || true
  (($1 > 0)) || return 0
  ip netns exec "$LT_BR" nft -f - <<EOF
table bridge loss {
  chain forward {
    type filter hook forward priority 0; policy accept;
    numgen random mod 100 < $1 drop
  }
}
EOF
}

# lt_set_rate RATE|0: a token bucket on both bridge ports (so the queue builds
# whichever way the bulk goes); frames that would wait over 50 ms are dropped.
lt_set_rate() {
  local i
  for i in brc0 bra0; do
    ip netns exec "$LT_BR" tc qdisc del dev "$i" root 2>/dev/null || true
    [[ $1 == 0 ]] || ip netns exec "$LT_BR" tc qdisc add dev "$i" root tbf rate "$1" burst 64kb latency 50ms
  done
}

lt_rate_stats() {  # one line per bridge port: sent, dropped, overlimits
  local i
  for i in brc0 bra0; do
    echo "$i: $(ip netns exec "$LT_BR" tc -s qdisc show dev "$i" | sed -n 's/^ *\(Sent .*\)$/\1/p')"
  done
}

lt_linux_start() {  # the Linux servers at 198.18.0.1 in $LT_APP
  ip -n "$LT_APP" addr add "$LT_ADDR/24" dev tt-app0
  ip netns exec "$LT_APP" ethtool -K tt-app0 tx off >/dev/null
  # LT_LINUX_CC (read by linux_servers.py): the Linux server's congestion
  # control; by default the namespace's, inherited from the host's sysctl.
  LT_LINUX_CC=${LT_LINUX_CC:-} ip netns exec "$LT_APP" /usr/bin/python3 -u "$LT_DIR/linux_servers.py" >"$LT_TMP/linux.log" 2>&1 &
  LT_LINUX_PID=$!
  for _ in $(seq 100); do grep -q 'linux servers ready' "$LT_TMP/linux.log" && break; sleep 0.1; done
  grep -q 'linux servers ready' "$LT_TMP/linux.log" || { cat "$LT_TMP/linux.log"; return 1; }
  ip netns exec "$LT_CLI" ip neigh flush dev tt-cli0
}

lt_linux_stop() {
  [[ -n "$LT_LINUX_PID" ]] || return 0
  kill -TERM "$LT_LINUX_PID" 2>/dev/null || true
  wait "$LT_LINUX_PID" 2>/dev/null || true
  LT_LINUX_PID=""
  ip -n "$LT_APP" addr flush dev tt-app0
  ip netns exec "$LT_CLI" ip neigh flush dev tt-cli0
}

# lt_rtos NS: RTO expiries so far (TcpExt TCPTimeouts) in that namespace's
# kernel, from /proc/net/netstat (nstat's history file is one per user, not
# per namespace).
lt_rtos() {
  ip netns exec "$1" awk '$1 == "TcpExt:" { if (!n) { n = split($0, name); next }
    split($0, v); for (i = 2; i <= n; i++) if (name[i] == "TCPTimeouts") print v[i]; exit }' /proc/net/netstat
}

lt_start() { lt_t0=$(date +%s%N); }
lt_stop() { lt_secs=$(awk -v ns=$(($(date +%s%N) - lt_t0)) 'BEGIN {printf "%.2f", ns / 1e9}'); }

# lt_echo FILE: nc -N through the echo service; lt_result = the sha256 of
# what came back.
lt_echo() {
  lt_start
  # The exit code through a file: the group is a subshell (with set -e, so
  # it must not fail before writing it).
  { local rc=0; timeout "${LT_TIMEOUT:-120}" ip netns exec "$LT_CLI" nc -N "$LT_ADDR" 7 <"$1" 2>"$LT_TMP/nc.err" || rc=$?
    echo "$rc" >"$LT_TMP/rc"; } | sha256sum >"$LT_TMP/sha"
  lt_stop
  lt_rc=$(cat "$LT_TMP/rc")
  lt_result=$(cut -d' ' -f1 "$LT_TMP/sha")
}

# lt_discard FILE: FILE to the discard service; lt_result = the bytes the
# server acknowledged before its FIN (bulk_client.py), lt_client_retrans =
# the client's retransmitted segments.
lt_discard() {
  local out
  lt_start
  lt_rc=0
  out=$(timeout "${LT_TIMEOUT:-120}" ip netns exec "$LT_CLI" /usr/bin/python3 "$LT_DIR/bulk_client.py" \
    send "$LT_ADDR" 9 "$1" 2>"$LT_TMP/bulk.err") || lt_rc=$?
  lt_stop
  read -r lt_result lt_client_retrans <<<"${out:-failed -}"
}

# lt_download BYTES: the first BYTES of the chargen service; lt_result = their
# sha256 (short when the transfer stopped early).
lt_download() {
  lt_start
  { local rc=0; timeout "${LT_TIMEOUT:-120}" ip netns exec "$LT_CLI" nc -d "$LT_ADDR" 19 2>"$LT_TMP/nc.err" || rc=$?
    echo "$rc" >"$LT_TMP/rc"; } | head -c "$1" | sha256sum >"$LT_TMP/sha"
  lt_stop
  # nc ends on EPIPE once head has its bytes: only a timeout is a failure.
  lt_rc=$(cat "$LT_TMP/rc")
  [[ $lt_rc == 124 ]] || lt_rc=0
  lt_result=$(cut -d' ' -f1 "$LT_TMP/sha")
}

lt_bytes() { numfmt --from=iec "$1"; }  # 200M -> 209715200

# lt_tt_counter PREFIX NAME: a live counter of the tcpterm with that DPDK
# file prefix (telemetry /tcpterm/stats, summed over workers).
lt_tt_counter() {
  echo /tcpterm/stats | dpdk-telemetry.py -f "$1" 2>/dev/null |
    /usr/bin/python3 -c 'import json, sys
print(json.loads(sys.stdin.read().strip().splitlines()[-1])["/tcpterm/stats"][sys.argv[1]])' "$2"
}
