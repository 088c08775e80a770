#include "lib/tcp/syncookie.hpp"

namespace tcpterm::tcp {

namespace {
constexpr uint32_t kMacMask = 0x1ffffff;
constexpr uint32_t kPeriodBits = 5;
constexpr uint32_t kPeriodMask = (1u << kPeriodBits) - 1;

}  // namespace

SynCookies::SynCookies(const SipKey& master, uint64_t period_us)
    : master_(master), period_us_(period_us == 0 ? 1 : period_us) {}

uint8_t SynCookies::mss_index(uint16_t mss) {
    for (uint8_t i = 4; i-- > 1;)
        if (kMssTable[i] <= mss)
            return i;
    return 0;
}

const SipKey& SynCookies::key_for(uint64_t period) {
    size_t slot = period & 1;
    if (cached_period_[slot] != period) {
        uint64_t in[2] = {period, 0};
        cached_key_[slot].k0 = siphash24(master_, in, sizeof(in));
        in[1] = 1;
        cached_key_[slot].k1 = siphash24(master_, in, sizeof(in));
        cached_period_[slot] = period;
    }
    return cached_key_[slot];
}

uint64_t SynCookies::period_of(uint64_t now_us) {
    if (now_us < current_start_us_ || now_us >= current_end_us_) {
        current_period_ = now_us / period_us_;
        current_start_us_ = current_period_ * period_us_;
        current_end_us_ = current_start_us_ + period_us_;
    }
    return current_period_;
}

// H over 20 bytes: the 4-tuple as FlowKey lays it out (12 bytes), the peer's
// ISN and the MSS index. The period is in the key, not here.
uint64_t SynCookies::hash(const FlowKey& key, Seq peer_isn, uint64_t period, uint8_t mss_index) {
    uint64_t w0 = uint64_t{key.laddr} << 32 | key.raddr;
    uint64_t w1 = uint64_t{peer_isn.v} << 32 | uint32_t{key.lport} << 16 | key.rport;
    return siphash24_20(key_for(period), w0, w1, mss_index);
}

Cookie SynCookies::make(const FlowKey& key, Seq peer_isn, uint8_t mss_index, uint64_t now_us) {
    uint64_t period = period_of(now_us);
    uint64_t h = hash(key, peer_isn, period, mss_index);
    return {(static_cast<uint32_t>(period & kPeriodMask) << 27) | (uint32_t{mss_index} << 25) |
                (static_cast<uint32_t>(h) & kMacMask),
            static_cast<uint32_t>(h >> 32)};
}

std::optional<CookieGrant> SynCookies::check(const FlowKey& key, Seq peer_isn, uint32_t cookie,
                                             uint64_t now_us) {
    uint64_t now_period = period_of(now_us);
    uint32_t cookie_period = cookie >> 27;
    uint32_t age = (static_cast<uint32_t>(now_period) - cookie_period) & kPeriodMask;
    if (age > 1 || now_period < age)
        return std::nullopt;  // expired (or from the future)
    uint64_t period = now_period - age;
    uint8_t index = (cookie >> 25) & 3;
    uint64_t h = hash(key, peer_isn, period, index);
    if ((static_cast<uint32_t>(h) & kMacMask) != (cookie & kMacMask))
        return std::nullopt;
    return CookieGrant{index, static_cast<uint32_t>(h >> 32)};
}

uint32_t SynCookies::encode_ts(uint32_t ts_val, const CookieTsOptions& o) {
    uint32_t bits = (o.has_window_scale ? o.window_scale : 0xf) | (o.sack_permitted ? 0x10 : 0) |
                    (o.ecn ? 0x20 : 0);
    uint32_t mask = (1u << kTsOptionBits) - 1;
    uint32_t encoded = (ts_val & ~mask) | bits;
    if (static_cast<int32_t>(encoded - ts_val) > 0)
        encoded -= mask + 1;  // never ahead of our clock
    return encoded;
}

CookieTsOptions SynCookies::decode_ts(uint32_t ts_ecr) {
    CookieTsOptions o;
    uint32_t ws = ts_ecr & 0xf;
    o.has_window_scale = ws != 0xf;
    o.window_scale = static_cast<uint8_t>(ws > 14 ? 14 : ws);
    o.sack_permitted = ts_ecr & 0x10;
    o.ecn = ts_ecr & 0x20;
    return o;
}

}  // namespace tcpterm::tcp
