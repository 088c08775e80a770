// RFC 864 character generator: an endless stream of 72-character lines, each
// starting one character further along the 95 printable ASCII characters.
// It sends only what the send queue takes, so the peer's window paces it.
#pragma once

#include <cstdint>

#include "lib/tcp/engine.hpp"
#include "lib/tcp/service.hpp"

namespace tcpterm::app {

class ChargenService final : public tcp::Service {
public:
    ChargenService();
    void on_accept(tcp::Engine& e, tcp::Tcb& c) override { fill(e, c); }
    void on_data(tcp::Engine& e, tcp::Tcb& c) override { e.consume(c, e.received(c)); }
    void on_writable(tcp::Engine& e, tcp::Tcb& c) override { fill(e, c); }
    void on_peer_shutdown(tcp::Engine& e, tcp::Tcb& c) override { e.close(c); }

    static constexpr uint32_t kLineLen = 74;  // 72 characters and CR LF
    static constexpr uint32_t kLines = 95;    // the pattern repeats after 95 lines

private:
    void fill(tcp::Engine& e, tcp::Tcb& c);
    // Two periods back to back, so any window of up to one period is contiguous.
    uint8_t pattern_[2 * kLines * kLineLen];
};

}  // namespace tcpterm::app
