// A backend pool as the configuration gives it: `[pool.NAME]` sections of the
// INI file (or --pool.NAME.KEY=VALUE flags), or the implicit pool a proxy
// listener's `backend=` shorthand makes. Plain values, checked once at
// start-up; the load balancer (balancer.hpp) is built from them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "app/lb/proxy_header.hpp"

namespace tcpterm::app {

struct BackendSpec {
    uint32_t addr = 0;    // host order
    uint16_t port = 0;
    uint32_t weight = 1;  // relative share of new connections (1..1000)
};

enum class LbAlgorithm : uint8_t {
    Maglev,        // consistent hashing on the client address
    Maglev4Tuple,  // consistent hashing on the client's 4-tuple
    Wrr,           // smooth weighted round robin (nginx)
    LeastConn,     // fewest open connections per weight, on this worker
};

const char* lb_algorithm_name(LbAlgorithm a);

// Active health checks, run by the workers (app/lb/health_check.hpp).
enum class HealthCheck : uint8_t {
    None,
    Tcp,   // the handshake completes
    Http,  // GET check_path answers check_status
};

struct PoolSpec {
    std::string name;
    std::vector<BackendSpec> backends;
    LbAlgorithm algorithm = LbAlgorithm::Maglev;
    // The client's whole budget for reaching a backend, retries included
    // (each attempt gets an equal share of what is left).
    uint64_t connect_timeout_ms = 5000;
    // Idle timeouts as HAProxy names them (0: none). client: the client
    // side silent this long; server: the backend side; tunnel: either side,
    // once bytes have gone both ways (it then replaces the other two).
    uint64_t client_timeout_ms = 0;
    uint64_t server_timeout_ms = 0;
    uint64_t tunnel_timeout_ms = 0;
    // Where backend connections come from: these addresses in turn (each
    // one tcpterm owns; none: the VIP the client reached) and ports in
    // source_port_first..last (0: the engine's ephemeral range).
    std::vector<uint32_t> sources;
    uint16_t source_port_first = 0, source_port_last = 0;
    uint32_t retries = 3;            // further backends tried after the first
    uint32_t fall = 3;               // consecutive failed connects (or checks) that mark a backend down
    uint64_t down_time_ms = 10000;   // how long passive health keeps it out (nginx fail_timeout)
    uint32_t table_size = 65537;     // Maglev lookup table entries (a prime)
    ProxyProtocol proxy_protocol = ProxyProtocol::None;  // header a backend connection starts with
    HealthCheck health_check = HealthCheck::None;
    uint64_t check_interval_ms = 2000;  // from one check's start to the next
    uint64_t check_timeout_ms = 1000;   // a check unfinished this long failed
    uint32_t rise = 2;                  // checks passed in a row that mark a down backend up
    std::string check_path = "/";       // http: what to GET
    uint32_t check_status = 200;        // http: the status that passes
    bool implicit = false;           // made by a listener's backend= shorthand
};

// Limits the parser enforces (and the proxy's per-connection state relies on).
constexpr uint32_t kMaxRetries = 7;
constexpr size_t kMaxBackends = 1000;

// "A.B.C.D:PORT[,weight=N]"; key names the option in messages.
BackendSpec parse_backend(const std::string& key, const std::string& text);
// One [pool.NAME] section: its keys (without the "pool.NAME." prefix) and
// values in file order. Throws BadValue naming "pool.NAME.KEY".
PoolSpec parse_pool(const std::string& name, const std::vector<std::pair<std::string, std::string>>& keys);
bool is_prime(uint32_t n);
void parse_sources(const std::string& key, const std::string& text, std::vector<uint32_t>& sources);

}  // namespace tcpterm::app
