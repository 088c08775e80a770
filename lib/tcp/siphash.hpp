// SipHash-2-4 (Aumasson & Bernstein): the keyed hash behind ISNs (RFC 6528)
// and SYN cookies. Short inputs only; no allocation. Inline so that a call
// with a constant length unrolls: it sits on the SYN-cookie fast path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tcpterm::tcp {

struct SipKey {
    uint64_t k0 = 0;
    uint64_t k1 = 0;
};

namespace siphash_detail {

inline uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct State {
    uint64_t v0, v1, v2, v3;
    void round() {
        v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
        v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
        v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
        v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
    }
    void absorb(uint64_t m) {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
};

}  // namespace siphash_detail

inline uint64_t siphash24(const SipKey& key, const void* data, size_t len) {
    siphash_detail::State s{key.k0 ^ 0x736f6d6570736575ULL, key.k1 ^ 0x646f72616e646f6dULL,
                            key.k0 ^ 0x6c7967656e657261ULL, key.k1 ^ 0x7465646279746573ULL};
    const auto* in = static_cast<const uint8_t*>(data);
    size_t full = len & ~size_t{7};
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m;
        std::memcpy(&m, in + i, 8);  // little-endian load on x86
        s.absorb(m);
    }
    uint64_t last = uint64_t{len & 0xff} << 56;
    for (size_t i = 0; i < (len & 7); ++i)
        last |= uint64_t{in[full + i]} << (8 * i);
    s.absorb(last);
    s.v2 ^= 0xff;
    for (int i = 0; i < 4; ++i)
        s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

// The same function over exactly 20 bytes given as words: w0 and w1 are bytes
// 0..15 (little-endian) and tail bytes 16..19. Built in registers, it avoids
// the store-forwarding stall of packing a struct and reading it back in
// 8-byte pieces; the SYN-cookie path calls it once per SYN.
inline uint64_t siphash24_20(const SipKey& key, uint64_t w0, uint64_t w1, uint32_t tail) {
    siphash_detail::State s{key.k0 ^ 0x736f6d6570736575ULL, key.k1 ^ 0x646f72616e646f6dULL,
                            key.k0 ^ 0x6c7967656e657261ULL, key.k1 ^ 0x7465646279746573ULL};
    s.absorb(w0);
    s.absorb(w1);
    s.absorb(uint64_t{20} << 56 | tail);
    s.v2 ^= 0xff;
    for (int i = 0; i < 4; ++i)
        s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace tcpterm::tcp
