// HyStart++ (RFC 9406): leaves slow start before it overshoots, when the
// RTT of a round grows by more than an eighth (within 4..16 ms) over the
// previous round's, through Conservative Slow Start (CSS), which grows a
// quarter as fast and either finds the RTT rise was noise (back to slow
// start) or ends slow start after five rounds.
#pragma once

#include <cstdint>

#include "lib/tcp/seq.hpp"

namespace tcpterm::tcp {

class HyStartPlusPlus {
public:
    static constexpr uint64_t kMinRttThreshUs = 4'000;
    static constexpr uint64_t kMaxRttThreshUs = 16'000;
    static constexpr uint32_t kMinRttDivisor = 8;
    static constexpr uint32_t kRttSamples = 8;      // N_RTT_SAMPLE
    static constexpr uint32_t kCssGrowthDivisor = 4;
    static constexpr uint32_t kCssRounds = 5;

    // One ACK in slow start (§4.2): how many of the acked bytes the window
    // grows by (all of them in slow start, a quarter in CSS). Sets
    // `end_slow_start` when CSS has run its rounds: ssthresh = cwnd then.
    uint32_t on_ack(uint32_t acked, uint64_t rtt_us, Seq snd_una, Seq snd_nxt, bool* end_slow_start);
    // A congestion event ends slow start and CSS alike.
    void reset() { *this = HyStartPlusPlus{}; }
    bool in_css() const { return in_css_; }
    // For tests and counters: whether it ever left slow start itself.
    bool detected() const { return detected_; }

private:
    void start_round(Seq snd_nxt);

    bool started_ = false;
    Seq window_end_;
    uint64_t last_round_min_rtt_ = UINT64_MAX;
    uint64_t current_round_min_rtt_ = UINT64_MAX;
    uint32_t rtt_samples_ = 0;
    bool in_css_ = false;
    uint64_t css_baseline_min_rtt_ = UINT64_MAX;
    uint32_t css_rounds_ = 0;
    bool detected_ = false;
};

}  // namespace tcpterm::tcp
