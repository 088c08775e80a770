// lib/net/checksum: the software TCP checksum of a datagram held in an mbuf
// chain (zero copy segments: headers, then payload pieces by reference) must
// equal the checksum of the same bytes in one buffer, whatever the pieces'
// lengths and alignments.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "engine_harness.hpp"
#include "lib/net/checksum.hpp"

using namespace tcpterm;
using namespace tcpterm::test;

namespace {

constexpr size_t kHeaders = sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + sizeof(rte_tcp_hdr);

// An Ethernet + IPv4 + TCP frame carrying `payload`, whose payload is split
// into mbufs of the given lengths after a header-only first mbuf.
rte_mbuf* chained_frame(const std::vector<uint8_t>& payload, const std::vector<size_t>& pieces) {
    rte_mbuf* head = rte_pktmbuf_alloc(test_pool());
    REQUIRE(head != nullptr);
    auto* hdr = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(head, kHeaders));
    memset(hdr, 0, kHeaders);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(hdr + sizeof(rte_ether_hdr));
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16(sizeof(rte_ipv4_hdr) + sizeof(rte_tcp_hdr) + payload.size());
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_TCP;
    ip->src_addr = rte_cpu_to_be_32(0xC6120001);
    ip->dst_addr = rte_cpu_to_be_32(0xC6120002);
    auto* th = reinterpret_cast<rte_tcp_hdr*>(ip + 1);
    th->src_port = rte_cpu_to_be_16(7);
    th->dst_port = rte_cpu_to_be_16(40000);
    th->sent_seq = rte_cpu_to_be_32(0x12345679);
    th->data_off = 5 << 4;
    th->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
    th->rx_win = rte_cpu_to_be_16(65535);
    head->l2_len = sizeof(rte_ether_hdr);
    head->l3_len = sizeof(rte_ipv4_hdr);
    head->l4_len = sizeof(rte_tcp_hdr);
    size_t at = 0;
    for (size_t len : pieces) {
        rte_mbuf* seg = rte_pktmbuf_alloc(test_pool());
        REQUIRE(seg != nullptr);
        // An odd headroom too: a piece may start at any byte of its buffer.
        rte_pktmbuf_adj(seg, at & 1);
        memcpy(rte_pktmbuf_append(seg, len), payload.data() + at, len);
        at += len;
        REQUIRE(rte_pktmbuf_chain(head, seg) == 0);
    }
    REQUIRE(at == payload.size());
    return head;
}

}  // namespace

TEST_CASE("checksum: a chained datagram's TCP checksum equals the flat one's, odd pieces included",
          "[net][checksum]") {
    std::mt19937 rng(1234);
    for (int round = 0; round < 200; ++round) {
        std::vector<size_t> pieces;
        size_t total = 0;
        int n = 1 + static_cast<int>(rng() % 5);
        for (int i = 0; i < n; ++i) {
            size_t len = 1 + rng() % 700;  // odd and even lengths alike
            pieces.push_back(len);
            total += len;
        }
        std::vector<uint8_t> payload(total);
        for (auto& b : payload)
            b = static_cast<uint8_t>(rng());
        rte_mbuf* m = chained_frame(payload, pieces);
        net::finish_tx_checksums(m, net::ChecksumOffloads{});

        std::vector<uint8_t> flat(m->pkt_len);
        const void* at = rte_pktmbuf_read(m, 0, m->pkt_len, flat.data());
        REQUIRE(at != nullptr);
        if (at != flat.data())
            memcpy(flat.data(), at, flat.size());
        rte_pktmbuf_free(m);
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(flat.data() + sizeof(rte_ether_hdr));
        INFO("round " << round << ", " << n << " pieces, " << total << " bytes");
        CHECK(rte_ipv4_udptcp_cksum_verify(ip, ip + 1) == 0);
        CHECK(rte_ipv4_cksum(ip) == 0);
    }
}

TEST_CASE("checksum: the raw sum of a chain skips the offset across pieces", "[net][checksum]") {
    std::vector<uint8_t> payload(301);
    for (size_t i = 0; i < payload.size(); ++i)
        payload[i] = static_cast<uint8_t>(i * 7 + 3);
    rte_mbuf* m = chained_frame(payload, {1, 99, 3, 198});
    for (uint32_t off : {0u, 54u, 55u, 154u, 157u}) {
        uint32_t len = m->pkt_len - off;
        std::vector<uint8_t> flat(len);
        const void* at = rte_pktmbuf_read(m, off, len, flat.data());
        REQUIRE(at != nullptr);
        INFO("offset " << off);
        CHECK(net::raw_checksum_chain(m, off, len) == rte_raw_cksum(at, len));
    }
    rte_pktmbuf_free(m);
}
