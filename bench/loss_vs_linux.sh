#!/usr/bin/env bash
# Data transfer under random loss, tcpterm beside the Linux kernel: an
# `nc -N` echo of SIZE through tcpterm's echo service and through a Linux
# echo server (tests/integration/linux_servers.py) at the same address, with
# nftables in a bridge namespace between client and server dropping LOSS %
# of the wire frames both ways (a drop in the client namespace would hit
# segments before GSO and look like a local drop to the sender). Figures, not
# pass/fail: time, sha256 match, tcpterm's RTO expiries (TCPTimeouts) and
# the Linux client's (TcpExtTCPTimeouts). Writes bench/results/loss_vs_linux.json
# and tcpterm's counter summary per loss rate (loss_vs_linux-tcpterm-LOSS.log).
#
#   lb-cli (198.18.0.2, tt-cli0) -- lb-br (br0: lb-brc, lb-bra; nft drop) -- lb-app (tt-app0)
#
# Environment: LOSSES="0 1 5" (percent), SIZE=20M, SERVERS="tcpterm linux",
# BUILD=build, TIMEOUT=600 (seconds per transfer), AF_PACKET_ARGS (more
# net_af_packet devargs, e.g. ",framecnt=2048"), CAPTURE=DIR (a pcap of each
# transfer's headers, taken on the bridge port toward the server: what the
# server received and everything of its own that reached the bridge; and the
# veth and softnet drop counters, to tell local losses from the nft rule's).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
LOSSES=${LOSSES:-0 1 5}
SIZE=${SIZE:-20M}
SERVERS=${SERVERS:-tcpterm linux}
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
TIMEOUT=${TIMEOUT:-600}
CLI=lb-cli BR=lb-br APP=lb-app
ADDR=198.18.0.1
PREFIX="tt-loss-$$"
OUT_JSON="$ROOT/bench/results/loss_vs_linux.json"

if ((EUID != 0)); then echo "loss_vs_linux.sh: must run as root" >&2; exit 1; fi
TMP=$(mktemp -d /tmp/tt-loss.XXXXXX)
SERVER_PID=""

down() {
  for ns in $CLI $BR $APP; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}
