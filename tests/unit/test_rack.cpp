// RACK loss detection (lib/tcp/rack.hpp, RFC 8985 §6) on a Scoreboard, with
// times given by the test: no packets, no clock.
#include <catch2/catch.hpp>

#include "lib/tcp/rack.hpp"

using namespace tcpterm::tcp;

namespace {

constexpr uint64_t kMinRtt = 50'000;
constexpr uint64_t kUnknown = UINT64_MAX;  // RttEstimator's min_rtt before a sample

// Four records of 1000 bytes, [0, 4000), sent at 1, 2, 3 and 4 ms.
Scoreboard four_sent() {
    Scoreboard sb;
    for (uint32_t i = 0; i < 4; ++i)
        sb.sent(Seq(i * 1000), 1000, false, 1000 * (i + 1));
    return sb;
}

// The peer SACKs [left, right) at now; RACK learns of each record delivered.
void sack(Scoreboard& sb, Rack& rack, uint32_t left, uint32_t right, uint64_t now,
          uint64_t min_rtt = kMinRtt, bool echo_older = false) {
    sb.sack(Seq(left), Seq(right),
            [&](const SentSegment& s) { rack.on_delivered(s, now, min_rtt, echo_older); });
}

void ack(Scoreboard& sb, Rack& rack, uint32_t una, uint64_t now, uint64_t min_rtt = kMinRtt,
         bool echo_older = false) {
    sb.acknowledge(Seq(una),
                   [&](const SentSegment& s) { rack.on_delivered(s, now, min_rtt, echo_older); });
}

}  // namespace

