#include "lib/tcp/rack.hpp"

#include <algorithm>

namespace tcpterm::tcp {

namespace {
// RACK_sent_after (§6.2): later in time, or at the same time and higher.
bool sent_after(uint64_t t1, Seq seq1, uint64_t t2, Seq seq2) {
    return t1 > t2 || (t1 == t2 && seq1 > seq2);
}
}  // namespace

void Rack::on_delivered(const SentSegment& s, uint64_t now_us, uint64_t min_rtt_us, bool echo_older) {
    bool retransmitted = s.has(SentSegment::kRetransmitted);
    // Step 3: delivered below the highest delivered, never retransmitted:
    // the network reordered it.
    if (!fack_valid_ || s.end > fack_) {
        fack_ = s.end;
        fack_valid_ = true;
    } else if (s.end < fack_ && !retransmitted) {
        reordering_seen_ = true;
    }
    // Step 2: which transmission the ACK is for is ambiguous after a
    // retransmission; skip it when the timestamp or the RTT says "earlier".
    uint64_t rtt = now_us - s.xmit_us;
    if (retransmitted && (echo_older || rtt < min_rtt_us))
        return;
    rtt_us_ = rtt;
    if (sent_after(s.xmit_us, s.end, xmit_us_, end_seq_)) {
        xmit_us_ = s.xmit_us;
        end_seq_ = s.end;
    }
}

void Rack::on_ack(Seq snd_una) {
    if (dsack_round_valid_ && snd_una >= dsack_round_)
        dsack_round_valid_ = false;
}

void Rack::on_dsack(Seq snd_una, Seq snd_nxt) {
    on_ack(snd_una);
    if (dsack_round_valid_)
        return;
    dsack_round_valid_ = true;
    dsack_round_ = snd_nxt;
    ++reo_wnd_mult_;
    reo_wnd_persist_ = kReoWndPersist;
}

void Rack::on_recovery_exit() {
    if (reo_wnd_persist_ > 0 && --reo_wnd_persist_ == 0)
        reo_wnd_mult_ = 1;
}

uint64_t Rack::reo_wnd(bool in_recovery, uint32_t sacked_segments, uint64_t min_rtt_us,
                       uint64_t srtt_us) const {
    if (!reordering_seen_ && (in_recovery || sacked_segments >= kDupThresh))
        return 0;
    if (min_rtt_us == UINT64_MAX)
        return 0;
    return std::min<uint64_t>(reo_wnd_mult_ * min_rtt_us / 4, srtt_us);
}

// The records are in sequence order, not time order, but an original
// transmission sent after RACK.xmit_ts means every record above it went
// out later still (first transmissions go in sequence order and
// retransmissions come after them): the walk stops there.
uint64_t Rack::detect_loss(Scoreboard& sb, uint64_t now_us, uint64_t reo_wnd_us) const {
    if (xmit_us_ == 0)
        return 0;
    uint64_t timeout = 0;
    for (uint32_t i = 0; i < sb.size(); ++i) {
        SentSegment& s = sb.at(i);
        if (s.has(SentSegment::kSacked))
            continue;
        if (!sent_after(xmit_us_, end_seq_, s.xmit_us, s.end)) {
            if (!s.has(SentSegment::kRetransmitted))
                break;
            continue;  // retransmitted after the newest delivery: not judged yet
        }
        if (s.has(SentSegment::kLost) && !s.has(SentSegment::kRetransOut))
            continue;  // waiting for its retransmission already
        uint64_t due = s.xmit_us + rtt_us_ + reo_wnd_us;
        if (due <= now_us)
            sb.mark_lost(s);
        else
            timeout = std::max(timeout, due - now_us);
    }
    return timeout;
}

}  // namespace tcpterm::tcp
