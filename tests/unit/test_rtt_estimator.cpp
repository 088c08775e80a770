// The RTT estimator (lib/tcp/rtt_estimator.hpp) against RFC 6298's rules,
// with samples chosen so that every step divides exactly.
#include <catch2/catch.hpp>

#include "lib/tcp/rtt_estimator.hpp"

using namespace tcpterm::tcp;

namespace {
// G = 1 ms, RTO between 200 ms (as Linux) and 60 s (RFC 6298 (2.5)).
constexpr RttEstimator::Bounds kBounds{1'000, 200'000, 60'000'000};
}  // namespace

TEST_CASE("RTT estimator: the initial RTO applies until the first sample (RFC 6298 (2.1))",
          "[tcp][sending][rtt]") {
    RttEstimator fresh;
    CHECK_FALSE(fresh.has_sample());
    CHECK(fresh.rto_us() == 1'000'000);
    CHECK(fresh.min_rtt_us() == UINT64_MAX);
    RttEstimator configured(3'000'000);
    CHECK(configured.rto_us() == 3'000'000);
    CHECK(configured.srtt_us() == 0);
}

TEST_CASE("RTT estimator: SRTT, RTTVAR and RTO after each sample (RFC 6298 (2.2), (2.3))",
          "[tcp][sending][rtt]") {
    RttEstimator rtt;
    // (2.2): SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, 4 * RTTVAR).
    rtt.sample(100'000, kBounds);
    CHECK(rtt.has_sample());
    CHECK(rtt.srtt_us() == 100'000);
    CHECK(rtt.rttvar_us() == 50'000);
    CHECK(rtt.rto_us() == 100'000 + 4 * 50'000);

    // (2.3): RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'| with the old SRTT,
    // then SRTT = 7/8 SRTT + 1/8 R'.
    rtt.sample(180'000, kBounds);
    CHECK(rtt.rttvar_us() == (3 * 50'000 + 80'000) / 4);  // 57500
    CHECK(rtt.srtt_us() == (7 * 100'000 + 180'000) / 8);  // 110000
    CHECK(rtt.rto_us() == 110'000 + 4 * 57'500);

    rtt.sample(30'000, kBounds);
    CHECK(rtt.rttvar_us() == (3 * 57'500 + 80'000) / 4);  // 63125
    CHECK(rtt.srtt_us() == (7 * 110'000 + 30'000) / 8);   // 100000
    CHECK(rtt.rto_us() == 100'000 + 4 * 63'125);
    CHECK(rtt.latest_us() == 30'000);
    CHECK(rtt.min_rtt_us() == 30'000);
}

TEST_CASE("RTT estimator: the clock granularity G is the least variance term (RFC 6298 (2.2), "
          "(2.3))",
          "[tcp][sending][rtt]") {
    constexpr RttEstimator::Bounds coarse{10'000, 1, 60'000'000};
    RttEstimator rtt;
    rtt.sample(1'000, coarse);  // 4 * RTTVAR = 2 ms < G = 10 ms
    CHECK(rtt.rttvar_us() == 500);
    CHECK(rtt.rto_us() == 1'000 + 10'000);
    rtt.sample(1'000, coarse);
    CHECK(rtt.rttvar_us() == 375);
    CHECK(rtt.rto_us() == 1'000 + 10'000);
    rtt.sample(33'000, coarse);  // 4 * RTTVAR = 4 * (1125 + 32000) / 4 > G
    CHECK(rtt.rttvar_us() == (3 * 375 + 32'000) / 4);
    CHECK(rtt.srtt_us() == (7 * 1'000 + 33'000) / 8);
    CHECK(rtt.rto_us() == 5'000 + 4 * ((3 * 375 + 32'000) / 4));
}

TEST_CASE("RTT estimator: the RTO is clamped to rto_min and rto_max (RFC 6298 (2.4), (2.5))",
          "[tcp][sending][rtt]") {
    RttEstimator fast;
    fast.sample(10'000, kBounds);  // 10 + 20 ms, below 200 ms
    CHECK(fast.rto_us() == 200'000);
    RttEstimator slow;
    slow.sample(30'000'000, kBounds);  // 30 + 60 s, above 60 s
    CHECK(slow.rto_us() == 60'000'000);
    CHECK(slow.srtt_us() == 30'000'000);
}

TEST_CASE("RTT estimator: each expiry doubles the RTO up to the maximum (RFC 6298 (5.5))",
          "[tcp][sending][rtt]") {
    RttEstimator rtt;
    rtt.sample(100'000, kBounds);
    REQUIRE(rtt.rto_us() == 300'000);
    rtt.back_off(kBounds.rto_max_us);
    CHECK(rtt.rto_us() == 600'000);
    rtt.back_off(kBounds.rto_max_us);
    CHECK(rtt.rto_us() == 1'200'000);
    rtt.set_rto(40'000'000);
    rtt.back_off(kBounds.rto_max_us);
    CHECK(rtt.rto_us() == 60'000'000);
    rtt.back_off(kBounds.rto_max_us);
    CHECK(rtt.rto_us() == 60'000'000);
    // A new sample computes the RTO afresh (RFC 6298 (5.7) leaves the
    // backed-off value only until then).
    rtt.sample(100'000, kBounds);
    CHECK(rtt.rto_us() == 100'000 + 4 * ((3 * 50'000 + 0) / 4));
}

TEST_CASE("RTT estimator: min_RTT is the lowest sample, a zero sample counts as 1 us "
          "(RFC 8985 §6.1)",
          "[tcp][sending][rtt]") {
    RttEstimator rtt;
    rtt.sample(80'000, kBounds);
    rtt.sample(60'000, kBounds);
    rtt.sample(90'000, kBounds);
    CHECK(rtt.min_rtt_us() == 60'000);
    CHECK(rtt.latest_us() == 90'000);
    rtt.sample(0, kBounds);
    CHECK(rtt.latest_us() == 1);
    CHECK(rtt.min_rtt_us() == 1);
}
