// BBR (lib/tcp/bbr.cpp) and the delivery-rate samples that drive it
// (lib/tcp/delivery_rate.hpp), on a simulated path: a bottleneck of known
// rate and a known round-trip time, one ACK per segment, optionally a
// random loss rate. No engine, no packets: the test is the sender.
#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <random>

#include "lib/tcp/congestion.hpp"

using namespace tcpterm::tcp;

namespace {

constexpr uint32_t kMss = 1000;

struct InFlight {
    SentSegment seg;
    uint64_t arrives_us;  // when its ACK reaches the sender
    bool lost;
};

// A sender that always has data, on a path of `bw` bytes/us and `rtt_us`.
struct Path {
    Path(double bw_, uint64_t rtt_, double loss_ = 0) : bw(bw_), rtt_us(rtt_), loss(loss_) {
        s.mss = kMss;
        s.cwnd = 10 * kMss;
        ops.init(s);
    }

    const CongestionOps& ops = congestion_ops(CongestionAlgorithm::Bbr);
    double bw;
    uint64_t rtt_us;
    double loss;
    CongestionState s;
    DeliveryRate rate;
    std::deque<InFlight> flight;
    uint32_t in_flight = 0;
    uint64_t now = 0;
    uint64_t bottleneck_free_us = 0;
    uint32_t next_seq = 0;
    uint64_t delivered = 0;
    uint64_t recovery_until_us = 0;
    std::mt19937 rng{12345};

    void fill() {
        while (in_flight + kMss <= s.cwnd) {
            InFlight f{};
            f.seg.start = Seq(next_seq);
            f.seg.end = Seq(next_seq + kMss);
            f.seg.xmit_us = now;
            next_seq += kMss;
            rate.on_sent(f.seg, now, in_flight == 0);
            // Serialised at the bottleneck, then half an RTT each way.
            uint64_t leaves = std::max(now, bottleneck_free_us) + static_cast<uint64_t>(kMss / bw);
            bottleneck_free_us = leaves;
            f.arrives_us = leaves + rtt_us;
            f.lost = std::uniform_real_distribution<>(0, 1)(rng) < loss;
            flight.push_back(f);
            in_flight += kMss;
        }
    }

    // Runs until `until_us`: each ACK as it arrives, the window refilled.
    void run(uint64_t until_us) {
        fill();
        while (!flight.empty() && flight.front().arrives_us <= until_us) {
            InFlight f = flight.front();
            flight.pop_front();
            now = std::max(now, f.arrives_us);
            in_flight -= kMss;
            AckSample a;
            a.now_us = now;
            if (f.lost) {  // found when the next one's ACK arrives; a round of recovery
                a.newly_lost = kMss;
                recovery_until_us = now + rtt_us;
                continue;
            }
            rate.on_delivered(f.seg);
            a.rate = rate.take_sample(kMss, now, rtt_us);
            a.acked = kMss;
            a.rtt_us = now - f.seg.xmit_us;
            a.delivered_total = rate.delivered();
            a.in_flight = in_flight;
            a.in_recovery = now < recovery_until_us;
            ops.on_ack(s, a);
            delivered += kMss;
            fill();
        }
        now = until_us;
    }
    uint32_t bdp() const { return static_cast<uint32_t>(bw * rtt_us); }
};

}  // namespace

TEST_CASE("delivery rate: a flight of ten segments delivered over 1 ms measures 10 kB/ms",
          "[tcp][bbr]") {
    DeliveryRate r;
    std::vector<SentSegment> segs(10);
    for (uint32_t i = 0; i < 10; ++i) {
        segs[i].start = Seq(i * kMss);
        segs[i].end = Seq((i + 1) * kMss);
        segs[i].xmit_us = 0;
        r.on_sent(segs[i], 0, i == 0);
    }
    // The ACKs come back one every 100 us from t = 1000 us.
    RateSample last;
    for (uint32_t i = 0; i < 10; ++i) {
        r.on_delivered(segs[i]);
        last = r.take_sample(kMss, 1000 + 100 * (i + 1), 500);
    }
    // The last sample spans the whole flight: 10 kB over 2000 us (ack_elapsed).
    CHECK(last.delivered == 10 * kMss);
    CHECK(last.interval_us == 2000);
    CHECK(last.rate() == Approx(5.0));
    CHECK_FALSE(last.app_limited);
    CHECK(r.delivered() == 10 * kMss);
}

