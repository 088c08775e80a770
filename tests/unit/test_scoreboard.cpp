// The sender's scoreboard (lib/tcp/scoreboard.hpp) as a value type: records,
// cumulative ACKs, SACK blocks, lost marks and pipe, with no packets.
#include <catch2/catch.hpp>

#include <vector>

#include "lib/tcp/scoreboard.hpp"

using namespace tcpterm::tcp;

namespace {

constexpr uint32_t kSeg = 1000;

// A callback for records nobody needs to see.
constexpr auto none = [](const SentSegment&) {};

// Records the start of every record a callback is called for.
struct Seen {
    std::vector<uint32_t> starts;
    auto fn() {
        return [this](const SentSegment& s) { starts.push_back(s.start.v); };
    }
};

// n records of kSeg bytes from `first`, the i-th sent at time 1000 * (i + 1).
Scoreboard board(uint32_t n, Seq first = Seq(0)) {
    Scoreboard sb;
    for (uint32_t i = 0; i < n; ++i)
        sb.sent(first + i * kSeg, kSeg, false, 1000 * (i + 1));
    return sb;
}

// The RFC 6675 §4 SetPipe sum, from the scoreboard's own counters.
uint32_t expected_pipe(const Scoreboard& sb) {
    return sb.outstanding() - sb.sacked_bytes() - sb.lost_bytes();
}

}  // namespace

TEST_CASE("scoreboard: one record per segment sent, in sequence order (RFC 6675 §3)",
          "[tcp][sending][scoreboard]") {
    Scoreboard sb;
    CHECK(sb.empty());
    sb.sent(Seq(1000), 1000, false, 10);
    sb.sent(Seq(2000), 1000, false, 20);
    sb.sent(Seq(3000), 500, false, 30);
    sb.sent(Seq(3500), 0, false, 40);  // nothing: no byte and no FIN
    REQUIRE(sb.size() == 3);
    CHECK(sb.at(0).start == Seq(1000));
    CHECK(sb.at(0).end == Seq(2000));
    CHECK(sb.at(0).xmit_us == 10);
    CHECK(sb.at(1).start == Seq(2000));
    CHECK(sb.at(1).xmit_us == 20);
    CHECK(sb.at(2).length() == 500);
    CHECK(sb.at(2).flags == 0);
    CHECK(sb.outstanding() == 2500);
    CHECK(sb.pipe() == 2500);
    CHECK(sb.highest_sacked() == Seq(1000));  // nothing SACKed: the first start
    CHECK(sb.find(Seq(1999)) == 0);
    CHECK(sb.find(Seq(2000)) == 1);
    CHECK(sb.find(Seq(3499)) == 2);
    CHECK(sb.find(Seq(3500)) == 3);
}

TEST_CASE("scoreboard: a cumulative ACK removes the records below SND.UNA and trims a partly "
          "acknowledged one (RFC 6675 §4)",
          "[tcp][sending][scoreboard]") {
    Scoreboard sb = board(3, Seq(1000));
    Seen acked;
    CHECK(sb.acknowledge(Seq(2000), acked.fn()) == 1000);
    CHECK(acked.starts == std::vector<uint32_t>{1000});
    REQUIRE(sb.size() == 2);
    CHECK(sb.outstanding() == 2000);

    // Half of [2000, 3000): trimmed, not removed, no callback.
    CHECK(sb.acknowledge(Seq(2500), acked.fn()) == 500);
    CHECK(acked.starts.size() == 1);
    REQUIRE(sb.size() == 2);
    CHECK(sb.front().start == Seq(2500));
    CHECK(sb.front().length() == 500);
    CHECK(sb.outstanding() == 1500);
    CHECK(sb.pipe() == 1500);
    CHECK(sb.highest_sacked() == Seq(2500));

    // An old ACK changes nothing.
    CHECK(sb.acknowledge(Seq(2000), acked.fn()) == 0);
    CHECK(sb.outstanding() == 1500);

    CHECK(sb.acknowledge(Seq(4000), acked.fn()) == 1500);
    CHECK(acked.starts == std::vector<uint32_t>{1000, 2500, 3000});
    CHECK(sb.empty());
    CHECK(sb.outstanding() == 0);
    CHECK(sb.pipe() == 0);
}

