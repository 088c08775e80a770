// The flow tables' hash is keyed (tcb.hpp): tuples an attacker makes
// collide under a known function do not collide under ours.
#include <catch2/catch.hpp>

#include <rte_hash_crc.h>

#include <random>
#include <unordered_map>

#include "lib/tcp/tcb.hpp"

using namespace tcpterm;

TEST_CASE("flow hash: tuples that collide under unkeyed CRC32-C do not collide under the "
          "keyed hash", "[tcp][hash]") {
    // Birthday search: among 2^20 random tuples ~128 pairs share a 32-bit
    // CRC; an attacker finds such pairs offline, for any number of buckets.
    std::unordered_map<uint32_t, tcp::FlowKey> seen;
    std::mt19937_64 rng(7);
    int collisions = 0, keyed_collisions = 0;
    for (uint32_t i = 0; i < (1u << 20); ++i) {
        uint64_t r = rng();
        tcp::FlowKey k{static_cast<uint32_t>(r), 0xC6120001, static_cast<uint16_t>(r >> 32),
                       static_cast<uint16_t>(r >> 48)};
        uint32_t crc = rte_hash_crc(&k, sizeof(k), 0);
        auto [it, fresh] = seen.emplace(crc, k);
        if (fresh)
            continue;
        ++collisions;
        keyed_collisions += tcp::flow_hash(it->second) == tcp::flow_hash(k);
    }
    REQUIRE(collisions > 10);
    CHECK(keyed_collisions == 0);
    for (uint64_t m : tcp::kFlowHashKey.m)
        CHECK((m & 1) == 1);
}