TEST_CASE("delivery rate: samples taken while the application had nothing to send are marked, "
          "until that flight is delivered", "[tcp][bbr]") {
    DeliveryRate r;
    SentSegment a{}, b{};
    a.start = Seq(0), a.end = Seq(kMss);
    r.on_app_limited(0);
    r.on_sent(a, 0, true);
    r.on_delivered(a);
    CHECK(r.take_sample(kMss, 1000, 100).app_limited);
    b.start = Seq(kMss), b.end = Seq(2 * kMss);
    r.on_sent(b, 1000, true);  // the app-limited phase ended with a's delivery
    r.on_delivered(b);
    CHECK_FALSE(r.take_sample(kMss, 2000, 100).app_limited);
}

TEST_CASE("BBR: on a clean path it measures the bottleneck and RTT, leaves Startup, and keeps "
          "about two BDPs in flight", "[tcp][bbr]") {
    Path p(125.0, 1000);  // 1 Gbit/s, 1 ms: BDP 125 kB
    p.run(2'000'000);
    const BbrState& b = p.s.bbr;
    CHECK(b.full_bw_reached);
    CHECK(b.mode == BbrState::Mode::ProbeBw);
    CHECK(b.bw() == Approx(125.0).epsilon(0.05));
    CHECK(b.min_rtt_us >= 1000);
    CHECK(b.min_rtt_us <= 1010);
    CHECK(p.s.cwnd >= 2 * p.bdp());
    CHECK(p.s.cwnd <= 3 * p.bdp() + 3 * 65535);
    CHECK(p.s.ssthresh == UINT32_MAX);  // never a loss-based threshold
    // Throughput: the bottleneck stays busy (1.8 s past Startup at 125 B/us).
    CHECK(p.delivered >= static_cast<uint64_t>(0.9 * 125.0 * 2'000'000));
}

TEST_CASE("BBR: 5 % random loss does not shrink the window the way a loss-based controller "
          "would; the path stays full", "[tcp][bbr]") {
    Path p(125.0, 1000, 0.05);
    p.run(2'000'000);
    CHECK(p.s.bbr.full_bw_reached);
    CHECK(p.s.cwnd >= p.bdp());
    CHECK(p.delivered >= static_cast<uint64_t>(0.8 * 0.95 * 125.0 * 2'000'000));
}

TEST_CASE("BBR: after ten seconds without a lower RTT sample, ProbeRTT holds four segments in "
          "flight for 200 ms, then the window comes back", "[tcp][bbr]") {
    Path p(12.5, 1000);  // 100 Mbit/s: fewer ACKs to simulate
    p.run(9'000'000);
    uint32_t before = p.s.cwnd;
    REQUIRE(p.s.bbr.mode == BbrState::Mode::ProbeBw);
    bool probed = false;
    uint64_t probing_us = 0;
    for (uint64_t t = 9'000'000; t < 12'000'000; t += 1000) {
        p.run(t);
        if (p.s.bbr.mode == BbrState::Mode::ProbeRtt) {
            probed = true;
            probing_us += 1000;
            CHECK(p.s.cwnd <= 4 * kMss);
        }
    }
    CHECK(probed);
    CHECK(probing_us >= 200'000);
    CHECK(probing_us <= 300'000);
    CHECK(p.s.bbr.mode == BbrState::Mode::ProbeBw);
    CHECK(p.s.cwnd >= before * 9 / 10);
}

TEST_CASE("BBR: a loss recovery sends only what left the network in its first round, and "
          "restores the window from before it at the end", "[tcp][bbr]") {
    Path p(125.0, 1000);
    p.run(1'000'000);
    uint32_t before = p.s.cwnd;
    p.ops.ssthresh_after_congestion(p.s, p.in_flight, p.now);  // the engine starts a recovery
    AckSample a;
    a.now_us = p.now + 10;
    a.acked = kMss;
    a.in_flight = before / 2;
    a.in_recovery = true;
    a.delivered_total = p.rate.delivered() + kMss;
    p.ops.on_ack(p.s, a);
    CHECK(p.s.cwnd == before / 2 + kMss);  // packet conservation
    a.in_recovery = false;
    a.now_us += 10;
    a.delivered_total += kMss;
    p.ops.on_ack(p.s, a);
    CHECK(p.s.cwnd >= before);
}
