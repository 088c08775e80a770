// tcpgen's command line (Boost.Program_options), validated completely before
// DPDK is touched: a bad value exits 2 with a line naming the option.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lib/net/ipv4_addr.hpp"

namespace tcpterm::tcpgen {

// Which TCP options the flood's SYNs carry (MSS always, like a real SYN).
struct SynOptions {
    uint16_t mss = 1460;
    bool timestamps = false;
    bool window_scale = false;
    uint8_t wscale = 7;
    bool sack = false;
};

struct Options {
    std::vector<std::string> eal_args;
    uint16_t port_id = 0;
    uint16_t queues = 1;               // queue pairs; 2 gives the flood lcore its own TX queue
    uint32_t mbufs = 16383;            // RX / engine pool
    uint32_t flood_mbufs = 8191;       // flood pool (preallocated, reused)

    uint32_t target_addr = 0;          // host byte order
    uint16_t target_port = 80;
    net::Ipv4Prefix client;            // our own address and on-link subnet
    uint32_t gateway = 0;              // 0: the target is on-link

    net::Ipv4Prefix flood_prefix;      // spoofed sources
    uint64_t flood_rate = 0;           // packets per second; 0 = off
    bool flood_max = false;            // unpaced: as fast as the port takes them
    SynOptions syn;
    std::string flood_options_text;

    uint64_t clients_rate = 0;         // new connections per second; 0 = off
    uint32_t concurrency = 1000;       // open client connections at most
    std::string host = "x";            // Host: header of the request
    uint64_t timeout_us = 5'000'000;   // a client connection must be done by then

    uint32_t duration_s = 10;
    uint32_t drain_ms = 2000;          // after the run: time for open connections to finish
    std::string json_path;             // empty: no JSON
    bool hold_after = false;           // after the run: keep the port open, stop polling
    bool quiet = false;                // no per-second lines
};

// Parses argv. Returns -1 to go on, or an exit code: 0 after --help, 2 after
// a bad option (one line on stderr names it).
int parse_options(int argc, char** argv, Options& out);

std::string describe_syn_options(const SynOptions& o);

}  // namespace tcpterm::tcpgen
