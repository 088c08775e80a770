// A passive-open endpoint (RFC 9293 LISTEN): local address (0 = wildcard),
// port, the service its connections go to, which peers may connect, and the
// bounds on half-open (SYN queue) and not-yet-accepted (accept queue) ones.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "lib/net/ipv4_addr.hpp"
#include "lib/tcp/congestion.hpp"

namespace tcpterm::tcp {

class Service;

// When a listener answers SYNs with stateless SYN cookies.
enum class CookieMode : uint8_t {
    Off,     // never: a full SYN queue drops SYNs
    Auto,    // once the SYN queue holds cookie_threshold entries
    Always,  // every SYN
};

struct Listener {
    static constexpr size_t kMaxAllowed = 8;

    uint32_t addr = 0;            // host order; 0 = any local address
    uint16_t port = 0;
    Service* service = nullptr;
    uint32_t syn_backlog = 1024;  // SYN_RECEIVED entries at most
    uint32_t accept_backlog = 128;  // established, not yet accepted, at most
    bool abort_on_overflow = false; // accept queue full: RST instead of ignoring the ACK
    // Foreign-address restriction: when allowed_count > 0, only peers inside
    // one of these prefixes may connect; others get RST (or nothing).
    std::array<net::Ipv4Prefix, kMaxAllowed> allowed{};
    uint8_t allowed_count = 0;
    bool reject_with_rst = true;
    CookieMode cookies = CookieMode::Auto;
    uint32_t cookie_threshold = 1024;  // SYN queue depth that turns cookies on (Auto)
    // Connections one peer address may hold through this listener on one
    // worker (0: no limit); the excess is refused as reject_with_rst says.
    uint32_t max_per_source = 0;
    // A connection whose peer has sent nothing acceptable for this long is
    // reset (HAProxy's "timeout client"; 0: never).
    uint64_t idle_timeout_us = 0;
    // Congestion control of its connections (Linux's per-socket
    // TCP_CONGESTION); the engine's tcp.congestion unless set.
    std::optional<CongestionAlgorithm> congestion;
    // Nagle off for its connections (TCP_NODELAY); tcp.nodelay unless set.
    std::optional<bool> nodelay;
    uint16_t index = 0;             // its place in the engine's list (set by add_listener)

    uint64_t last_cookie_us = 0;    // when this listener last sent a cookie
    bool cookie_sent = false;

    uint32_t syn_queue_len = 0;     // SYN_RECEIVED entries now
    uint32_t accept_queue_len = 0;  // established entries the service has not taken

    bool admits(uint32_t peer) const {
        if (allowed_count == 0)
            return true;
        for (uint8_t i = 0; i < allowed_count; ++i)
            if (allowed[i].contains(peer))
                return true;
        return false;
    }
};

}  // namespace tcpterm::tcp
