#include "lib/tcp/congestion.hpp"

#include <algorithm>

namespace tcpterm::tcp {

const CongestionOps& newreno_ops();
const CongestionOps& cubic_ops();
const CongestionOps& bbr_ops();

std::optional<CongestionAlgorithm> parse_congestion_algorithm(std::string_view name) {
    if (name == "newreno" || name == "reno")
        return CongestionAlgorithm::NewReno;
    if (name == "cubic")
        return CongestionAlgorithm::Cubic;
    if (name == "bbr")
        return CongestionAlgorithm::Bbr;
    return std::nullopt;
}

const char* congestion_algorithm_name(CongestionAlgorithm a) {
    switch (a) {
    case CongestionAlgorithm::Cubic: return "cubic";
    case CongestionAlgorithm::Bbr: return "bbr";
    case CongestionAlgorithm::NewReno: break;
    }
    return "newreno";
}

const CongestionOps& congestion_ops(CongestionAlgorithm a) {
    switch (a) {
    case CongestionAlgorithm::Cubic: return cubic_ops();
    case CongestionAlgorithm::Bbr: return bbr_ops();
    case CongestionAlgorithm::NewReno: break;
    }
    return newreno_ops();
}

namespace congestion {

void on_congestion(const CongestionOps& ops, CongestionState& s, uint32_t flight, uint64_t now_us) {
    s.prior_cwnd = s.cwnd;
    s.prior_ssthresh = s.ssthresh;
    s.prior_w_max = s.w_max;
    s.ssthresh = ops.ssthresh_after_congestion(s, flight, now_us);
    s.ca_acked = 0;
    s.hystart.reset();
}

void on_timeout(const CongestionOps& ops, CongestionState& s, uint32_t flight, uint64_t now_us) {
    on_congestion(ops, s, flight, now_us);
    s.cwnd = s.mss;  // RFC 5681 (4): LW = 1 SMSS
    s.after_timeout = true;
}

// As Linux's tcp_undo_cwnd_reduction: the larger of now and before.
void undo(CongestionState& s) {
    if (s.prior_cwnd == 0)
        return;
    s.cwnd = std::max(s.cwnd, s.prior_cwnd);
    s.ssthresh = std::max(s.ssthresh, s.prior_ssthresh);
    s.w_max = std::max(s.w_max, s.prior_w_max);
    s.epoch_start_us = 0;
    s.after_timeout = false;
    s.prior_cwnd = 0;
}

}  // namespace congestion
}  // namespace tcpterm::tcp
