// CUBIC (RFC 9438): after a reduction the window follows
//   W_cubic(t) = C * (t - K)^3 + W_max,  K = cbrt((W_max - cwnd_epoch) / C)
// (§4.2), concave up to the old maximum and convex past it, never slower
// than Reno's estimate W_est (§4.3). Slow start is left by HyStart++.
// Windows are in segments and times in seconds, as the RFC writes them.
#include <algorithm>
#include <cmath>

#include "lib/tcp/congestion.hpp"

namespace tcpterm::tcp {

namespace {

constexpr double kC = 0.4;
constexpr double kBeta = 0.7;  // ssthresh_after_congestion uses it as 7/10
constexpr double kAlpha = 3.0 * (1.0 - kBeta) / (1.0 + kBeta);  // §4.3
// RFC 9406 §4.2: L, the most one ACK may grow the window in slow start
// when not pacing.
constexpr uint32_t kSlowStartLimitSegments = 8;

class Cubic final : public CongestionOps {
public:
    CongestionAlgorithm algorithm() const override { return CongestionAlgorithm::Cubic; }
    void init(CongestionState& s) const override {
        s.w_max = 0;
        s.epoch_start_us = 0;
    }

    void on_ack(CongestionState& s, const AckSample& a) const override {
        uint32_t acked = a.acked;
        if (s.in_slow_start()) {
            bool end = false;
            uint32_t grow = s.hystart.on_ack(std::min(acked, kSlowStartLimitSegments * s.mss),
                                             a.rtt_us, a.snd_una, a.snd_nxt, &end);
            if (end) {
                s.ssthresh = s.cwnd;  // §4.2: CSS rounds done, congestion avoidance
            } else {
                s.cwnd += std::min(grow, s.ssthresh - s.cwnd);
                return;
            }
        }
        congestion_avoidance(s, a);
    }

    // §4.6, with fast convergence (§4.7).
    uint32_t ssthresh_after_congestion(CongestionState& s, uint32_t, uint64_t) const override {
        double cwnd = static_cast<double>(s.cwnd) / s.mss;
        s.cwnd_prior = cwnd;
        s.w_max = cwnd < s.w_max ? cwnd * (1.0 + kBeta) / 2.0 : cwnd;
        s.epoch_start_us = 0;
        // beta * cwnd in whole bytes (7/10: no rounding below the product).
        return std::max(static_cast<uint32_t>(uint64_t{s.cwnd} * 7 / 10), 2 * s.mss);
    }

private:
    static double w_cubic(double t, const CongestionState& s) {
        double d = t - s.k;
        return kC * d * d * d + s.origin;
    }

    void congestion_avoidance(CongestionState& s, const AckSample& a) const {
        double mss = s.mss;
        double cwnd = s.cwnd / mss;
        if (s.epoch_start_us == 0) {  // §4.2: a new epoch
            s.epoch_start_us = a.now_us;
            s.w_est = cwnd;
            if (s.after_timeout) {
                // §4.8: the first epoch after an RTO starts its curve here.
                s.after_timeout = false;
                s.w_max = cwnd;
                s.cwnd_prior = cwnd;
            }
            if (cwnd < s.w_max) {
                s.k = std::cbrt((s.w_max - cwnd) / kC);
                s.origin = s.w_max;
            } else {
                s.k = 0;
                s.origin = cwnd;
            }
            s.growth_carry = 0;
        }
        double t = static_cast<double>(a.now_us - s.epoch_start_us) / 1e6;
        double rtt = static_cast<double>(a.srtt_us) / 1e6;
        double acked = a.acked / mss;
        // §4.3: Reno-friendly estimate, at Reno's average rate until it
        // passes the old maximum.
        s.w_est += (s.w_est >= s.cwnd_prior ? 1.0 : kAlpha) * acked / cwnd;
        if (w_cubic(t, s) < s.w_est) {  // the Reno-friendly region: cwnd = W_est
            if (s.w_est > cwnd)
                s.cwnd = static_cast<uint32_t>(s.w_est * mss);
            return;
        }
        // §4.4/§4.5: towards W_cubic one RTT ahead, at most 1.5 cwnd.
        double target = std::clamp(w_cubic(t + rtt, s), cwnd, 1.5 * cwnd);
        if (target <= cwnd)
            return;
        s.growth_carry += (target - cwnd) / cwnd * acked * mss;
        uint32_t whole = static_cast<uint32_t>(s.growth_carry);
        s.cwnd += whole;
        s.growth_carry -= whole;
    }
};

}  // namespace

const CongestionOps& cubic_ops() {
    static const Cubic ops;
    return ops;
}

}  // namespace tcpterm::tcp
