// The options a new connection uses, the same for its three openings
// (LISTEN, a SYN cookie's ACK, SYN_SENT): negotiate.hpp decides, these
// put what we offer in and the result into the TCB.
#include "lib/tcp/engine.hpp"

namespace tcpterm::tcp {

SynOffer Engine::our_offer() const {
    SynOffer o;
    o.mss = config_.mss;
    o.window_scale = config_.window_scaling;
    o.wscale = rcv_wscale_;
    o.sack = config_.sack;
    o.timestamps = config_.timestamps;
    return o;
}

void Engine::take_negotiated(Tcb& t, const Negotiated& n) {
    t.snd_mss = n.snd_mss;
    t.ws_ok = n.ws_ok;
    t.snd_wscale = n.snd_wscale;
    t.rcv_wscale = n.rcv_wscale;
    t.sack_ok = n.sack_ok;
    t.ts_ok = n.ts_ok;
}

}  // namespace tcpterm::tcp
