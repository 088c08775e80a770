// RFC 867 daytime: one line with the date and time, then an active close.
#pragma once

#include <ctime>

#include "lib/tcp/engine.hpp"
#include "lib/tcp/service.hpp"

namespace tcpterm::app {

class DaytimeService final : public tcp::Service {
public:
    void on_accept(tcp::Engine& e, tcp::Tcb& c) override {
        char line[64];
        std::time_t now = std::time(nullptr);
        std::tm utc{};
        gmtime_r(&now, &utc);
        size_t n = std::strftime(line, sizeof(line), "%A, %B %d, %Y %H:%M:%S-UTC\r\n", &utc);
        e.send(c, line, n);
        e.shutdown_write(c);  // RFC 867: the server closes after the line
    }
    // Anything the client sends is ignored (RFC 867).
    void on_data(tcp::Engine& e, tcp::Tcb& c) override { e.consume(c, e.received(c)); }
    void on_peer_shutdown(tcp::Engine& e, tcp::Tcb& c) override { e.close(c); }
};

}  // namespace tcpterm::app
