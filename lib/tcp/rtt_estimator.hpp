// The round-trip time estimator and retransmission timeout (RFC 6298), fed
// with one sample per ACK that acknowledges new data (RFC 7323 §4: samples
// need not be limited to one per window). Samples come from the transmit
// time of the newest segment the ACK covers that was never retransmitted
// (Karn's rule), and, where only retransmitted data was covered, from the
// echoed timestamp (RFC 7323 RTTM), whose meaning is unambiguous. Keeps the
// lowest RTT seen too (RACK's min_RTT, RFC 8985 §6.1; HyStart++).
#pragma once

#include <algorithm>
#include <cstdint>

namespace tcpterm::tcp {

class RttEstimator {
public:
    struct Bounds {
        uint64_t granularity_us;  // G: the timer's tick
        uint64_t rto_min_us;
        uint64_t rto_max_us;
    };

    RttEstimator() = default;
    explicit RttEstimator(uint64_t initial_rto_us) : rto_us_(initial_rto_us) {}

    bool has_sample() const { return srtt_us_ != 0; }
    uint64_t srtt_us() const { return srtt_us_; }
    uint64_t rttvar_us() const { return rttvar_us_; }
    uint64_t rto_us() const { return rto_us_; }
    uint64_t min_rtt_us() const { return min_rtt_us_; }
    uint64_t latest_us() const { return latest_us_; }

    // RFC 6298 (2.2) on the first sample, (2.3) after; then (2.4)-(2.5).
    // A zero sample (below the clock's resolution) counts as 1 us.
    void sample(uint64_t rtt_us, const Bounds& b) {
        uint64_t r = std::max<uint64_t>(rtt_us, 1);
        latest_us_ = r;
        min_rtt_us_ = std::min(min_rtt_us_, r);
        if (srtt_us_ == 0) {
            srtt_us_ = r;
            rttvar_us_ = r / 2;
        } else {
            uint64_t diff = srtt_us_ > r ? srtt_us_ - r : r - srtt_us_;
            rttvar_us_ = (3 * rttvar_us_ + diff) / 4;
            srtt_us_ = (7 * srtt_us_ + r) / 8;
        }
        uint64_t rto = srtt_us_ + std::max(b.granularity_us, 4 * rttvar_us_);
        rto_us_ = std::clamp(rto, b.rto_min_us, b.rto_max_us);
    }

    // RFC 6298 (5.5): each expiry doubles the RTO, up to the maximum.
    void back_off(uint64_t rto_max_us) { rto_us_ = std::min(rto_us_ * 2, rto_max_us); }
    void set_rto(uint64_t rto_us) { rto_us_ = rto_us; }

private:
    uint64_t srtt_us_ = 0;
    uint64_t rttvar_us_ = 0;
    uint64_t rto_us_ = 1'000'000;
    uint64_t min_rtt_us_ = UINT64_MAX;
    uint64_t latest_us_ = 0;
};

}  // namespace tcpterm::tcp
