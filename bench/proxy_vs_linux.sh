#!/usr/bin/env bash
# L4 proxy benchmark: wrk (client namespace) -> proxy on 198.18.0.1:80 ->
# nginx backend (client namespace, 198.18.0.2:8088, a 612-byte page), with the
# proxy being tcpterm's `proxy` service, then on the Linux stack with the
# address tcpterm had: nginx as an HTTP reverse proxy (upstream keep-alive
# on), nginx `stream` (L4, as tcpterm) and HAProxy `mode tcp` (L4), same
# topology, one run. Each L4 proxy opens one backend connection per client
# connection, as tcpterm does. Figures, not pass/fail. Prints a table and
# writes bench/results/proxy_vs_linux.json.
#   DURATION=10s THREADS=1 CONNS=50 BUILD=build SKIP_BUILD=1
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DURATION=${DURATION:-10s}
THREADS=${THREADS:-1}
CONNS=${CONNS:-50}
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
ADDR=198.18.0.1
BACKEND=198.18.0.2:8088
URL="http://$ADDR/"
PREFIX="tt-bench-$$"
OUT_JSON="$ROOT/bench/results/proxy_vs_linux.json"

source "$ROOT/bench/proxy_lib.sh"

run_wrk() {  # NAME MODE [wrk args]
  local name=$1 mode=$2; shift 2
  echo "--- $name, $mode: wrk -t$THREADS -c$CONNS -d$DURATION $* $URL"
  cli wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "$@" "$URL" | tee "$TMP/wrk.$name.$mode.txt"
}

"$ROOT/scripts/deps.sh"
[[ "${SKIP_BUILD:-0}" == 1 ]] || "$ROOT/scripts/build.sh" "$BUILD"
"$ROOT/scripts/topology.sh" up

start_backend "$BACKEND"

# tcpterm's proxy service.
ip netns exec "$APP_NS" "$BUILD/app/tcpterm" --config config/tcpterm.conf \
  --eal "-l 0-1 --no-huge -m 512 --no-pci --file-prefix $PREFIX --vdev=net_af_packet0,iface=tt-app0" \
  --listen "80=proxy,backend=$BACKEND" >"$TMP/tcpterm.log" 2>&1 &
TT=$!
PIDS+=("$TT")
wait_200 "$URL"
run_wrk tcpterm keepalive
run_wrk tcpterm close -H 'Connection: close'
kill -INT "$TT"; wait "$TT" || true

# The Linux proxies, with the address tcpterm had; each stopped before the next.
ip -n "$APP_NS" addr add "$ADDR/24" dev tt-app0
ip -n "$CLI_NS" neigh flush dev tt-cli0
linux_proxy() {  # NAME COMMAND...: runs the proxy in the appliance namespace, both wrk modes, stops it
  local name=$1 pid; shift
  ip netns exec "$APP_NS" "$@" >"$TMP/$name.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_200 "$URL"
  run_wrk "$name" keepalive
  run_wrk "$name" close -H 'Connection: close'
  kill -TERM "$pid"; wait "$pid" || true
}
nginx_conf front "upstream backend { server $BACKEND; keepalive 64; }
    server { listen $ADDR:80 backlog=4096;
             location / { proxy_pass http://backend; proxy_http_version 1.1;
                          proxy_set_header Connection \"\"; } }"
linux_proxy nginx nginx -p "$TMP/front" -c "$TMP/front/nginx.conf"
mkdir -p "$TMP/stream"
cat >"$TMP/stream/nginx.conf" <<EOC
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
worker_processes 1;
pid $TMP/stream/nginx.pid;
error_log $TMP/stream/error.log warn;
events { worker_connections 8192; }
stream { server { listen $ADDR:80 backlog=4096; proxy_pass $BACKEND; } }
EOC
linux_proxy nginx-stream nginx -p "$TMP/stream" -c "$TMP/stream/nginx.conf"
cat >"$TMP/haproxy.cfg" <<EOC
global
    maxconn 8000
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend front
    bind $ADDR:80 backlog 4096
    default_backend back
backend back
    server b1 $BACKEND
EOC
linux_proxy haproxy haproxy -db -f "$TMP/haproxy.cfg"

NAMES="tcpterm nginx nginx-stream haproxy"
rate() { awk '/Requests\/sec/ {print $2}' "$TMP/wrk.$1.$2.txt"; }
errors() { grep -E "Socket errors|Non-2xx" "$TMP/wrk.$1.$2.txt" | tr '\n' ' ' || true; }
mkdir -p "$(dirname "$OUT_JSON")"
{
  echo "{"
  for name in $NAMES; do
    echo "  \"$name\": {\"keepalive_rps\": $(rate $name keepalive), \"close_rps\": $(rate $name close)},"
  done
  echo "  \"wrk\": \"-t$THREADS -c$CONNS -d$DURATION\", \"backend\": \"nginx on $BACKEND\""
  echo "}"
} >"$OUT_JSON"
printf '\n%-13s %14s %14s\n' proxy "keep-alive r/s" "close r/s"
for name in $NAMES; do
  printf '%-13s %14s %14s  %s %s\n' "$name" "$(rate $name keepalive)" "$(rate $name close)" \
    "$(errors $name keepalive)" "$(errors $name close)"
done
echo "written: $OUT_JSON"
