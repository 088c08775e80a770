#include "app/services/proxy.hpp"

#include <utility>

namespace tcpterm::app {

namespace {

// Each side's service state: who the partner is, and whether this side's
// FIN has been passed on to it. The partner handle is dropped in on_closed
// (either side's), so it never outlives its connection.
struct Link {
    tcp::Connection partner;   // empty: unlinked
    bool fin_passed = false;   // this side's FIN went on to the partner
    bool connected = false;    // its handshake completed (the client's has)
};

}  // namespace

ProxyService::ProxyService(std::vector<BackendSpec> backends) : backends_(std::move(backends)) {}

void ProxyService::on_accept(tcp::Connection client) {
    Link& link = client.emplace_state<Link>(Link{.connected = true});
    if (backends_.empty()) {
        client.abort();
        return;
    }
    const BackendSpec& b = backends_[next_++ % backends_.size()];
    tcp::Connection backend = client.connect(b.addr, b.port, backend_side_);
    if (!backend) {  // no port or table slot: the client hears a reset
        client.abort();
        return;
    }
    backend.emplace_state<Link>(Link{.partner = client});
    link.partner = backend;
}

void ProxyService::BackendSide::on_accept(tcp::Connection backend) {
    Link& l = backend.state<Link>();
    l.connected = true;
    if (l.partner)
        proxy_.relay(l.partner);  // what the client sent while we connected
}

// Space freed on c: its partner's data can move on to it.
void ProxyService::on_writable(tcp::Connection c) {
    if (tcp::Connection partner = c.state<Link>().partner)
        relay(partner);
}

void ProxyService::relay(tcp::Connection src) {
    Link& from = src.state<Link>();
    tcp::Connection dst = from.partner;
    if (!dst)
        return;
    Link& to = dst.state<Link>();
    if (!to.connected)
        return;  // the backend's handshake is not done: keep it queued
    for (auto chunk = src.recv_front(); !chunk.empty(); chunk = src.recv_front()) {
        size_t n = dst.send(chunk.data(), chunk.size());
        src.consume(n);
        if (n < chunk.size())
            return;  // on_writable(dst) resumes
    }
    if (src.peer_finished() && !from.fin_passed) {
        from.fin_passed = true;
        dst.shutdown_write();  // half-close, passed on
    }
    if (from.fin_passed && to.fin_passed) {  // both directions are done
        from.partner = {};
        to.partner = {};
        src.close();
        dst.close();
    }
}

void ProxyService::on_closed(tcp::Connection c, tcp::CloseReason reason) {
    tcp::Connection partner = std::exchange(c.state<Link>().partner, {});
    if (!partner)
        return;
    partner.state<Link>().partner = {};
    // A reset, a timeout or a backend that refused: the other side is reset
    // too, so the client learns that its bytes did not all get through.
    if (reason == tcp::CloseReason::Normal)
        partner.close();
    else
        partner.abort();
}

}  // namespace tcpterm::app
