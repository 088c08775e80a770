// Spoofed SYNs for the flood: a template frame (Ethernet, IPv4, TCP with the
// options a real SYN carries) copied into each mbuf, with the source address,
// port, sequence number, IP ID and TSval randomised and both checksums
// computed in software from precomputed sums of the fixed part.
#pragma once

#include <cstdint>

#include <rte_ether.h>

#include "app/tcpgen/options.hpp"

struct rte_mbuf;

namespace tcpterm::tcpgen {

// splitmix64: fast, good enough for spoofed fields, one per lcore.
struct Rng {
    uint64_t state;
    uint64_t next() {
        uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
};

class SynBuilder {
public:
    SynBuilder(const Options& o, const rte_ether_addr& src_mac);

    // Called once the target's (or gateway's) MAC is known, before build().
    void set_dst_mac(const rte_ether_addr& mac);
    // Writes one SYN into a freshly allocated mbuf.
    void build(rte_mbuf* m, Rng& rng) const;
    uint16_t frame_len() const { return len_; }
    // Builds n packets into plain buffers and checks both checksums with
    // DPDK's own routines; false (and a message on stderr) on a mismatch.
    bool self_test(unsigned n) const;

private:
    void fill(uint8_t* frame, Rng& rng) const;

    static constexpr uint16_t kIpOff = sizeof(rte_ether_hdr);
    static constexpr uint16_t kTcpOff = kIpOff + 20;

    alignas(8) uint8_t tmpl_[128]{};
    uint16_t len_ = 0;
    uint16_t tsval_off_ = 0;      // 0: no timestamps option
    uint32_t ip_base_ = 0;        // raw sum of the fixed IPv4 header words
    uint32_t tcp_base_ = 0;       // raw sum of pseudo header + fixed TCP words
    uint32_t src_base_ = 0;       // host order
    uint32_t host_mask_ = 0;
    bool avoid_edges_ = false;    // skip the prefix's network/broadcast addresses
};

}  // namespace tcpterm::tcpgen
