#!/usr/bin/env bash
# Scaling across workers: wrk keep-alive (requests/s) and Connection: close
# (connections/s) against tcpterm with 1 and with 2 workers on the same
# af_packet port with one queue per worker (qpairs=N), plus the software
# hand-off rate. Figures, not
# pass/fail; on a 2-core machine wrk shares the cores with the workers, so
# read the ratio with that in mind. Writes bench/results/workers_scaling.json.
#   DURATION=10s CONNS=64 BUILD=build
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
BUILD=${BUILD:-build}
export TT_APP_NS=${TT_APP_NS:-tt-app} TT_CLI_NS=${TT_CLI_NS:-tt-cli}
PREFIX="tt-scale-$$"
OUT="$ROOT/bench/results/workers_scaling.json"
mkdir -p "$ROOT/bench/results"
TMP=$(mktemp -d /tmp/tt-scale.XXXXXX)
PID=""
cleanup() {
  set +e
  [[ -n "$PID" ]] && kill -INT "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  scripts/topology.sh down
  rm -rf "/var/run/dpdk/$PREFIX" "$TMP"
}
trap cleanup EXIT
cli() { ip netns exec "$TT_CLI_NS" "$@"; }

scripts/topology.sh up
results=()
for workers in 1 2; do
  if ((workers == 1)); then lcores="--lcores=0@0,1@1"; else lcores="--lcores=0@0,1@0,2@1"; fi
  ip netns exec "$TT_APP_NS" "$BUILD/app/tcpterm" --config config/tcpterm.conf --workers "$workers" \
    --eal "$lcores --no-huge -m 512 --no-pci --file-prefix $PREFIX --vdev=net_af_packet0,iface=tt-app0,qpairs=$workers" \
    >"$TMP/tcpterm.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do grep -q 'tcpterm: ready' "$TMP/tcpterm.log" && break; sleep 0.1; done
  cli curl -s -o /dev/null -m 2 http://198.18.0.1/ || true
  cli wrk -t2 -c"$CONNS" -d"$DURATION" http://198.18.0.1/ >"$TMP/ka.txt" 2>&1
  cli wrk -t2 -c"$CONNS" -d"$DURATION" -H 'Connection: close' http://198.18.0.1/ >"$TMP/close.txt" 2>&1
  kill -INT "$PID"; wait "$PID" || true; PID=""
  ka=$(python3 tests/integration/wrk_check.py "$TMP/ka.txt" --no-judge | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests_per_s"])')
  cl=$(python3 tests/integration/wrk_check.py "$TMP/close.txt" --no-judge | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests_per_s"])')
  handoffs=$(sed -n 's/^FlowHandoffsOut \([0-9]*\)$/\1/p' "$TMP/tcpterm.log")
  segs=$(sed -n 's/^InSegs \([0-9]*\)$/\1/p' "$TMP/tcpterm.log")
  grep '^worker ' "$TMP/tcpterm.log" | sed "s/^/  [$workers workers] /"
  results+=("{\"workers\": $workers, \"keepalive_rps\": $ka, \"close_cps\": $cl, \"handoffs\": ${handoffs:-0}, \"segments\": ${segs:-0}}")
  printf '%-8s workers=%s keep-alive %10s req/s   close %10s conn/s   hand-offs %s of %s segments\n' \
    tcpterm "$workers" "$ka" "$cl" "${handoffs:-0}" "${segs:-0}"
done
printf '{"duration": "%s", "connections": %s, "runs": [%s]}\n' "$DURATION" "$CONNS" "$(IFS=,; echo "${results[*]}")" >"$OUT"
echo "wrote $OUT"
