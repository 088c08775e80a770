// Checksums with offload fallback. No PMD on the virtual ports computes them
// for real, so the software path is the common one, not an afterthought.
#pragma once

#include <cstdint>

#include <rte_ip.h>
#include <rte_mbuf.h>

namespace tcpterm::net {

// Offloads the port accepted at configure time (RTE_ETH_TX_OFFLOAD_* bits).
struct ChecksumOffloads {
    bool ipv4 = false;
    bool tcp = false;
};

// Fills the IPv4 header and TCP checksums of an outgoing frame whose
// l2_len/l3_len are set: by the NIC when it can, else in software.
void finish_tx_checksums(rte_mbuf* m, const ChecksumOffloads& offloads);

// The Internet checksum (RFC 1071) of len bytes from offset off of an mbuf
// chain, not yet complemented. DPDK 22.11's rte_raw_cksum_mbuf cuts the
// partial sum of a piece that starts at an odd byte to 16 bits before swapping
// it (fixed upstream in 23.07), so zero copy segments, whose payload pieces
// start wherever the sender's writes ended, went out with wrong checksums.
uint16_t raw_checksum_chain(const rte_mbuf* m, uint32_t off, uint32_t len);

// The TCP or UDP checksum of an IPv4 datagram held in an mbuf chain, its L4
// header at offset l4_off, for the checksum field (RFC 768's 0xffff for 0).
uint16_t ipv4_l4_checksum_chain(const rte_mbuf* m, const rte_ipv4_hdr* ip, uint32_t l4_off);

// True when the L4 checksum of a received IPv4 datagram (data starting at the
// IPv4 header) is right. Trusts the NIC's verdict when it gives one.
inline bool l4_checksum_ok(const rte_mbuf* m, const rte_ipv4_hdr* ip) {
    uint64_t status = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
    if (status == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
        return true;
    if (status == RTE_MBUF_F_RX_L4_CKSUM_BAD)
        return false;
    return rte_ipv4_udptcp_cksum_verify(ip, reinterpret_cast<const uint8_t*>(ip) +
                                                rte_ipv4_hdr_len(ip)) == 0;
}

}  // namespace tcpterm::net
