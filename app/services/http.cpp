#include "app/services/http.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace tcpterm::app {

// Per-connection parser state, kept in the connection's service state.
struct HttpService::Request {
    uint32_t body_left;       // response body bytes still to queue
    uint32_t skip_left;       // request body bytes (Content-Length) to skip
    uint32_t header_bytes;    // header bytes of the request being parsed
    uint32_t content_length;
    uint16_t line_len;
    uint8_t head_len;
    bool request_line_seen;
    bool http10;
    bool want_close;
    bool want_keep_alive;
    bool head_method;
    bool header_done;         // a request's header block ended; respond next
    bool responding;          // response header queued, body going out
    bool close_after;         // close once this response is queued
    char head[24];            // first bytes of the current line, lower case
    char tail[10];            // last bytes of the current line ("HTTP/1.1\r")
};

HttpService::HttpService(uint32_t body_size) : body_size_(body_size) {
    body_.resize(16384);
    for (size_t i = 0; i < body_.size(); ++i)
        body_[i] = static_cast<uint8_t>(i % 64 == 63 ? '\n' : 'a' + i % 26);
}

void HttpService::on_accept(tcp::Connection c) { c.emplace_state<Request>(); }

void HttpService::end_of_line(Request& r, bool* complete, bool* bad) {
    size_t len = r.line_len;
    // Drop the CR of CRLF (a bare LF is accepted too, RFC 9112 §2.2).
    size_t kept = std::min<size_t>(len, sizeof(r.tail));
    char tail_copy[sizeof(r.tail)];
    std::memcpy(tail_copy, r.tail, sizeof(r.tail));
    std::string_view tail(tail_copy + sizeof(r.tail) - kept, kept);
    if (!tail.empty() && tail.back() == '\r') {
        tail.remove_suffix(1);
        --len;
    }
    char head_copy[sizeof(r.head)];
    std::memcpy(head_copy, r.head, sizeof(r.head));
    std::string_view head(head_copy, std::min<size_t>(r.head_len, len));
    r.line_len = 0;
    r.head_len = 0;
    std::memset(r.tail, 0, sizeof(r.tail));
    if (!r.request_line_seen) {
        if (len == 0)
            return;  // RFC 9112 §2.2: ignore empty lines before the request
        r.request_line_seen = true;
        r.http10 = tail.size() >= 8 && tail.substr(tail.size() - 8) == "HTTP/1.0";
        if (!(tail.size() >= 8 && tail.substr(tail.size() - 8, 7) == "HTTP/1."))
            *bad = true;
        r.head_method = head.starts_with("HEAD ") || head.starts_with("head ");
        return;
    }
    if (len == 0) {
        *complete = true;
        return;
    }
    // head is lower-cased as it is collected.
    if (head.starts_with("connection:")) {
        if (head.find("close") != std::string_view::npos)
            r.want_close = true;
        if (head.find("keep-alive") != std::string_view::npos)
            r.want_keep_alive = true;
    } else if (head.starts_with("content-length:")) {
        uint32_t v = 0;
        for (char ch : head.substr(15))
            if (ch >= '0' && ch <= '9')
                v = v * 10 + static_cast<uint32_t>(ch - '0');
        r.content_length = v;
    }
}

size_t HttpService::parse(Request& r, const uint8_t* data, size_t len, bool* complete, bool* bad) {
    size_t i = 0;
    while (i < len && !*complete && !*bad) {
        char ch = static_cast<char>(data[i++]);
        if (++r.header_bytes > kMaxHeaderBytes) {
            *bad = true;
            break;
        }
        if (ch == '\n') {
            end_of_line(r, complete, bad);
            continue;
        }
        if (++r.line_len > kMaxLine) {
            *bad = true;
            break;
        }
        if (r.head_len < sizeof(r.head))
            r.head[r.head_len++] = r.request_line_seen
                                       ? static_cast<char>(std::tolower(static_cast<unsigned char>(ch)))
                                       : ch;
        std::memmove(r.tail, r.tail + 1, sizeof(r.tail) - 1);
        r.tail[sizeof(r.tail) - 1] = ch;
    }
    return i;
}

bool HttpService::start_response(tcp::Connection c, Request& r) {
    bool keep_alive = r.http10 ? (r.want_keep_alive && !r.want_close) : !r.want_close;
    char header[192];
    int n = std::snprintf(header, sizeof(header),
                          "HTTP/1.1 200 OK\r\nServer: tcpterm\r\nContent-Type: text/plain\r\n"
                          "Content-Length: %u\r\nConnection: %s\r\n\r\n",
                          body_size_, keep_alive ? "keep-alive" : "close");
    if (c.send_space() < static_cast<size_t>(n)) {
        c.want_writable();  // wake us when the header fits
        return false;
    }
    c.send(header, static_cast<size_t>(n));
    r.body_left = r.head_method ? 0 : body_size_;
    r.close_after = !keep_alive;
    r.responding = true;
    return true;
}

bool HttpService::send_body(tcp::Connection c, Request& r) {
    while (r.body_left > 0) {
        size_t chunk = std::min<size_t>(r.body_left, body_.size());
        size_t n = c.send(body_.data(), chunk);
        r.body_left -= static_cast<uint32_t>(n);
        if (n < chunk)
            return false;  // on_writable resumes
    }
    return true;
}

void HttpService::pump(tcp::Connection c) {
    Request& r = c.state<Request>();
    for (;;) {
        if (r.header_done) {
            if (!start_response(c, r))
                return;  // waits for send space (on_writable)
            r.header_done = false;
            r.skip_left = r.content_length;
        }
        if (r.responding) {
            if (!send_body(c, r))
                return;
            bool close_after = r.close_after;
            uint32_t skip_left = r.skip_left;
            r = Request{};
            r.skip_left = skip_left;
            if (close_after) {
                c.consume(c.received());
                c.close();
                return;
            }
        }
        auto chunk = c.recv_front();
        if (chunk.empty())
            break;
        if (r.skip_left > 0) {  // a request body we do not use
            size_t n = std::min<size_t>(r.skip_left, chunk.size());
            c.consume(n);
            r.skip_left -= static_cast<uint32_t>(n);
            continue;
        }
        bool bad = false;
        size_t used = parse(r, chunk.data(), chunk.size(), &r.header_done, &bad);
        if (bad) {
            c.abort();  // not HTTP, or a header past our limits
            return;
        }
        c.consume(used);
    }
    if (c.peer_finished() && !r.responding && !r.header_done)
        c.close();
}

}  // namespace tcpterm::app
