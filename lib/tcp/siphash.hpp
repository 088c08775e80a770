// SipHash-2-4 (Aumasson & Bernstein): the keyed hash behind ISNs (RFC 6528)
// and, later, SYN cookies. Short inputs only; no allocation.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tcpterm::tcp {

struct SipKey {
    uint64_t k0 = 0;
    uint64_t k1 = 0;
};

uint64_t siphash24(const SipKey& key, const void* data, size_t len);

}  // namespace tcpterm::tcp
