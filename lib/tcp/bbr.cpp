// BBR, version 1 (draft-cardwell-iccrg-bbr-congestion-control-00; Linux's
// tcp_bbr.c is the reference this follows): the window is a multiple of
// the path's bandwidth-delay product, measured rather than inferred from
// loss. On each ACK:
//   1. the model: BtlBw, the largest delivery rate over the last ten
//      rounds (app-limited samples only when they raise it); RTprop, the
//      smallest RTT over ten seconds; the data the ACKs delivered beyond
//      what BtlBw explains (ACK aggregation: stretch and delayed ACKs);
//   2. the state machine: Startup doubles the rate each round until it
//      stops growing by 25 % for three rounds, Drain empties the queue
//      Startup built, ProbeBW cycles its pacing gain around 1, ProbeRTT
//      shrinks the window to four segments for 200 ms when RTprop is ten
//      seconds old;
//   3. the window: cwnd_gain x BDP plus the ACK aggregation and a few
//      send quanta; in the first round of a recovery packet conservation
//      (what left the network may be sent), the window before it restored
//      after.
// Random loss alone does not shrink the window, which is what keeps a
// lossy path full where CUBIC and NewReno back off on every loss.
// Not carried over from Linux: long-term bandwidth sampling (policer
// detection). Pacing is computed (pacing_rate) but the engine sends on
// ACKs within the window; the window bounds the bursts, and Drain, which
// relies on pacing below the bottleneck rate, caps the window at one BDP.
#include <algorithm>
#include <cmath>

#include "lib/tcp/congestion.hpp"

namespace tcpterm::tcp {

namespace {

constexpr double kHighGain = 2.885;             // 2/ln(2): doubles the rate each round
constexpr double kDrainGain = 1.0 / kHighGain;
constexpr double kCwndGain = 2.0;
constexpr double kPacingGainCycle[] = {1.25, 0.75, 1, 1, 1, 1, 1, 1};
constexpr uint32_t kCycleLength = 8;
constexpr double kFullBwGrowth = 1.25;
constexpr uint8_t kFullBwRounds = 3;
constexpr uint64_t kMinRttWindowUs = 10'000'000;
constexpr uint64_t kProbeRttUs = 200'000;
constexpr uint32_t kMinCwndSegments = 4;
constexpr uint8_t kExtraAckedWindowRounds = 5;
constexpr uint64_t kExtraAckedMaxUs = 100'000;  // aggregation counted up to 100 ms of BtlBw
constexpr uint64_t kAckEpochResetBytes = uint64_t{1} << 20;

class Bbr final : public CongestionOps {
public:
    CongestionAlgorithm algorithm() const override { return CongestionAlgorithm::Bbr; }
    bool sets_window_on_every_ack() const override { return true; }

    void init(CongestionState& s) const override {
        s.bbr = BbrState{};
        enter_startup(s.bbr);
    }

    void on_ack(CongestionState& s, const AckSample& a) const override {
        BbrState& b = s.bbr;
        update_round(b, a);
        update_bw(b, a);
        update_ack_aggregation(s, a);
        update_cycle_phase(s, a);
        check_full_bw_reached(b, a);
        check_drain(s, a);
        update_min_rtt(s, a);
        update_gains(b);
        b.pacing_rate = b.pacing_gain * b.bw();
        set_cwnd(s, a);
    }

    // Loss is not congestion to BBR: ssthresh stays; the window to restore
    // after recovery is remembered.
    uint32_t ssthresh_after_congestion(CongestionState& s, uint32_t, uint64_t) const override {
        s.bbr.prior_cwnd = save_cwnd(s);
        return s.ssthresh;
    }

private:
    static void enter_startup(BbrState& b) {
        b.mode = BbrState::Mode::Startup;
        b.pacing_gain = kHighGain;
        b.cwnd_gain = kHighGain;
    }

    // The window ProbeRTT or recovery gives back afterwards.
    static uint32_t save_cwnd(const CongestionState& s) {
        const BbrState& b = s.bbr;
        if (!b.prev_in_recovery && b.mode != BbrState::Mode::ProbeRtt)
            return s.cwnd;
        return std::max(b.prior_cwnd, s.cwnd);
    }

    // A round ends when the segment sent at the start of it is delivered.
    static void update_round(BbrState& b, const AckSample& a) {
        b.round_start = false;
        if (a.rate.interval_us == 0 && a.rate.delivered == 0)
            return;
        if (a.rate.prior_delivered >= b.next_round_delivered) {
            b.next_round_delivered = a.delivered_total;
            ++b.round_count;
            b.round_start = true;
            // The BtlBw window slides by one round.
            b.bw_round_max[b.round_count % BbrState::kBwRounds] = 0;
        }
    }

    static void update_bw(BbrState& b, const AckSample& a) {
        double rate = a.rate.rate();
        if (rate <= 0)
            return;
        // An app-limited sample measures the application, not the path,
        // unless it is the best seen.
        if (a.rate.app_limited && rate < b.bw())
            return;
        double& slot = b.bw_round_max[b.round_count % BbrState::kBwRounds];
        slot = std::max(slot, rate);
    }

