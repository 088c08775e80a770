#!/usr/bin/env bash
# Shared by the proxy benchmarks (proxy_vs_linux.sh, tw_reuse_cap.sh): source
# it after setting ROOT and PREFIX. It makes $TMP, installs the cleanup trap
# (stops what PIDS holds, removes the topology, the DPDK runtime dir and
# $TMP) and defines cli, nginx_conf and wait_200.
if ((EUID != 0)); then echo "$(basename "$0"): must run as root" >&2; exit 1; fi
APP_NS=${TT_APP_NS:-tt-app}
CLI_NS=${TT_CLI_NS:-tt-cli}
TMP=$(mktemp -d "/tmp/tt-$(basename "$0" .sh).XXXXXX")
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

# nginx_conf NAME BODY: a minimal nginx.conf in $TMP/NAME whose http block is
# BODY; everything nginx writes (pid, logs, temp files) stays in $TMP/NAME.
nginx_conf() {
  mkdir -p "$TMP/$1"
  cat >"$TMP/$1/nginx.conf" <<EOC
daemon off;
worker_processes 1;
pid $TMP/$1/nginx.pid;
error_log $TMP/$1/error.log warn;
events { worker_connections 8192; }
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

# wait_200 URL: until the client namespace gets a 200 from URL (20 s at most).
wait_200() {
  for _ in $(seq 200); do
    [[ "$(cli curl -s -o /dev/null --max-time 1 -w '%{http_code}' "$1" 2>/dev/null)" == 200 ]] && return 0
    sleep 0.1
  done
  echo "no 200 from $1"; cat "$TMP"/*.log "$TMP"/*/error.log 2>/dev/null; exit 1
}

# start_backend ADDR:PORT: nginx in the client namespace serving a 612-byte
# page (tcpterm's http default body size) on ADDR:PORT; returns once it
# answers.
start_backend() {
  mkdir -p "$TMP/www"
  head -c 612 /dev/zero | tr '\0' x >"$TMP/www/index.html"
  nginx_conf backend "server { listen $1 backlog=4096; root $TMP/www; index index.html; }"
  cli nginx -p "$TMP/backend" -c "$TMP/backend/nginx.conf" >"$TMP/backend.log" 2>&1 &
  PIDS+=($!)
  wait_200 "http://$1/"
}
