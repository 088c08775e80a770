#!/usr/bin/env bash
# Data transfer under random loss, tcpterm beside the Linux kernel: SIZE
# through tcpterm's services and through Linux servers
# (tests/integration/linux_servers.py) at the same address, with nftables in
# a bridge namespace between client and server dropping LOSS % of the wire
# frames both ways (a drop in the client namespace would hit segments before
# GSO and look like a local drop to the sender). MODES, each a transfer of SIZE:
#   echo      `nc -N` through the echo service (7): SIZE each way
#   discard   to the discard service (9), tests/integration/bulk_client.py:
#             the server acknowledged every byte before its FIN
#   download  the first SIZE bytes of chargen (19), `nc -d | head -c`
# Figures, not pass/fail: time, the check (sha256 "equal" for echo and
# download, "all-acked" for discard), the server's RTO expiries (tcpterm's
# TCPTimeouts, Linux's TcpExt TCPTimeouts in the server namespace) and the
# Linux client's, then the ratio tcpterm/Linux per mode and loss. With loss 0
# in LOSSES, tcpterm's CPU cost of the discard transfer as cycles per byte
# (perf stat -e cycles on the tcpterm process; where the machine has no
# cycle counter, as this VM, its threads' on-CPU time during the transfer
# times the clock frequency).
# tcpterm's worker busy-polls, so that is the whole core for the transfer's
# duration: an upper bound of what the engine spends per byte.
# Writes bench/results/loss_vs_linux.json and tcpterm's counter summary per
# loss rate (loss_vs_linux-tcpterm-LOSS.log). The topology and the transfers
# are tests/integration/loss_lib.sh, which test_loss_transfer.sh also uses.
#
#   lb-cli (198.18.0.2, tt-cli0) -- lb-br (br0: brc0, bra0; nft drop) -- lb-app (tt-app0)
#
# Environment: LOSSES="0 1 5" (percent), SIZE=20M, MODES="echo discard
# download" (or MODE=one of them), SERVERS="tcpterm linux", BUILD=build,
# TIMEOUT=600 (seconds per transfer), LB_CLI/LB_BR/LB_APP (namespace names),
# AF_PACKET_ARGS (more net_af_packet devargs, e.g. ",framecnt=2048"),
# CAPTURE=DIR (a pcap of each transfer's headers, taken on the bridge port
# toward the server: what the server received and everything of its own that
# reached the bridge; and the veth and softnet drop counters, to tell local
# losses from the nft rule's).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
LOSSES=${LOSSES:-0 1 5}
SIZE=${SIZE:-20M}
MODES=${MODE:-${MODES:-echo discard download}}
SERVERS=${SERVERS:-tcpterm linux}
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
LT_TIMEOUT=${TIMEOUT:-600}
LT_CLI=${LB_CLI:-lb-cli} LT_BR=${LB_BR:-lb-br} LT_APP=${LB_APP:-lb-app}
PREFIX="tt-loss-$$"
OUT_JSON="$ROOT/bench/results/loss_vs_linux.json"
source "$ROOT/tests/integration/loss_lib.sh"

if ((EUID != 0)); then echo "loss_vs_linux.sh: must run as root" >&2; exit 1; fi
for mode in $MODES; do
  [[ $mode == echo || $mode == discard || $mode == download ]] || { echo "unknown mode $mode" >&2; exit 2; }
done
LT_TMP=$(mktemp -d /tmp/tt-loss.XXXXXX)
SERVER_PID=""

cleanup() {
  set +e
  [[ -z "$SERVER_PID" ]] || { kill -INT "$SERVER_PID"; sleep 1; kill -KILL "$SERVER_PID"; } 2>/dev/null
  lt_linux_stop
  lt_down
  rm -rf "/var/run/dpdk/$PREFIX" "$LT_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_server() {  # tcpterm | linux
  if [[ $1 == linux ]]; then lt_linux_start; return; fi
  ip netns exec "$LT_APP" "$BUILD/app/tcpterm" --config config/tcpterm.conf ${TCPTERM_ARGS:-} \
    --eal "-l 0-1 --no-huge -m 512 --no-pci --file-prefix $PREFIX --vdev=net_af_packet0,iface=tt-app0${AF_PACKET_ARGS:-}" \
    >"$LT_TMP/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    grep -q 'tcpterm: ready' "$LT_TMP/server.log" && break
    sleep 0.1
  done
  ip netns exec "$LT_CLI" ip neigh flush dev tt-cli0
}

stop_server() {  # tcpterm | linux
  if [[ $1 == linux ]]; then lt_linux_stop; return; fi
  # SIGINT makes tcpterm print its counters: the whole summary, to see how
  # each loss was recovered.
  kill -INT "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true  # not in a subshell: only the parent can wait
  SERVER_PID=""
  cp "$LT_TMP/server.log" "$(dirname "$OUT_JSON")/loss_vs_linux-tcpterm-$loss.log"
}

server_rtos() {  # tcpterm | linux: the server side's RTO expiries so far
  if [[ $1 == tcpterm ]]; then lt_tt_counter "$PREFIX" TCPTimeouts; else lt_rtos "$LT_APP"; fi
}

