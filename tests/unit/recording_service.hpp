// A service for engine tests: records every callback and lets the test act
// on the connection (send, close, ...) between segments.
#pragma once

#include <string>
#include <vector>

#include "lib/tcp/engine.hpp"
#include "lib/tcp/service.hpp"

namespace tcpterm::test {

class RecordingService final : public tcp::Service {
public:
    void on_accept(tcp::Engine&, tcp::Tcb& c) override {
        conn = &c;
        events.push_back("accept");
    }
    void on_data(tcp::Engine& e, tcp::Tcb& c) override {
        events.push_back("data");
        if (!read_data)
            return;
        for (auto chunk = e.recv_front(c); !chunk.empty(); chunk = e.recv_front(c)) {
            received.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
            e.consume(c, chunk.size());
        }
    }
    void on_writable(tcp::Engine&, tcp::Tcb&) override { events.push_back("writable"); }
    void on_peer_shutdown(tcp::Engine&, tcp::Tcb&) override { events.push_back("peer_shutdown"); }
    void on_closed(tcp::Engine&, tcp::Tcb&, tcp::CloseReason r) override {
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
