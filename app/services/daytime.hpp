// RFC 867 daytime: one line with the date and time, then an active close.
#pragma once

#include <ctime>

#include "lib/tcp/service.hpp"

namespace tcpterm::app {

class DaytimeService final : public tcp::Service {
public:
    void on_accept(tcp::Connection c) override {
        char line[64];
        std::time_t now = std::time(nullptr);
        std::tm utc{};
        gmtime_r(&now, &utc);
        size_t n = std::strftime(line, sizeof(line), "%A, %B %d, %Y %H:%M:%S-UTC\r\n", &utc);
        c.send(line, n);
        c.shutdown_write();  // RFC 867: the server closes after the line
    }
    // Anything the client sends is ignored (RFC 867).
    void on_data(tcp::Connection c) override { c.consume(c.received()); }
    void on_peer_shutdown(tcp::Connection c) override { c.close(); }
};

}  // namespace tcpterm::app