    // Linux's bbr_update_ack_aggregation: data acknowledged beyond BtlBw x
    // the time since the aggregation epoch began.
    static void update_ack_aggregation(CongestionState& s, const AckSample& a) {
        BbrState& b = s.bbr;
        if (a.acked == 0 || a.rate.interval_us == 0)
            return;
        if (b.round_start && ++b.extra_acked_win_rounds >= kExtraAckedWindowRounds) {
            b.extra_acked_win_rounds = 0;
            b.extra_acked_win_index ^= 1;
            b.extra_acked[b.extra_acked_win_index] = 0;
        }
        double expected = b.bw() * static_cast<double>(a.now_us - b.ack_epoch_us);
        if (static_cast<double>(b.ack_epoch_acked) <= expected ||
            b.ack_epoch_acked + a.acked >= kAckEpochResetBytes) {
            b.ack_epoch_acked = 0;
            b.ack_epoch_us = a.now_us;
            expected = 0;
        }
        b.ack_epoch_acked += a.acked;
        double extra = static_cast<double>(b.ack_epoch_acked) - expected;
        uint32_t extra_bytes = static_cast<uint32_t>(std::min(extra, static_cast<double>(s.cwnd)));
        uint32_t& slot = b.extra_acked[b.extra_acked_win_index];
        slot = std::max(slot, extra_bytes);
    }

    static uint32_t bdp(const CongestionState& s, double gain) {
        const BbrState& b = s.bbr;
        if (b.min_rtt_us == UINT64_MAX || b.bw() <= 0)
            return 10 * s.mss;  // no measurement yet: the initial window
        return static_cast<uint32_t>(std::ceil(gain * b.bw() * static_cast<double>(b.min_rtt_us)));
    }

    // ProbeBW: each phase lasts one RTprop; the probing phase (1.25) also
    // until the extra data is in flight or loss shows the path is full, the
    // draining phase (0.75) no longer than it takes to get back to BDP.
    static void update_cycle_phase(CongestionState& s, const AckSample& a) {
        BbrState& b = s.bbr;
        if (b.mode != BbrState::Mode::ProbeBw)
            return;
        bool full_length = b.min_rtt_us != UINT64_MAX && a.now_us - b.cycle_stamp_us > b.min_rtt_us;
        double gain = kPacingGainCycle[b.cycle_index];
        bool next;
        if (gain == 1.0)
            next = full_length;
        else if (gain > 1.0)
            next = full_length && (a.newly_lost > 0 || a.in_flight >= bdp(s, gain));
        else
            next = full_length || a.in_flight <= bdp(s, 1.0);
        if (next) {
            b.cycle_index = static_cast<uint8_t>((b.cycle_index + 1) % kCycleLength);
            b.cycle_stamp_us = a.now_us;
        }
    }

    static void check_full_bw_reached(BbrState& b, const AckSample& a) {
        if (b.full_bw_reached || !b.round_start || a.rate.app_limited)
            return;
        double bw = b.bw();
        if (bw >= b.full_bw * kFullBwGrowth) {
            b.full_bw = bw;
            b.full_bw_count = 0;
            return;
        }
        if (++b.full_bw_count >= kFullBwRounds)
            b.full_bw_reached = true;
    }

    static void enter_probe_bw(BbrState& b, uint64_t now_us) {
        b.mode = BbrState::Mode::ProbeBw;
        // Any phase but the draining one, chosen from the clock.
        b.cycle_index = static_cast<uint8_t>(kCycleLength - 1 - (now_us % (kCycleLength - 1)));
        b.cycle_stamp_us = now_us;
    }

    static void check_drain(CongestionState& s, const AckSample& a) {
        BbrState& b = s.bbr;
        if (b.mode == BbrState::Mode::Startup && b.full_bw_reached)
            b.mode = BbrState::Mode::Drain;
        if (b.mode == BbrState::Mode::Drain && a.in_flight <= bdp(s, 1.0))
            enter_probe_bw(b, a.now_us);
    }

