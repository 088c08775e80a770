// RFC 863 discard: reads and drops everything; closes when the peer does.
#pragma once

#include "lib/tcp/service.hpp"

namespace tcpterm::app {

class DiscardService final : public tcp::Service {
public:
    void on_accept(tcp::Connection) override {}
    void on_data(tcp::Connection c) override { c.consume(c.received()); }
    void on_peer_shutdown(tcp::Connection c) override { c.close(); }
};

}  // namespace tcpterm::app
