// A passive-open endpoint (RFC 9293 LISTEN): local address (0 = wildcard),
// port, the service its connections go to and the bound on half-open ones.
#pragma once

#include <cstdint>

namespace tcpterm::tcp {

class Service;

struct Listener {
    uint32_t addr = 0;            // host order; 0 = any local address
    uint16_t port = 0;
    Service* service = nullptr;
    uint32_t syn_backlog = 1024;  // SYN_RECEIVED entries at most
    uint32_t syn_queue_len = 0;   // SYN_RECEIVED entries now
};

}  // namespace tcpterm::tcp
