// A received TCP segment, validated once at the boundary and parsed into host
// order. The mbuf's data starts at the IPv4 header.
#pragma once

#include <cstdint>

#include "lib/tcp/options.hpp"
#include "lib/tcp/seq.hpp"
#include "lib/tcp/tcb.hpp"

struct rte_mbuf;

namespace tcpterm::tcp {

enum TcpFlag : uint8_t {
    kFin = 0x01,
    kSyn = 0x02,
    kRst = 0x04,
    kPsh = 0x08,
    kAck = 0x10,
    kUrg = 0x20,
    kEce = 0x40,  // RFC 3168: ECN-Echo
    kCwr = 0x80,  // RFC 3168: Congestion Window Reduced
};

// The IPv4 header's ECN field (RFC 3168 §5).
enum EcnCodepoint : uint8_t {
    kNotEct = 0,
    kEct1 = 1,
    kEct0 = 2,
    kEcnCe = 3,
};

struct Segment {
    rte_mbuf* m = nullptr;
    FlowKey key;                 // remote = IPv4 source
    Seq seq;
    Seq ack;
    uint8_t flags = 0;
    uint16_t window = 0;         // raw field, unscaled
    uint16_t payload_offset = 0; // from the IPv4 header
    uint32_t payload_len = 0;
    uint8_t ip_ecn = kNotEct;    // ECN field of the IPv4 header
    TcpOptions opts;

    bool has(uint8_t f) const { return (flags & f) != 0; }
    // RFC 9293 SEG.LEN: payload plus one for each of SYN and FIN.
    uint32_t seg_len() const { return payload_len + has(kSyn) + has(kFin); }
};

enum class ParseResult { Ok, BadHeader, BadChecksum, BadOptions };

// ip_header_len / ip_payload_len come from the IPv4 layer's validation.
ParseResult parse_segment(rte_mbuf* m, uint32_t src, uint32_t dst, uint16_t ip_header_len,
                          uint16_t ip_payload_len, Segment& out);

}  // namespace tcpterm::tcp
