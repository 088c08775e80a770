// The options a new connection uses, the same for its three openings
// (LISTEN, a SYN cookie's ACK, SYN_SENT): negotiate.hpp decides, these
// put what we offer in and the result into the TCB.
#include <algorithm>

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

// RFC 5482 §3.1: USER_TIMEOUT = min(U_LIMIT, max(ADV_UTO, L_LIMIT)) when the
// peer advertised one and we let it change ours.
void Engine::apply_peer_user_timeout(Tcb& t, const TcpOptions& opts) {
    t.user_timeout_us = config_.user_timeout_us;
    if (!opts.has_user_timeout || !config_.uto_accept || opts.user_timeout == 0)
        return;
    uint64_t adv = uint64_t{opts.user_timeout} * (opts.user_timeout_minutes ? 60 : 1) * 1'000'000;
    t.user_timeout_us = std::min(config_.uto_max_us, std::max(adv, config_.uto_min_us));
    ++counters_.TCPUserTimeoutReceived;
}

}  // namespace tcpterm::tcp
