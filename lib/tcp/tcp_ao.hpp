// TCP Authentication Option (RFC 5925) with the two mandatory algorithm
// pairs of RFC 5926: KDF_HMAC_SHA1 + HMAC-SHA-1-96, KDF_AES_128_CMAC +
// AES-128-CMAC-96.
//
// A master key tuple (AoKey, the RFC's MKT) protects the connections of the
// peers in a prefix (optionally one local port). Each connection derives
// traffic keys from it and the two ISNs (§5.2):
//   context = source addr | dest addr | source port | dest port | source ISN | dest ISN
// where a SYN (no ACK) has dest ISN 0. Every segment then carries
//   kind 29 | length 16 | KeyID | RNextKeyID | MAC (12 bytes)
// with MAC = first 96 bits of MAC_alg(traffic key, SNE | IPv4 pseudo-header |
// TCP header with checksum 0 | options with the AO MAC zeroed | payload) (§5.1).
// SNE is the high half of a 64-bit sequence number (§6.2).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "lib/net/ipv4_addr.hpp"
#include "lib/tcp/seq.hpp"

namespace tcpterm::tcp {

enum class AoAlgorithm : uint8_t { HmacSha1, AesCmac };

struct AoKey {
    net::Ipv4Prefix peer;        // the remote addresses it covers
    uint16_t local_port = 0;     // 0: any local port
    uint8_t send_id = 0;         // KeyID we put in our segments
    uint8_t recv_id = 0;         // KeyID we accept in the peer's
    AoAlgorithm alg = AoAlgorithm::HmacSha1;
    std::vector<uint8_t> secret; // the master key, 1..80 bytes
};

constexpr uint8_t kOptAo = 29;
constexpr uint8_t kAoMacLen = 12;                 // both algorithms truncate to 96 bits
constexpr uint8_t kAoOptionLen = 4 + kAoMacLen;   // 16 bytes in every segment

// A traffic key: 20 bytes for HMAC-SHA-1, the first 16 used for AES-CMAC.
using AoTrafficKey = std::array<uint8_t, 20>;
using AoMac = std::array<uint8_t, kAoMacLen>;

// The key that covers peer (and local_port), or nullptr: the first match in
// configuration order.
const AoKey* find_ao_key(const std::vector<AoKey>& keys, uint32_t peer, uint16_t local_port);

// KDF (RFC 5926 §3.1) for the segments from (src, sport) to (dst, dport).
AoTrafficKey ao_traffic_key(const AoKey& key, uint32_t src, uint32_t dst, uint16_t sport,
                            uint16_t dport, uint32_t src_isn, uint32_t dst_isn);

// MAC of a whole IPv4 datagram (header at ip, TCP header and payload after
// it, total_len bytes). ao_offset is where the AO option starts within the
// TCP header; its MAC bytes are taken as zero.
AoMac ao_mac(AoAlgorithm alg, const AoTrafficKey& key, uint32_t sne, const uint8_t* ip,
             uint16_t total_len, uint16_t ao_offset);

// RFC 5925 §6.2: the SNE of seq, given a nearby reference point (ref, whose
// SNE is ref_sne). advance() moves the reference forward to seq when seq is
// after it (for segments sent, or received and authenticated).
uint32_t ao_sne(Seq seq, Seq ref, uint32_t ref_sne);
void ao_advance(Seq seq, Seq& ref, uint32_t& ref_sne);

}  // namespace tcpterm::tcp
