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

SynReceived::SynReceived(const tcp::EngineConfig& cfg) : h(cfg) {
    h.listen(80, &svc);
    h.deliver(syn);
    synack = h.pop();
    REQUIRE(synack.flags == (kSyn | kAck));
    iss = synack.seq.v;
    REQUIRE(tcb() != nullptr);
    REQUIRE(tcb()->state == State::SynReceived);
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

void check_tcb(const tcp::Tcb* t, uint32_t iss, const TcbExpect& e) {
    REQUIRE(t != nullptr);
    INFO("expected " << tcp::state_name(e.state) << ", in " << tcp::state_name(t->state));
    CHECK(t->state == e.state);
    CHECK(t->snd_una.v == iss + e.snd_una);
    CHECK(t->snd_nxt.v == iss + e.snd_nxt);
    CHECK(t->snd_max.v == iss + e.snd_max);
    CHECK(t->rcv_nxt.v == kPeerIsn + e.rcv_nxt);
    CHECK(t->fin_queued == e.fin_queued);
    if (e.fin_queued)
        CHECK(t->fin_seq.v == iss + e.fin_seq);
    CHECK(t->peer_fin == e.peer_fin);
    CHECK(t->timer_kind == e.timer);
}

}  // namespace tcpterm::test
