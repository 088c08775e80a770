#include <catch2/catch.hpp>

#include "app/services/http.hpp"
#include "engine_harness.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kFin;
using tcp::kPsh;
using tcp::kSyn;

namespace {

// Completes a handshake from port 40000 and returns our ISS.
uint32_t handshake(EngineHarness& h, uint16_t port = 80) {
    SegmentSpec syn;
    syn.seq = 1000;
    syn.flags = kSyn;
    syn.dst_port = port;
    syn.opts.has_mss = true;
    syn.opts.mss = 1460;
    h.deliver(syn);
    Sent synack = h.pop();
    REQUIRE(synack.flags == (kSyn | kAck));
    SegmentSpec ack;
    ack.seq = 1001;
    ack.ack = synack.seq.v + 1;
    ack.flags = kAck;
    ack.dst_port = port;
    h.deliver(ack);
    return synack.seq.v;
}

}  // namespace

TEST_CASE("http: a curl-style GET gets 200 and the body, and keep-alive holds", "[app][http]") {
    EngineHarness h;
    app::HttpService http(612);
    h.listen(80, &http);
    uint32_t iss = handshake(h);
    SegmentSpec get;
    get.seq = 1001;
    get.ack = iss + 1;
    get.flags = kAck | kPsh;
    get.payload = "GET / HTTP/1.1\r\nHost: 198.18.0.1\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
    h.deliver(get);
    Sent reply = h.pop();
    CHECK_FALSE(reply.has(tcp::kRst));
    CHECK(reply.payload.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(reply.payload.find("Content-Length: 612\r\n") != std::string::npos);
    CHECK(reply.payload.find("Connection: keep-alive\r\n") != std::string::npos);
    size_t header_end = reply.payload.find("\r\n\r\n");
    REQUIRE(header_end != std::string::npos);
    CHECK(reply.payload.size() - header_end - 4 == 612);
    CHECK(h.conn()->state == tcp::State::Established);
}

TEST_CASE("http: HTTP/1.0 without keep-alive and Connection: close end with FIN", "[app][http]") {
    const char* requests[] = {"GET / HTTP/1.0\r\n\r\n",
                              "GET / HTTP/1.1\r\nConnection: close\r\n\r\n"};
    for (const char* request : requests) {
        EngineHarness h;
        app::HttpService http(10);
        h.listen(80, &http);
        uint32_t iss = handshake(h);
        SegmentSpec get;
        get.seq = 1001;
        get.ack = iss + 1;
        get.flags = kAck | kPsh;
        get.payload = request;
        h.deliver(get);
        Sent reply = h.pop();
        CHECK(reply.payload.find("Connection: close\r\n") != std::string::npos);
        CHECK(reply.has(kFin));
        CHECK(h.conn()->state == tcp::State::FinWait1);
    }
}

TEST_CASE("http: a request split over segments and a pipelined pair", "[app][http]") {
    EngineHarness h;
    app::HttpService http(5);
    h.listen(80, &http);
    uint32_t iss = handshake(h);
    std::string both = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
    SegmentSpec part;
    part.seq = 1001;
    part.ack = iss + 1;
    part.flags = kAck;
    part.payload = both.substr(0, 7);
    h.deliver(part);
    CHECK(h.pop().payload.empty());  // just the ACK
    part.seq = 1001 + 7;
    part.payload = both.substr(7);
    h.deliver(part);
    Sent reply = h.pop();
    size_t first = reply.payload.find("HTTP/1.1 200 OK");
    size_t second = reply.payload.find("HTTP/1.1 200 OK", first + 1);
    CHECK(first == 0);
    CHECK(second != std::string::npos);
}
