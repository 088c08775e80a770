// Congestion control as value types (lib/tcp/congestion.hpp): NewReno
// (RFC 5681), CUBIC (RFC 9438) and HyStart++ (RFC 9406), fed AckSamples by
// the test. MSS 1000 bytes throughout, so that segments and bytes convert
// exactly.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "lib/tcp/congestion.hpp"

using namespace tcpterm::tcp;

namespace {

constexpr uint32_t kMss = 1000;

const CongestionOps& newreno() { return congestion_ops(CongestionAlgorithm::NewReno); }
const CongestionOps& cubic() { return congestion_ops(CongestionAlgorithm::Cubic); }

CongestionState state(uint32_t cwnd, uint32_t ssthresh) {
    CongestionState s;
    s.mss = kMss;
    s.cwnd = cwnd;
    s.ssthresh = ssthresh;
    return s;
}

AckSample ack_of(uint32_t acked, uint64_t now_us = 1'000'000, uint64_t srtt_us = 100'000) {
    AckSample a;
    a.acked = acked;
    a.now_us = now_us;
    a.srtt_us = srtt_us;
    return a;
}

// RFC 9438 constants and formulas, in segments and seconds.
constexpr double kC = 0.4;
constexpr double kBeta = 0.7;
constexpr double kAlpha = 3 * (1 - kBeta) / (1 + kBeta);  // §4.3
double w_cubic(double t, double k, double w_max) { return kC * std::pow(t - k, 3) + w_max; }

double segments(const CongestionState& s) { return static_cast<double>(s.cwnd) / s.mss; }

// CUBIC after a congestion event at w_max_segments, cwnd brought down to
// ssthresh (the end of recovery), then one full-window ACK every RTT from
// t0: feed(n) sends the ACKs at t = 0, RTT, ..., (n - 1) RTT after t0.
struct CubicEpoch {
    CongestionState s = state(0, UINT32_MAX);
    uint64_t t0_us = 10'000'000;
    uint64_t rtt_us;
    uint32_t acks = 0;

    CubicEpoch(uint32_t w_max_segments, uint64_t rtt) : rtt_us(rtt) {
        cubic().init(s);
        s.cwnd = w_max_segments * kMss;
        congestion::on_congestion(cubic(), s, s.cwnd, t0_us - 1'000'000);
        s.cwnd = s.ssthresh;
    }
    double t() const { return static_cast<double>((acks - 1) * rtt_us) / 1e6; }  // of the last ACK
    void feed(uint32_t n) {
        for (uint32_t i = 0; i < n; ++i, ++acks)
            cubic().on_ack(s, ack_of(s.cwnd, t0_us + acks * rtt_us, rtt_us));
    }
    void feed_until(double t_s) {
        while (acks == 0 || t() + 1e-9 < t_s)
            feed(1);
    }
};

// CUBIC with two congestion events: at 100 segments (W_max = 100), then at
// 80, below it (fast convergence, RFC 9438 §4.7). cwnd is left at 80.
CongestionState after_fast_convergence() {
    CongestionState s = state(100 * kMss, UINT32_MAX);
    cubic().init(s);
    congestion::on_congestion(cubic(), s, s.cwnd, 0);
    s.cwnd = 80 * kMss;
    congestion::on_congestion(cubic(), s, s.cwnd, 1'000'000);
    return s;
}

}  // namespace

// ---------------------------------------------------------------- NewReno

