// Delivery rate estimation (draft-cheng-iccrg-delivery-rate-estimation, as
// Linux's tcp_rate.c): each segment remembers how much the connection had
// delivered, and when, as it went out; the ACK that delivers it turns the
// difference into a rate sample. Model-based congestion control (BBR,
// bbr.cpp) is driven by these samples. A value type: no packets, no clock.
#pragma once

#include <algorithm>
#include <cstdint>

#include "lib/tcp/scoreboard.hpp"

namespace tcpterm::tcp {

// What one ACK measured (§3.3 of the draft).
struct RateSample {
    uint64_t delivered = 0;       // bytes delivered over the interval
    uint64_t interval_us = 0;     // 0: no valid sample on this ACK
    uint64_t prior_delivered = 0; // the connection's delivered count when the timed segment went
    bool app_limited = false;     // the interval included application-limited time

    // Bytes per microsecond; 0 without a valid sample.
    double rate() const { return interval_us ? static_cast<double>(delivered) / interval_us : 0.0; }
};

class DeliveryRate {
public:
    // A segment goes out (first time or again) at now. in_flight_empty:
    // nothing was outstanding, so a new timed flight starts here (§3.2).
    void on_sent(SentSegment& s, uint64_t now_us, bool in_flight_empty) {
        if (in_flight_empty) {
            first_sent_us_ = now_us;
            delivered_us_ = now_us;
        }
        s.delivered = delivered_;
        s.delivered_us = delivered_us_;
        s.first_sent_us = first_sent_us_;
        if (app_limited_until_ != 0)
            s.flags |= SentSegment::kAppLimited;
        else
            s.flags &= ~SentSegment::kAppLimited;
    }

    // The sender had less to send than the window allowed (§3.4): samples
    // until what is in flight now is delivered measure the application.
    void on_app_limited(uint32_t in_flight) { app_limited_until_ = std::max<uint64_t>(delivered_ + in_flight, 1); }

    // An ACK delivered s (newly, cumulatively or by SACK): the segment sent
    // last among those delivered times the sample (§3.3 "P").
    void on_delivered(const SentSegment& s) {
        if (!have_p_ || s.delivered > p_delivered_ ||
            (s.delivered == p_delivered_ && s.xmit_us > p_xmit_us_)) {
            have_p_ = true;
            p_delivered_ = s.delivered;
            p_delivered_us_ = s.delivered_us;
            p_first_sent_us_ = s.first_sent_us;
            p_xmit_us_ = s.xmit_us;
            p_app_limited_ = s.has(SentSegment::kAppLimited);
        }
    }

    // After the ACK's records, which delivered `bytes` in all: its sample.
    // An interval shorter than the path's minimum RTT is not trusted (ACK
    // compression, §3.3).
    RateSample take_sample(uint32_t bytes, uint64_t now_us, uint64_t min_rtt_us) {
        RateSample rs;
        if (bytes > 0) {
            delivered_ += bytes;
            delivered_us_ = now_us;
        }
        if (app_limited_until_ != 0 && delivered_ > app_limited_until_)
            app_limited_until_ = 0;
        if (!have_p_)
            return rs;
        have_p_ = false;
        first_sent_us_ = p_xmit_us_;  // the next flight is timed from here
        rs.prior_delivered = p_delivered_;
        rs.delivered = delivered_ - p_delivered_;
        rs.app_limited = p_app_limited_;
        uint64_t send_elapsed = p_xmit_us_ - p_first_sent_us_;
        uint64_t ack_elapsed = delivered_us_ - p_delivered_us_;
        uint64_t interval = std::max(send_elapsed, ack_elapsed);
        if (interval == 0 || (min_rtt_us != UINT64_MAX && interval < min_rtt_us))
            return rs;
        rs.interval_us = interval;
        return rs;
    }

    uint64_t delivered() const { return delivered_; }

private:
    uint64_t delivered_ = 0;          // bytes delivered (ACKed or SACKed) so far
    uint64_t delivered_us_ = 0;       // when delivered_ last grew
    uint64_t first_sent_us_ = 0;      // the start of the flight being timed
    uint64_t app_limited_until_ = 0;  // delivered_ mark ending an app-limited phase; 0: not
    // "P": the delivered segment sent last, on the ACK being processed.
    bool have_p_ = false;
    bool p_app_limited_ = false;
    uint64_t p_delivered_ = 0, p_delivered_us_ = 0, p_first_sent_us_ = 0, p_xmit_us_ = 0;
};

}  // namespace tcpterm::tcp
