// RFC 862 echo: every byte back, in order. Back-pressure comes free: bytes
// the send queue cannot take stay unread, which closes our receive window.
#pragma once

#include "lib/tcp/engine.hpp"
#include "lib/tcp/service.hpp"

namespace tcpterm::app {

class EchoService final : public tcp::Service {
public:
    void on_accept(tcp::Engine&, tcp::Tcb&) override {}
    void on_data(tcp::Engine& e, tcp::Tcb& c) override { pump(e, c); }
    void on_writable(tcp::Engine& e, tcp::Tcb& c) override { pump(e, c); }
    void on_peer_shutdown(tcp::Engine& e, tcp::Tcb& c) override { pump(e, c); }

private:
    // Moves what fits from the receive queue to the send queue; once the peer
    // has finished and everything is echoed, closes (half-close aware).
    static void pump(tcp::Engine& e, tcp::Tcb& c) {
        for (auto chunk = e.recv_front(c); !chunk.empty(); chunk = e.recv_front(c)) {
            size_t n = e.send(c, chunk.data(), chunk.size());
            e.consume(c, n);
            if (n < chunk.size())
                return;  // on_writable resumes
        }
        if (c.peer_fin)
            e.close(c);
    }
};

}  // namespace tcpterm::app
