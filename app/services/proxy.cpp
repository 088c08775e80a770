#include "app/services/proxy.hpp"

#include <span>
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
    bool is_backend = false;
    bool relayed = false;      // bytes from this side went on to the partner (tunnel once both have)
    uint16_t backend = Pool::kNone;  // both sides: the pool's backend index
    // The client's side: its attempts to reach a backend so far, and when
    // its connect_timeout runs out.
    uint8_t attempts = 0;
    uint16_t tried[kMaxRetries + 1] = {};
    uint64_t deadline_us = 0;
};

}  // namespace

void ProxyService::on_accept(tcp::Connection client) {
    client.emplace_state<Link>(Link{
        .connected = true,
        .deadline_us = client.now_us() + pool_.pool().spec().connect_timeout_ms * 1000});
    if (!try_backend(client)) {
        client.abort();
        return;
    }
    client.set_idle_timeout(pool_.pool().spec().client_timeout_ms * 1000);
}

// The client's next attempt: a backend it has not tried (while there is
// one), given an equal share of the connect_timeout left for the attempts
// left, so that one silent backend cannot use up the whole budget.
bool ProxyService::try_backend(tcp::Connection client) {
    Link& link = client.state<Link>();
    const PoolSpec& spec = pool_.pool().spec();
    uint64_t now = client.now_us();
    if (link.attempts > spec.retries || now >= link.deadline_us)
        return false;
    uint16_t b = pool_.pick(client.key(), {link.tried, link.attempts});
    if (b == Pool::kNone)  // every backend is down
        return false;
    link.tried[link.attempts++] = b;
    uint64_t attempts_left = spec.retries + 2u - link.attempts;  // this one included
    const BackendSpec& to = spec.backends[b];
    // From the pool's source addresses and ports, else from the VIP the
    // client reached (an ephemeral port).
    std::span<const uint32_t> sources = spec.sources;
    if (sources.empty())
        sources = {&client.key().laddr, 1};
    tcp::Engine::Source from{sources, spec.source_port_first, spec.source_port_last};
    tcp::Connection backend =
        client.connect(from, to.addr, to.port, backend_side_, (link.deadline_us - now) / attempts_left);
    if (!backend)  // no port or table slot: the client hears a reset
        return false;
    pool_.connect_started(b);
    backend.emplace_state<Link>(Link{.partner = client, .is_backend = true, .backend = b});
    link.partner = backend;
    link.backend = b;
    return true;
}

void ProxyService::BackendSide::on_accept(tcp::Connection backend) {
    Link& l = backend.state<Link>();
    l.connected = true;
    proxy_.pool_.connected(l.backend);
    backend.set_idle_timeout(proxy_.pool_.pool().spec().server_timeout_ms * 1000);
    if (!l.partner)
        return;
    if (!proxy_.send_proxy_header(backend, l.partner)) {
        l.partner.abort();  // its on_closed resets the backend too
        return;
    }
    proxy_.relay(l.partner);  // what the client sent while we connected
}

// The pool's PROXY protocol header goes first, before any client byte: the
// client's address and the VIP it reached, as the client's connection has
// them. An empty send queue always takes it whole.
bool ProxyService::send_proxy_header(tcp::Connection backend, tcp::Connection client) {
    ProxyProtocol version = pool_.pool().spec().proxy_protocol;
    if (version == ProxyProtocol::None)
        return true;
    const tcp::FlowKey& k = client.key();
    uint8_t header[kProxyHeaderMax];
    size_t n = encode_proxy_header(version, {k.raddr, k.laddr, k.rport, k.lport}, header);
    return backend.send(header, n) == n;
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
    if (!src.recv_front().empty()) {
        // Zero copy: the buffers the bytes arrived in join dst's send queue.
        size_t n = src.move_received_to(dst);
        if (to.is_backend)
            pool_.sent_to_backend(to.backend, n);
        else
            pool_.received_from_backend(from.backend, n);
        if (n > 0 && !from.relayed) {
            from.relayed = true;
            if (to.relayed)
                enter_tunnel(src, dst);
        }
        if (!src.recv_front().empty())
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

// Both sides have spoken: tunnel_timeout (if set) replaces the client and
// server timeouts on both, as HAProxy's "timeout tunnel".
void ProxyService::enter_tunnel(tcp::Connection a, tcp::Connection b) {
    if (uint64_t ms = pool_.pool().spec().tunnel_timeout_ms) {
        a.set_idle_timeout(ms * 1000);
        b.set_idle_timeout(ms * 1000);
    }
}

// A side was silent past its timeout: the session ends on both sides, as
// HAProxy's does on a read timeout: the silent side's read is shut and its
// FIN passes on, so both peers see a FIN (a side whose unread data would be
// lost is reset: Engine::close). HAProxy resets only with "option nolinger"
// or when a write timed out; here a peer that stops acknowledging is the
// retransmission timer's, which resets it.
void ProxyService::on_idle_timeout(tcp::Connection c) {
    Link& link = c.state<Link>();
    pool_.idle_timeout(link.backend, !link.is_backend);
    if (tcp::Connection partner = std::exchange(link.partner, {})) {
        partner.state<Link>().partner = {};
        if (partner.state<Link>().connected)
            partner.close();
        else
            partner.abort();  // a backend still in its handshake
    }
    c.close();
}

void ProxyService::on_closed(tcp::Connection c, tcp::CloseReason reason) {
    Link& link = c.state<Link>();
    if (link.is_backend) {
        // A handshake that a RST or the timer ended counts against the
        // backend (passive health); one we aborted ourselves does not.
        bool failed = !link.connected && (reason == tcp::CloseReason::Refused ||
                                          reason == tcp::CloseReason::Timeout);
        if (failed)
            pool_.connect_failed(link.backend, reason == tcp::CloseReason::Refused);
        else
            pool_.closed(link.backend);
        // The client is still waiting: on to the next backend, if any.
        if (failed && link.partner) {
            tcp::Connection client = std::exchange(link.partner, {});
            client.state<Link>().partner = {};
            if (!try_backend(client))
                client.abort();
            return;
        }
    }
    tcp::Connection partner = std::exchange(link.partner, {});
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
