// RFC 864 character generator: an endless stream of 72-character lines, each
// starting one character further along the 95 printable ASCII characters.
// It sends only what the send queue takes, so the peer's window paces it.
#pragma once

#include <cstdint>

#include "lib/tcp/service.hpp"

namespace tcpterm::app {

class ChargenService final : public tcp::Service {
public:
    ChargenService();
    void on_accept(tcp::Connection c) override;
    void on_data(tcp::Connection c) override { c.consume(c.received()); }
    void on_writable(tcp::Connection c) override { fill(c); }
    void on_peer_shutdown(tcp::Connection c) override { c.close(); }

    static constexpr uint32_t kLineLen = 74;  // 72 characters and CR LF
    static constexpr uint32_t kLines = 95;    // the pattern repeats after 95 lines

private:
    void fill(tcp::Connection c);
    // Two periods back to back, so any window of up to one period is contiguous.
    uint8_t pattern_[2 * kLines * kLineLen];
};

}  // namespace tcpterm::app
