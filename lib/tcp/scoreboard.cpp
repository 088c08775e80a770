#include "lib/tcp/scoreboard.hpp"

namespace tcpterm::tcp {

void Scoreboard::grow() {
    uint32_t capacity = ring_.empty() ? 64 : static_cast<uint32_t>(ring_.size()) * 2;
    std::vector<SentSegment> bigger(capacity);
    for (uint32_t i = 0; i < count_; ++i)
        bigger[i] = at(i);
    ring_.swap(bigger);
    head_ = 0;
    mask_ = capacity - 1;
}

void Scoreboard::sent(Seq start, uint32_t len, bool fin, uint64_t now_us) {
    uint32_t span = len + (fin ? 1u : 0u);
    if (span == 0)
        return;
    if (count_ == 0)
        high_sacked_ = start;
    out_ += span;
    if (count_ >= kMaxRecords) {  // bounded: the last record grows instead
        SentSegment& last = back();
        // What it was known to be no longer holds for the longer record:
        // forgetting a SACK or a loss at worst resends it.
        unmark(last);
        last.flags &= ~(SentSegment::kSacked | SentSegment::kLost | SentSegment::kRetransOut);
        last.end = start + span;
        last.xmit_us = now_us;
        if (fin)
            last.flags |= SentSegment::kFin;
        return;
    }
    if (count_ == ring_.size())
        grow();
    SentSegment& s = ring_[(head_ + count_) & mask_];
    s = SentSegment{};
    s.start = start;
    s.end = start + span;
    s.xmit_us = now_us;
    s.flags = fin ? SentSegment::kFin : 0;
    ++count_;
}

void Scoreboard::retransmitted(SentSegment& s, uint64_t now_us) {
    if (s.has(SentSegment::kLost) && !s.has(SentSegment::kRetransOut))
        retrans_out_ += s.length();
    s.flags |= SentSegment::kRetransmitted;
    if (s.has(SentSegment::kLost))
        s.flags |= SentSegment::kRetransOut;
    s.xmit_us = now_us;
    if (s.episode_retrans < UINT8_MAX)
        ++s.episode_retrans;
}

void Scoreboard::unmark(SentSegment& s) {
    if (s.has(SentSegment::kSacked)) {
        sacked_ -= s.length();
        --sacked_segments_;
    } else if (s.has(SentSegment::kLost)) {
        lost_ -= s.length();
        if (s.has(SentSegment::kRetransOut))
            retrans_out_ -= s.length();
    }
}

void Scoreboard::pop_front() {
    SentSegment& s = front();
    unmark(s);
    out_ -= s.length();
    head_ = (head_ + 1) & mask_;
    --count_;
}

void Scoreboard::mark_lost(SentSegment& s) {
    if (s.has(SentSegment::kSacked))
        return;
    if (s.has(SentSegment::kLost)) {  // lost again: its retransmission too
        if (s.has(SentSegment::kRetransOut))
            retrans_out_ -= s.length();
        s.flags &= ~SentSegment::kRetransOut;
        return;
    }
    s.flags |= SentSegment::kLost;
    lost_ += s.length();
}

void Scoreboard::mark_all_lost() {
    for (uint32_t i = 0; i < count_; ++i)
        mark_lost(at(i));
}

void Scoreboard::clear_lost() {
    for (uint32_t i = 0; i < count_; ++i) {
        SentSegment& s = at(i);
        if (s.has(SentSegment::kLost) && !s.has(SentSegment::kRetransOut)) {
            lost_ -= s.length();
            s.flags &= ~SentSegment::kLost;
        }
    }
}

void Scoreboard::clear_sacks() {
    for (uint32_t i = 0; i < count_; ++i) {
        SentSegment& s = at(i);
        if (s.has(SentSegment::kSacked)) {
            unmark(s);
            s.flags &= ~SentSegment::kSacked;
        }
    }
    high_sacked_ = count_ > 0 ? front().start : high_sacked_;
}

void Scoreboard::clear() {
    head_ = 0;
    count_ = 0;
    out_ = sacked_ = lost_ = retrans_out_ = sacked_segments_ = 0;
}

SentSegment* Scoreboard::next_lost() {
    if (lost_ == retrans_out_)
        return nullptr;  // every lost record is retransmitted already
    for (uint32_t i = 0; i < count_; ++i) {
        SentSegment& s = at(i);
        if (s.has(SentSegment::kLost) && !s.has(SentSegment::kRetransOut))
            return &s;
    }
    return nullptr;
}

uint32_t Scoreboard::find(Seq seq) const {
    uint32_t lo = 0, hi = count_;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (at(mid).end <= seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

}  // namespace tcpterm::tcp
