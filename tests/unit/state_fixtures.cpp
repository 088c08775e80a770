#include "state_fixtures.hpp"

#include <catch2/catch.hpp>

namespace tcpterm::test {

using tcp::kAck;
using tcp::kSyn;
using tcp::State;

SegmentSpec syn_with(bool mss, bool ws, bool sack, bool ts) {
    SegmentSpec s;
    s.seq = kPeerIsn;
    s.flags = kSyn;
    s.opts.has_mss = mss;
    s.opts.mss = 1400;
    s.opts.has_window_scale = ws;
    s.opts.window_scale = 7;
    s.opts.sack_permitted = sack;
    s.opts.has_timestamps = ts;
    s.opts.ts_val = 5000;
    return s;
}

Established::Established(const tcp::EngineConfig& cfg, bool sack) : h(cfg) {
    h.listen(80, &svc);
    h.deliver(syn_with(true, false, sack, false));
    Sent synack = h.pop();
    iss = synack.seq.v;
    h.deliver(ack());
    REQUIRE(svc.conn != nullptr);
    REQUIRE(svc.conn->state == State::Established);
}

}  // namespace tcpterm::test
