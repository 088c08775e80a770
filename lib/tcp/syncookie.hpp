// Stateless SYN cookies: the SYN-ACK's sequence number carries everything the
// connection needs, so a SYN costs no memory, no table entry and no timer.
//
// Cookie (our ISS), 32 bits:
//
//    31       27 26  25 24                                              0
//   +-----------+------+-------------------------------------------------+
//   |  period   | MSS  |  MAC = H & 0x1ffffff (25 bits)                  |
//   |  (5 bits) | index|                                                 |
//   +-----------+------+-------------------------------------------------+
//
//   H = SipHash-2-4(K[period], 4-tuple | peer ISN | MSS index), 64 bits,
//   over 20 bytes (three SipHash blocks). Its high 32 bits are the
//   connection's TSval offset, so one hash call serves both the cookie and
//   the timestamp clock (RFC 7323 §7.1 asks for a per-connection offset);
//   the offset is public (TSval shows it) but is independent of the MAC bits.
//
// period is a coarse clock (now / period_us) modulo 32; a cookie is valid in
// the period it was made and the next one. K[period] is derived from the
// appliance's master secret (K = SipHash(master, period)), so the secret
// rotates every period without any write that workers share: every worker
// validates every cookie. The MSS index picks one of four MSS values.
//
// Attacker's cost: without the master secret the MAC is unpredictable, so a
// blind attacker who knows the 4-tuple must try 2^25 (33 million) ACKs on
// average to have one accepted, within a window of at most two periods;
// replaying an observed cookie works only for that 4-tuple and peer ISN and
// only until the period after next; changing its MSS index changes H.
// Making a cookie costs the server one SipHash of 20 bytes (~35 cycles), so
// answering a flood costs no more than parsing it.
//
// Options the cookie cannot hold ride in our TSval when the SYN carried
// timestamps (as Linux does): its low 6 bits carry the peer's window scale
// (bits 0-3, 0xf = none), SACK-permitted (bit 4) and ECN (bit 5, RFC 3168);
// the peer echoes them in TSecr. Without timestamps the connection goes on
// without window scaling, SACK and ECN.
#pragma once

#include <cstdint>
#include <optional>

#include "lib/tcp/seq.hpp"
#include "lib/tcp/siphash.hpp"
#include "lib/tcp/tcb.hpp"

namespace tcpterm::tcp {

// What a cookie SYN-ACK needs: the cookie (our ISS) and our TSval offset.
struct Cookie {
    uint32_t iss = 0;
    uint32_t ts_offset = 0;
};

// What a valid cookie ACK gives back.
struct CookieGrant {
    uint8_t mss_index = 0;
    uint32_t ts_offset = 0;
};

struct CookieTsOptions {
    bool has_window_scale = false;
    uint8_t window_scale = 0;  // 0..14
    bool sack_permitted = false;
    bool ecn = false;          // the SYN asked for ECN and we agreed
};

class SynCookies {
public:
    static constexpr uint16_t kMssTable[4] = {536, 1220, 1440, 1460};
    static constexpr uint32_t kTsOptionBits = 6;

    SynCookies(const SipKey& master, uint64_t period_us);

    // The largest table MSS not above mss.
    static uint8_t mss_index(uint16_t mss);
    Cookie make(const FlowKey& key, Seq peer_isn, uint8_t mss_index, uint64_t now_us);
    // The MSS index (and TSval offset) when the cookie is genuine and fresh.
    std::optional<CookieGrant> check(const FlowKey& key, Seq peer_isn, uint32_t cookie,
                                     uint64_t now_us);

    // Puts options into the low bits of a TSval (never moving it forward).
    static uint32_t encode_ts(uint32_t ts_val, const CookieTsOptions& opts);
    static CookieTsOptions decode_ts(uint32_t ts_ecr);

private:
    uint64_t hash(const FlowKey& key, Seq peer_isn, uint64_t period, uint8_t mss_index);
    // now_us / period_us, without a 64-bit division per SYN.
    uint64_t period_of(uint64_t now_us);
    const SipKey& key_for(uint64_t period);

    SipKey master_;
    uint64_t period_us_;
    uint64_t current_period_ = 0;
    uint64_t current_start_us_ = 0;
    uint64_t current_end_us_ = 0;  // empty until the first call
    // Derived keys of the two periods in use, cached per engine.
    uint64_t cached_period_[2] = {UINT64_MAX, UINT64_MAX};
    SipKey cached_key_[2];
};

}  // namespace tcpterm::tcp