TEST_CASE("scoreboard: a SACK block marks only the records it covers whole (RFC 6675 §4, "
          "RFC 2018 §4)",
          "[tcp][sending][scoreboard]") {
    Scoreboard sb = board(5, Seq(1000));  // [1000, 6000)
    Seen sacked;
    // [2500, 4000): [2000, 3000) is covered in part only.
    CHECK(sb.sack(Seq(2500), Seq(4000), sacked.fn()) == 1000);
    CHECK(sacked.starts == std::vector<uint32_t>{3000});
    CHECK_FALSE(sb.at(1).has(SentSegment::kSacked));
    CHECK(sb.at(2).has(SentSegment::kSacked));
    CHECK(sb.sacked_bytes() == 1000);
    CHECK(sb.sacked_segments() == 1);
    CHECK(sb.highest_sacked() == Seq(4000));
    CHECK(sb.pipe() == 4000);

    // The same block again: known already.
    CHECK(sb.sack(Seq(2500), Seq(4000), sacked.fn()) == 0);
    CHECK(sacked.starts.size() == 1);

    CHECK(sb.sack(Seq(4000), Seq(6000), sacked.fn()) == 2000);
    CHECK(sacked.starts == std::vector<uint32_t>{3000, 4000, 5000});
    CHECK(sb.highest_sacked() == Seq(6000));
    CHECK(sb.sacked_segments() == 3);
    CHECK(sb.pipe() == 2000);

    // A cumulative ACK over SACKed records counts only the bytes not SACKed.
    Seen acked;
    CHECK(sb.acknowledge(Seq(5000), acked.fn()) == 2000);
    CHECK(acked.starts == std::vector<uint32_t>{1000, 2000});
    CHECK(sb.sacked_bytes() == 1000);
    CHECK(sb.sacked_segments() == 1);
    CHECK(sb.outstanding() == 1000);
    CHECK(sb.pipe() == 0);
}

TEST_CASE("scoreboard: a block reported once stays marked while later ACKs report others "
          "(RFC 6675 §4)",
          "[tcp][sending][scoreboard]") {
    Scoreboard sb = board(10, Seq(1000));  // [1000, 11000)
    // Three ACKs, each with one (different) block: a receiver reports the
    // most recent blocks first and may leave older ones out (RFC 2018 §4).
    CHECK(sb.sack(Seq(3000), Seq(4000), none) == 1000);
    CHECK(sb.sack(Seq(5000), Seq(6000), none) == 1000);
    CHECK(sb.sack(Seq(7000), Seq(8000), none) == 1000);
    CHECK(sb.at(2).has(SentSegment::kSacked));
    CHECK(sb.at(4).has(SentSegment::kSacked));
    CHECK(sb.at(6).has(SentSegment::kSacked));
    CHECK(sb.sacked_bytes() == 3000);
    CHECK(sb.sacked_segments() == 3);
    CHECK(sb.highest_sacked() == Seq(8000));
    CHECK(sb.pipe() == 7000);

    // SND.UNA passes the first block: the others stay.
    CHECK(sb.acknowledge(Seq(4000), none) == 2000);
    CHECK(sb.sacked_bytes() == 2000);
    CHECK(sb.sacked_segments() == 2);
    CHECK(sb.outstanding() == 7000);
    CHECK(sb.pipe() == 5000);
    CHECK(sb.highest_sacked() == Seq(8000));
    CHECK(sb.at(1).has(SentSegment::kSacked));  // [5000, 6000)
    CHECK(sb.at(3).has(SentSegment::kSacked));  // [7000, 8000)
}

