#!/usr/bin/env bash
# Usage: scripts/topology.sh up|down
#
# Test topology (design.md "Test topology"): two network namespaces joined by
# a veth pair.
#   tt-app: tt-app0, up, NO kernel address -- tcpterm opens it with
#           net_af_packet and must be the only thing answering 198.18.0.1.
#   tt-cli: tt-cli0 = 198.18.0.2/24 -- real Linux clients run here.
# Namespace names can be overridden (TT_APP_NS / TT_CLI_NS) so that two
# independent runs on one machine do not trample each other; the interface
# names live inside the namespaces and therefore never clash.
set -euo pipefail

APP_NS=${TT_APP_NS:-tt-app}
CLI_NS=${TT_CLI_NS:-tt-cli}
APP_IF=tt-app0
CLI_IF=tt-cli0
CLI_ADDR=198.18.0.2/24

ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

down() {
  local ns pid
  for ns in "$APP_NS" "$CLI_NS"; do
    ns_exists "$ns" || continue
    # A namespace only really disappears when its last process has gone, and
    # a leftover client or tcpterm would keep the veth alive: end them first.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      kill -TERM "$pid" 2>/dev/null || true
    done
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      [[ -z "$(ip netns pids "$ns" 2>/dev/null)" ]] && break
      sleep 0.2
    done
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null || true
    done
    ip netns del "$ns"
  done
}

up() {
  down   # start from a clean slate: up is idempotent too
  ip netns add "$APP_NS"
  ip netns add "$CLI_NS"
  # No IPv6 at all: router solicitations, DAD and MLD reports would be noise
  # on tcpterm's port. Setting "default" before the veth exists means the
  # interfaces never get an IPv6 link-local address in the first place.
  for ns in "$APP_NS" "$CLI_NS"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
  done
  # Create the pair directly inside the namespaces: nothing ever appears in
  # the root namespace, so no name clash with the host's interfaces.
  ip -n "$APP_NS" link add "$APP_IF" type veth peer name "$CLI_IF" netns "$CLI_NS"
  ip netns exec "$APP_NS" sysctl -qw "net.ipv6.conf.$APP_IF.disable_ipv6=1"
  ip netns exec "$CLI_NS" sysctl -qw "net.ipv6.conf.$CLI_IF.disable_ipv6=1"

  # Client side. TX checksum offload OFF is required: with it on, veth hands
  # af_packet segments carrying only a partial checksum, which tcpterm would
  # (rightly) drop as BadChecksum. Turning tx off also drops TSO, so tcpterm
  # never sees frames larger than the MTU.
  ip -n "$CLI_NS" link set lo up
  ip -n "$CLI_NS" addr add "$CLI_ADDR" dev "$CLI_IF"
  ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tx off >/dev/null
  ip -n "$CLI_NS" link set "$CLI_IF" up

  # Appliance side: up, no address. GRO off so af_packet sees wire frames.
  ip -n "$APP_NS" link set lo up
  ip netns exec "$APP_NS" ethtool -K "$APP_IF" gro off >/dev/null 2>&1 || true
  ip -n "$APP_NS" link set "$APP_IF" up
}

if ((EUID != 0)); then
  echo "topology.sh: must run as root" >&2
  exit 1
fi

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
