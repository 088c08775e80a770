#!/usr/bin/env bash
# L4 proxy benchmark: wrk (client namespace) -> proxy on 198.18.0.1:80 ->
# nginx backend (client namespace, 198.18.0.2:8088, a 612-byte page), with the
# proxy being tcpterm's `proxy` service, then nginx as a reverse proxy on the
# Linux stack (upstream keep-alive on), same topology, one run. Figures, not
# pass/fail. Prints a table and writes bench/results/proxy_vs_linux.json.
#   DURATION=10s THREADS=1 CONNS=32 BUILD=build SKIP_BUILD=1
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DURATION=${DURATION:-10s}
THREADS=${THREADS:-1}
CONNS=${CONNS:-32}
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
APP_NS=${TT_APP_NS:-tt-app}
CLI_NS=${TT_CLI_NS:-tt-cli}
ADDR=198.18.0.1
BACKEND=198.18.0.2:8088
URL="http://$ADDR/"
PREFIX="tt-bench-$$"
OUT_JSON="$ROOT/bench/results/proxy_vs_linux.json"

if ((EUID != 0)); then echo "proxy_vs_linux.sh: must run as root" >&2; exit 1; fi
TMP=$(mktemp -d /tmp/tt-proxy-bench.XXXXXX)
chmod 755 "$TMP"
PIDS=()

cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  "$ROOT/scripts/topology.sh" down
  rm -rf "/var/run/dpdk/$PREFIX" "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cli() { ip netns exec "$CLI_NS" "$@"; }

# nginx_conf NAME BODY: a minimal nginx.conf in $TMP/NAME whose http block is BODY.
nginx_conf() {
  mkdir -p "$TMP/$1"
  cat >"$TMP/$1/nginx.conf" <<EOC
daemon off;
worker_processes 1;
pid $TMP/$1/nginx.pid;
error_log $TMP/$1/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    server_tokens off;
    keepalive_requests 100000000;
    default_type text/plain;
    client_body_temp_path $TMP/$1/client_body;
    proxy_temp_path $TMP/$1/proxy;
    fastcgi_temp_path $TMP/$1/fastcgi;
    uwsgi_temp_path $TMP/$1/uwsgi;
    scgi_temp_path $TMP/$1/scgi;
    $2
}
EOC
}

wait_200() {
  for _ in $(seq 200); do
    [[ "$(cli curl -s -o /dev/null --max-time 1 -w '%{http_code}' "$1" 2>/dev/null)" == 200 ]] && return 0
    sleep 0.1
  done
  echo "no 200 from $1"; cat "$TMP"/*.log "$TMP"/*/error.log 2>/dev/null; exit 1
}

run_wrk() {  # NAME MODE [wrk args]
  local name=$1 mode=$2; shift 2
  echo "--- $name, $mode: wrk -t$THREADS -c$CONNS -d$DURATION $* $URL"
  cli wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "$@" "$URL" | tee "$TMP/wrk.$name.$mode.txt"
}

"$ROOT/scripts/deps.sh"
[[ "${SKIP_BUILD:-0}" == 1 ]] || "$ROOT/scripts/build.sh" "$BUILD"
"$ROOT/scripts/topology.sh" up

mkdir -p "$TMP/www"
head -c 612 /dev/zero | tr '\0' x >"$TMP/www/index.html"
nginx_conf backend "server { listen $BACKEND backlog=4096; root $TMP/www; index index.html; }"
cli nginx -p "$TMP/backend" -c "$TMP/backend/nginx.conf" >"$TMP/backend.log" 2>&1 &
PIDS+=($!)
wait_200 "http://$BACKEND/"

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

# nginx as the proxy, on the Linux stack, with the address tcpterm had.
ip -n "$APP_NS" addr add "$ADDR/24" dev tt-app0
ip -n "$CLI_NS" neigh flush dev tt-cli0
nginx_conf front "upstream backend { server $BACKEND; keepalive 64; }
    server { listen $ADDR:80 backlog=4096;
             location / { proxy_pass http://backend; proxy_http_version 1.1;
                          proxy_set_header Connection \"\"; } }"
ip netns exec "$APP_NS" nginx -p "$TMP/front" -c "$TMP/front/nginx.conf" >"$TMP/front.log" 2>&1 &
PIDS+=($!)
wait_200 "$URL"
run_wrk nginx keepalive
run_wrk nginx close -H 'Connection: close'

rate() { awk '/Requests\/sec/ {print $2}' "$TMP/wrk.$1.$2.txt"; }
errors() { grep -E "Socket errors|Non-2xx" "$TMP/wrk.$1.$2.txt" | tr '\n' ' ' || true; }
mkdir -p "$(dirname "$OUT_JSON")"
{
  echo "{"
  for name in tcpterm nginx; do
    echo "  \"$name\": {\"keepalive_rps\": $(rate $name keepalive), \"close_rps\": $(rate $name close)},"
  done
  echo "  \"wrk\": \"-t$THREADS -c$CONNS -d$DURATION\", \"backend\": \"nginx on $BACKEND\""
  echo "}"
} >"$OUT_JSON"
printf '\n%-10s %14s %14s\n' proxy "keep-alive r/s" "close r/s"
for name in tcpterm nginx; do
  printf '%-10s %14s %14s  %s %s\n' "$name" "$(rate $name keepalive)" "$(rate $name close)" \
    "$(errors $name keepalive)" "$(errors $name close)"
done
echo "written: $OUT_JSON"
