// BBR's per-connection model (bbr.cpp; draft-cardwell-iccrg-bbr-congestion-
// control-00, as Linux's tcp_bbr.c, version 1): the bottleneck bandwidth
// and round-trip propagation time it has measured, and where its state
// machine stands. Lives in CongestionState beside CUBIC's variables.
#pragma once

#include <array>
#include <cstdint>

namespace tcpterm::tcp {

struct BbrState {
    enum class Mode : uint8_t { Startup, Drain, ProbeBw, ProbeRtt };
    static constexpr uint32_t kBwRounds = 10;  // BtlBw: the max over this many rounds

    Mode mode = Mode::Startup;
    // BtlBw filter: the largest delivery rate of each of the last rounds,
    // bytes per microsecond.
    std::array<double, kBwRounds> bw_round_max{};
    uint64_t round_count = 0;
    uint64_t next_round_delivered = 0;
    bool round_start = false;
    // RTprop filter.
    uint64_t min_rtt_us = UINT64_MAX;
    uint64_t min_rtt_stamp_us = 0;
    // Startup: has the bandwidth stopped growing?
    double full_bw = 0;
    uint8_t full_bw_count = 0;
    bool full_bw_reached = false;
    // ProbeBW's gain cycle.
    uint8_t cycle_index = 0;
    uint64_t cycle_stamp_us = 0;
    // ProbeRTT.
    uint64_t probe_rtt_done_us = 0;
    bool probe_rtt_round_done = false;
    // Loss recovery: packet conservation in its first round, and the window
    // to restore after it.
    bool packet_conservation = false;
    bool prev_in_recovery = false;
    uint32_t prior_cwnd = 0;
    // ACK aggregation: how much more arrived than the bandwidth explains,
    // the larger of two windows of five rounds (Linux's extra_acked).
    std::array<uint32_t, 2> extra_acked{};
    uint8_t extra_acked_win_rounds = 0;
    uint8_t extra_acked_win_index = 0;
    uint64_t ack_epoch_us = 0;
    uint64_t ack_epoch_acked = 0;

    double pacing_gain = 0;
    double cwnd_gain = 0;
    double pacing_rate = 0;  // bytes per microsecond; reported, not enforced yet

    double bw() const {
        double m = 0;
        for (double b : bw_round_max)
            m = b > m ? b : m;
        return m;
    }
};

}  // namespace tcpterm::tcp
