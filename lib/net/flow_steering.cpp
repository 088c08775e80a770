#include "lib/net/flow_steering.hpp"

namespace tcpterm::net {

// Repeating 0x6d5a makes Toeplitz symmetric for IPv4 address and port swaps
// (Woo & Park, "Scalable TCP Session Monitoring with Symmetric RSS").
const uint8_t FlowSteering::kSymmetricKey[kKeyLen] = {
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a};

FlowSteering::FlowSteering(uint16_t workers) : workers_(workers == 0 ? 1 : workers) {
    for (uint32_t i = 0; i < kRetaSize; ++i)
        reta_[i] = static_cast<uint16_t>(i % workers_);
    rte_convert_rss_key(reinterpret_cast<const uint32_t*>(kSymmetricKey),
                        reinterpret_cast<uint32_t*>(converted_key_.data()), kKeyLen);
}

}  // namespace tcpterm::net
