#!/usr/bin/env bash
# The new-connection rate per backend before and after TIME_WAIT reuse
# (tcp.tw_reuse, issue 10). tcpterm proxies 198.18.0.1:80 to one nginx
# backend (client namespace, 198.18.0.2:8088) from 1000 source ports
# (source_ports), with tw_reuse off, then on; each time:
#   close-first: clients that close first (bench/close_first_client.py,
#     PROCS processes, HTTP/1.1 keep-alive, the client's FIN first): tcpterm
#     passes the FIN on and holds TIME_WAIT toward the backend for 60 s, so
#     without reuse 1000 ports give about 1000 / 60 s = 17 connections/s
#     once the first 1000 are used;
#   wrk-close: wrk -c50 -H 'Connection: close': nginx closes first, so the
#     backend holds TIME_WAIT, not tcpterm (no cap on tcpterm's side either
#     way; Linux's nginx takes a new SYN on its TIME_WAIT tuple).
# tcpterm is restarted before each run (empty TIME_WAIT table), and each run
# takes its own block of 1000 ports (20000-20999, 21000-21999, ...): a new
# tcpterm's SYN on a tuple the backend still holds in TIME_WAIT from the
# previous run carries a timestamp from an unrelated clock (keys are drawn at
# start), which Linux's PAWS rejects about half the time (an ACK, our RST,
# the SYN again after a 1 s RTO): a run right after another on the same ports
# got 560-580 requests/s instead of 5,000-6,000. Figures, not pass/fail:
# JSON lines and bench/results/tw_reuse_cap.json.
#   DURATION=10 PROCS=8 PORTS=1000 LOADS='close-first wrk-close' REUSE='false true'
#   BUILD=build SKIP_BUILD=1 KEEP_LOGS=DIR (tcpterm's logs kept there)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DURATION=${DURATION:-10}
PROCS=${PROCS:-8}
PORTS=${PORTS:-1000}  # source ports per run
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
ADDR=198.18.0.1
BACKEND=198.18.0.2:8088
PREFIX="tt-twcap-$$"
OUT_JSON="$ROOT/bench/results/tw_reuse_cap.json"

source "$ROOT/bench/proxy_lib.sh"

[[ "${SKIP_BUILD:-0}" == 1 ]] || "$ROOT/scripts/build.sh" "$BUILD"
"$ROOT/scripts/topology.sh" up
# The clients close first, so Linux holds their TIME_WAITs: let it reuse them
# (toward tcpterm, which has timestamps) and give it every port.
cli sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"

start_backend "$BACKEND"

counter() { sed -n "/^tcpterm: counters/,\$ s/^$2 \([0-9][0-9]*\)\$/\1/p" "$1" | tail -n 1; }

# run: one tcpterm, one load; prints a JSON object.
run() {  # TW_REUSE LOAD PORTS
  local reuse=$1 load=$2 ports=$3 log="$TMP/tcpterm.$1.$2.log" tt result
  ip netns exec "$APP_NS" "$BUILD/app/tcpterm" --config config/tcpterm.conf \
    --eal "-l 0-1 --no-huge -m 512 --no-pci --file-prefix $PREFIX --vdev=net_af_packet0,iface=tt-app0" \
    --listen "80=proxy,pool=web" --pool.web.backend="$BACKEND" --pool.web.source_ports="$ports" \
    --pool.web.retries=0 --tcp.tw_reuse="$reuse" >"$log" 2>&1 &
  tt=$!
  wait_200 "http://$ADDR/"
  if [[ $load == close-first ]]; then
    result=$(cli /usr/bin/python3 "$ROOT/bench/close_first_client.py" "$ADDR" 80 "$PROCS" "$DURATION")
  else
    cli wrk -t1 -c50 -d"${DURATION}s" -H 'Connection: close' "http://$ADDR/" >"$TMP/wrk.$reuse.txt"
    result=$(awk '/Requests\/sec/ {r=$2} /Socket errors/ {e=$0} END {printf "{\"rps\": %s, \"errors\": \"%s\"}", r, e}' \
      "$TMP/wrk.$reuse.txt")
  fi
  kill -INT "$tt"; wait "$tt" || true
  [[ -z "${KEEP_LOGS:-}" ]] || cp "$log" "$KEEP_LOGS/"
  echo "{\"tw_reuse\": $reuse, \"load\": \"$load\", \"source_ports\": \"$ports\", \"result\": $result," \
    "\"TWRecycled\": $(counter "$log" TWRecycled), \"TCPNoEphemeralPort\": $(counter "$log" TCPNoEphemeralPort)," \
    "\"ActiveOpens\": $(counter "$log" ActiveOpens)}"
}

rows=()
block=20000
for load in ${LOADS:-close-first wrk-close}; do
  for reuse in ${REUSE:-false true}; do
    rows+=("$(run "$reuse" "$load" "$block-$((block + PORTS - 1))")")
    block=$((block + PORTS))
    echo "${rows[-1]}"
  done
done
mkdir -p "$(dirname "$OUT_JSON")"
{
  echo "{\"duration_s\": $DURATION, \"procs\": $PROCS, \"runs\": ["
  (IFS=,; echo "${rows[*]}")
  echo "]}"
} >"$OUT_JSON"
echo "written: $OUT_JSON"
