// L4 proxy: every accepted connection is spliced to a backend connection
// that this worker opens, to the backend its pool's algorithm picks
// (app/lb/pool.hpp). A backend that refuses or stays silent is followed by
// another, up to the pool's retries within its connect_timeout (each try
// bounded by the engine's connect timeout); the client is reset only when
// none answers. Failed connects count toward the backend's passive health.
// Bytes are relayed both ways without a copy (the received mbufs join the
// other side's send queue) and with back-pressure (what the other side's send
// queue cannot take stays unread, which closes this side's window), a FIN is
// passed on as a half-close, and a reset or a failed backend resets the other
// side. The pool's client_timeout and server_timeout bound each side's
// silence, tunnel_timeout both once bytes have gone both ways; on expiry
// both sides are closed (on_idle_timeout). A pool with proxy_protocol = v1|v2 starts each backend connection
// with that PROXY protocol header (app/lb/proxy_header.hpp). Replies from the backend hash back to this worker (the engine's port
// filter), so a pair never crosses cores.
#pragma once

#include <cstdint>

#include "app/lb/pool.hpp"
#include "lib/tcp/service.hpp"

namespace tcpterm::app {

class ProxyService final : public tcp::Service {
public:
    // pool: this worker's side of the listener's pool; it outlives the service.
    explicit ProxyService(PoolWorker& pool) : pool_(pool) {}

    void on_accept(tcp::Connection client) override;
    void on_data(tcp::Connection c) override { relay(c); }
    void on_writable(tcp::Connection c) override;
    void on_peer_shutdown(tcp::Connection c) override { relay(c); }
    void on_idle_timeout(tcp::Connection c) override;
    void on_closed(tcp::Connection c, tcp::CloseReason reason) override;

private:
    // The backend side's callbacks: the same relay, seen from the other end.
    class BackendSide final : public tcp::Service {
    public:
        explicit BackendSide(ProxyService& proxy) : proxy_(proxy) {}
        void on_accept(tcp::Connection backend) override;
        void on_data(tcp::Connection c) override { proxy_.on_data(c); }
        void on_writable(tcp::Connection c) override { proxy_.on_writable(c); }
        void on_peer_shutdown(tcp::Connection c) override { proxy_.on_peer_shutdown(c); }
        void on_idle_timeout(tcp::Connection c) override { proxy_.on_idle_timeout(c); }
        void on_closed(tcp::Connection c, tcp::CloseReason r) override { proxy_.on_closed(c, r); }

    private:
        ProxyService& proxy_;
    };

    // Opens the client's next backend connection; false when it may not
    // (retries or connect_timeout used up, no backend up, no port).
    bool try_backend(tcp::Connection client);
    // Sends the pool's PROXY protocol header (if any) on a backend
    // connection that has just been established; false if it did not fit.
    bool send_proxy_header(tcp::Connection backend, tcp::Connection client);
    // Moves what fits from src's receive queue to its partner; passes the
    // FIN on once src's data is all through; closes both when both are done.
    void relay(tcp::Connection src);
    void enter_tunnel(tcp::Connection a, tcp::Connection b);

    PoolWorker& pool_;
    BackendSide backend_side_{*this};
};

}  // namespace tcpterm::app
