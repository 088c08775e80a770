#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "lib/tcp/seq.hpp"
#include "lib/tcp/siphash.hpp"
#include "lib/tcp/timer_wheel.hpp"

using namespace tcpterm::tcp;

TEST_CASE("seq: comparisons wrap around 2^32 (RFC 9293 §3.4)", "[tcp][seq]") {
    Seq a(0xfffffff0u), b(0x10u);
    CHECK(a < b);
    CHECK(b > a);
    CHECK(b - a == 0x20);
    CHECK(a + 0x20 == b);
    CHECK(seq_in_window(Seq(5), Seq(0xfffffffeu), 10));
    CHECK_FALSE(seq_in_window(Seq(8), Seq(0xfffffffeu), 10));
    CHECK(seq_max(a, b) == b);
}

TEST_CASE("siphash: reference vectors of the SipHash paper", "[tcp][siphash]") {
    // Key 00..0f, messages 00..(n-1): vectors from the reference implementation.
    SipKey key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
    uint8_t msg[16];
    for (int i = 0; i < 16; ++i)
        msg[i] = uint8_t(i);
    CHECK(siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
    CHECK(siphash24(key, msg, 1) == 0x74f839c593dc67fdULL);
    CHECK(siphash24(key, msg, 8) == 0x93f5f5799a932462ULL);
    CHECK(siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL);
}

TEST_CASE("siphash: the 20-byte word form equals the byte form", "[tcp][siphash]") {
    SipKey key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int round = 0; round < 1000; ++round) {
        uint8_t msg[20];
        for (uint8_t& b : msg) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            b = uint8_t(x);
        }
        uint64_t w0, w1;
        uint32_t tail;
        memcpy(&w0, msg, 8);
        memcpy(&w1, msg + 8, 8);
        memcpy(&tail, msg + 16, 4);
        REQUIRE(siphash24_20(key, w0, w1, tail) == siphash24(key, msg, 20));
        key.k0 += x;
    }
}

TEST_CASE("timer wheel: fires at the deadline, never early, across revolutions", "[tcp][timer]") {
    TimerWheel wheel(64, 1000, 0);
    TimerNode short_timer, long_timer, cancelled;
    wheel.schedule(short_timer, 5000);
    wheel.schedule(long_timer, 200'000);  // three revolutions out
    wheel.schedule(cancelled, 7000);
    wheel.cancel(cancelled);
    std::vector<TimerNode*> fired;
    auto collect = [&](TimerNode& n) { fired.push_back(&n); };
    wheel.advance(4000, collect);
    CHECK(fired.empty());
    wheel.advance(5000, collect);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0] == &short_timer);
    for (uint64_t t = 6000; t < 200'000; t += 1000)
        wheel.advance(t, collect);
    CHECK(fired.size() == 1);
    wheel.advance(200'000, collect);
    CHECK(fired.size() == 2);
    CHECK(wheel.armed_count() == 0);
}

TEST_CASE("timer wheel: a long jump fires everything due, and re-arming inside fire works",
          "[tcp][timer]") {
    TimerWheel wheel(16, 1000, 0);
    TimerNode a, b;
    wheel.schedule(a, 3000);
    wheel.schedule(b, 50'000);
    int fires = 0;
    bool rearmed = false;
    wheel.advance(1'000'000, [&](TimerNode& n) {
        ++fires;
        if (&n == &a && !rearmed) {
            rearmed = true;
            wheel.schedule(a, 1'003'000);  // re-arm from inside the callback
        }
    });
    CHECK(fires == 2);
    CHECK(a.armed());
    wheel.advance(1'003'000, [&](TimerNode&) { ++fires; });
    CHECK(fires == 3);
}
