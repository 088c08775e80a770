// What a connection uses of the options both SYNs offered (RFC 9293 §3.7.1
// MSS, RFC 7323 window scale and timestamps, RFC 2018 SACK-permitted): each
// option only when both sides offered it. One function for the three ways a
// connection opens: a SYN at a listener, an ACK carrying a SYN cookie (whose
// offer comes back from the cookie), and a SYN-ACK answering our own SYN.
#pragma once

#include <cstdint>

#include "lib/tcp/options.hpp"

namespace tcpterm::tcp {

// RFC 9293 §3.7.1: the MSS a peer that sends no MSS option is assumed to
// accept (576-byte datagrams less 40 bytes of headers).
constexpr uint16_t kDefaultMss = 536;
// Below this a peer's MSS is not honoured (as Linux's TCP_MIN_MSS floor):
// tiny segments would cost a header per few bytes.
constexpr uint16_t kMinMss = 64;
// Bytes every segment's options take when timestamps are on (RFC 7323 §3:
// 10, padded to 12).
constexpr uint16_t kTimestampOptionLen = 12;

// One side's SYN offer.
struct SynOffer {
    uint16_t mss = kDefaultMss;
    bool window_scale = false;
    uint8_t wscale = 0;
    bool sack = false;
    bool timestamps = false;
};

// What the peer's SYN or SYN-ACK offered.
SynOffer offer_of(const TcpOptions& syn);

struct Negotiated {
    uint16_t snd_mss = kDefaultMss;  // payload per segment, before per-segment options
    bool ws_ok = false;
    uint8_t snd_wscale = 0;          // applied to the peer's window field
    uint8_t rcv_wscale = 0;          // the peer applies to ours
    bool sack_ok = false;
    bool ts_ok = false;
};

// ours: what we offered (or offer now); peer: what the peer offered.
// snd_mss is the smaller MSS, floored at kMinMss, less the timestamp option
// when timestamps are on (every segment carries it); other per-segment
// options (TCP-AO) are the caller's to take off.
Negotiated negotiate(const SynOffer& ours, const SynOffer& peer);

}  // namespace tcpterm::tcp
