// tcp::Connection (lib/tcp/connection.hpp), the handle services get: handles
// of one connection compare equal across callbacks, the service's typed state
// stays with its connection, and connect() opens from the same worker.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "engine_harness.hpp"
#include "lib/tcp/service.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kFin;
using tcp::kRst;
using tcp::kSyn;

namespace {

struct Tally {
    uint32_t serial = 0;  // which accept this was
    uint32_t bytes = 0;   // received on this connection
};

class HandleService final : public tcp::Service {
public:
    void on_accept(tcp::Connection c) override {
        c.emplace_state<Tally>(Tally{static_cast<uint32_t>(accepted.size()), 0});
        accepted.push_back(c);
    }
    void on_data(tcp::Connection c) override {
        last_data = c;
        c.state<Tally>().bytes += static_cast<uint32_t>(c.received());
        c.consume(c.received());
    }
    void on_closed(tcp::Connection c, tcp::CloseReason) override { closed.push_back(c); }

    std::vector<tcp::Connection> accepted;
    std::vector<tcp::Connection> closed;
    tcp::Connection last_data;
};

// The peer's segment on port `port` -> 80; its ISN is 1000.
SegmentSpec from_peer(uint16_t port, uint32_t ack, uint8_t flags, const std::string& payload = "",
                      uint32_t seq = 1001) {
    SegmentSpec s;
    s.src_port = port;
    s.seq = seq;
    s.ack = ack;
    s.flags = flags;
    s.payload = payload;
    return s;
}

// SYN, SYN-ACK, ACK from `port`; returns our ISS.
uint32_t open_from(EngineHarness& h, uint16_t port) {
    h.deliver(from_peer(port, 0, kSyn, "", 1000));
    uint32_t iss = h.pop().seq.v;
    h.deliver(from_peer(port, iss + 1, kAck));
    return iss;
}

}  // namespace

TEST_CASE("connection: handles of one connection are equal, its state stays with it",
          "[tcp][connection]") {
    EngineHarness h;
    HandleService svc;
    h.listen(80, &svc);
    CHECK_FALSE(tcp::Connection{});
    uint32_t iss0 = open_from(h, 40000);
    uint32_t iss1 = open_from(h, 40001);
    REQUIRE(svc.accepted.size() == 2);
    CHECK(svc.accepted[0] != svc.accepted[1]);

    h.deliver(from_peer(40001, iss1 + 1, kAck, "hello"));
    tcp::Connection c = svc.last_data;
    REQUIRE(c);
    CHECK(c == svc.accepted[1]);
    CHECK(c.key() == tcp::FlowKey{0xC6120002, 0xC6120001, 40001, 80});
    CHECK(c.state<Tally>().serial == 1);
    CHECK(c.state<Tally>().bytes == 5);
    CHECK(svc.accepted[0].state<Tally>().bytes == 0);
    CHECK_FALSE(c.peer_finished());

    h.deliver(from_peer(40000, iss0 + 1, kAck, "abc"));
    CHECK(svc.last_data == svc.accepted[0]);
    CHECK(svc.accepted[0].state<Tally>().bytes == 3);
    CHECK(c.state<Tally>().bytes == 5);

    h.sent.clear();
    h.deliver(from_peer(40001, iss1 + 1, kAck | kFin, "!", 1006));
    CHECK(c.peer_finished());
    CHECK(c.state<Tally>().bytes == 6);
    c.abort();
    REQUIRE(svc.closed.size() == 1);
    CHECK(svc.closed[0] == c);
    h.engine->flush(h.now_us);
    bool reset = false;
    while (!h.nothing_sent())
        reset = reset || h.pop().has(kRst);
    CHECK(reset);
}

TEST_CASE("connection: connect() opens from the connection's address on the same engine",
          "[tcp][connection]") {
    tcp::EngineConfig config = EngineHarness::default_config();
    config.max_connections = 2;
    EngineHarness h(config);
    HandleService svc;
    h.listen(80, &svc);
    open_from(h, 40000);
    REQUIRE(svc.accepted.size() == 1);
    tcp::Connection client = svc.accepted[0];
    h.sent.clear();

    tcp::Connection out = client.connect(0xC6120003, 9000, svc);
    REQUIRE(out);
    CHECK(out != client);
    CHECK(out.key().laddr == client.key().laddr);
    h.engine->flush(h.now_us);
    Sent syn = h.pop();
    CHECK(syn.flags == kSyn);
    CHECK(syn.key == out.key());
    // Both table slots are taken: no third connection.
    CHECK_FALSE(client.connect(0xC6120003, 9001, svc));
}