TEST_CASE("RACK: a segment sent before a delivered one is lost once RACK.rtt + reo_wnd has "
          "passed (RFC 8985 §6.2 step 5)",
          "[tcp][sending][rack]") {
    Scoreboard sb = four_sent();
    Rack rack;
    CHECK_FALSE(rack.has_delivery());
    CHECK(rack.detect_loss(sb, 10'000, 0) == 0);  // nothing delivered: nothing to judge

    // [1000, 2000), sent at 2 ms, is SACKed at 52 ms: RACK.rtt = 50 ms.
    sack(sb, rack, 1000, 2000, 52'000);
    CHECK(rack.has_delivery());
    CHECK(rack.rtt_us() == 50'000);

    constexpr uint64_t reo = 12'500;
    // [0, 1000) went out at 1 ms: due at 1 ms + 50 ms + 12.5 ms = 63.5 ms.
    // The records sent after the delivered one are not judged.
    CHECK(rack.detect_loss(sb, 52'000, reo) == 63'500 - 52'000);
    CHECK(sb.lost_bytes() == 0);
    CHECK(rack.detect_loss(sb, 63'499, reo) == 1);
    CHECK(sb.lost_bytes() == 0);
    CHECK(rack.detect_loss(sb, 63'500, reo) == 0);
    CHECK(sb.at(0).has(SentSegment::kLost));
    CHECK_FALSE(sb.at(2).has(SentSegment::kLost));
    CHECK_FALSE(sb.at(3).has(SentSegment::kLost));
    CHECK(sb.lost_bytes() == 1000);
    // Lost and waiting for its retransmission: not judged again.
    CHECK(rack.detect_loss(sb, 100'000, reo) == 0);
    CHECK(sb.lost_bytes() == 1000);
}

TEST_CASE("RACK: with no reordering window a segment is lost at RACK.rtt after it was sent "
          "(RFC 8985 §6.2 step 5)",
          "[tcp][sending][rack]") {
    Scoreboard sb = four_sent();
    Rack rack;
    sack(sb, rack, 2000, 3000, 53'000);  // sent at 3 ms: RACK.rtt = 50 ms
    // [0, 1000) due at 51 ms, [1000, 2000) at 52 ms: both past.
    CHECK(rack.detect_loss(sb, 53'000, 0) == 0);
    CHECK(sb.at(0).has(SentSegment::kLost));
    CHECK(sb.at(1).has(SentSegment::kLost));
    CHECK_FALSE(sb.at(3).has(SentSegment::kLost));
    CHECK(sb.lost_bytes() == 2000);
    CHECK(sb.pipe() == 4000 - 1000 - 2000);
}

TEST_CASE("RACK: reo_wnd is 0 in recovery or with DupThresh SACKed until reordering is seen, "
          "else min_RTT/4 capped by SRTT (RFC 8985 §6.2 step 4)",
          "[tcp][sending][rack]") {
    Rack rack;
    CHECK_FALSE(rack.reordering_seen());
    CHECK(rack.reo_wnd(false, 0, 40'000, 100'000) == 40'000 / 4);
    CHECK(rack.reo_wnd(false, Rack::kDupThresh - 1, 40'000, 100'000) == 40'000 / 4);
    CHECK(rack.reo_wnd(true, 0, 40'000, 100'000) == 0);
    CHECK(rack.reo_wnd(false, Rack::kDupThresh, 40'000, 100'000) == 0);
    CHECK(rack.reo_wnd(false, 0, 40'000, 8'000) == 8'000);  // capped by SRTT
    CHECK(rack.reo_wnd(false, 0, kUnknown, 100'000) == 0);  // no RTT sample yet

    // Reordering seen: the window applies in recovery too.
    Scoreboard sb = four_sent();
    sack(sb, rack, 2000, 3000, 60'000);
    ack(sb, rack, 1000, 61'000);  // [0, 1000), never retransmitted, below RACK.fack
    REQUIRE(rack.reordering_seen());
    CHECK(rack.reo_wnd(true, 0, 40'000, 100'000) == 40'000 / 4);
    CHECK(rack.reo_wnd(false, Rack::kDupThresh, 40'000, 100'000) == 40'000 / 4);
}

TEST_CASE("RACK: a never-retransmitted segment delivered below RACK.fack is reordering "
          "(RFC 8985 §6.2 step 3)",
          "[tcp][sending][rack]") {
    Scoreboard sb = four_sent();
    Rack rack;
    SECTION("delivered below a SACKed record: reordering") {
        ack(sb, rack, 1000, 51'000);
        sack(sb, rack, 2000, 3000, 53'000);
        ack(sb, rack, 2000, 54'000);  // [1000, 2000) is below the SACKed block's end
        CHECK(rack.reordering_seen());
    }
    SECTION("strictly in order: no reordering") {
        ack(sb, rack, 1000, 51'000);
        ack(sb, rack, 2000, 52'000);
        sack(sb, rack, 3000, 4000, 54'000);
        CHECK_FALSE(rack.reordering_seen());
    }
    SECTION("a retransmitted segment below RACK.fack: not reordering") {
        sack(sb, rack, 1000, 2000, 52'000);
        sb.mark_lost(sb.at(0));
        sb.retransmitted(sb.at(0), 60'000);
        ack(sb, rack, 1000, 110'000);
        CHECK_FALSE(rack.reordering_seen());
    }
}

TEST_CASE("RACK: an ACK for an earlier copy of a retransmitted segment gives no RTT "
          "(RFC 8985 §6.2 step 2)",
          "[tcp][sending][rack]") {
    Scoreboard sb = four_sent();
    Rack rack;
    sb.mark_lost(sb.at(0));
    sb.retransmitted(sb.at(0), 200'000);
    SECTION("the echoed timestamp predates the retransmission") {
        ack(sb, rack, 1000, 260'000, kMinRtt, true);
        CHECK_FALSE(rack.has_delivery());
        CHECK(rack.rtt_us() == 0);
    }
    SECTION("the RTT would be below min_RTT") {
        ack(sb, rack, 1000, 210'000, kMinRtt, false);  // 10 ms < 50 ms
        CHECK_FALSE(rack.has_delivery());
        CHECK(rack.rtt_us() == 0);
    }
    SECTION("no RTT sample at all yet: min_RTT unknown") {
        ack(sb, rack, 1000, 260'000, kUnknown, false);
        CHECK_FALSE(rack.has_delivery());
    }
    SECTION("plausible: the retransmission's RTT counts") {
        ack(sb, rack, 1000, 260'000, kMinRtt, false);
        CHECK(rack.has_delivery());
        CHECK(rack.rtt_us() == 60'000);
    }
}

TEST_CASE("RACK: a retransmission that is lost again is detected (RFC 8985 §6.2 step 5, "
          "§3.3.3)",
          "[tcp][sending][rack]") {
    Scoreboard sb = four_sent();
    Rack rack;
    sack(sb, rack, 1000, 2000, 52'000);            // RACK.rtt 50 ms, xmit_ts 2 ms
    CHECK(rack.detect_loss(sb, 52'000, 0) == 0);  // [0, 1000): due at 51 ms
    REQUIRE(sb.at(0).has(SentSegment::kLost));
    sb.retransmitted(sb.at(0), 60'000);
    sb.sent(Seq(4000), 1000, false, 70'000);
    CHECK(sb.pipe() == 5000 - 1000 - 1000 + 1000);

    // Sent after the newest delivery: the retransmission is not judged yet.
    CHECK(rack.detect_loss(sb, 115'000, 0) == 0);
    CHECK(sb.at(0).has(SentSegment::kRetransOut));

    // [4000, 5000), sent at 70 ms, is SACKed at 120 ms: the retransmission
    // went out before it and 60 + 50 ms have passed. [2000, 4000) too.
    sack(sb, rack, 4000, 5000, 120'000);
    CHECK(rack.rtt_us() == 50'000);
    CHECK(rack.detect_loss(sb, 120'000, 0) == 0);
    CHECK_FALSE(sb.at(0).has(SentSegment::kRetransOut));
    CHECK(sb.at(0).has(SentSegment::kLost));
    CHECK(sb.at(2).has(SentSegment::kLost));
    CHECK(sb.at(3).has(SentSegment::kLost));
    CHECK(sb.next_lost() == &sb.at(0));
    CHECK(sb.lost_bytes() == 3000);
    CHECK(sb.pipe() == 5000 - 2000 - 3000);
}

TEST_CASE("RACK: a retransmission not yet due gives the timeout until it is (RFC 8985 §6.2 "
          "step 5)",
          "[tcp][sending][rack]") {
    Scoreboard sb = four_sent();
    Rack rack;
    sack(sb, rack, 1000, 2000, 52'000);
    rack.detect_loss(sb, 52'000, 0);
    sb.retransmitted(sb.at(0), 60'000);
    sb.sent(Seq(4000), 1000, false, 70'000);
    sack(sb, rack, 4000, 5000, 100'000);  // RACK.rtt = 30 ms
    // The retransmission (60 ms) is due at 60 + 30 + 5 = 95 ms: lost; [2000,
    // 3000) and [3000, 4000) at 38 and 39 ms: lost.
    CHECK(rack.detect_loss(sb, 100'000, 5'000) == 0);
    CHECK(sb.lost_bytes() == 3000);
    sb.retransmitted(sb.at(0), 101'000);
    sb.sent(Seq(5000), 1000, false, 102'000);
    sack(sb, rack, 5000, 6000, 132'000);  // RACK.rtt 30 ms, xmit_ts 102 ms
    // The new retransmission (101 ms) is due at 101 + 30 + 5 = 136 ms.
    CHECK(rack.detect_loss(sb, 132'000, 5'000) == 136'000 - 132'000);
    CHECK(sb.at(0).has(SentSegment::kRetransOut));
}

TEST_CASE("RACK: a D-SACK widens reo_wnd once per round trip and 16 recoveries narrow it "
          "back (RFC 8985 §6.2 step 4)",
          "[tcp][sending][rack]") {
    Rack rack;
    constexpr uint64_t min_rtt = 40'000, srtt = 1'000'000;
    const uint64_t base = min_rtt / 4;
    CHECK(rack.reo_wnd(false, 0, min_rtt, srtt) == base);

    rack.on_dsack(Seq(0), Seq(10'000));  // RACK.dsack_round = SND.NXT = 10000
    CHECK(rack.reo_wnd(false, 0, min_rtt, srtt) == 2 * base);
    rack.on_dsack(Seq(5'000), Seq(20'000));  // same round: no change
    CHECK(rack.reo_wnd(false, 0, min_rtt, srtt) == 2 * base);
    rack.on_ack(Seq(10'000));  // the round is over
    rack.on_dsack(Seq(10'000), Seq(30'000));
    CHECK(rack.reo_wnd(false, 0, min_rtt, srtt) == 3 * base);
    CHECK(rack.reo_wnd(false, 0, min_rtt, 25'000) == 25'000);  // still capped by SRTT

    for (uint32_t i = 1; i < Rack::kReoWndPersist; ++i)
        rack.on_recovery_exit();
    CHECK(rack.reo_wnd(false, 0, min_rtt, srtt) == 3 * base);
    rack.on_recovery_exit();  // the 16th
    CHECK(rack.reo_wnd(false, 0, min_rtt, srtt) == base);
    rack.on_recovery_exit();
    CHECK(rack.reo_wnd(false, 0, min_rtt, srtt) == base);
}
