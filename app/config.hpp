// tcpterm's configuration: command line plus an INI file (Boost.Program_options),
// validated completely before DPDK is touched.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/lb/pool_spec.hpp"
#include "app/services/service_options.hpp"
#include "lib/net/address_set.hpp"
#include "lib/net/ipv4_addr.hpp"
#include "lib/tcp/engine_config.hpp"

namespace tcpterm::app {

struct ListenSpec {
    uint32_t addr = 0;  // 0 = wildcard; else one of Config::addresses
    uint16_t port = 0;
    std::string service;
    uint32_t backlog = 128;           // accept queue (as listen(2)'s backlog)
    uint32_t syn_backlog = 1024;      // SYN queue
    bool abort_on_overflow = false;
    bool reject_with_rst = true;      // for peers outside `allowed`
    std::string cookies = "auto";     // off, auto, always
    uint32_t cookie_threshold = 0;    // 0: the SYN queue bound
    int64_t max_per_source = -1;      // connections per peer address per worker; -1: a quarter of tcp.max_connections, 0: no limit
    uint64_t idle_timeout_ms = 0;     // reset a connection silent this long; 0: never
    std::string congestion;           // cc=: newreno or cubic; empty: tcp.congestion
    int nodelay = -1;                 // nodelay=: 1 Nagle off, 0 on; -1: tcp.nodelay
    std::vector<net::Ipv4Prefix> allowed;
    std::vector<BackendSpec> backends;  // proxy's backend= shorthand (an implicit pool)
    ServiceOptions options;             // options.pool names the proxy's pool
    std::string text;   // as given, for messages
};

struct Config {
    std::vector<std::string> eal_args;
    uint16_t port_id = 0;
    uint16_t workers = 0;         // 0: one per worker lcore
    net::AddressSet addresses;    // ours (VIPs); the first is the primary
    uint32_t gateway = 0;
    std::vector<ListenSpec> listeners;
    std::vector<PoolSpec> pools;  // [pool.NAME] sections, then the listeners' implicit pools
    uint32_t mss_clamp = 0;       // 0: MSS follows the port MTU
    uint32_t mbufs = 65535;
    uint32_t arp_entries = 1024;
    uint32_t arp_timeout_s = 300;
    tcp::EngineConfig engine;     // keys are filled at start-up
};

// Parses argv and the --config file. Returns -1 to go on, or an exit code:
// 0 after --help, 2 after a bad option (one line on stderr names it).
int parse_config(int argc, char** argv, Config& out);

}  // namespace tcpterm::app
