// A static HTTP/1.x responder for benchmarks: every request gets 200 with a
// body of the configured size. Persistent connections follow RFC 9112 §9.3
// (1.1 keeps alive unless "Connection: close"; 1.0 only with "keep-alive"),
// pipelined requests are answered in order, HEAD gets no body.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lib/tcp/service.hpp"

namespace tcpterm::app {

class HttpService final : public tcp::Service {
public:
    explicit HttpService(uint32_t body_size);
    void on_accept(tcp::Connection c) override;
    void on_data(tcp::Connection c) override { pump(c); }
    void on_writable(tcp::Connection c) override { pump(c); }
    void on_peer_shutdown(tcp::Connection c) override { pump(c); }

    static constexpr uint32_t kMaxLine = 8192;
    static constexpr uint32_t kMaxHeaderBytes = 65536;

private:
    struct Request;
    void pump(tcp::Connection c);
    // Feeds received bytes to the parser; returns how many it used and sets
    // *complete when a request's header block ended.
    size_t parse(Request& r, const uint8_t* data, size_t len, bool* complete, bool* bad);
    void end_of_line(Request& r, bool* complete, bool* bad);
    bool start_response(tcp::Connection c, Request& r);
    bool send_body(tcp::Connection c, Request& r);

    uint32_t body_size_;
    std::vector<uint8_t> body_;  // one chunk of the body pattern, reused
};

}  // namespace tcpterm::app
