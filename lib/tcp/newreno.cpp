// RFC 5681 §3.1: slow start grows the window by what each ACK delivers, as
// Linux does (RFC 3465 byte counting without its L limit: receivers with
// GRO acknowledge many segments at once); congestion avoidance adds about
// one SMSS per window's worth of acknowledged bytes.
#include <algorithm>

#include "lib/tcp/congestion.hpp"

namespace tcpterm::tcp {

namespace {

class NewReno final : public CongestionOps {
public:
    CongestionAlgorithm algorithm() const override { return CongestionAlgorithm::NewReno; }
    void init(CongestionState&) const override {}

    void on_ack(CongestionState& s, const AckSample& a) const override {
        uint32_t acked = a.acked;
        if (s.in_slow_start()) {
            uint32_t grow = std::min(acked, s.ssthresh - s.cwnd);
            s.cwnd += grow;
            acked -= grow;
            if (acked == 0)
                return;
        }
        // RFC 5681 (3), cwnd += SMSS * SMSS / cwnd per ACK, scaled by what
        // the ACK covers: a stretch ACK for n segments counts n times.
        uint64_t scaled = uint64_t{s.mss} * acked + s.ca_acked;  // carries the remainder
        uint32_t cwnd = s.cwnd;
        s.cwnd += std::max<uint32_t>(1, static_cast<uint32_t>(scaled / cwnd));
        s.ca_acked = static_cast<uint32_t>(scaled % cwnd);
    }

    // RFC 5681 (4): ssthresh = max(FlightSize / 2, 2 * SMSS).
    uint32_t ssthresh_after_congestion(CongestionState& s, uint32_t flight, uint64_t) const override {
        return std::max(flight / 2, 2 * s.mss);
    }
};

}  // namespace

const CongestionOps& newreno_ops() {
    static const NewReno ops;
    return ops;
}

}  // namespace tcpterm::tcp
