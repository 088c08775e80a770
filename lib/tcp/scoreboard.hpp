// The sender's scoreboard: one record per segment sent and not yet
// cumulatively acknowledged, in sequence order, with what the peer's SACK
// blocks said of it (RFC 6675 §3) and when it last went out (RFC 8985's
// per-segment transmit time). Every block the peer ever reported stays
// marked until SND.UNA passes it, so loss recovery never resends data the
// peer holds. A value type: no packets, no clock of its own.
#pragma once

#include <cstdint>
#include <vector>

#include "lib/tcp/seq.hpp"

namespace tcpterm::tcp {

struct SentSegment {
    enum Flag : uint8_t {
        kSacked = 1,          // a SACK block covered it
        kLost = 2,            // presumed lost (RACK, DupThresh or RTO): to retransmit
        kRetransOut = 4,      // retransmitted since it was marked lost
        kRetransmitted = 8,   // retransmitted at least once (Karn: no RTT sample)
        kFin = 16,            // end includes our FIN
        kAppLimited = 32,     // sent while the sender was application-limited
    };
    Seq start, end;           // end is one past the last byte (and the FIN)
    uint64_t xmit_us = 0;     // its latest (re)transmission
    // The connection's delivery state when it last went out
    // (delivery_rate.hpp): bytes delivered, when, and when the flight
    // that was being timed started.
    uint64_t delivered = 0;
    uint64_t delivered_us = 0;
    uint64_t first_sent_us = 0;
    uint8_t flags = 0;
    uint8_t episode_retrans = 0;  // retransmissions in the current recovery (D-SACK undo)

    bool has(Flag f) const { return (flags & f) != 0; }
    uint32_t length() const { return static_cast<uint32_t>(end - start); }
    // Payload bytes: the FIN takes a sequence number but no byte.
    uint32_t payload() const { return length() - (has(kFin) ? 1u : 0u); }
};

class Scoreboard {
public:
    // Beyond this many records new data extends the last one: the timing
    // of tiny writes gets coarser, memory stays bounded.
    static constexpr uint32_t kMaxRecords = 4096;

    bool empty() const { return count_ == 0; }
    uint32_t size() const { return count_; }
    SentSegment& at(uint32_t i) { return ring_[(head_ + i) & mask_]; }
    const SentSegment& at(uint32_t i) const { return ring_[(head_ + i) & mask_]; }
    SentSegment& front() { return at(0); }
    SentSegment& back() { return at(count_ - 1); }

    // New data [start, start + len) (and a FIN after it) went out at now.
    void sent(Seq start, uint32_t len, bool fin, uint64_t now_us);
    // A record went out again at now.
    void retransmitted(SentSegment& s, uint64_t now_us);

    // SND.UNA moved to una: records below it leave (a partly acknowledged
    // one is trimmed). on_acked(record) runs for each record that leaves and
    // had not been SACKed; returns the bytes newly acknowledged that way.
    template <typename F>
    uint32_t acknowledge(Seq una, F&& on_acked);
    // One SACK block: records it covers whole are marked; on_sacked(record)
    // runs for each newly marked one. Returns the bytes newly SACKed.
    template <typename F>
    uint32_t sack(Seq left, Seq right, F&& on_sacked);

    void mark_lost(SentSegment& s);
    // RTO: every record the peer has not SACKed is presumed lost.
    void mark_all_lost();
    // The losses were reordering after all: nothing marked lost and not yet
    // retransmitted is resent.
    void clear_lost();
    // A reneging receiver (RFC 2018 §8) or a reset scoreboard: forget SACKs.
    void clear_sacks();
    void clear();

    // The first record to retransmit (lost, not retransmitted since), or
    // nullptr: RFC 6675 NextSeg rule 1 in its RACK form.
    SentSegment* next_lost();
    // The index of the first record with end > seq (size() if none).
    uint32_t find(Seq seq) const;

    // RFC 6675 pipe, in bytes: what is presumed still in the network.
    uint32_t pipe() const { return out_ - sacked_ - lost_ + retrans_out_; }
    uint32_t outstanding() const { return out_; }
    uint32_t sacked_bytes() const { return sacked_; }
    uint32_t lost_bytes() const { return lost_; }
    // Whether something presumed lost still waits for its retransmission:
    // a loss no recovery has answered yet.
    bool has_unrepaired_loss() const { return lost_ > retrans_out_; }
    uint32_t sacked_segments() const { return sacked_segments_; }
    // The highest sequence number the peer has SACKed (RFC 6675 HighSACK +1;
    // RACK.fack), or the first record's start when nothing is SACKed.
    Seq highest_sacked() const { return high_sacked_; }
    bool any_sacked() const { return sacked_segments_ > 0; }

private:
    void grow();
    void pop_front();
    void unmark(SentSegment& s);  // takes s out of the sacked/lost/retrans sums

    std::vector<SentSegment> ring_;
    uint32_t head_ = 0;
    uint32_t count_ = 0;
    uint32_t mask_ = 0;
    uint32_t out_ = 0;            // sequence space the records span
    uint32_t sacked_ = 0;
    uint32_t lost_ = 0;           // lost and not SACKed
    uint32_t retrans_out_ = 0;    // lost, retransmitted, not SACKed
    uint32_t sacked_segments_ = 0;
    Seq high_sacked_;
};

template <typename F>
uint32_t Scoreboard::acknowledge(Seq una, F&& on_acked) {
    uint32_t acked = 0;
    while (count_ > 0 && front().end <= una) {
        SentSegment& s = front();
        if (!s.has(SentSegment::kSacked)) {
            acked += s.length();
            on_acked(s);
        }
        pop_front();
    }
    if (count_ > 0 && front().start < una) {  // partly acknowledged
        SentSegment& s = front();
        uint32_t cut = static_cast<uint32_t>(una - s.start);
        if (!s.has(SentSegment::kSacked))
            acked += cut;
        out_ -= cut;
        if (s.has(SentSegment::kSacked))
            sacked_ -= cut;
        else if (s.has(SentSegment::kLost)) {
            lost_ -= cut;
            if (s.has(SentSegment::kRetransOut))
                retrans_out_ -= cut;
        }
        s.start = una;
    }
    if (count_ == 0 || high_sacked_ < front().start)
        high_sacked_ = count_ > 0 ? front().start : una;
    return acked;
}

template <typename F>
uint32_t Scoreboard::sack(Seq left, Seq right, F&& on_sacked) {
    uint32_t newly = 0;
    for (uint32_t i = find(left); i < count_ && at(i).start < right; ++i) {
        SentSegment& s = at(i);
        if (s.has(SentSegment::kSacked) || s.start < left || s.end > right)
            continue;  // known already, or covered in part only
        unmark(s);
        s.flags = static_cast<uint8_t>((s.flags & ~(SentSegment::kLost | SentSegment::kRetransOut)) |
                                       SentSegment::kSacked);
        sacked_ += s.length();
        ++sacked_segments_;
        newly += s.length();
        if (high_sacked_ < s.end)
            high_sacked_ = s.end;
        on_sacked(s);
    }
    return newly;
}

}  // namespace tcpterm::tcp
