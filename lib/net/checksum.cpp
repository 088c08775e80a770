#include "lib/net/checksum.hpp"

#include <rte_tcp.h>

namespace tcpterm::net {

uint16_t raw_checksum_chain(const rte_mbuf* m, uint32_t off, uint32_t len) {
    uint64_t sum = 0;
    uint32_t done = 0;
    for (const rte_mbuf* seg = m; seg != nullptr && len > 0; seg = seg->next) {
        uint32_t seglen = rte_pktmbuf_data_len(seg);
        if (off >= seglen) {
            off -= seglen;
            continue;
        }
        uint32_t n = RTE_MIN(seglen - off, len);
        uint16_t part = __rte_raw_cksum_reduce(
            __rte_raw_cksum(rte_pktmbuf_mtod_offset(seg, const void*, off), n, 0));
        // A piece starting at an odd byte of the stream has its bytes paired
        // the other way round (RFC 1071 §2(B)): swap its folded sum.
        sum += (done & 1) ? rte_bswap16(part) : part;
        done += n;
        len -= n;
        off = 0;
    }
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

uint16_t ipv4_l4_checksum_chain(const rte_mbuf* m, const rte_ipv4_hdr* ip, uint32_t l4_off) {
    uint32_t l4_len = rte_be_to_cpu_16(ip->total_length) - rte_ipv4_hdr_len(ip);
    uint32_t sum = uint32_t{rte_ipv4_phdr_cksum(ip, 0)} + raw_checksum_chain(m, l4_off, l4_len);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    uint16_t cksum = static_cast<uint16_t>(~sum);
    return cksum == 0 ? 0xffff : cksum;
}

void finish_tx_checksums(rte_mbuf* m, const ChecksumOffloads& offloads) {
    auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, m->l2_len);
    ip->hdr_checksum = 0;
    uint64_t flags = RTE_MBUF_F_TX_IPV4;
    if (offloads.ipv4)
        flags |= RTE_MBUF_F_TX_IP_CKSUM;
    else
        ip->hdr_checksum = rte_ipv4_cksum(ip);
    if (ip->next_proto_id == IPPROTO_TCP) {
        auto* tcp = reinterpret_cast<rte_tcp_hdr*>(reinterpret_cast<uint8_t*>(ip) + m->l3_len);
        if (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) {
            // TSO (the engine only builds such frames when the port segments):
            // the port fills every segment's checksums from the pseudo-header
            // without the length, and the IPv4 header's.
            flags |= RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IP_CKSUM;
            ip->hdr_checksum = 0;
            tcp->cksum = rte_ipv4_phdr_cksum(ip, flags);
            m->ol_flags |= flags;
            return;
        }
        if (offloads.tcp) {
            flags |= RTE_MBUF_F_TX_TCP_CKSUM;
            tcp->cksum = rte_ipv4_phdr_cksum(ip, flags);
        } else {
            tcp->cksum = 0;
            tcp->cksum = m->nb_segs == 1 ? rte_ipv4_udptcp_cksum(ip, tcp)
                                         : ipv4_l4_checksum_chain(m, ip, m->l2_len + m->l3_len);
        }
    }
    if (offloads.ipv4 || offloads.tcp)
        m->ol_flags |= flags;
}

}  // namespace tcpterm::net
