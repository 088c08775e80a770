// Engine::shutdown_all (SIGINT/SIGTERM): every peer hears that its
// connection ended, FIN where the service's stream is complete, RST
// otherwise; TIME_WAIT entries go; nothing is left in use.
#include <catch2/catch.hpp>

#include "engine_harness.hpp"
#include "recording_service.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kFin;
using tcp::kRst;
using tcp::kSyn;
using tcp::State;

namespace {

constexpr uint32_t kPeerIsn = 5000;

// One engine with a listener on 80; connections come from several peer ports.
struct Stopping {
    EngineHarness h;
    RecordingService svc;

    Stopping() { h.listen(80, &svc); }

    static SegmentSpec from(uint16_t port, uint32_t seq, uint32_t ack, uint8_t flags) {
        SegmentSpec s;
        s.src_port = port;
        s.seq = seq;
        s.ack = ack;
        s.flags = flags;
        return s;
    }
    // SYN from port; returns our ISS from the SYN-ACK.
    uint32_t syn(uint16_t port) {
        SegmentSpec s = from(port, kPeerIsn, 0, kSyn);
        s.opts.has_mss = true;
        s.opts.mss = 1400;
        h.deliver(s);
        Sent synack = h.pop();
        REQUIRE(synack.flags == (kSyn | kAck));
        return synack.seq.v;
    }
    // Handshake completed from port; returns our ISS.
    uint32_t establish(uint16_t port) {
        uint32_t iss = syn(port);
        ack(port, iss + 1);
        REQUIRE(h.conn(port) != nullptr);
        REQUIRE(h.conn(port)->state == State::Established);
        return iss;
    }
    void flush() { h.engine->flush(h.now_us); }
    // The service closes; the segment that sends (its data and FIN) is
    // taken off the wire, in flight.
    void close(tcp::Tcb& c) {
        h.engine->close(c);
        flush();
        h.pop();
    }
    void ack(uint16_t port, uint32_t acked, uint8_t flags = kAck) {
        h.deliver(from(port, kPeerIsn + 1, acked, flags));
    }
    void stop() { h.engine->shutdown_all(h.now_us); }
    // After stop and the segments it sent: nothing left in use or to send.
    void check_all_gone() {
        CHECK(h.nothing_sent());
        CHECK(h.engine->connection_count() == 0);
        CHECK(h.counters.CurrConnections == 0);
        CHECK(h.counters.CurrEstab == 0);
    }
};

void check_rst(const Sent& s, uint32_t seq, uint32_t ack) {
    CHECK(s.flags == (kRst | kAck));
    CHECK(s.seq.v == seq);
    CHECK(s.ack.v == ack);
}

void check_fin(const Sent& s, uint32_t seq, uint32_t ack) {
    CHECK(s.flags == (kFin | kAck));
    CHECK(s.seq.v == seq);
    CHECK(s.ack.v == ack);
    CHECK(s.payload.empty());
}

}  // namespace

TEST_CASE("stop: ESTABLISHED with a service that has not finished gets RST <SEQ=SND.MAX>",
          "[tcp][stop]") {
    Stopping t;
    uint32_t iss = t.establish(40000);
    t.stop();
    check_rst(t.h.pop(), iss + 1, kPeerIsn + 1);
    t.check_all_gone();
    CHECK(t.svc.saw("closed:aborted"));
    CHECK(t.h.conn(40000) == nullptr);
    CHECK(t.h.counters.TCPAbortOnShutdown == 1);
    CHECK(t.h.counters.EstabResets == 1);
    CHECK(t.h.counters.OutRsts == 1);
}

TEST_CASE("stop: a service that closed, all data acknowledged, has its FIN (re)sent",
          "[tcp][stop]") {
    Stopping t;
    uint32_t iss = t.establish(40000);
    tcp::Tcb* c = t.h.conn(40000);
    uint32_t peer_ack = kPeerIsn + 1;
    t.h.engine->send(*c, "done", 4);
    SECTION("FIN_WAIT_1: data acknowledged, the FIN not yet") {
        t.close(*c);
        t.ack(40000, iss + 1 + 4);
        REQUIRE(c->state == State::FinWait1);
    }
    SECTION("FIN_WAIT_2: the FIN acknowledged too") {
        t.close(*c);
        t.ack(40000, iss + 1 + 4 + 1);
        REQUIRE(c->state == State::FinWait2);
    }
    SECTION("LAST_ACK: the peer's FIN came first") {
        t.flush();
        t.h.pop();
        t.ack(40000, iss + 1 + 4, kAck | kFin);
        t.h.pop();  // our ACK of it
        t.close(*c);
        peer_ack += 1;
        REQUIRE(c->state == State::LastAck);
    }
    t.stop();
    check_fin(t.h.pop(), iss + 1 + 4, peer_ack);
    t.check_all_gone();
    CHECK(t.svc.saw("closed:normal"));
    CHECK(t.h.counters.TCPFinOnShutdown == 1);
    CHECK(t.h.counters.TCPAbortOnShutdown == 0);
}

