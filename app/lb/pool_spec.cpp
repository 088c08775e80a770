#include "app/lb/pool_spec.hpp"

#include <algorithm>

#include "app/option_values.hpp"
#include "lib/net/ipv4_addr.hpp"

namespace tcpterm::app {

const char* lb_algorithm_name(LbAlgorithm a) {
    switch (a) {
    case LbAlgorithm::Maglev: return "maglev";
    case LbAlgorithm::Maglev4Tuple: return "maglev-4tuple";
    case LbAlgorithm::Wrr: return "wrr";
    case LbAlgorithm::LeastConn: return "leastconn";
    }
    return "?";
}

bool is_prime(uint32_t n) {
    if (n < 2)
        return false;
    for (uint32_t d = 2; uint64_t{d} * d <= n; ++d)
        if (n % d == 0)
            return false;
    return true;
}

BackendSpec parse_backend(const std::string& key, const std::string& text) {
    const std::string form = "A.B.C.D:PORT[,weight=1..1000]";
    BackendSpec b;
    size_t comma = text.find(',');
    std::string endpoint = text.substr(0, comma);
    size_t colon = endpoint.find(':');
    auto addr = net::parse_ipv4(endpoint.substr(0, colon));
    if (colon == std::string::npos || !addr)
        bad(key, text, form);
    b.addr = *addr;
    b.port = static_cast<uint16_t>(parse_uint(key + " port", endpoint.substr(colon + 1), 1, 65535));
    if (comma != std::string::npos) {
        std::string option = text.substr(comma + 1);
        if (option.rfind("weight=", 0) != 0)
            bad(key, text, form);
        b.weight = static_cast<uint32_t>(parse_uint(key + " weight", option.substr(7), 1, 1000));
    }
    return b;
}

// "A.B.C.D[,A.B.C.D...]", appended to sources (the key may repeat); whether
// tcpterm owns them is checked with the addresses (app/config.cpp).
void parse_sources(const std::string& key, const std::string& text, std::vector<uint32_t>& sources) {
    size_t start = 0;
    for (;;) {
        size_t comma = text.find(',', start);
        std::string one = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        auto addr = net::parse_ipv4(one);
        if (!addr || *addr == 0)
            bad(key, text, "A.B.C.D[,A.B.C.D...], addresses tcpterm owns");
        if (std::find(sources.begin(), sources.end(), *addr) != sources.end())
            bad(key, text, "each source address once");
        sources.push_back(*addr);
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
}

PoolSpec parse_pool(const std::string& name, const std::vector<std::pair<std::string, std::string>>& keys) {
    PoolSpec p;
    p.name = name;
    const std::string prefix = "pool." + name + ".";
    if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
                            std::string::npos)
        bad("pool", name, "a pool name of letters, digits, '_' and '-'");
    for (const auto& [key, value] : keys) {
        const std::string full = prefix + key;
        if (key == "backend") {
            p.backends.push_back(parse_backend(full, value));
        } else if (key == "algorithm") {
            if (value == "maglev")
                p.algorithm = LbAlgorithm::Maglev;
            else if (value == "maglev-4tuple")
                p.algorithm = LbAlgorithm::Maglev4Tuple;
            else if (value == "wrr")
                p.algorithm = LbAlgorithm::Wrr;
            else if (value == "leastconn")
                p.algorithm = LbAlgorithm::LeastConn;
            else
                bad(full, value, "maglev, maglev-4tuple, wrr or leastconn");
        } else if (key == "connect_timeout") {
            p.connect_timeout_ms = parse_uint(full, value, 1, 600000);
        } else if (key == "client_timeout") {
            p.client_timeout_ms = parse_uint(full, value, 0, 86400000);
        } else if (key == "server_timeout") {
            p.server_timeout_ms = parse_uint(full, value, 0, 86400000);
        } else if (key == "tunnel_timeout") {
            p.tunnel_timeout_ms = parse_uint(full, value, 0, 86400000);
        } else if (key == "source") {
            parse_sources(full, value, p.sources);
        } else if (key == "source_ports") {
            size_t dash = value.find('-');
            if (dash == std::string::npos)
                bad(full, value, "LO-HI, ports from 1 to 65535");
            p.source_port_first = static_cast<uint16_t>(parse_uint(full, value.substr(0, dash), 1, 65535));
            p.source_port_last = static_cast<uint16_t>(parse_uint(full, value.substr(dash + 1), 1, 65535));
            if (p.source_port_first > p.source_port_last)
                bad(full, value, "LO-HI with LO at most HI");
        } else if (key == "retries") {
            p.retries = static_cast<uint32_t>(parse_uint(full, value, 0, kMaxRetries));
        } else if (key == "fall") {
            p.fall = static_cast<uint32_t>(parse_uint(full, value, 1, 1000));
        } else if (key == "down_time") {
            p.down_time_ms = parse_uint(full, value, 1, 86400000);
        } else if (key == "table_size") {
            p.table_size = static_cast<uint32_t>(parse_uint(full, value, 7, 1000003));
            if (!is_prime(p.table_size))
                bad(full, value, "a prime from 7 to 1000003 (e.g. 251, 65537)");
        } else if (key == "proxy_protocol") {
            auto pp = parse_proxy_protocol(value);
            if (!pp)
                bad(full, value, "none, v1 or v2");
            p.proxy_protocol = *pp;
        } else if (key == "health_check") {
            if (value != "none" && value != "tcp" && value != "http")
                bad(full, value, "none, tcp or http");
            p.health_check = value == "tcp"    ? HealthCheck::Tcp
                             : value == "http" ? HealthCheck::Http
                                               : HealthCheck::None;
        } else if (key == "check_interval") {
            p.check_interval_ms = parse_uint(full, value, 10, 3600000);
        } else if (key == "check_timeout") {
            p.check_timeout_ms = parse_uint(full, value, 10, 600000);
        } else if (key == "rise") {
            p.rise = static_cast<uint32_t>(parse_uint(full, value, 1, 1000));
        } else if (key == "check_path") {
            if (value.empty() || value[0] != '/' || value.find_first_of(" \r\n") != std::string::npos)
                bad(full, value, "a path starting with '/', without spaces");
            p.check_path = value;
        } else if (key == "check_status") {
            p.check_status = static_cast<uint32_t>(parse_uint(full, value, 100, 599));
        } else {
            bad(full, value,
                "a pool key: backend, algorithm, connect_timeout, client_timeout, server_timeout, tunnel_timeout, source, source_ports, retries, fall, down_time, table_size, "
                "proxy_protocol, health_check, check_interval, check_timeout, rise, check_path or check_status");
        }
    }
    if (p.health_check != HealthCheck::None && p.check_timeout_ms > p.check_interval_ms)
        bad(prefix + "check_timeout", std::to_string(p.check_timeout_ms),
            "at most check_interval (" + std::to_string(p.check_interval_ms) + ")");
    if (p.backends.empty())
        bad(prefix + "backend", "", "at least one backend = A.B.C.D:PORT[,weight=N] in [pool." + name + "]");
    if (p.backends.size() > kMaxBackends)
        bad(prefix + "backend", std::to_string(p.backends.size()) + " backends",
            "at most " + std::to_string(kMaxBackends));
    // Maglev needs a table well above the backend count for an even spread.
    if (p.table_size < 100 * p.backends.size() &&
        (p.algorithm == LbAlgorithm::Maglev || p.algorithm == LbAlgorithm::Maglev4Tuple))
        bad(prefix + "table_size", std::to_string(p.table_size),
            "a prime at least 100 times the number of backends (" + std::to_string(p.backends.size()) + ")");
    for (size_t i = 0; i < p.backends.size(); ++i)
        for (size_t j = 0; j < i; ++j)
            if (p.backends[i].addr == p.backends[j].addr && p.backends[i].port == p.backends[j].port)
                bad(prefix + "backend",
                    net::format_ipv4(p.backends[i].addr) + ":" + std::to_string(p.backends[i].port),
                    "each backend once per pool");
    return p;
}

}  // namespace tcpterm::app
