// Which worker owns a flow. Every worker owns its connections outright, so
// both directions of a flow must reach the same worker: the owner is
// RETA[Toeplitz(key, 4-tuple) mod RETA size] with a symmetric key: a 16-bit
// pattern repeated (Woo & Park's 0x6d5a is one), so that swapping source and
// destination gives the same hash. The pattern is drawn at random each run,
// so nobody outside can tell which worker a tuple lands on. (A symmetric key
// hashes only the XOR of the tuple's six 16-bit halves, whatever the
// pattern: tuples that share that XOR still share a worker.)
// A port that can hash this way gets the same key and RETA programmed, and
// the NIC delivers each flow to its owner's queue; on a port that cannot
// (the virtual ones here), each worker computes the hash in software and
// hands other workers' packets over through a ring. The table is filled at
// start and only read afterwards.
#pragma once

#include <array>
#include <cstdint>

#include <rte_thash.h>

namespace tcpterm::net {

class FlowSteering {
public:
    static constexpr uint32_t kRetaSize = 128;
    static constexpr size_t kKeyLen = 40;
    static constexpr uint16_t kDefaultPattern = 0x6d5a;

    explicit FlowSteering(uint16_t workers, uint16_t key_pattern = kDefaultPattern);
    // A pattern from the kernel's random source with 6 to 10 bits set: the
    // all-zero and all-one patterns (and their near neighbours) hash badly.
    static uint16_t random_key_pattern();

    const std::array<uint8_t, kKeyLen>& key() const { return key_; }
    uint16_t workers() const { return workers_; }
    // The Toeplitz hash of an IPv4 TCP flow, addresses and ports in host order
    // as seen on the wire from src to dst.
    uint32_t hash(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) const {
        rte_ipv4_tuple tuple;
        tuple.src_addr = src;
        tuple.dst_addr = dst;
        tuple.sport = sport;
        tuple.dport = dport;
        return rte_softrss_be(reinterpret_cast<uint32_t*>(&tuple), RTE_THASH_V4_L4_LEN,
                              converted_key_.data());
    }
    uint16_t owner_of_hash(uint32_t h) const { return reta_[h % kRetaSize]; }
    uint16_t owner(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) const {
        return workers_ == 1 ? 0 : owner_of_hash(hash(src, dst, sport, dport));
    }
    const std::array<uint16_t, kRetaSize>& reta() const { return reta_; }

private:
    uint16_t workers_;
    std::array<uint16_t, kRetaSize> reta_{};
    alignas(4) std::array<uint8_t, kKeyLen> key_{};  // rte_convert_rss_key reads it by word
    alignas(4) std::array<uint8_t, kKeyLen + 4> converted_key_{};  // for rte_softrss_be
};

}  // namespace tcpterm::net
