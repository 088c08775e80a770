#include "state_fixtures.hpp"

#include <catch2/catch.hpp>

namespace tcpterm::test {

using tcp::kAck;
using tcp::kFin;
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

const char* ending_name(Ending how) {
    return how == Ending::Close ? "close()" : "shutdown_write()";
}

Sent end_our_side(Established& c, Ending how) {
    tcp::Tcb* t = c.tcb();
    REQUIRE(t != nullptr);
    if (how == Ending::Close)
        c.h.engine->close(*t);
    else
        c.h.engine->shutdown_write(*t);
    c.h.engine->flush(c.h.now_us);
    Sent fin = c.h.pop();
    REQUIRE(fin.has(kFin));
    return fin;
}

FinWait1::FinWait1(Ending how, const tcp::EngineConfig& cfg) : Established(cfg) {
    our_fin = end_our_side(*this, how);
    REQUIRE(tcb()->state == State::FinWait1);
}

FinWait2::FinWait2(Ending how, const tcp::EngineConfig& cfg) : FinWait1(how, cfg) {
    h.deliver(ack(fin_acked()));
    REQUIRE(h.nothing_sent());  // an ACK that carries nothing is not answered
    REQUIRE(tcb()->state == State::FinWait2);
}

Closing::Closing(Ending how, const tcp::EngineConfig& cfg) : FinWait1(how, cfg) {
    h.deliver(fin(iss + 1));
    peer_nxt += 1;
    REQUIRE(h.pop().ack.v == peer_nxt);
    REQUIRE(tcb()->state == State::Closing);
}

CloseWait::CloseWait(const tcp::EngineConfig& cfg) : Established(cfg) {
    h.deliver(fin());
    peer_nxt += 1;
    REQUIRE(h.pop().ack.v == peer_nxt);
    REQUIRE(tcb()->state == State::CloseWait);
}

LastAck::LastAck(Ending how, const tcp::EngineConfig& cfg) : CloseWait(cfg) {
    our_fin = end_our_side(*this, how);
    REQUIRE(tcb()->state == State::LastAck);
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