    static void update_min_rtt(CongestionState& s, const AckSample& a) {
        BbrState& b = s.bbr;
        bool expired = b.min_rtt_us != UINT64_MAX && a.now_us > b.min_rtt_stamp_us + kMinRttWindowUs;
        if (a.rtt_us != 0 && (a.rtt_us < b.min_rtt_us || expired)) {
            b.min_rtt_us = a.rtt_us;
            b.min_rtt_stamp_us = a.now_us;
        }
        if (expired && b.mode != BbrState::Mode::ProbeRtt) {
            b.mode = BbrState::Mode::ProbeRtt;
            b.prior_cwnd = save_cwnd(s);
            b.probe_rtt_done_us = 0;
        }
        if (b.mode != BbrState::Mode::ProbeRtt)
            return;
        uint32_t floor = kMinCwndSegments * s.mss;
        if (b.probe_rtt_done_us == 0 && a.in_flight <= floor) {
            // Four segments or fewer in flight: hold it 200 ms and a round.
            b.probe_rtt_done_us = a.now_us + kProbeRttUs;
            b.probe_rtt_round_done = false;
            b.next_round_delivered = a.delivered_total;
        } else if (b.probe_rtt_done_us != 0) {
            if (b.round_start)
                b.probe_rtt_round_done = true;
            if (b.probe_rtt_round_done && a.now_us > b.probe_rtt_done_us) {
                b.min_rtt_stamp_us = a.now_us;
                s.cwnd = std::max(s.cwnd, b.prior_cwnd);
                if (b.full_bw_reached)
                    enter_probe_bw(b, a.now_us);
                else
                    enter_startup(b);
            }
        }
    }

    static void update_gains(BbrState& b) {
        switch (b.mode) {
        case BbrState::Mode::Startup:
            b.pacing_gain = kHighGain;
            b.cwnd_gain = kHighGain;
            break;
        case BbrState::Mode::Drain:
            b.pacing_gain = kDrainGain;
            b.cwnd_gain = kHighGain;
            break;
        case BbrState::Mode::ProbeBw:
            b.pacing_gain = kPacingGainCycle[b.cycle_index];
            b.cwnd_gain = kCwndGain;
            break;
        case BbrState::Mode::ProbeRtt:
            b.pacing_gain = 1;
            b.cwnd_gain = 1;
            break;
        }
    }

    // A burst's worth at the pacing rate: 1 ms of it, 2 to 44 segments
    // (64 KB), as Linux sizes TSO bursts.
    static uint32_t send_quantum(const CongestionState& s) {
        double one_ms = s.bbr.pacing_rate * 1000.0;
        uint32_t most = 65535 / s.mss * s.mss;
        return std::clamp(static_cast<uint32_t>(one_ms), 2 * s.mss, std::max(most, 2 * s.mss));
    }

    static void set_cwnd(CongestionState& s, const AckSample& a) {
        BbrState& b = s.bbr;
        uint32_t floor = kMinCwndSegments * s.mss;
        uint32_t cwnd = s.cwnd;
        if (a.acked > 0) {
            if (!recover_or_restore(s, a, cwnd)) {
                uint32_t target = bdp(s, b.cwnd_gain) + aggregation_cwnd(s) + 3 * send_quantum(s);
                if (b.mode == BbrState::Mode::ProbeBw && b.cycle_index == 0)
                    target += 2 * s.mss;  // room for the probing phase's extra
                if (b.full_bw_reached)
                    cwnd = std::min(cwnd + a.acked, target);
                else if (cwnd < target || a.delivered_total < 10 * uint64_t{s.mss})
                    cwnd += a.acked;
                cwnd = std::max(cwnd, floor);
            }
        }
        s.cwnd = cwnd;
        if (b.mode == BbrState::Mode::ProbeRtt)
            s.cwnd = std::min(s.cwnd, floor);
        // Drain paces at 1/2.885 to empty the queue Startup built; without
        // pacing the window has to do it: one BDP until it is down to that.
        if (b.mode == BbrState::Mode::Drain)
            s.cwnd = std::max(std::min(s.cwnd, bdp(s, 1.0)), floor);
    }

    static uint32_t aggregation_cwnd(const CongestionState& s) {
        const BbrState& b = s.bbr;
        if (!b.full_bw_reached)
            return 0;
        double most = b.bw() * static_cast<double>(kExtraAckedMaxUs);
        uint32_t extra = std::max(b.extra_acked[0], b.extra_acked[1]);
        return static_cast<uint32_t>(std::min(static_cast<double>(extra), most));
    }

    // Linux's bbr_set_cwnd_to_recover_or_restore: losses come off the
    // window; the first round of a recovery sends only what left the
    // network; leaving recovery restores the window from before it.
    static bool recover_or_restore(CongestionState& s, const AckSample& a, uint32_t& cwnd) {
        BbrState& b = s.bbr;
        if (a.newly_lost > 0)
            cwnd = std::max<int64_t>(int64_t{cwnd} - a.newly_lost, s.mss);
        if (a.in_recovery && !b.prev_in_recovery) {
            b.packet_conservation = true;
            b.next_round_delivered = a.delivered_total;  // the round starts now
            cwnd = a.in_flight + a.acked;
        } else if (!a.in_recovery && b.prev_in_recovery) {
            cwnd = std::max(cwnd, b.prior_cwnd);
            b.packet_conservation = false;
        }
        b.prev_in_recovery = a.in_recovery;
        if (b.packet_conservation && !b.round_start) {
            cwnd = std::max(cwnd, a.in_flight + a.acked);
            return true;
        }
        b.packet_conservation = false;
        return false;
    }
};

}  // namespace

const CongestionOps& bbr_ops() {
    static const Bbr ops;
    return ops;
}

}  // namespace tcpterm::tcp
