// A NIC's receive checksum verdicts, chosen by one input byte. Random bytes
// almost never carry a right checksum, so without this the fuzzers would stop
// at the checksum checks; a NIC that says GOOD is a real path (the code then
// trusts it), and BAD/UNKNOWN keep the software checks fuzzed too.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

namespace tcpterm::fuzz {

// Bits 0-1: IPv4 header verdict, bits 2-3: L4 verdict
// (0 unknown, 1 bad, 2 and 3 good).
inline uint64_t rx_offload_flags(uint8_t selector) {
    static constexpr uint64_t ip[4] = {RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN, RTE_MBUF_F_RX_IP_CKSUM_BAD,
                                       RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_IP_CKSUM_GOOD};
    static constexpr uint64_t l4[4] = {RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN, RTE_MBUF_F_RX_L4_CKSUM_BAD,
                                       RTE_MBUF_F_RX_L4_CKSUM_GOOD, RTE_MBUF_F_RX_L4_CKSUM_GOOD};
    return ip[selector & 3] | l4[(selector >> 2) & 3];
}

}  // namespace tcpterm::fuzz
