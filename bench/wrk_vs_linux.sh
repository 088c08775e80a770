#!/usr/bin/env bash
# Side-by-side HTTP benchmark: wrk against tcpterm's http service and against
# nginx (Debian nginx-light, i.e. the Linux TCP stack) serving the same body
# bytes on 198.18.0.1:80 in the same namespace topology. Figures, not
# pass/fail. Prints a table and writes bench/results/wrk_vs_linux.json.
#
# Parameters (environment):
#   DURATION=10s THREADS=1 CONNS=32   wrk parameters for every run
#   BODY=N        http body size for tcpterm (--listen 80=http,body=N);
#                 unset = whatever config/tcpterm.conf says
#   SERVERS="tcpterm nginx"           which servers to run
#   BUILD=build   build dir holding app/tcpterm
#   SKIP_BUILD=1  use the binary in BUILD as it is (no meson/ninja run)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DURATION=${DURATION:-10s}
THREADS=${THREADS:-1}
CONNS=${CONNS:-32}
SERVERS=${SERVERS:-tcpterm nginx}
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
APP_NS=${TT_APP_NS:-tt-app}
CLI_NS=${TT_CLI_NS:-tt-cli}
ADDR=198.18.0.1
URL="http://$ADDR/"
PREFIX="tt-bench-$$"
OUT_DIR="$ROOT/bench/results"
OUT_JSON="$OUT_DIR/wrk_vs_linux.json"

if ((EUID != 0)); then echo "wrk_vs_linux.sh: must run as root" >&2; exit 1; fi

TMP=$(mktemp -d /tmp/tt-bench.XXXXXX)
chmod 755 "$TMP"   # nginx workers run as www-data and must read $TMP/www
SERVER_PID=""

cleanup() {
  set +e
  if [[ -n "$SERVER_PID" ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  "$ROOT/scripts/topology.sh" down
  rm -rf "/var/run/dpdk/$PREFIX" "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cli() { ip netns exec "$CLI_NS" "$@"; }

# wait_http: until GET / answers 200 (up to 20 s) or the server dies.
wait_http() {
  for _ in $(seq 200); do
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server died:"; cat "$TMP/server.log" "$TMP"/nginx/error.log 2>/dev/null; exit 1; }
    [[ "$(cli curl -s -o /dev/null --max-time 1 -w '%{http_code}' "$URL" 2>/dev/null)" == 200 ]] && return 0
    sleep 0.1
  done
  echo "server not answering 200 on $URL"; cat "$TMP/server.log" "$TMP"/nginx/error.log 2>/dev/null; exit 1
}

# stop_server: SIGINT for tcpterm (prints counters), SIGQUIT for nginx (graceful).
stop_server() {
  kill "-$1" "$SERVER_PID"
  wait "$SERVER_PID" || echo "(server exit code $?)"
  SERVER_PID=""
}

# run_wrk SERVER MODE [extra wrk args]: one wrk run, output kept for the report.
run_wrk() {
  local server=$1 mode=$2; shift 2
  echo "--- $server, $mode: wrk -t$THREADS -c$CONNS -d$DURATION $* $URL"
  cli wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "$@" "$URL" | tee "$TMP/wrk.$server.$mode.txt"
}

bench_server() {
  local s=$1
  run_wrk "$s" keepalive
  run_wrk "$s" close -H 'Connection: close'
  cli curl -s -o /dev/null -w '%{size_header}' "$URL" >"$TMP/hdr.$s" || true
}

"$ROOT/scripts/deps.sh"
if [[ " $SERVERS " == *" tcpterm "* && "${SKIP_BUILD:-0}" != 1 ]]; then
  "$ROOT/scripts/build.sh" "$BUILD"
fi
"$ROOT/scripts/topology.sh" up
mkdir -p "$TMP/www"

for server in $SERVERS; do
  case "$server" in
  tcpterm)
    listen=()
    [[ -z "${BODY:-}" ]] || listen=(--listen "80=http,body=$BODY")
    ip netns exec "$APP_NS" "$BUILD/app/tcpterm" --config config/tcpterm.conf \
      --eal "-l 0-1 --no-huge -m 512 --no-pci --file-prefix $PREFIX --vdev=net_af_packet0,iface=tt-app0" \
      "${listen[@]}" >"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
    wait_http
    # nginx will serve exactly these bytes.
    cli curl -s -o "$TMP/www/index.html" "$URL"
    bench_server tcpterm
    stop_server INT
    echo "--- tcpterm counters:"; cat "$TMP/server.log"
    ;;
  nginx)
    if [[ ! -s "$TMP/www/index.html" ]]; then
      # No tcpterm run to copy the body from: BODY bytes (default 64) of 'x'.
      head -c "${BODY:-64}" /dev/zero | tr '\0' x >"$TMP/www/index.html"
    fi
    # Give the kernel the address tcpterm had, and make the client forget
    # tcpterm's ARP entry.
    ip -n "$APP_NS" addr add "$ADDR/24" dev tt-app0
    ip -n "$CLI_NS" neigh flush dev tt-cli0
    mkdir -p "$TMP/nginx"
    # Everything nginx writes (pid, logs, temp files) stays in $TMP.
    cat >"$TMP/nginx/nginx.conf" <<EOC
daemon off;
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    server_tokens off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;
    keepalive_timeout 65;
    default_type text/plain;
    client_body_temp_path $TMP/nginx/client_body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    server {
        listen $ADDR:80 backlog=4096;
        root $TMP/www;
        index index.html;
    }
}
EOC
    ip netns exec "$APP_NS" nginx -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" \
      >"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
    wait_http
    cli curl -s -o "$TMP/nginx.body" "$URL"
    cmp -s "$TMP/nginx.body" "$TMP/www/index.html" || { echo "nginx serves a different body"; exit 1; }
    bench_server nginx
    stop_server QUIT
    ip -n "$APP_NS" addr del "$ADDR/24" dev tt-app0
    ;;
  *) echo "unknown server $server" >&2; exit 2 ;;
  esac
