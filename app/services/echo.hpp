// RFC 862 echo: every byte back, in order. Back-pressure comes free: bytes
// the send queue cannot take stay unread, which closes our receive window.
#pragma once

#include "lib/tcp/service.hpp"

namespace tcpterm::app {

class EchoService final : public tcp::Service {
public:
    void on_accept(tcp::Connection) override {}
    void on_data(tcp::Connection c) override { pump(c); }
    void on_writable(tcp::Connection c) override { pump(c); }
    void on_peer_shutdown(tcp::Connection c) override { pump(c); }

private:
    // Moves what fits from the receive queue to the send queue; once the peer
    // has finished and everything is echoed, closes (half-close aware).
    static void pump(tcp::Connection c) {
        for (auto chunk = c.recv_front(); !chunk.empty(); chunk = c.recv_front()) {
            size_t n = c.send(chunk.data(), chunk.size());
            c.consume(n);
            if (n < chunk.size())
                return;  // on_writable resumes
        }
        if (c.peer_finished())
            c.close();
    }
};

}  // namespace tcpterm::app
