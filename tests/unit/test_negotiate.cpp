// negotiate(): what a connection uses of two SYN offers, without packets.
#include <catch2/catch.hpp>

#include "lib/tcp/negotiate.hpp"

using tcpterm::tcp::kDefaultMss;
using tcpterm::tcp::kMinMss;
using tcpterm::tcp::kTimestampOptionLen;
using tcpterm::tcp::negotiate;
using tcpterm::tcp::offer_of;
using tcpterm::tcp::SynOffer;
using tcpterm::tcp::TcpOptions;

namespace {
SynOffer full(uint16_t mss, uint8_t wscale) {
    SynOffer o;
    o.mss = mss;
    o.window_scale = true;
    o.wscale = wscale;
    o.sack = true;
    o.timestamps = true;
    return o;
}
}  // namespace

TEST_CASE("negotiate: a SYN without options means MSS 536 and nothing else (RFC 9293 §3.7.1)",
          "[tcp][negotiate]") {
    SynOffer peer = offer_of(TcpOptions{});
    CHECK(peer.mss == kDefaultMss);
    auto n = negotiate(full(1460, 7), peer);
    CHECK(n.snd_mss == 536);
    CHECK_FALSE(n.ws_ok);
    CHECK(n.snd_wscale == 0);
    CHECK(n.rcv_wscale == 0);  // RFC 7323 §2.2: neither side scales
    CHECK_FALSE(n.sack_ok);
    CHECK_FALSE(n.ts_ok);
}

TEST_CASE("negotiate: each option only when both offer it; the smaller MSS less the timestamps "
          "(RFC 7323, RFC 2018)", "[tcp][negotiate]") {
    auto n = negotiate(full(1460, 7), full(1400, 9));
    CHECK(n.snd_mss == 1400 - kTimestampOptionLen);
    CHECK(n.ws_ok);
    CHECK(n.snd_wscale == 9);
    CHECK(n.rcv_wscale == 7);
    CHECK(n.sack_ok);
    CHECK(n.ts_ok);

    SynOffer no_ts = full(9000, 2);
    no_ts.timestamps = false;
    no_ts.sack = false;
    auto m = negotiate(full(1460, 7), no_ts);
    CHECK(m.snd_mss == 1460);
    CHECK_FALSE(m.ts_ok);
    CHECK_FALSE(m.sack_ok);
    CHECK(m.ws_ok);

    SynOffer we_do_not_scale = full(1460, 0);
    we_do_not_scale.window_scale = false;
    auto w = negotiate(we_do_not_scale, full(1460, 9));
    CHECK_FALSE(w.ws_ok);
    CHECK(w.snd_wscale == 0);
}

TEST_CASE("negotiate: a window scale above 14 is taken as 14; an MSS below 64 as 64 "
          "(RFC 7323 §2.3)", "[tcp][negotiate]") {
    TcpOptions syn;
    syn.has_window_scale = true;
    syn.window_scale = 15;
    syn.has_mss = true;
    syn.mss = 10;
    auto n = negotiate(full(1460, 7), offer_of(syn));
    CHECK(n.snd_wscale == 14);
    CHECK(n.snd_mss == kMinMss);
}
