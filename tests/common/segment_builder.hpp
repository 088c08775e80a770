// Crafts a received TCP segment as a real mbuf (IPv4 + TCP, checksums
// filled), data at the IPv4 header as the engine expects. Shared by the
// Catch2 engine harness (tests/unit) and the fuzz targets (tests/fuzz), which
// cannot use Catch2's REQUIRE: failures come back as nullptr.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/tcp/options.hpp"
#include "lib/tcp/tcp_ao.hpp"

struct rte_mbuf;
struct rte_mempool;

namespace tcpterm::test {

// What a test peer sends; unset options are left out.
struct SegmentSpec {
    uint32_t seq = 0;
    uint32_t ack = 0;
    uint8_t flags = 0;
    uint16_t window = 65535;
    tcp::TcpOptions opts;
    std::string payload;
    uint16_t src_port = 40000;
    uint16_t dst_port = 80;
    uint32_t src = 0xC6120002;  // 198.18.0.2
    uint32_t dst = 0xC6120001;  // 198.18.0.1
    uint8_t ip_ecn = 0;                    // ECN field of the IPv4 header (RFC 3168)
    // When set, the segment carries TCP-AO signed with this key's send_id and
    // the traffic key of (src_isn, dst_isn) (RFC 5925 §5.2), SNE ao_sne.
    const tcp::AoKey* ao = nullptr;
    uint32_t ao_src_isn = 0, ao_dst_isn = 0, ao_sne = 0;
    const uint8_t* raw_options = nullptr;  // written as-is instead of opts
    size_t raw_options_len = 0;
};

// nullptr when the pool is empty or the options do not fit in 40 bytes.
rte_mbuf* craft_segment(rte_mempool* pool, const SegmentSpec& spec);

// The peer's view of one of our TCP-AO keys, to sign its segments with
// (SegmentSpec::ao): its send_id is our recv_id and the other way round.
inline tcp::AoKey peer_view(const tcp::AoKey& ours) {
    tcp::AoKey p = ours;
    p.send_id = ours.recv_id;
    p.recv_id = ours.send_id;
    return p;
}

}  // namespace tcpterm::test
