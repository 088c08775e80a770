#include "app/services/proxy.hpp"

#include <new>

namespace tcpterm::app {

namespace {

// Kept in each side's Tcb::app: who the partner is, and whether this side's
// FIN has been passed on to it.
struct Link {
    tcp::Tcb* partner = nullptr;
    bool fin_passed = false;   // this side's FIN went on to the partner
    bool connected = false;    // for the backend side: its handshake completed
};
static_assert(sizeof(Link) <= sizeof(tcp::Tcb::app));

Link& link_of(tcp::Tcb& c) { return *std::launder(reinterpret_cast<Link*>(c.app)); }

}  // namespace

ProxyService::ProxyService(std::vector<Backend> backends) : backends_(std::move(backends)) {}

void ProxyService::on_accept(tcp::Engine& e, tcp::Tcb& client) {
    new (client.app) Link{};
    if (backends_.empty()) {
        e.abort(client);
        return;
    }
    const Backend& b = backends_[next_++ % backends_.size()];
    tcp::Tcb* backend = e.connect(client.key.laddr, b.addr, b.port, &backend_side_, 0, e.now_us());
    if (!backend) {  // no port or table slot: the client hears a reset
        e.abort(client);
        return;
    }
    new (backend->app) Link{&client, false, false};
    link_of(client).partner = backend;
}

void ProxyService::BackendSide::on_accept(tcp::Engine& e, tcp::Tcb& backend) {
    Link& l = link_of(backend);
    l.connected = true;
    if (l.partner)
        proxy_.relay(e, *l.partner);  // what the client sent while we connected
}

void ProxyService::on_data(tcp::Engine& e, tcp::Tcb& c) { relay(e, c); }

// Space freed on c: its partner's data can move on to it.
void ProxyService::on_writable(tcp::Engine& e, tcp::Tcb& c) {
    if (tcp::Tcb* partner = link_of(c).partner)
        relay(e, *partner);
}

void ProxyService::on_peer_shutdown(tcp::Engine& e, tcp::Tcb& c) { relay(e, c); }

void ProxyService::relay(tcp::Engine& e, tcp::Tcb& src) {
    Link& from = link_of(src);
    tcp::Tcb* dst = from.partner;
    if (!dst)
        return;
    Link& to = link_of(*dst);
    if (dst->service == &backend_side_ && !to.connected)
        return;  // the backend's handshake is not done: keep it queued
    for (auto chunk = e.recv_front(src); !chunk.empty(); chunk = e.recv_front(src)) {
        size_t n = e.send(*dst, chunk.data(), chunk.size());
        e.consume(src, n);
        if (n < chunk.size())
            return;  // on_writable(dst) resumes
    }
    if (src.peer_fin && !from.fin_passed) {
        from.fin_passed = true;
        e.shutdown_write(*dst);  // half-close, passed on
    }
    if (from.fin_passed && to.fin_passed) {  // both directions are done
        from.partner = nullptr;
        to.partner = nullptr;
        e.close(src);
        e.close(*dst);
    }
}

void ProxyService::on_closed(tcp::Engine& e, tcp::Tcb& c, tcp::CloseReason reason) {
    Link& l = link_of(c);
    tcp::Tcb* partner = l.partner;
    l.partner = nullptr;
    if (!partner)
        return;
    link_of(*partner).partner = nullptr;
    // A reset, a timeout or a backend that refused: the other side is reset
    // too, so the client learns that its bytes did not all get through.
    if (reason == tcp::CloseReason::Normal)
        e.close(*partner);
    else
        e.abort(*partner);
}

}  // namespace tcpterm::app
