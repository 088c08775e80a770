#include "lib/net/checksum.hpp"

#include <rte_tcp.h>

namespace tcpterm::net {

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
                                         : rte_ipv4_udptcp_cksum_mbuf(m, ip, m->l2_len + m->l3_len);
        }
    }
    if (offloads.ipv4 || offloads.tcp)
        m->ol_flags |= flags;
}

}  // namespace tcpterm::net