TEST_CASE("stop: a closed service whose data is not all acknowledged is reset, not FINed",
          "[tcp][stop]") {
    Stopping t;
    uint32_t iss = t.establish(40000);
    tcp::Tcb* c = t.h.conn(40000);
    t.h.engine->send(*c, "hello", 5);
    t.close(*c);  // "hello" and FIN, in flight
    t.stop();
    // SND.MAX: right if everything arrives; if "hello" was lost the peer's
    // challenge ACK says where it stands, and the closed port resets that.
    check_rst(t.h.pop(), iss + 1 + 5 + 1, kPeerIsn + 1);
    CHECK(t.h.counters.TCPAbortOnShutdown == 1);
    CHECK(t.h.counters.TCPFinOnShutdown == 0);
    t.ack(40000, iss + 1);
    Sent again = t.h.pop();
    CHECK(again.flags == kRst);
    CHECK(again.seq.v == iss + 1);  // <SEQ=SEG.ACK> (RFC 9293 §3.10.7.1)
}

TEST_CASE("stop: a half-closed service still reading is reset", "[tcp][stop]") {
    Stopping t;
    uint32_t iss = t.establish(40000);
    tcp::Tcb* c = t.h.conn(40000);
    t.h.engine->shutdown_write(*c);
    t.flush();
    t.h.pop();
    t.ack(40000, iss + 2);
    REQUIRE(c->state == State::FinWait2);
    t.stop();
    check_rst(t.h.pop(), iss + 2, kPeerIsn + 1);
    CHECK(t.h.counters.TCPAbortOnShutdown == 1);
}

TEST_CASE("stop: unread received data gets RST, counted as TCPAbortOnClose", "[tcp][stop]") {
    Stopping t;
    t.svc.read_data = false;
    uint32_t iss = t.establish(40000);
    SegmentSpec data = Stopping::from(40000, kPeerIsn + 1, iss + 1, kAck);
    data.payload = "unread bytes";
    t.h.deliver(data);
    t.h.pop();  // its ACK
    t.stop();
    check_rst(t.h.pop(), iss + 1, kPeerIsn + 1 + 12);
    CHECK(t.h.counters.TCPAbortOnClose == 1);
    CHECK(t.h.counters.TCPAbortOnShutdown == 0);
}

TEST_CASE("stop: SYN_RECEIVED gets RST and leaves the SYN queue", "[tcp][stop][stateful]") {
    Stopping t;
    uint32_t iss = t.syn(40000);
    REQUIRE(t.h.conn(40000)->state == State::SynReceived);
    t.stop();
    check_rst(t.h.pop(), iss + 1, kPeerIsn + 1);
    CHECK(t.h.engine->listeners()[0].syn_queue_len == 0);
    CHECK(t.h.counters.AttemptFails == 1);
    CHECK(t.h.counters.TCPAbortOnShutdown == 1);
    t.check_all_gone();
}

TEST_CASE("stop: SYN_SENT is dropped without a segment, as Linux's close()", "[tcp][stop]") {
    Stopping t;
    tcp::Tcb* c = t.h.engine->connect(0xC6120001, 0xC6120002, 9000, &t.svc, 0, t.h.now_us);
    REQUIRE(c != nullptr);
    t.flush();
    REQUIRE(t.h.pop().has(kSyn));
    t.stop();
    t.check_all_gone();
    CHECK(t.svc.saw("closed:aborted"));
    CHECK(t.h.counters.AttemptFails == 1);
}

TEST_CASE("stop: TIME_WAIT entries are dropped silently", "[tcp][stop]") {
    Stopping t;
    uint32_t iss = t.establish(40000);
    t.close(*t.h.conn(40000));
    t.ack(40000, iss + 2, kAck | kFin);
    t.h.pop();
    REQUIRE(t.h.tw(40000) != nullptr);
    t.stop();
    CHECK(t.h.nothing_sent());
    CHECK(t.h.tw(40000) == nullptr);
    CHECK(t.h.counters.CurrTimeWait == 0);
    CHECK(t.h.counters.TCPTimeWaitOnShutdown == 1);
}

