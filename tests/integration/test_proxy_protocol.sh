#!/usr/bin/env bash
# PROXY protocol to the backends (issue 10), read by a real consumer: nginx
# in the client namespace on 198.18.0.21 with `listen ... proxy_protocol`
# (it takes v1 and v2 alike) logs $proxy_protocol_addr/_port (the client as
# the header says) and $proxy_protocol_server_addr/_port (the VIP). Three
# pools behind listeners on a second VIP (198.18.0.10): proxy_protocol = v1,
# v2 and none (the last to a plain listener, where nginx sees the VIP as the
# peer). curl from 198.18.0.2 with a fixed source port, so each log line can
# be checked whole.
source "$(dirname "$0")/lib.sh"

VIP=198.18.0.10 BACKEND=198.18.0.21 CLIENT=198.18.0.2
command -v nginx >/dev/null || fail "nginx is not installed (apt-get install -y nginx)"

topo_up
cli ip addr add "$BACKEND/24" dev tt-cli0
mkdir -p "$TT_WORK/nginx/logs"
cat >"$TT_WORK/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $TT_WORK/nginx/nginx.pid;
error_log $TT_WORK/nginx/logs/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $TT_WORK/nginx/body;
  proxy_temp_path $TT_WORK/nginx/proxy;
  fastcgi_temp_path $TT_WORK/nginx/fastcgi;
  uwsgi_temp_path $TT_WORK/nginx/uwsgi;
  scgi_temp_path $TT_WORK/nginx/scgi;
  log_format pp '\$proxy_protocol_addr \$proxy_protocol_port \$proxy_protocol_server_addr \$proxy_protocol_server_port \$remote_addr';
  log_format plain '\$remote_addr';
  server { listen $BACKEND:8081 proxy_protocol; access_log $TT_WORK/nginx/logs/v1.log pp; return 200 "v1\n"; }
  server { listen $BACKEND:8082 proxy_protocol; access_log $TT_WORK/nginx/logs/v2.log pp; return 200 "v2\n"; }
  server { listen $BACKEND:8083; access_log $TT_WORK/nginx/logs/none.log plain; return 200 "none\n"; }
}
EOF
# Not through cli(), a function: $! must be nginx itself, to stop it.
ip netns exec "$TT_CLI_NS" nginx -p "$TT_WORK/nginx" -c "$TT_WORK/nginx/nginx.conf" \
  >"$TT_WORK/nginx/stdout" 2>&1 &
NGINX_PID=$!
for _ in $(seq 50); do cli bash -c "echo >/dev/tcp/$BACKEND/8083" 2>/dev/null && break; sleep 0.1; done
tt_alive "$NGINX_PID" || { cat "$TT_WORK/nginx/stdout" "$TT_WORK/nginx/logs/error.log"; fail "nginx did not start"; }
: >"$TT_WORK/nginx/logs/none.log"  # the probe's own line (nginx appends)

start_tcpterm --address "$TT_ADDR/24" --address "$VIP/24" \
  --listen "$VIP:8081=proxy,pool=ppv1" --listen "$VIP:8082=proxy,pool=ppv2" --listen "8083=proxy,pool=plain" \
  --pool.ppv1.backend="$BACKEND:8081" --pool.ppv1.proxy_protocol=v1 \
  --pool.ppv2.backend="$BACKEND:8082" --pool.ppv2.proxy_protocol=v2 \
  --pool.plain.backend="$BACKEND:8083" --pool.plain.proxy_protocol=none

# get VIP PORT LOCALPORT: the body, through tcpterm.
get() { cli curl -s --max-time 5 --local-port "$3" "http://$1:$2/"; }
assert_eq v1 "$(get $VIP 8081 41081)" "v1 pool: response through tcpterm"
assert_eq v2 "$(get $VIP 8082 41082)" "v2 pool: response through tcpterm"
assert_eq none "$(get $VIP 8083 41083)" "no PROXY header: response through tcpterm"
assert_eq none "$(get $TT_ADDR 8083 41084)" "no PROXY header, the primary address: response"
# nginx writes its access log line when the request ends: give it a moment.
for _ in $(seq 20); do [[ -s "$TT_WORK/nginx/logs/none.log" ]] && break; sleep 0.1; done

log "nginx v1 log: $(cat "$TT_WORK/nginx/logs/v1.log")"
log "nginx v2 log: $(cat "$TT_WORK/nginx/logs/v2.log")"
log "nginx plain log: $(tr '\n' ' ' <"$TT_WORK/nginx/logs/none.log")"
assert_eq "$CLIENT 41081 $VIP 8081 $VIP" "$(cat "$TT_WORK/nginx/logs/v1.log")" \
  "v1: nginx logs the real client address and port, the VIP and its port (peer: the VIP)"
assert_eq "$CLIENT 41082 $VIP 8082 $VIP" "$(cat "$TT_WORK/nginx/logs/v2.log")" \
  "v2: nginx logs the real client address and port, the VIP and its port (peer: the VIP)"
# Without a header the backend only sees the appliance: the VIP each client reached.
assert_eq "$VIP $TT_ADDR" "$(tr '\n' ' ' <"$TT_WORK/nginx/logs/none.log" | sed 's/ $//')" \
  "none: nginx sees the VIP the client reached as its peer"
assert_no_grep 'broken header|while reading PROXY protocol' "$TT_WORK/nginx/logs/error.log" "nginx: no PROXY protocol errors"

expect_tcpterm_alive
stop_tcpterm
kill "$NGINX_PID" 2>/dev/null || true
wait "$NGINX_PID" 2>/dev/null || true
