// A service whose application never accepts: completed connections wait in
// the listener's accept queue (bounded by backlog=N) and their data stays
// unread, so users can watch SYN-queue and accept-queue limits at work.
#pragma once

#include "lib/tcp/service.hpp"

namespace tcpterm::app {

class HoldService final : public tcp::Service {
public:
    bool accepts() const override { return false; }
    void on_accept(tcp::Connection) override {}
    void on_data(tcp::Connection) override {}
};

}  // namespace tcpterm::app
