#include "app/services/chargen.hpp"

#include <cstring>

namespace tcpterm::app {

namespace {
// Kept in the connection's service state.
struct Position {
    uint32_t offset = 0;  // into one period of the pattern
};
}  // namespace

ChargenService::ChargenService() {
    constexpr uint32_t period = kLines * kLineLen;
    for (uint32_t line = 0; line < kLines; ++line) {
        uint8_t* out = pattern_ + line * kLineLen;
        for (uint32_t i = 0; i < 72; ++i)
            out[i] = static_cast<uint8_t>(' ' + (line + i) % 95);
        out[72] = '\r';
        out[73] = '\n';
    }
    std::memcpy(pattern_ + period, pattern_, period);
}

void ChargenService::on_accept(tcp::Connection c) {
    c.emplace_state<Position>();
    fill(c);
}

void ChargenService::fill(tcp::Connection c) {
    constexpr uint32_t period = kLines * kLineLen;
    Position& pos = c.state<Position>();
    for (;;) {
        size_t n = c.send(pattern_ + pos.offset, period);
        pos.offset = static_cast<uint32_t>((pos.offset + n) % period);
        if (n < period)
            return;  // the queue is full; on_writable resumes
    }
}

}  // namespace tcpterm::app