TEST_CASE("scoreboard: pipe = outstanding - SACKed - lost + retransmitted after lost "
          "(RFC 6675 §4 SetPipe)",
          "[tcp][sending][scoreboard]") {
    Scoreboard sb = board(10);  // [0, 10000)
    CHECK(sb.pipe() == 10000);

    sb.sack(Seq(3000), Seq(5000), none);
    CHECK(sb.pipe() == 10000 - 2000);

    sb.mark_lost(sb.at(0));
    sb.mark_lost(sb.at(1));
    CHECK(sb.lost_bytes() == 2000);
    CHECK(sb.pipe() == 10000 - 2000 - 2000);
    CHECK(sb.pipe() == expected_pipe(sb));
    CHECK(sb.next_lost() == &sb.at(0));

    sb.retransmitted(sb.at(0), 50'000);
    CHECK(sb.at(0).has(SentSegment::kRetransOut));
    CHECK(sb.at(0).has(SentSegment::kRetransmitted));
    CHECK(sb.at(0).xmit_us == 50'000);
    CHECK(sb.at(0).episode_retrans == 1);
    CHECK(sb.pipe() == 10000 - 2000 - 2000 + 1000);
    CHECK(sb.next_lost() == &sb.at(1));

    sb.retransmitted(sb.at(1), 51'000);
    CHECK(sb.pipe() == 10000 - 2000 - 2000 + 2000);
    CHECK(sb.next_lost() == nullptr);

    // The retransmission of [0, 1000) is lost too: it leaves the pipe and
    // is the next to send again.
    sb.mark_lost(sb.at(0));
    CHECK_FALSE(sb.at(0).has(SentSegment::kRetransOut));
    CHECK(sb.at(0).has(SentSegment::kRetransmitted));
    CHECK(sb.lost_bytes() == 2000);
    CHECK(sb.pipe() == 10000 - 2000 - 2000 + 1000);
    CHECK(sb.next_lost() == &sb.at(0));
    sb.retransmitted(sb.at(0), 90'000);
    CHECK(sb.at(0).episode_retrans == 2);
    CHECK(sb.pipe() == 10000 - 2000 - 2000 + 2000);

    // The retransmission of [1000, 2000) arrives (SACKed): neither lost nor
    // retransmitted-out any more.
    CHECK(sb.sack(Seq(1000), Seq(2000), none) == 1000);
    CHECK(sb.sacked_bytes() == 3000);
    CHECK(sb.lost_bytes() == 1000);
    CHECK(sb.pipe() == 10000 - 3000 - 1000 + 1000);

    // A SACKed record cannot be lost.
    sb.mark_lost(sb.at(3));
    CHECK(sb.lost_bytes() == 1000);

    // SND.UNA passes the lost and retransmitted [0, 1000).
    CHECK(sb.acknowledge(Seq(1000), none) == 1000);
    CHECK(sb.outstanding() == 9000);
    CHECK(sb.lost_bytes() == 0);
    CHECK(sb.pipe() == 9000 - 3000);
}

TEST_CASE("scoreboard: a partly acknowledged lost record keeps its sums right (RFC 6675 §4)",
          "[tcp][sending][scoreboard]") {
    Scoreboard sb = board(2);
    sb.mark_lost(sb.at(0));
    sb.retransmitted(sb.at(0), 10'000);
    CHECK(sb.pipe() == 2000);
    CHECK(sb.acknowledge(Seq(400), none) == 400);
    CHECK(sb.lost_bytes() == 600);
    CHECK(sb.outstanding() == 1600);
    CHECK(sb.pipe() == 1600);
    CHECK(sb.acknowledge(Seq(1000), none) == 600);
    CHECK(sb.lost_bytes() == 0);
    CHECK(sb.pipe() == 1000);
}

TEST_CASE("scoreboard: after an RTO every record not SACKed is lost, resent in order "
          "(RFC 6675 §5.1, RFC 6298 (5.4))",
          "[tcp][sending][scoreboard]") {
    Scoreboard sb = board(5);  // [0, 5000)
    sb.sack(Seq(2000), Seq(3000), none);
    sb.mark_lost(sb.at(0));
    sb.retransmitted(sb.at(0), 10'000);
    CHECK(sb.pipe() == 5000 - 1000 - 1000 + 1000);

    sb.mark_all_lost();
    CHECK_FALSE(sb.at(2).has(SentSegment::kLost));
    CHECK(sb.at(2).has(SentSegment::kSacked));
    CHECK_FALSE(sb.at(0).has(SentSegment::kRetransOut));  // its retransmission too
    CHECK(sb.lost_bytes() == 4000);
    CHECK(sb.sacked_bytes() == 1000);
    CHECK(sb.pipe() == 0);

    // NextSeg: the lost records in sequence order, the SACKed one skipped.
    std::vector<uint32_t> order;
    std::vector<uint32_t> pipes;
    uint64_t now = 20'000;
    while (SentSegment* s = sb.next_lost()) {
        order.push_back(s->start.v);
        sb.retransmitted(*s, now++);
        pipes.push_back(sb.pipe());
    }
    CHECK(order == std::vector<uint32_t>{0, 1000, 3000, 4000});
    CHECK(pipes == std::vector<uint32_t>{1000, 2000, 3000, 4000});
}

TEST_CASE("scoreboard: clear_lost forgets the losses not yet retransmitted (D-SACK undo, "
          "RFC 2883 §4)",
          "[tcp][sending][scoreboard]") {
    Scoreboard sb = board(4);
    sb.mark_all_lost();
    sb.retransmitted(sb.at(0), 10'000);
    CHECK(sb.pipe() == 1000);
    sb.clear_lost();
    CHECK(sb.at(0).has(SentSegment::kLost));  // retransmitted: stays accounted
    CHECK(sb.at(0).has(SentSegment::kRetransOut));
    for (uint32_t i = 1; i < 4; ++i)
        CHECK_FALSE(sb.at(i).has(SentSegment::kLost));
    CHECK(sb.lost_bytes() == 1000);
    CHECK(sb.pipe() == 4000);
    CHECK(sb.next_lost() == nullptr);
}

TEST_CASE("scoreboard: a reneging receiver's SACKs are forgotten (RFC 2018 §8)",
          "[tcp][sending][scoreboard]") {
    Scoreboard sb = board(4);
    sb.sack(Seq(1000), Seq(3000), none);
    CHECK(sb.pipe() == 2000);
    sb.clear_sacks();
    CHECK(sb.sacked_bytes() == 0);
    CHECK(sb.sacked_segments() == 0);
    CHECK_FALSE(sb.any_sacked());
    CHECK(sb.highest_sacked() == Seq(0));
    CHECK(sb.pipe() == 4000);
}

TEST_CASE("scoreboard: a FIN takes one sequence number in its record (RFC 9293 §3.4)",
          "[tcp][sending][scoreboard]") {
    Scoreboard sb;
    sb.sent(Seq(1000), 500, true, 10);
    REQUIRE(sb.size() == 1);
    CHECK(sb.at(0).has(SentSegment::kFin));
    CHECK(sb.at(0).length() == 501);
    CHECK(sb.at(0).payload() == 500);
    CHECK(sb.outstanding() == 501);

    Scoreboard bare;  // a FIN alone
    bare.sent(Seq(1000), 500, false, 10);
    bare.sent(Seq(1500), 0, true, 20);
    REQUIRE(bare.size() == 2);
    CHECK(bare.at(1).length() == 1);
    CHECK(bare.at(1).payload() == 0);
    CHECK(bare.acknowledge(Seq(1500), none) == 500);
    CHECK(bare.size() == 1);
    CHECK(bare.acknowledge(Seq(1501), none) == 1);
    CHECK(bare.empty());
    CHECK(bare.pipe() == 0);
}

TEST_CASE("scoreboard: grows past 64 records, in order across the ring's wrap",
          "[tcp][sending][scoreboard]") {
    Scoreboard sb = board(100);
    CHECK(sb.acknowledge(Seq(30 * kSeg), none) == 30 * kSeg);
    for (uint32_t i = 100; i < 200; ++i)  // the head is not at slot 0 now
        sb.sent(Seq(i * kSeg), kSeg, false, 1000 * (i + 1));
    REQUIRE(sb.size() == 170);
    bool in_order = true;
    for (uint32_t i = 0; i < sb.size(); ++i)
        in_order = in_order && sb.at(i).start == Seq((30 + i) * kSeg) && sb.at(i).length() == kSeg &&
                   sb.at(i).xmit_us == 1000 * (31 + i);
    CHECK(in_order);
    CHECK(sb.outstanding() == 170 * kSeg);
    CHECK(sb.find(Seq(150 * kSeg)) == 120);
}

TEST_CASE("scoreboard: beyond kMaxRecords new data extends the last record",
          "[tcp][sending][scoreboard]") {
    constexpr uint32_t kMax = Scoreboard::kMaxRecords;
    Scoreboard sb;
    for (uint32_t i = 0; i < kMax + 10; ++i)
        sb.sent(Seq(i * 100), 100, false, i + 1);
    CHECK(sb.size() == kMax);
    CHECK(sb.outstanding() == (kMax + 10) * 100);
    CHECK(sb.back().start == Seq((kMax - 1) * 100));
    CHECK(sb.back().end == Seq((kMax + 10) * 100));
    CHECK(sb.back().xmit_us == kMax + 10);
    sb.sent(Seq((kMax + 10) * 100), 0, true, kMax + 11);
    CHECK(sb.back().has(SentSegment::kFin));
    CHECK(sb.back().end == Seq((kMax + 10) * 100 + 1));
    CHECK(sb.size() == kMax);
    CHECK(sb.pipe() == (kMax + 10) * 100 + 1);
}

// The record extended at the cap cannot keep its marks: they would claim
// bytes the peer never SACKed or that were never lost, and removing the
// record would take more out of the sums than went in. It forgets them (at
// worst the old bytes are resent) and the sums stay exact.
TEST_CASE("scoreboard: extending a marked last record at kMaxRecords keeps pipe right "
          "(RFC 6675 §4 SetPipe)",
          "[tcp][sending][scoreboard]") {
    constexpr uint32_t kMax = Scoreboard::kMaxRecords;
    Scoreboard sb;
    for (uint32_t i = 0; i < kMax; ++i)
        sb.sent(Seq(i * 100), 100, false, i + 1);
    uint32_t total = kMax * 100;
    SECTION("SACKed") {
        CHECK(sb.sack(Seq(total - 100), Seq(total), none) == 100);
        sb.sent(Seq(total), 100, false, kMax + 1);  // new data: not SACKed
        CHECK(sb.sacked_bytes() == 0);
        CHECK_FALSE(sb.back().has(SentSegment::kSacked));
        CHECK(sb.pipe() == total + 100);
        // Every byte, the formerly SACKed ones too, is delivered by the cumulative ACK.
        CHECK(sb.acknowledge(Seq(total + 100), none) == total + 100);
    }
    SECTION("lost") {
        sb.mark_lost(sb.back());
        sb.sent(Seq(total), 100, false, kMax + 1);  // new data: not lost
        CHECK(sb.lost_bytes() == 0);
        CHECK(sb.pipe() == total + 100);
        sb.acknowledge(Seq(total + 100), none);
    }
    CHECK(sb.empty());
    CHECK(sb.sacked_bytes() == 0);
    CHECK(sb.lost_bytes() == 0);
    CHECK(sb.pipe() == 0);
}

TEST_CASE("scoreboard: sequence numbers wrap around 2^32 (RFC 9293 §3.4)",
          "[tcp][sending][scoreboard]") {
    Scoreboard sb = board(4, Seq(0u - 2 * kSeg));  // [2^32 - 2000, 2000)
    CHECK(sb.at(2).start == Seq(0));
    CHECK(sb.outstanding() == 4000);
    CHECK(sb.find(Seq(0)) == 2);
    CHECK(sb.find(Seq(0u - 1)) == 1);
    // One block across the wrap covers [2^32 - 1000, 1000).
    CHECK(sb.sack(Seq(0u - kSeg), Seq(kSeg), none) == 2000);
    CHECK(sb.highest_sacked() == Seq(kSeg));
    CHECK(sb.pipe() == 2000);
    CHECK(sb.acknowledge(Seq(0), none) == 1000);  // only the record not SACKed counts
    REQUIRE(sb.size() == 2);
    CHECK(sb.front().start == Seq(0));
    CHECK(sb.pipe() == 1000);
    CHECK(sb.acknowledge(Seq(2 * kSeg), none) == 1000);
    CHECK(sb.empty());
}