# CPU of the tcpterm process while CMD runs: sets cpu_cycles and cpu_source.
# perf's cycles where the machine counts them; else the on-CPU time of
# tcpterm's threads (schedstat, ns) over just the transfer, times the TSC.
cpu_ns() { awk '{ns += $1} END {printf "%.0f\n", ns}' /proc/"$SERVER_PID"/task/*/schedstat; }
with_cycles() {
  local perf_pid ns0 ns mhz
  perf stat -x, -e cycles -p "$SERVER_PID" -o "$LT_TMP/perf" &
  perf_pid=$!
  sleep 0.3  # perf attached
  ns0=$(cpu_ns)
  "$@"
  ns=$(($(cpu_ns) - ns0))
  kill -INT "$perf_pid"; wait "$perf_pid" || true
  cpu_cycles=$(awk -F, '$3 == "cycles" && $1 ~ /^[0-9]+$/ {print $1}' "$LT_TMP/perf")
  cpu_source="perf stat -e cycles"
  if [[ -z "$cpu_cycles" ]]; then
    mhz=$(awk -F': ' '/^cpu MHz/ {print $2; exit}' /proc/cpuinfo)
    cpu_cycles=$(awk -v ns="$ns" -v mhz="$mhz" 'BEGIN {printf "%.0f", ns * mhz / 1000}')
    cpu_source="no cycles counter (perf: not supported): tcpterm threads' on-CPU time, $((ns / 1000000)) ms, x $mhz MHz"
  fi
}

transfer() {  # MODE: lt_secs, lt_rc, check
  case $1 in
    echo) lt_echo "$LT_TMP/in"; want=$want_echo ;;
    discard) lt_discard "$LT_TMP/in"; want=$bytes ;;
    download) lt_download "$bytes"; want=$want_download ;;
  esac
  if ((lt_rc == 124)); then check=timeout
  elif [[ $lt_result != "$want" ]]; then check="wrong-exit-$lt_rc"
  elif [[ $1 == discard ]]; then check=all-acked
  else check=equal; fi
}

mkdir -p "$(dirname "$OUT_JSON")"
bytes=$(lt_bytes "$SIZE")
head -c "$SIZE" /dev/urandom >"$LT_TMP/in"
want_echo=$(sha256sum <"$LT_TMP/in" | cut -d' ' -f1)
want_download=$(/usr/bin/python3 tests/integration/bulk_client.py chargen-sha256 "$bytes")
lt_up
rows=() cycles_json=""
declare -A secs
printf '%-8s %-8s %5s %10s %9s %12s %12s\n' server mode loss seconds check server_RTOs client_RTOs
for server in $SERVERS; do
  for loss in $LOSSES; do
    start_server "$server"
    lt_set_loss "$loss"
    for mode in $MODES; do
      srv_before=$(server_rtos "$server") cli_before=$(lt_rtos "$LT_CLI")
      CAP_PID=""
      if [[ -n "${CAPTURE:-}" ]]; then
        mkdir -p "$CAPTURE"
        ip netns exec "$LT_BR" tcpdump -B 65536 -i bra0 -s 128 -w "$CAPTURE/$server-$loss-$mode.pcap" tcp \
          2>"$CAPTURE/$server-$loss-$mode.tcpdump.log" &
        CAP_PID=$!
        sleep 0.5
      fi
      if [[ $server == tcpterm && $loss == 0 && $mode == discard ]]; then
        with_cycles transfer "$mode"
        cycles_per_byte=$(awk -v c="$cpu_cycles" -v b="$bytes" 'BEGIN {printf "%.2f", c / b}')
        cycles_json=",\"tcpterm_discard_cycles_per_byte\":$cycles_per_byte,\"cycles_source\":\"$cpu_source\",\"discard_seconds\":$lt_secs"
      else
        transfer "$mode"
      fi
      srv_rtos=$(($(server_rtos "$server") - srv_before)) cli_rtos=$(($(lt_rtos "$LT_CLI") - cli_before))
      if [[ -n "$CAP_PID" ]]; then
        { ip -n "$LT_APP" -s link show tt-app0; ip -n "$LT_BR" -s link show bra0; cat /proc/net/softnet_stat; } \
          >"$CAPTURE/$server-$loss-$mode.links"
        sleep 0.3; kill -INT "$CAP_PID"; wait "$CAP_PID" 2>/dev/null || true
      fi
      secs[$server,$mode,$loss]=$lt_secs
      printf '%-8s %-8s %4s%% %10.2f %9s %12s %12s\n' "$server" "$mode" "$loss" "$lt_secs" "$check" "$srv_rtos" "$cli_rtos"
      rows+=("{\"server\":\"$server\",\"mode\":\"$mode\",\"loss_pct\":$loss,\"seconds\":$lt_secs,\"sha256\":\"$check\",\"server_rtos\":\"$srv_rtos\",\"client_rtos\":$cli_rtos}")
    done
    lt_set_loss 0
    stop_server "$server"
  done
done

ratios=()
if [[ " $SERVERS " == *" tcpterm "* && " $SERVERS " == *" linux "* ]]; then
  echo
  printf '%-8s %5s %10s %10s %16s\n' mode loss tcpterm_s linux_s ratio_tt/linux
  for mode in $MODES; do
    for loss in $LOSSES; do
      r=$(awk -v t="${secs[tcpterm,$mode,$loss]:-0}" -v l="${secs[linux,$mode,$loss]:-0}" 'BEGIN {printf "%.2f", (l > 0) ? t / l : 0}')
      printf '%-8s %4s%% %10.2f %10.2f %16s\n' "$mode" "$loss" "${secs[tcpterm,$mode,$loss]:-0}" "${secs[linux,$mode,$loss]:-0}" "$r"
      ratios+=("{\"mode\":\"$mode\",\"loss_pct\":$loss,\"tcpterm_over_linux\":$r}")
    done
  done
fi
[[ -z "$cycles_json" ]] || echo "tcpterm, discard of $SIZE at 0 % loss: $cycles_per_byte cycles/byte ($cpu_source)"
(IFS=,; echo "{\"size\":\"$SIZE\",\"runs\":[${rows[*]}],\"ratios\":[${ratios[*]}]$cycles_json}") >"$OUT_JSON"
echo "wrote $OUT_JSON"