TEST_CASE("NewReno: slow start grows cwnd by the bytes acknowledged, up to ssthresh "
          "(RFC 5681 §3.1)",
          "[tcp][sending][newreno]") {
    CongestionState s = state(10 * kMss, 15 * kMss);
    newreno().on_ack(s, ack_of(3 * kMss));
    CHECK(s.cwnd == 13 * kMss);
    newreno().on_ack(s, ack_of(kMss / 2));
    CHECK(s.cwnd == 13 * kMss + kMss / 2);
    // 4 MSS acknowledged: 1.5 MSS reach ssthresh, the other 2.5 MSS count
    // in congestion avoidance, cwnd += SMSS * acked / cwnd.
    newreno().on_ack(s, ack_of(4 * kMss));
    CHECK(s.cwnd == 15 * kMss + kMss * (5 * kMss / 2) / (15 * kMss));
    CHECK_FALSE(s.in_slow_start());

    // A stretch ACK in slow start counts all it covers (no RFC 3465 L).
    CongestionState big = state(10 * kMss, 100 * kMss);
    newreno().on_ack(big, ack_of(20 * kMss));
    CHECK(big.cwnd == 30 * kMss);
}

TEST_CASE("NewReno: congestion avoidance adds about one SMSS per window of ACKs "
          "(RFC 5681 §3.1 (3))",
          "[tcp][sending][newreno]") {
    CongestionState s = state(10 * kMss, 5 * kMss);
    for (int i = 0; i < 10; ++i)
        newreno().on_ack(s, ack_of(kMss));
    // Each ACK adds SMSS * SMSS / cwnd with cwnd between 10 and 11 MSS:
    // the ten add between 10 * SMSS / 11 and one SMSS.
    uint32_t grown = s.cwnd - 10 * kMss;
    CHECK(grown >= 10 * kMss / 11);
    CHECK(grown <= kMss);

    // Sub-MSS ACKs: what does not make a whole byte is carried, so 100
    // ACKs of 100 bytes grow it as much as 10 of 1000 would, within the
    // same bounds.
    CongestionState small = state(10 * kMss, 5 * kMss);
    for (int i = 0; i < 100; ++i)
        newreno().on_ack(small, ack_of(kMss / 10));
    uint32_t small_grown = small.cwnd - 10 * kMss;
    CHECK(small_grown >= 10 * kMss / 11);
    CHECK(small_grown <= kMss);
}

TEST_CASE("NewReno: a stretch ACK for n segments counts as n ACKs in congestion avoidance "
          "(RFC 5681 §3.1 (3), RFC 3465)",
          "[tcp][sending][newreno]") {
    CongestionState s = state(10 * kMss, 5 * kMss);
    newreno().on_ack(s, ack_of(10 * kMss));
    CHECK(s.cwnd == 11 * kMss);  // SMSS * 10 SMSS / 10 SMSS
    CongestionState half = state(10 * kMss, 5 * kMss);
    newreno().on_ack(half, ack_of(5 * kMss));
    CHECK(half.cwnd == 10 * kMss + kMss / 2);
}

TEST_CASE("NewReno: ssthresh after congestion is max(FlightSize / 2, 2 * SMSS) "
          "(RFC 5681 §3.1 (4))",
          "[tcp][sending][newreno]") {
    CongestionState s = state(30 * kMss, UINT32_MAX);
    CHECK(newreno().ssthresh_after_congestion(s, 20 * kMss, 0) == 10 * kMss);
    CHECK(newreno().ssthresh_after_congestion(s, 3 * kMss, 0) == 2 * kMss);
    CHECK(newreno().ssthresh_after_congestion(s, 5 * kMss + 1, 0) == (5 * kMss + 1) / 2);

    // Through the shared rule: ssthresh set, cwnd the caller's (PRR).
    congestion::on_congestion(newreno(), s, 20 * kMss, 0);
    CHECK(s.ssthresh == 10 * kMss);
    CHECK(s.cwnd == 30 * kMss);
    CHECK(s.prior_cwnd == 30 * kMss);
    CHECK(s.prior_ssthresh == UINT32_MAX);
}

TEST_CASE("congestion: after an RTO cwnd is the loss window of one SMSS (RFC 5681 §3.1 (4))",
          "[tcp][sending][newreno]") {
    CongestionState s = state(40 * kMss, 20 * kMss);
    congestion::on_timeout(newreno(), s, 30 * kMss, 0);
    CHECK(s.cwnd == kMss);
    CHECK(s.ssthresh == 15 * kMss);
    CHECK(s.in_slow_start());
}

