// libFuzzer target: the TCP segment parser (parse_segment, lib/tcp/segment.hpp).
// Input: byte 0 picks the NIC's checksum verdicts (rx_offload.hpp), the rest
// is the IPv4 payload (TCP header, options, data) behind a fixed valid IPv4
// header, as Interface::input hands it up. What parse_segment accepts must
// describe bytes inside the datagram.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "lib/tcp/segment.hpp"
#include "tests/fuzz/fuzz_eal.hpp"
#include "tests/fuzz/rx_offload.hpp"

using namespace tcpterm;

namespace {

constexpr uint32_t kSrc = 0xC6120002;  // 198.18.0.2
constexpr uint32_t kDst = 0xC6120001;  // 198.18.0.1

void check(const tcp::Segment& s, uint16_t ip_payload_len) {
    if (uint32_t(s.payload_offset) + s.payload_len != sizeof(rte_ipv4_hdr) + ip_payload_len)
        fuzz::invariant_failed("payload does not end where the datagram ends");
    if (s.payload_offset < sizeof(rte_ipv4_hdr) + 20)
        fuzz::invariant_failed("payload starts inside the TCP header");
    if (s.opts.sack_count > tcp::kMaxSackBlocks)
        fuzz::invariant_failed("too many SACK blocks");
    if (s.key.raddr != kSrc || s.key.laddr != kDst || s.key.rport == 0 || s.key.lport == 0)
        fuzz::invariant_failed("flow key not from the headers");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1 || size - 1 > RTE_MBUF_DEFAULT_DATAROOM - sizeof(rte_ipv4_hdr))
        return -1;
    fuzz::MbufLeakCheck leaks;
    rte_mbuf* m = rte_pktmbuf_alloc(fuzz::pool());
    if (m == nullptr)
        fuzz::invariant_failed("pool empty");
    uint16_t payload_len = uint16_t(size - 1);
    uint16_t total = uint16_t(sizeof(rte_ipv4_hdr) + payload_len);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(rte_pktmbuf_append(m, total));
    std::memset(ip, 0, sizeof(*ip));
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16(total);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_TCP;
    ip->src_addr = rte_cpu_to_be_32(kSrc);
    ip->dst_addr = rte_cpu_to_be_32(kDst);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    std::memcpy(ip + 1, data + 1, payload_len);
    m->ol_flags = fuzz::rx_offload_flags(data[0]);
    m->l3_len = sizeof(rte_ipv4_hdr);

    tcp::Segment s;
    if (tcp::parse_segment(m, kSrc, kDst, sizeof(rte_ipv4_hdr), payload_len, s) ==
        tcp::ParseResult::Ok)
        check(s, payload_len);
    rte_pktmbuf_free(m);
    leaks.check("fuzz_segment");
    return 0;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fuzz::init_eal("segment");
    return 0;
}