TEST_CASE("stop: every connection is told once, nothing stays in use, and the engine takes "
          "no new connection",
          "[tcp][stop]") {
    unsigned before = rte_mempool_avail_count(test_pool());
    {
        Stopping t;
        t.svc.read_data = false;
        for (uint16_t port = 41000; port < 41020; ++port)
            t.establish(port);
        uint32_t iss = t.establish(42000);
        SegmentSpec data = Stopping::from(42000, kPeerIsn + 1, iss + 1, kAck);
        data.payload = "left unread";
        t.h.deliver(data);
        std::string blob(20000, 'x');  // unsent data too
        t.h.engine->send(*t.h.conn(41000), blob.data(), blob.size());
        t.h.sent.clear();
        t.stop();
        CHECK(t.h.sent.size() == 21);
        for (const Sent& s : t.h.sent)
            CHECK(s.flags == (kRst | kAck));
        CHECK(t.h.counters.TCPAbortOnShutdown == 20);
        CHECK(t.h.counters.TCPAbortOnClose == 1);
        t.h.sent.clear();
        t.check_all_gone();

        // The listeners are closed now: a SYN is refused as at a closed port.
        t.h.deliver(Stopping::from(43000, kPeerIsn, 0, kSyn));
        CHECK(t.h.pop().flags == (kRst | kAck));
        CHECK(t.h.conn(43000) == nullptr);
        CHECK(t.h.engine->connect(0xC6120001, 0xC6120002, 9000, &t.svc, 0, t.h.now_us) == nullptr);
    }
    CHECK(rte_mempool_avail_count(test_pool()) == before);
}

namespace {
// Ends its partner connection from on_closed, as the proxy service does.
class PartnerService final : public tcp::Service {
public:
    void on_accept(tcp::Connection c) override { (first ? second : first) = c; }
    void on_data(tcp::Connection) override {}
    void on_closed(tcp::Connection c, tcp::CloseReason) override {
        tcp::Connection partner = c == first ? second : first;
        first = second = {};
        if (partner)
            partner.abort();
    }
    tcp::Connection first;
    tcp::Connection second;
};
}  // namespace

TEST_CASE("stop: a service that ends another connection from on_closed is handled once",
          "[tcp][stop]") {
    EngineHarness h;
    PartnerService svc;
    h.listen(80, &svc);
    for (uint16_t port : {40000, 40001}) {
        SegmentSpec syn = Stopping::from(port, kPeerIsn, 0, kSyn);
        h.deliver(syn);
        uint32_t iss = h.pop().seq.v;
        h.deliver(Stopping::from(port, kPeerIsn + 1, iss + 1, kAck));
    }
    REQUIRE(svc.second);
    h.engine->shutdown_all(h.now_us);
    CHECK(h.sent.size() == 2);  // one RST each: ours, then the service's
    CHECK(h.counters.TCPAbortOnShutdown == 1);
    CHECK(h.counters.TCPAbortByService == 1);
    CHECK(h.engine->connection_count() == 0);
}

TEST_CASE("stop: a budget ends that many connections per call, TIME_WAIT last, and a "
          "TIME_WAIT tuple is not reused meanwhile",
          "[tcp][stop]") {
    Stopping t;
    for (uint16_t port = 41000; port < 41005; ++port)
        t.establish(port);
    uint32_t iss = t.establish(40000);
    t.close(*t.h.conn(40000));
    t.ack(40000, iss + 2, kAck | kFin);
    REQUIRE(t.h.tw(40000) != nullptr);
    t.h.sent.clear();
    CHECK_FALSE(t.h.engine->shutdown_all(t.h.now_us, 2));
    CHECK(t.h.sent.size() == 2);
    CHECK(t.h.engine->connection_count() == 3);
    // A newer SYN on the TIME_WAIT tuple: the listener is closed, so no TCB
    // is made and the SYN is dropped, as one that may not reuse the tuple.
    t.h.sent.clear();
    t.h.deliver(Stopping::from(40000, kPeerIsn + 100, 0, kSyn));
    CHECK(t.h.nothing_sent());
    CHECK(t.h.counters.TCPTimeWaitSynDropped == 1);
    CHECK(t.h.conn(40000) == nullptr);
    CHECK_FALSE(t.h.engine->shutdown_all(t.h.now_us, 2));
    CHECK(t.h.tw(40000) != nullptr);
    CHECK(t.h.engine->shutdown_all(t.h.now_us, 2));
    CHECK(t.h.sent.size() == 3);
    CHECK(t.h.tw(40000) == nullptr);
    CHECK(t.h.counters.TCPAbortOnShutdown == 5);
    CHECK(t.h.counters.TCPTimeWaitOnShutdown == 1);
    t.h.sent.clear();
    t.check_all_gone();
}