TEST_CASE("congestion: undo restores the window a spurious congestion event took "
          "(RFC 2883 §4, RFC 3522)",
          "[tcp][sending][newreno]") {
    CongestionState s = state(40 * kMss, 30 * kMss);
    congestion::on_congestion(newreno(), s, 40 * kMss, 0);
    s.cwnd = s.ssthresh;  // recovery brought it down
    REQUIRE(s.cwnd == 20 * kMss);
    congestion::undo(s);
    CHECK(s.cwnd == 40 * kMss);
    CHECK(s.ssthresh == 30 * kMss);
    // Once only: a second undo has nothing to restore.
    s.cwnd = 5 * kMss;
    congestion::undo(s);
    CHECK(s.cwnd == 5 * kMss);

    // After an RTO too; a window grown past the old one is kept.
    CongestionState t = state(40 * kMss, UINT32_MAX);
    congestion::on_timeout(newreno(), t, 40 * kMss, 0);
    t.cwnd = 50 * kMss;
    congestion::undo(t);
    CHECK(t.cwnd == 50 * kMss);
    CHECK(t.ssthresh == UINT32_MAX);
}

// ---------------------------------------------------------------- CUBIC

TEST_CASE("CUBIC: a congestion event sets W_max = cwnd and ssthresh = beta * cwnd "
          "(RFC 9438 §4.6)",
          "[tcp][sending][cubic]") {
    CongestionState s = state(100 * kMss, UINT32_MAX);
    cubic().init(s);
    congestion::on_congestion(cubic(), s, 100 * kMss, 0);
    CHECK(s.w_max == Approx(100.0));
    CHECK(s.ssthresh == 70 * kMss);
    CHECK(s.prior_cwnd == 100 * kMss);
    // Never below 2 segments.
    CongestionState tiny = state(2 * kMss, UINT32_MAX);
    cubic().init(tiny);
    congestion::on_congestion(cubic(), tiny, 2 * kMss, 0);
    CHECK(tiny.ssthresh == 2 * kMss);
}

