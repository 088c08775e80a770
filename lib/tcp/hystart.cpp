#include "lib/tcp/hystart.hpp"

#include <algorithm>

namespace tcpterm::tcp {

// §4.2: "at the start of each round".
void HyStartPlusPlus::start_round(Seq snd_nxt) {
    window_end_ = snd_nxt;
    last_round_min_rtt_ = current_round_min_rtt_;
    current_round_min_rtt_ = UINT64_MAX;
    rtt_samples_ = 0;
    if (in_css_)
        ++css_rounds_;
}

uint32_t HyStartPlusPlus::on_ack(uint32_t acked, uint64_t rtt_us, Seq snd_una, Seq snd_nxt,
                                 bool* end_slow_start) {
    *end_slow_start = false;
    if (!started_) {
        started_ = true;
        window_end_ = snd_nxt;
    } else if (snd_una >= window_end_) {
        start_round(snd_nxt);
    }
    if (in_css_ && css_rounds_ >= kCssRounds) {
        *end_slow_start = true;  // CSS ran its rounds: congestion avoidance
        return 0;
    }
    if (rtt_us != 0) {
        current_round_min_rtt_ = std::min(current_round_min_rtt_, rtt_us);
        ++rtt_samples_;
    }
    bool enough = rtt_samples_ >= kRttSamples && current_round_min_rtt_ != UINT64_MAX;
    if (!in_css_ && enough && last_round_min_rtt_ != UINT64_MAX) {
        uint64_t thresh = std::clamp<uint64_t>(last_round_min_rtt_ / kMinRttDivisor, kMinRttThreshUs,
                                               kMaxRttThreshUs);
        if (current_round_min_rtt_ >= last_round_min_rtt_ + thresh) {
            css_baseline_min_rtt_ = current_round_min_rtt_;
            in_css_ = true;
            detected_ = true;
            css_rounds_ = 0;
        }
    } else if (in_css_ && enough && current_round_min_rtt_ < css_baseline_min_rtt_) {
        css_baseline_min_rtt_ = UINT64_MAX;  // the rise was noise: slow start again
        in_css_ = false;
    }
    return in_css_ ? acked / kCssGrowthDivisor : acked;
}

}  // namespace tcpterm::tcp
