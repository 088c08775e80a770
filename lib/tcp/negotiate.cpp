#include "lib/tcp/negotiate.hpp"

#include <algorithm>

namespace tcpterm::tcp {

SynOffer offer_of(const TcpOptions& syn) {
    SynOffer o;
    o.mss = syn.has_mss ? syn.mss : kDefaultMss;
    o.window_scale = syn.has_window_scale;
    o.wscale = std::min(syn.window_scale, kMaxWindowScale);  // RFC 7323 §2.3: 14 at most
    o.sack = syn.sack_permitted;
    o.timestamps = syn.has_timestamps;
    return o;
}

Negotiated negotiate(const SynOffer& ours, const SynOffer& peer) {
    Negotiated n;
    n.snd_mss = std::max(std::min(peer.mss, ours.mss), kMinMss);
    if (ours.window_scale && peer.window_scale) {  // RFC 7323 §2.2: both, or neither
        n.ws_ok = true;
        n.snd_wscale = peer.wscale;
        n.rcv_wscale = ours.wscale;
    }
    n.sack_ok = ours.sack && peer.sack;
    n.ts_ok = ours.timestamps && peer.timestamps;
    if (n.ts_ok)
        n.snd_mss = static_cast<uint16_t>(n.snd_mss - kTimestampOptionLen);
    return n;
}

}  // namespace tcpterm::tcp
