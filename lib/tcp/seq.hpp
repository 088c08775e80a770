// TCP sequence numbers: 32-bit values compared modulo 2^32 (RFC 9293 §3.4).
#pragma once

#include <cstdint>

namespace tcpterm::tcp {

struct Seq {
    uint32_t v = 0;

    constexpr Seq() = default;
    constexpr explicit Seq(uint32_t value) : v(value) {}

    friend constexpr Seq operator+(Seq a, uint32_t n) { return Seq(a.v + n); }
    friend constexpr Seq operator-(Seq a, uint32_t n) { return Seq(a.v - n); }
    // Distance from b to a; meaningful when a is "after" b by less than 2^31.
    friend constexpr int32_t operator-(Seq a, Seq b) { return static_cast<int32_t>(a.v - b.v); }
    Seq& operator+=(uint32_t n) { v += n; return *this; }

    friend constexpr bool operator==(Seq a, Seq b) { return a.v == b.v; }
    friend constexpr bool operator<(Seq a, Seq b) { return static_cast<int32_t>(a.v - b.v) < 0; }
    friend constexpr bool operator<=(Seq a, Seq b) { return static_cast<int32_t>(a.v - b.v) <= 0; }
    friend constexpr bool operator>(Seq a, Seq b) { return b < a; }
    friend constexpr bool operator>=(Seq a, Seq b) { return b <= a; }
};

constexpr Seq seq_max(Seq a, Seq b) { return a < b ? b : a; }
constexpr Seq seq_min(Seq a, Seq b) { return a < b ? a : b; }

// lo <= x < hi, modulo 2^32.
constexpr bool seq_in_window(Seq x, Seq lo, uint32_t size) {
    return static_cast<uint32_t>(x.v - lo.v) < size;
}

}  // namespace tcpterm::tcp