cleanup() {
  set +e
  [[ -z "$SERVER_PID" ]] || { kill -INT "$SERVER_PID"; sleep 1; kill -KILL "$SERVER_PID"; } 2>/dev/null
  down
  rm -rf "/var/run/dpdk/$PREFIX" "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

up() {
  down
  for ns in $CLI $BR $APP; do
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  ip -n $CLI link add tt-cli0 type veth peer name lb-brc netns $BR
  ip -n $APP link add tt-app0 type veth peer name lb-bra netns $BR
  ip -n $BR link add br0 type bridge
  for i in lb-brc lb-bra; do ip -n $BR link set $i master br0; ip -n $BR link set $i up; done
  ip -n $BR link set br0 up
  ip -n $CLI addr add 198.18.0.2/24 dev tt-cli0
  ip netns exec $CLI ethtool -K tt-cli0 tx off >/dev/null   # full checksums on the wire
  ip -n $CLI link set tt-cli0 up
  ip netns exec $APP ethtool -K tt-app0 gro off >/dev/null 2>&1 || true
  ip -n $APP link set tt-app0 up
}

set_loss() {  # percent of forwarded frames dropped, both ways
  ip netns exec $BR nft delete table bridge loss 2>/dev/null || true
  (($1 > 0)) || return 0
  ip netns exec $BR nft -f - <<EOF
table bridge loss {
  chain forward {
    type filter hook forward priority 0; policy accept;
    numgen random mod 100 < $1 drop
  }
}
EOF
}

start_server() {  # tcpterm | linux
  if [[ $1 == tcpterm ]]; then
    ip netns exec $APP "$BUILD/app/tcpterm" --config config/tcpterm.conf \
      --eal "-l 0-1 --no-huge -m 512 --no-pci --file-prefix $PREFIX --vdev=net_af_packet0,iface=tt-app0${AF_PACKET_ARGS:-}" \
      >"$TMP/server.log" 2>&1 &
  else
    ip -n $APP addr add $ADDR/24 dev tt-app0
    ip netns exec $APP ethtool -K tt-app0 tx off >/dev/null
    ip netns exec $APP /usr/bin/python3 -u tests/integration/linux_servers.py >"$TMP/server.log" 2>&1 &
  fi
  SERVER_PID=$!
  for _ in $(seq 100); do
    grep -Eq 'tcpterm: ready|linux servers ready' "$TMP/server.log" && break
    sleep 0.1
  done
  ip netns exec $CLI ip neigh flush dev tt-cli0
}

stop_server() {  # sets server_rtos: tcpterm's TCPTimeouts (- for Linux)
  # SIGINT makes tcpterm print its counters; a background Python ignores
  # SIGINT (non-interactive shells start background jobs so), so TERM too.
  kill -INT "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true  # not in a subshell: only the parent can wait
  SERVER_PID=""
  server_rtos=$(sed -n 's/^TCPTimeouts \([0-9]*\)$/\1/p' "$TMP/server.log" | tail -n 1)
  # tcpterm's whole counter summary, to see how each loss was recovered.
  [[ -z "$server_rtos" ]] || cp "$TMP/server.log" "$(dirname "$OUT_JSON")/loss_vs_linux-tcpterm-$loss.log"
  server_rtos=${server_rtos:--}
  ip -n $APP addr flush dev tt-app0 2>/dev/null || true
}

mkdir -p "$(dirname "$OUT_JSON")"
head -c "$SIZE" /dev/urandom >"$TMP/in"
want=$(sha256sum <"$TMP/in" | cut -d' ' -f1)
up
rows=()
printf '%-8s %5s %10s %6s %12s %14s\n' server loss seconds sha server_RTOs client_RTOs
for server in $SERVERS; do
  for loss in $LOSSES; do
    start_server "$server"
    set_loss "$loss"
    ip netns exec $CLI nstat -n >/dev/null
    CAP_PID=""
    if [[ -n "${CAPTURE:-}" ]]; then
      mkdir -p "$CAPTURE"
      ip netns exec $BR tcpdump -B 65536 -i lb-bra -s 128 -w "$CAPTURE/$server-$loss.pcap" tcp \
        2>"$CAPTURE/$server-$loss.tcpdump.log" &
      CAP_PID=$!
      sleep 0.5
    fi
    start=$(date +%s.%N)
    ok=yes rc=0
    timeout "$TIMEOUT" ip netns exec $CLI nc -N $ADDR 7 <"$TMP/in" >"$TMP/out" 2>"$TMP/nc.err" || rc=$?
    ((rc == 0)) || ok=$([[ $rc == 124 ]] && echo timeout || echo "nc-exit-$rc")
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    client_rtos=$(ip netns exec $CLI nstat -z TcpExtTCPTimeouts | awk '/TcpExtTCPTimeouts/ {print $2}')
    set_loss 0
    if [[ -n "$CAP_PID" ]]; then
      { ip -n $APP -s link show tt-app0; ip -n $BR -s link show lb-bra; cat /proc/net/softnet_stat; } \
        >"$CAPTURE/$server-$loss.links"
      sleep 0.3; kill -INT "$CAP_PID"; wait "$CAP_PID" 2>/dev/null || true
    fi
    stop_server
    [[ $ok == yes && "$(sha256sum <"$TMP/out" | cut -d' ' -f1)" == "$want" ]] && sha=equal || sha=$ok
    printf '%-8s %4s%% %10.2f %6s %12s %14s\n' "$server" "$loss" "$secs" "$sha" "$server_rtos" "$client_rtos"
    rows+=("{\"server\":\"$server\",\"loss_pct\":$loss,\"seconds\":$secs,\"sha256\":\"$sha\",\"server_rtos\":\"$server_rtos\",\"client_rtos\":${client_rtos:-0}}")
  done
done
mkdir -p "$(dirname "$OUT_JSON")"
(IFS=,; echo "{\"size\":\"$SIZE\",\"runs\":[${rows[*]}]}") >"$OUT_JSON"
echo "wrote $OUT_JSON"