TEST_CASE("CUBIC: after a reduction from W_max = 100 the window follows W_cubic(t), "
          "K = cbrt(75) s (RFC 9438 §4.2, §4.4, §4.5)",
          "[tcp][sending][cubic]") {
    // cwnd_epoch = 70: K = cbrt((100 - 70) / 0.4) = cbrt(75) = 4.2172 s.
    const double k = std::cbrt(75.0);
    // One full-window ACK per RTT. The RFC's per-ACK step is
    // cwnd += (target - cwnd) / cwnd for each segment acknowledged, with
    // target = W_cubic(t + RTT): an ACK for the whole window brings cwnd to
    // the target. So the window after the ACK at t lies between W_cubic(t)
    // and W_cubic(t + RTT), and equals the latter to within one byte (the
    // window is whole bytes): 0.002 segments.
    auto check_on_curve = [&](const CubicEpoch& e) {
        double t = e.t(), rtt = e.rtt_us / 1e6;
        INFO("t = " << t << " s, cwnd = " << segments(e.s) << " segments");
        CHECK(segments(e.s) == Approx(w_cubic(t + rtt, k, 100)).margin(0.002));
        CHECK(segments(e.s) >= w_cubic(t, k, 100));
        CHECK(segments(e.s) <= w_cubic(t + rtt, k, 100) + 0.002);
    };

    SECTION("RTT 100 ms: t = 1 s and t = K on the curve, t = 6 s Reno-friendly") {
        CubicEpoch e(100, 100'000);
        REQUIRE(e.s.ssthresh == 70 * kMss);
        e.feed(1);
        CHECK(e.s.k == Approx(k));
        CHECK(w_cubic(0, k, 100) == Approx(70.0));

        e.feed_until(1.0);
        check_on_curve(e);  // W_cubic(1.1) = 87.88
        e.feed_until(4.2);  // the ACK nearest K (4.2172 s)
        check_on_curve(e);
        CHECK(segments(e.s) == Approx(w_cubic(k, k, 100)).margin(0.01));  // 100 = W_max

        // By 6 s Reno's estimate has passed the curve (§4.3): W_est gains
        // alpha per RTT (acked / cwnd = 1) until it reaches W_max = 100,
        // at the 57th ACK (70 + 57 alpha = 100.18), then 1 per RTT: after
        // the ACK at 6 s (the 61st) W_est = 70 + 57 alpha + 4, above
        // W_cubic(6) = 102.27, and cwnd = W_est.
        e.feed_until(6.0);
        double w_est = 70 + 57 * kAlpha + 4;
        CHECK(w_est > w_cubic(6.0, k, 100));
        CHECK(segments(e.s) == Approx(w_est).margin(0.002));
    }
    SECTION("RTT 200 ms: W_est = 70 + 31 alpha = 86.4 at 6 s, the curve dominates") {
        CubicEpoch e(100, 200'000);
        e.feed_until(1.0);
        check_on_curve(e);
        e.feed_until(4.2);
        check_on_curve(e);
        e.feed_until(6.0);
        CHECK(70 + 31 * kAlpha < w_cubic(6.0, k, 100));
        check_on_curve(e);  // W_cubic(6.2) = 103.12, convex past W_max
    }
}

TEST_CASE("CUBIC: the Reno-friendly region, W_est with alpha = 3(1-beta)/(1+beta), then 1 "
          "past W_max (RFC 9438 §4.3)",
          "[tcp][sending][cubic]") {
    // W_max = 4: ssthresh 2.8 segments, K = cbrt(1.2 / 0.4) = 1.44 s, far
    // slower than Reno's alpha segments per 100 ms round.
    CubicEpoch e(4, 100'000);
    REQUIRE(e.s.ssthresh == 2800);
    const double k = std::cbrt(3.0);
    double w_est = 2.8;
    for (int i = 0; i < 6; ++i) {
        w_est += w_est >= 4 ? 1.0 : kAlpha;  // acked / cwnd = 1 each time
        e.feed(1);
        INFO("ACK " << i << " at t = " << e.t());
        CHECK(w_cubic(e.t(), k, 4) < w_est);
        CHECK(segments(e.s) == Approx(w_est).margin(0.002));
    }
    // 2.8 + 3 alpha = 4.388 after three ACKs, then + 1 each: 7.388.
    CHECK(segments(e.s) == Approx(2.8 + 3 * kAlpha + 3).margin(0.002));
    CHECK(e.s.w_est == Approx(2.8 + 3 * kAlpha + 3));
}

TEST_CASE("CUBIC: fast convergence, a second event below W_max sets W_max = cwnd (1 + beta) / 2 "
          "(RFC 9438 §4.7)",
          "[tcp][sending][cubic]") {
    CongestionState s = after_fast_convergence();
    CHECK(s.w_max == Approx(80 * (1 + kBeta) / 2));  // 68
    CHECK(s.ssthresh == 56 * kMss);
    CHECK(s.prior_w_max == Approx(100.0));
    // Above the previous W_max: W_max = cwnd.
    s.cwnd = 100 * kMss;
    congestion::on_congestion(cubic(), s, s.cwnd, 2'000'000);
    CHECK(s.w_max == Approx(100.0));
    CHECK(s.ssthresh == 70 * kMss);
    CHECK(s.prior_w_max == Approx(68.0));
    // Undo: the window before the event, and the larger W_max.
    s.cwnd = s.ssthresh;
    congestion::undo(s);
    CHECK(s.cwnd == 100 * kMss);
    CHECK(s.w_max == Approx(100.0));
    CHECK(s.epoch_start_us == 0);
}

// ssthresh = cwnd * beta_cubic is computed in double and truncated: for
// many windows the product lands just below the whole number of bytes.
TEST_CASE("CUBIC: ssthresh = beta * cwnd in whole bytes (RFC 9438 §4.6)",
          "[tcp][sending][cubic]") {
    struct Case {
        uint32_t mss, segments;
    };
    auto c = GENERATE(Case{kMss, 90}, Case{kMss, 3}, Case{kMss, 45}, Case{1448, 45}, Case{1448, 90});
    CongestionState s = state(c.segments * c.mss, UINT32_MAX);
    s.mss = c.mss;
    cubic().init(s);
    INFO(c.segments << " segments of " << c.mss);
    // 0.7 * cwnd, exact in integers: cwnd * 7 / 10 (whole here).
    CHECK(cubic().ssthresh_after_congestion(s, s.cwnd, 0) == c.segments * c.mss * 7 / 10);
}

TEST_CASE("CUBIC: a new epoch at or above W_max starts the curve at cwnd with K = 0 "
          "(RFC 9438 §4.2)",
          "[tcp][sending][cubic]") {
    CongestionState s = state(50 * kMss, 50 * kMss);  // slow start just ended, W_max unknown
    cubic().init(s);
    cubic().on_ack(s, ack_of(50 * kMss, 1'000'000, 100'000));
    CHECK(s.k == 0);
    CHECK(s.origin == Approx(50.0));
    CHECK(s.epoch_start_us == 1'000'000);
}

// RFC 9438 §4.3: alpha_cubic becomes 1 once W_est reaches cwnd_prior, the
// window before the last reduction, not W_max: with fast convergence W_max
// is below it (68 here against 80) and the switch must wait.
TEST_CASE("CUBIC: with fast convergence W_est keeps alpha until it reaches cwnd_prior "
          "(RFC 9438 §4.3)",
          "[tcp][sending][cubic]") {
    CongestionState s = after_fast_convergence();  // W_max 68, cwnd_prior 80
    s.cwnd = s.ssthresh;                           // 56
    // RTT 10 ms: Reno's estimate (alpha per 10 ms) is far above the curve.
    for (uint64_t i = 0; i < 24; ++i)
        cubic().on_ack(s, ack_of(s.cwnd, 2'000'000 + i * 10'000, 10'000));
    // 56 + 24 alpha = 68.71 < 80: alpha throughout.
    CHECK(s.w_est == Approx(56 + 24 * kAlpha));
    CHECK(segments(s) == Approx(56 + 24 * kAlpha).margin(0.002));
}

// RFC 9438 §4.8: in the first congestion avoidance stage after a timeout,
// K = 0 and W_max is the window at the start of that stage.
TEST_CASE("CUBIC: after an RTO the first epoch has K = 0 and W_max = cwnd at its start "
          "(RFC 9438 §4.8)",
          "[tcp][sending][cubic]") {
    CongestionState s = state(100 * kMss, UINT32_MAX);
    cubic().init(s);
    congestion::on_timeout(cubic(), s, s.cwnd, 0);
    REQUIRE(s.cwnd == kMss);
    REQUIRE(s.ssthresh == 70 * kMss);
    s.cwnd = s.ssthresh;  // slow start back up to ssthresh
    cubic().on_ack(s, ack_of(s.cwnd, 1'000'000, 100'000));
    CHECK(s.k == 0);
    CHECK(s.origin == Approx(70.0));
}

// ---------------------------------------------------------------- HyStart++

namespace {

// Rounds of HyStart++ (RFC 9406 §4.2): round r acknowledges [r W, (r + 1) W)
// in kAcksPerRound ACKs, each sending as much new data as it acknowledged,
// so the round's end (SND.NXT at its start) is passed by round r + 1's first ACK.
constexpr uint32_t kAcksPerRound = 10;
constexpr uint32_t kWindow = kAcksPerRound * kMss;

struct Rounds {
    HyStartPlusPlus h;
    uint32_t round = 0;
    bool ended = false;
    // One round, every ACK with this RTT; returns the window growth per ACK.
    std::vector<uint32_t> run(uint64_t rtt_us, uint32_t acks = kAcksPerRound) {
        std::vector<uint32_t> grow;
        for (uint32_t i = 1; i <= acks; ++i) {
            uint32_t una = round * kWindow + i * kMss;
            grow.push_back(h.on_ack(kMss, rtt_us, Seq(una), Seq(una + kWindow), &ended));
        }
        ++round;
        return grow;
    }
};

std::vector<uint32_t> all(uint32_t n, uint32_t v) { return std::vector<uint32_t>(n, v); }

}  // namespace

TEST_CASE("HyStart++: slow start goes on while the rounds' minimum RTTs are flat "
          "(RFC 9406 §4.2)",
          "[tcp][sending][hystart]") {
    Rounds r;
    for (int i = 0; i < 5; ++i) {
        CHECK(r.run(100'000) == all(kAcksPerRound, kMss));
        CHECK_FALSE(r.h.in_css());
    }
    // Rises below the threshold (100 ms / 8 = 12.5 ms) do not count.
    CHECK(r.run(112'499) == all(kAcksPerRound, kMss));
    CHECK_FALSE(r.h.in_css());
    CHECK_FALSE(r.h.detected());
    CHECK_FALSE(r.ended);
}

TEST_CASE("HyStart++: a round's min RTT above the last by max(4 ms, min(last / 8, 16 ms)) "
          "after 8 samples enters CSS (RFC 9406 §4.2)",
          "[tcp][sending][hystart]") {
    struct Case {
        uint64_t last, thresh;
    };
    // last / 8 = 12.5 ms; 2.5 ms raised to 4 ms; 25 ms capped to 16 ms.
    auto c = GENERATE(Case{100'000, 12'500}, Case{20'000, 4'000}, Case{200'000, 16'000});
    INFO("last round min RTT " << c.last);
    Rounds below;
    below.run(c.last);
    below.run(c.last + c.thresh - 1);
    CHECK_FALSE(below.h.in_css());

    Rounds r;
    r.run(c.last);
    std::vector<uint32_t> grow = r.run(c.last + c.thresh);
    // Seven samples are not enough; the eighth decides, and CSS growth
    // (a quarter) applies from that ACK on.
    std::vector<uint32_t> expected = all(HyStartPlusPlus::kRttSamples - 1, kMss);
    expected.resize(kAcksPerRound, kMss / HyStartPlusPlus::kCssGrowthDivisor);
    CHECK(grow == expected);
    CHECK(r.h.in_css());
    CHECK(r.h.detected());
    CHECK_FALSE(r.ended);
}

TEST_CASE("HyStart++: without RTT samples a round decides nothing (RFC 9406 §4.2)",
          "[tcp][sending][hystart]") {
    Rounds none;
    none.run(100'000);
    CHECK(none.run(0) == all(kAcksPerRound, kMss));  // 0: no sample on these ACKs
    CHECK_FALSE(none.h.in_css());
    // A round with fewer than N_RTT_SAMPLE samples, however high.
    Rounds few;
    few.run(100'000);
    few.run(200'000, HyStartPlusPlus::kRttSamples - 1);
    CHECK_FALSE(few.h.in_css());
}

TEST_CASE("HyStart++: CSS grows by a quarter of what is acknowledged (RFC 9406 §4.2)",
          "[tcp][sending][hystart]") {
    Rounds r;
    r.run(100'000);
    r.run(120'000);
    REQUIRE(r.h.in_css());
    CHECK(r.run(120'000) == all(kAcksPerRound, kMss / 4));
    bool end = false;
    CHECK(r.h.on_ack(3 * kMss, 120'000, Seq(r.round * kWindow - 1), Seq(r.round * kWindow + kWindow),
                     &end) == 3 * kMss / 4);
}

TEST_CASE("HyStart++: a CSS round's min RTT below the baseline goes back to slow start "
          "(RFC 9406 §4.2)",
          "[tcp][sending][hystart]") {
    Rounds r;
    r.run(100'000);
    r.run(120'000);  // baseline: 120 ms
    REQUIRE(r.h.in_css());
    std::vector<uint32_t> grow = r.run(119'999);
    std::vector<uint32_t> expected = all(HyStartPlusPlus::kRttSamples - 1, kMss / 4);
    expected.resize(kAcksPerRound, kMss);
    CHECK(grow == expected);
    CHECK_FALSE(r.h.in_css());
    CHECK(r.h.detected());
    // Slow start with HyStart++ again: a new rise enters CSS again.
    r.run(119'999);
    r.run(140'000);
    CHECK(r.h.in_css());
}

TEST_CASE("HyStart++: after 5 CSS rounds slow start ends (RFC 9406 §4.2)",
          "[tcp][sending][hystart]") {
    Rounds r;
    r.run(100'000);
    r.run(120'000);  // CSS from its 8th ACK: this partial round counts
    for (uint32_t i = 1; i < HyStartPlusPlus::kCssRounds; ++i) {
        r.run(120'000);
        REQUIRE_FALSE(r.ended);
        REQUIRE(r.h.in_css());
    }
    // The first ACK past the fifth round's end: congestion avoidance.
    uint32_t una = r.round * kWindow + kMss;
    CHECK(r.h.on_ack(kMss, 120'000, Seq(una), Seq(una + kWindow), &r.ended) == 0);
    CHECK(r.ended);
}

TEST_CASE("HyStart++ in CUBIC: slow start grows at most L = 8 SMSS per ACK, and CSS's end "
          "sets ssthresh = cwnd (RFC 9406 §4.2, §4.3)",
          "[tcp][sending][hystart][cubic]") {
    CongestionState s = state(10 * kMss, UINT32_MAX);
    cubic().init(s);
    uint32_t round = 0;
    uint64_t now = 1'000'000;
    // One round of kAcksPerRound ACKs of acked bytes each, with this RTT.
    auto run = [&](uint64_t rtt_us, uint32_t acked = kMss) {
        for (uint32_t i = 1; i <= kAcksPerRound; ++i) {
            AckSample a = ack_of(acked, now += 1'000, 100'000);
            a.rtt_us = rtt_us;
            a.snd_una = Seq(round * kWindow + i * kMss);
            a.snd_nxt = a.snd_una + kWindow;
            cubic().on_ack(s, a);
        }
        ++round;
    };
    run(100'000, 20 * kMss);  // stretch ACKs: 8 SMSS each
    CHECK(s.cwnd == 10 * kMss + kAcksPerRound * 8 * kMss);
    run(100'000);
    CHECK(s.cwnd == 100 * kMss);
    run(120'000);  // CSS from the 8th ACK
    CHECK(s.cwnd == 100 * kMss + 7 * kMss + 3 * kMss / 4);
    REQUIRE(s.hystart.in_css());
    for (uint32_t i = 1; i < HyStartPlusPlus::kCssRounds; ++i)
        run(120'000);
    uint32_t before = s.cwnd;
    CHECK(before == 100 * kMss + 7 * kMss + 3 * kMss / 4 + 4 * kAcksPerRound * kMss / 4);
    REQUIRE(s.in_slow_start());
    run(120'000);  // its first ACK ends slow start
    CHECK(s.ssthresh == before);
    CHECK_FALSE(s.in_slow_start());
    CHECK(s.hystart.detected());
    CHECK(s.epoch_start_us != 0);  // congestion avoidance took that ACK
}