done

mkdir -p "$OUT_DIR"
ROOT="$ROOT" python3 - "$TMP" "$OUT_JSON" "$(stat -c %s "$TMP/www/index.html")" "$DURATION" "$THREADS" "$CONNS" $SERVERS <<'PY'
import json, os, platform, sys, time
sys.path.insert(0, os.path.join(os.environ["ROOT"], "tests", "integration"))  # wrk output parser
from wrk_check import parse

tmp, out, body, duration, threads, conns = sys.argv[1:7]
servers = sys.argv[7:]
runs = []
for s in servers:
    hdr = open(os.path.join(tmp, "hdr." + s)).read().strip() if os.path.exists(os.path.join(tmp, "hdr." + s)) else ""
    for mode in ("keepalive", "close"):
        f = os.path.join(tmp, "wrk.%s.%s.txt" % (s, mode))
        if not os.path.exists(f):
            continue
        r = parse(open(f).read())
        r.update(server=s, mode=mode, response_header_bytes=int(hdr) if hdr.isdigit() else None)
        runs.append(r)
doc = {"benchmark": "wrk_vs_linux",
       "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
       "host": {"kernel": platform.release(), "cpus": os.cpu_count()},
       "params": {"duration": duration, "threads": int(threads), "connections": int(conns),
                  "body_bytes": int(body), "url": "http://198.18.0.1/"},
       "runs": runs}
with open(out, "w") as fh:
    json.dump(doc, fh, indent=2)
    fh.write("\n")

print()
print("wrk -t%s -c%s -d%s, body %s bytes" % (threads, conns, duration, body))
fmt = "%-8s %-10s %12s %12s %12s %10s %8s"
print(fmt % ("server", "mode", "requests", "req/s", "lat avg ms", "sock errs", "non-2xx"))
for r in runs:
    print(fmt % (r["server"], r["mode"], r["requests"],
                 "%.0f" % r["requests_per_s"] if r["requests_per_s"] is not None else "-",
                 "%.3f" % r["latency_avg_ms"] if r["latency_avg_ms"] is not None else "-",
                 sum(r["socket_errors"].values()), r["non_2xx_3xx"]))
print("written: %s" % out)
PY
