// RFC 863 discard: reads and drops everything; closes when the peer does.
#pragma once

#include "lib/tcp/engine.hpp"
#include "lib/tcp/service.hpp"

namespace tcpterm::app {

class DiscardService final : public tcp::Service {
public:
    void on_accept(tcp::Engine&, tcp::Tcb&) override {}
    void on_data(tcp::Engine& e, tcp::Tcb& c) override { e.consume(c, e.received(c)); }
    void on_peer_shutdown(tcp::Engine& e, tcp::Tcb& c) override { e.close(c); }
};

}  // namespace tcpterm::app
