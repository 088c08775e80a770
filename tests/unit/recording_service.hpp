// A service for engine tests: records every callback and lets the test act
// on the connection (send, close, ...) between segments, through its TCB.
#pragma once

#include <string>
#include <vector>

#include "lib/tcp/engine.hpp"
#include "lib/tcp/service.hpp"
#include "tests/common/connection_access.hpp"

namespace tcpterm::test {

class RecordingService final : public tcp::Service {
public:
    void on_accept(tcp::Connection c) override {
        conn = tcp::ConnectionTestAccess::tcb(c);
        events.push_back("accept");
    }
    void on_data(tcp::Connection c) override {
        events.push_back("data");
        if (!read_data)
            return;
        for (auto chunk = c.recv_front(); !chunk.empty(); chunk = c.recv_front()) {
            received.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
            c.consume(chunk.size());
        }
    }
    void on_writable(tcp::Connection) override { events.push_back("writable"); }
    void on_peer_shutdown(tcp::Connection) override { events.push_back("peer_shutdown"); }
    void on_closed(tcp::Connection, tcp::CloseReason r) override {
        events.push_back(std::string("closed:") + tcp::close_reason_name(r));
        conn = nullptr;
    }

    bool saw(const std::string& event) const {
        for (auto& e : events)
            if (e == event)
                return true;
        return false;
    }

    tcp::Tcb* conn = nullptr;
    bool read_data = true;
    std::string received;
    std::vector<std::string> events;
};

}  // namespace tcpterm::test
