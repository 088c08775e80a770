#include "lib/tcp/syncookie.hpp"

namespace tcpterm::tcp {

namespace {
constexpr uint32_t kMacMask = 0x1ffffff;
constexpr uint32_t kPeriodBits = 5;
constexpr uint32_t kPeriodMask = (1u << kPeriodBits) - 1;

struct MacInput {
    FlowKey key;
    uint32_t peer_isn;
    uint32_t period;
    uint8_t mss_index;
    uint8_t pad[3];
};
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

uint32_t SynCookies::mac(const FlowKey& key, Seq peer_isn, uint64_t period, uint8_t mss_index) {
    MacInput in{key, peer_isn.v, static_cast<uint32_t>(period), mss_index, {0, 0, 0}};
    return static_cast<uint32_t>(siphash24(key_for(period), &in, sizeof(in))) & kMacMask;
}

uint32_t SynCookies::make(const FlowKey& key, Seq peer_isn, uint8_t mss_index, uint64_t now_us) {
    uint64_t period = now_us / period_us_;
    return (static_cast<uint32_t>(period & kPeriodMask) << 27) | (uint32_t{mss_index} << 25) |
           mac(key, peer_isn, period, mss_index);
}

std::optional<uint8_t> SynCookies::check(const FlowKey& key, Seq peer_isn, uint32_t cookie,
                                         uint64_t now_us) {
    uint64_t now_period = now_us / period_us_;
    uint32_t cookie_period = cookie >> 27;
    uint32_t age = (static_cast<uint32_t>(now_period) - cookie_period) & kPeriodMask;
    if (age > 1 || now_period < age)
        return std::nullopt;  // expired (or from the future)
    uint64_t period = now_period - age;
    uint8_t index = (cookie >> 25) & 3;
    if (mac(key, peer_isn, period, index) != (cookie & kMacMask))
        return std::nullopt;
    return index;
}

uint32_t SynCookies::encode_ts(uint32_t ts_val, const CookieTsOptions& o) {
    uint32_t bits = (o.has_window_scale ? o.window_scale : 0xf) | (o.sack_permitted ? 0x10 : 0);
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
    return o;
}

}  // namespace tcpterm::tcp
