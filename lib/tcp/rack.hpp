// RACK-TLP loss detection (RFC 8985 §6): a segment is lost once a segment
// sent after it has been delivered and a reordering window has passed
// since. Time-based, so a retransmission that is lost again is found
// without waiting for the RTO, and a tail loss is found by a probe (TLP,
// §7, in engine_recovery.cpp). Works on the Scoreboard's records.
#pragma once

#include <cstdint>

#include "lib/tcp/scoreboard.hpp"

namespace tcpterm::tcp {

class Rack {
public:
    static constexpr uint32_t kDupThresh = 3;
    static constexpr uint32_t kReoWndPersist = 16;

    // §6.2 steps 2 and 3, for each segment an ACK newly acknowledges or
    // SACKs. echo_older: the ACK's TSecr predates the segment's latest
    // transmission, so the ACK is for an earlier copy.
    void on_delivered(const SentSegment& s, uint64_t now_us, uint64_t min_rtt_us, bool echo_older);
    // §6.2 step 4, first half: a D-SACK widens the window once per round
    // trip; recoveries without one narrow it again.
    void on_dsack(Seq snd_una, Seq snd_nxt);
    void on_ack(Seq snd_una);
    void on_recovery_exit();
    // §6.2 step 4: the reordering window now.
    uint64_t reo_wnd(bool in_recovery, uint32_t sacked_segments, uint64_t min_rtt_us,
                     uint64_t srtt_us) const;
    // §6.2 step 5: marks lost every segment sent before the most recently
    // delivered one whose time is up; returns how long until the next one
    // may be (0: none waits), for the reordering timer.
    uint64_t detect_loss(Scoreboard& sb, uint64_t now_us, uint64_t reo_wnd_us) const;

    bool has_delivery() const { return xmit_us_ != 0; }
    bool reordering_seen() const { return reordering_seen_; }
    uint64_t rtt_us() const { return rtt_us_; }
    uint64_t xmit_us() const { return xmit_us_; }
    void forget() { *this = Rack{}; }

private:
    uint64_t xmit_us_ = 0;        // RACK.xmit_ts
    Seq end_seq_;                 // RACK.end_seq
    uint64_t rtt_us_ = 0;         // RACK.rtt
    Seq fack_;                    // RACK.fack
    bool fack_valid_ = false;
    bool reordering_seen_ = false;
    uint32_t reo_wnd_mult_ = 1;
    uint32_t reo_wnd_persist_ = 0;
    bool dsack_round_valid_ = false;
    Seq dsack_round_;
};

}  // namespace tcpterm::tcp
