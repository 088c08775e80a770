#include "lib/net/flow_steering.hpp"

#include <sys/random.h>

#include <bit>
#include <stdexcept>

namespace tcpterm::net {

FlowSteering::FlowSteering(uint16_t workers, uint16_t key_pattern)
    : workers_(workers == 0 ? 1 : workers) {
    for (uint32_t i = 0; i < kRetaSize; ++i)
        reta_[i] = static_cast<uint16_t>(i % workers_);
    // Repeating a 16-bit pattern makes Toeplitz symmetric for IPv4 address
    // and port swaps (Woo & Park, "Scalable TCP Session Monitoring with
    // Symmetric RSS").
    for (size_t i = 0; i < kKeyLen; i += 2) {
        key_[i] = static_cast<uint8_t>(key_pattern >> 8);
        key_[i + 1] = static_cast<uint8_t>(key_pattern);
    }
    rte_convert_rss_key(reinterpret_cast<const uint32_t*>(key_.data()),
                        reinterpret_cast<uint32_t*>(converted_key_.data()), kKeyLen);
}

uint16_t FlowSteering::random_key_pattern() {
    for (;;) {
        uint16_t p = 0;
        if (getrandom(&p, sizeof(p), 0) != static_cast<ssize_t>(sizeof(p)))
            throw std::runtime_error("getrandom failed: no RSS key");
        int bits = std::popcount(p);
        if (bits >= 6 && bits <= 10)
            return p;
    }
}

}  // namespace tcpterm::net
