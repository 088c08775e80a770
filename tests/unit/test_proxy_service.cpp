// The proxy service (app/services/proxy.hpp) on the engine with a fake clock:
// a client connection is spliced to a backend connection the engine opens;
// data, half-close and resets pass from one side to the other.
#include <catch2/catch.hpp>

#include "app/lb/balancer.hpp"
#include "app/services/proxy.hpp"
#include "engine_harness.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kFin;
using tcp::kPsh;
using tcp::kRst;
using tcp::kSyn;
using tcp::State;

namespace {

constexpr uint32_t kClient = 0xC6120002, kBackend = 0xC6120003;
constexpr uint16_t kBackendPort = 9000;

// One backend, no retry: what a refused backend does reaches the client.
app::PoolSpec one_backend_pool() {
    app::PoolSpec p;
    p.name = std::string(1, 'p');  // not = "p": gcc 12's false -Wrestrict
    p.backends = {app::BackendSpec{kBackend, kBackendPort}};
    p.algorithm = app::LbAlgorithm::Wrr;
    p.retries = 0;
    return p;
}

struct Spliced {
    EngineHarness h;
    app::LoadBalancer lb;
    app::ProxyService proxy{*lb.worker_side("p", 0)};
    uint32_t client_iss = 0, backend_iss = 0;
    uint16_t backend_lport = 0;

    explicit Spliced(const tcp::EngineConfig& config = EngineHarness::default_config(),
                     const app::PoolSpec& pool = one_backend_pool())
        : h(config), lb({pool}, 1) {
        tcp::Listener l;
        l.port = 8080;
        l.service = &proxy;
        REQUIRE(h.engine->add_listener(l));
        SegmentSpec syn;
        syn.src = kClient;
        syn.dst_port = 8080;
        syn.seq = 100;
        syn.flags = kSyn;
        h.deliver(syn);
        client_iss = h.pop().seq.v;
        h.deliver(from_client(kAck, 101, ""));
        Sent backend_syn = h.pop();  // the proxy opens its backend connection
        REQUIRE(backend_syn.flags == kSyn);
        REQUIRE(backend_syn.key.raddr == kBackend);
        REQUIRE(backend_syn.key.rport == kBackendPort);
        backend_lport = backend_syn.key.lport;
        backend_iss = backend_syn.seq.v;
    }
    SegmentSpec from_client(uint8_t flags, uint32_t seq, const std::string& payload) const {
        SegmentSpec s;
        s.src = kClient;
        s.dst_port = 8080;
        s.seq = seq;
        s.ack = client_iss + 1;
        s.flags = flags;
        s.payload = payload;
        return s;
    }
    SegmentSpec from_backend(uint8_t flags, uint32_t seq, uint32_t ack, const std::string& payload) const {
        SegmentSpec s;
        s.src = kBackend;
        s.src_port = kBackendPort;
        s.dst_port = backend_lport;
        s.seq = seq;
        s.ack = ack;
        s.flags = flags;
        s.payload = payload;
        return s;
    }
    // From the second backend of two_backend_pool, to the port its SYN came from.
    SegmentSpec from_backend2(const Sent& syn, uint8_t flags) const {
        SegmentSpec s = from_backend(flags, 9000, syn.seq.v + 1, "");
        s.src = 0xC6120004;
        s.dst_port = syn.key.lport;
        return s;
    }
    void backend_accepts() {
        h.deliver(from_backend(kSyn | kAck, 5000, backend_iss + 1, ""));
    }
    // Takes everything sent; true when a segment to addr satisfied pred.
    template <typename Pred>
    bool sent_to(uint32_t addr, Pred pred) {
        bool seen = false;
        while (!h.nothing_sent()) {
            Sent seg = h.pop();
            seen = seen || (seg.key.raddr == addr && pred(seg));
        }
        return seen;
    }
};

}  // namespace

TEST_CASE("proxy: data sent before the backend answers waits, then goes through both ways",
          "[proxy]") {
    Spliced s;
    s.h.deliver(s.from_client(kAck | kPsh, 101, "early"));
    CHECK(s.h.pop().ack.v == 106);  // the client's data is acknowledged, held
    CHECK(s.h.nothing_sent());
    s.backend_accepts();
    CHECK(s.sent_to(kBackend, [](const Sent& seg) { return seg.payload == "early"; }));
    s.h.deliver(s.from_backend(kAck | kPsh, 5001, s.backend_iss + 6, "reply"));
    CHECK(s.sent_to(kClient, [](const Sent& seg) { return seg.payload == "reply"; }));
}

TEST_CASE("proxy: the client's FIN is passed on as a half-close; the backend's FIN ends both",
          "[proxy][close]") {
    Spliced s;
    s.backend_accepts();
    s.h.sent.clear();
    s.h.deliver(s.from_client(kAck | kFin, 101, ""));
    CHECK(s.sent_to(kBackend, [](const Sent& seg) { return seg.has(kFin); }));
    s.h.deliver(s.from_backend(kAck | kFin, 5001, s.backend_iss + 2, ""));
    CHECK(s.sent_to(kClient, [](const Sent& seg) { return seg.has(kFin); }));
}

TEST_CASE("proxy: a backend that refuses, or resets, resets the client", "[proxy][rst]") {
    for (bool established : {false, true}) {
        Spliced s;
        if (established)
            s.backend_accepts();
        s.h.sent.clear();
        if (established)
            s.h.deliver(s.from_backend(kRst, 5001, 0, ""));
        else
            s.h.deliver(s.from_backend(kRst | kAck, 0, s.backend_iss + 1, ""));
        CHECK(s.sent_to(kClient, [](const Sent& seg) { return seg.has(kRst); }));
        CHECK(s.h.engine->connection_count() == 0);
    }
}

// The backend's stream must reach the client whole even when its FIN (and
// so the end of the backend connection) comes while the client's send queue
// is full and the rest of that stream still waits, unread, in the backend
// connection's receive queue. Both ways the backend connection can end:
// after our FIN (FIN_WAIT_2 -> TIME_WAIT, the client half-closed first) and
// after its own (CLOSE_WAIT -> LAST_ACK -> CLOSED, the backend did).
TEST_CASE("proxy: a backend connection that ends while its data waits for the client loses none of it",
          "[proxy][close]") {
    for (bool backend_fin_first : {false, true}) {
        CAPTURE(backend_fin_first);
        tcp::EngineConfig config = EngineHarness::default_config();
        config.sndbuf = 4096;  // the client's send queue fills quickly
        Spliced s(config);
        s.backend_accepts();
        // The client's window closes: what the backend sends piles up.
        SegmentSpec shut = s.from_client(kAck, 101, "");
        shut.window = 0;
        s.h.deliver(shut);
        std::string stream;
        for (int i = 0; i < 6000; ++i)
            stream += static_cast<char>('a' + i * 7 % 26);
        uint32_t bseq = 5001;
        for (size_t off = 0; off < stream.size(); off += 500, bseq += 500)
            s.h.deliver(s.from_backend(kAck | kPsh, bseq, s.backend_iss + 1, stream.substr(off, 500)));
        tcp::Tcb* backend = s.h.engine->find({kBackend, 0xC6120001, kBackendPort, s.backend_lport});
        REQUIRE(backend != nullptr);
        REQUIRE(backend->recvq.bytes > 0);  // more than the client's send queue holds
        SegmentSpec client_fin = s.from_client(kAck | kFin, 101, "");
        client_fin.window = 0;
        if (backend_fin_first) {
            s.h.deliver(s.from_backend(kAck | kFin, bseq, s.backend_iss + 1, ""));
            s.h.deliver(client_fin);  // passed on: the backend connection is in LAST_ACK
        } else {
            s.h.deliver(client_fin);  // passed on: the backend connection is in FIN_WAIT_1
        }
        REQUIRE(s.sent_to(kBackend, [](const Sent& seg) { return seg.has(kFin); }));
        // The backend acknowledges our FIN (with its own, if not sent yet):
        // both FINs are through on the backend connection.
        s.h.deliver(s.from_backend(kAck | (backend_fin_first ? 0 : kFin), bseq + (backend_fin_first ? 1 : 0),
                                   s.backend_iss + 2, ""));
        // The client opens its window and acknowledges all it gets: it must
        // get the whole stream, then the FIN.
        std::string got;
        bool fin = false;
        uint32_t client_ack = s.client_iss + 1;
        SegmentSpec open = s.from_client(kAck, 102, "");
        for (int round = 0; round < 50 && !fin; ++round) {
            open.ack = client_ack;
            s.h.deliver(open);
            s.h.advance_ms(1);
            while (!s.h.nothing_sent()) {
                Sent seg = s.h.pop();
                if (seg.key.raddr != kClient)
                    continue;
                if (seg.seq.v == client_ack && !seg.payload.empty()) {
                    got += seg.payload;
                    client_ack += static_cast<uint32_t>(seg.payload.size());
                }
                if (seg.has(kFin) && seg.seq.v == client_ack) {
                    fin = true;
                    ++client_ack;
                }
                CHECK_FALSE(seg.has(kRst));
            }
        }
        CHECK(fin);
        CHECK(got.size() == stream.size());
        CHECK((got == stream));  // the bytes themselves, not printed
        // Read out, the backend connection has ended (TIME_WAIT after our FIN
        // went first), and no RST went anywhere.
        tcp::FlowKey backend_key{kBackend, 0xC6120001, kBackendPort, s.backend_lport};
        CHECK(s.h.engine->find(backend_key) == nullptr);
        CHECK((s.h.engine->find_time_wait(backend_key) != nullptr) == !backend_fin_first);
        CHECK(s.h.counters.TCPEndDeferred == 1);
        CHECK(s.h.counters.OutRsts == 0);
    }
}

namespace {

constexpr uint32_t kBackend2 = 0xC6120004;

// Two backends in turn (wrr), the first tried first.
app::PoolSpec two_backend_pool(uint32_t retries, uint64_t connect_timeout_ms) {
    app::PoolSpec p = one_backend_pool();
    p.backends.push_back(app::BackendSpec{kBackend2, kBackendPort});
    p.retries = retries;
    p.connect_timeout_ms = connect_timeout_ms;
    return p;
}

}  // namespace

TEST_CASE("proxy: a backend that refuses is followed by the next one; the client never hears of it",
          "[proxy][retry]") {
    Spliced s(EngineHarness::default_config(), two_backend_pool(1, 5000));
    s.h.sent.clear();
    s.h.deliver(s.from_backend(kRst | kAck, 0, s.backend_iss + 1, ""));
    Sent syn2 = s.h.pop();
    CHECK(syn2.flags == kSyn);
    CHECK(syn2.key.raddr == kBackend2);
    CHECK(s.h.nothing_sent());  // no RST to the client
    auto v = s.lb.view(0);
    CHECK(v[0].sum.connect_failures == 1);
    CHECK(v[0].sum.current == 0);
    CHECK(v[1].sum.current == 1);
}

TEST_CASE("proxy: a silent backend gets its share of connect_timeout, then the next one is tried",
          "[proxy][retry][timers]") {
    // 3000 ms for 3 attempts: the first gets 1000 ms (one SYN, no retransmission).
    Spliced s(EngineHarness::default_config(), two_backend_pool(2, 3000));
    s.h.sent.clear();
    s.h.advance_ms(999);
    CHECK(s.h.nothing_sent());
    s.h.advance_ms(1);
    Sent syn2 = s.h.pop();
    CHECK(syn2.flags == kSyn);
    CHECK(syn2.key.raddr == kBackend2);
    CHECK(s.h.nothing_sent());
    CHECK(s.lb.view(0)[0].sum.connect_timeouts == 1);
    CHECK(s.h.counters.TCPConnectTimeouts == 1);
    // The second answers: client and backend are spliced.
    s.h.deliver(s.from_backend2(syn2, kSyn | kAck));
    s.h.sent.clear();
    s.h.deliver(s.from_client(kAck | kPsh, 101, "hello"));
    CHECK(s.sent_to(kBackend2, [](const Sent& seg) { return seg.payload == "hello"; }));
    CHECK(s.lb.view(0)[1].sum.connections == 1);
    CHECK(s.lb.view(0)[1].sum.bytes_to_backend == 5);
}

TEST_CASE("proxy: when every try fails, or connect_timeout runs out, the client is reset",
          "[proxy][retry][timers]") {
    SECTION("both refuse") {
        Spliced s(EngineHarness::default_config(), two_backend_pool(1, 5000));
        s.h.sent.clear();
        s.h.deliver(s.from_backend(kRst | kAck, 0, s.backend_iss + 1, ""));
        Sent syn2 = s.h.pop();
        s.h.deliver(s.from_backend2(syn2, kRst | kAck));
        CHECK(s.sent_to(kClient, [](const Sent& seg) { return seg.has(kRst); }));
        CHECK(s.h.engine->connection_count() == 0);
    }
    SECTION("both silent: reset when connect_timeout ends") {
        Spliced s(EngineHarness::default_config(), two_backend_pool(1, 1000));
        s.h.sent.clear();
        s.h.advance_ms(500);
        CHECK(s.h.pop().key.raddr == kBackend2);
        s.h.advance_ms(499);
        CHECK(s.h.nothing_sent());
        s.h.advance_ms(1);
        CHECK(s.sent_to(kClient, [](const Sent& seg) { return seg.has(kRst); }));
        CHECK(s.h.engine->connection_count() == 0);
        CHECK(s.lb.view(0)[0].sum.connect_timeouts == 1);
        CHECK(s.lb.view(0)[1].sum.connect_timeouts == 1);
    }
}

TEST_CASE("proxy: bytes pass without a copy: the client's segments go on to the backend in the "
          "buffers they arrived in, and the backend's segments carry them by reference",
          "[proxy][zerocopy]") {
    Spliced s;
    s.backend_accepts();
    s.h.sent.clear();
    std::string a(1400, 'x'), b(1400, 'y');
    uint64_t chained_before = s.h.chained_sent;
    s.h.deliver(s.from_client(kAck | kPsh, 101, a));
    s.h.deliver(s.from_client(kAck | kPsh, 101 + 1400, b));
    std::string to_backend;
    while (!s.h.nothing_sent()) {
        Sent seg = s.h.pop();
        if (seg.key.raddr == kBackend)
            to_backend += seg.payload;
    }
    CHECK(to_backend == a + b);
    CHECK(s.h.chained_sent >= chained_before + 2);  // the received buffers, referenced
    // The client's window: what moved on is no longer held for it.
    tcp::Tcb* client = s.h.conn(40000, 8080);
    REQUIRE(client);
    CHECK(client->recvq.bytes == 0);
    CHECK(client->recvq.mbufs == 0);
}

TEST_CASE("proxy: a pool's PROXY protocol header reaches the backend before any client byte",
          "[proxy][proxy_protocol]") {
    auto [version, header] = GENERATE(
        std::pair{app::ProxyProtocol::V1, std::string("PROXY TCP4 198.18.0.2 198.18.0.1 40000 8080\r\n")},
        std::pair{app::ProxyProtocol::V2,
                  std::string("\r\n\r\n\0\r\nQUIT\n\x21\x11\0\x0c"
                              "\xc6\x12\0\x02\xc6\x12\0\x01\x9c\x40\x1f\x90",
                              28)});
    app::PoolSpec pool = one_backend_pool();
    pool.proxy_protocol = version;
    Spliced s(EngineHarness::default_config(), pool);
    s.h.deliver(s.from_client(kAck | kPsh, 101, "early"));  // held until the backend answers
    s.h.sent.clear();
    s.backend_accepts();
    std::string to_backend;
    while (!s.h.nothing_sent()) {
        Sent seg = s.h.pop();
        if (seg.key.raddr == kBackend)
            to_backend += seg.payload;
    }
    CHECK(to_backend == header + "early");
    // The header is not the client's: the backend's byte counter has "early" only.
    CHECK(s.lb.view(0)[0].sum.bytes_to_backend == 5);
}

namespace {

app::PoolSpec timeout_pool(uint64_t client_ms, uint64_t server_ms, uint64_t tunnel_ms) {
    app::PoolSpec p = one_backend_pool();
    p.client_timeout_ms = client_ms;
    p.server_timeout_ms = server_ms;
    p.tunnel_timeout_ms = tunnel_ms;
    return p;
}

// Both sides got a FIN, and nothing was reset.
template <typename S>
void both_closed_with_fin(S& s) {
    bool fin_client = false, fin_backend = false, rst = false;
    while (!s.h.nothing_sent()) {
        Sent seg = s.h.pop();
        rst = rst || seg.has(kRst);
        fin_client = fin_client || (seg.key.raddr == kClient && seg.has(kFin));
        fin_backend = fin_backend || (seg.key.raddr == kBackend && seg.has(kFin));
    }
    CHECK(fin_client);
    CHECK(fin_backend);
    CHECK_FALSE(rst);
}

// The session is still open 1 ms before `ms` from now, and ended 1 ms
// after, counted against the side that was silent.
template <typename S>
void expires_after(S& s, uint64_t ms, bool client_side) {
    s.h.advance_ms(ms - 1);
    CHECK_FALSE(s.sent_to(kClient, [](const Sent& seg) { return seg.has(kFin) || seg.has(kRst); }));
    CHECK(s.lb.view(0)[0].sum.client_timeouts + s.lb.view(0)[0].sum.server_timeouts == 0);
    s.h.advance_ms(2);
    both_closed_with_fin(s);
    CHECK(s.lb.view(0)[0].sum.client_timeouts == (client_side ? 1 : 0));
    CHECK(s.lb.view(0)[0].sum.server_timeouts == (client_side ? 0 : 1));
}

}  // namespace

TEST_CASE("proxy: client_timeout: a client silent that long ends both sides with a FIN",
          "[proxy][timeouts][timers]") {
    Spliced s(EngineHarness::default_config(), timeout_pool(1000, 0, 0));
    s.backend_accepts();
    s.h.advance_ms(600);
    s.h.deliver(s.from_client(kAck | kPsh, 101, "ping"));  // the client speaks: its clock restarts
    s.h.deliver(s.from_backend(kAck, 5001, s.backend_iss + 5, ""));
    expires_after(s, 1000, true);
}

TEST_CASE("proxy: server_timeout: a backend that never answers ends both sides",
          "[proxy][timeouts][timers]") {
    Spliced s(EngineHarness::default_config(), timeout_pool(0, 500, 0));
    s.backend_accepts();
    s.h.deliver(s.from_client(kAck | kPsh, 101, "request"));
    s.h.advance_ms(100);
    s.h.deliver(s.from_backend(kAck, 5001, s.backend_iss + 8, ""));  // acknowledged, no reply
    expires_after(s, 500, false);
}

TEST_CASE("proxy: tunnel_timeout replaces both once bytes went both ways",
          "[proxy][timeouts][timers]") {
    Spliced s(EngineHarness::default_config(), timeout_pool(300, 300, 5000));
    s.backend_accepts();
    s.h.deliver(s.from_client(kAck | kPsh, 101, "request"));
    s.h.deliver(s.from_backend(kAck | kPsh, 5001, s.backend_iss + 8, "reply"));
    s.h.deliver(s.from_client(kAck, 108, ""));
    s.h.advance_ms(4000);  // far past client and server timeouts: the tunnel holds
    CHECK_FALSE(s.sent_to(kClient, [](const Sent& seg) { return seg.has(kFin) || seg.has(kRst); }));
    CHECK(s.lb.view(0)[0].sum.client_timeouts == 0);
    CHECK(s.lb.view(0)[0].sum.server_timeouts == 0);
    s.h.advance_ms(1001);
    both_closed_with_fin(s);
    auto v = s.lb.view(0)[0].sum;
    CHECK(v.client_timeouts + v.server_timeouts == 1);
}

TEST_CASE("proxy: without timeouts an idle session stays open", "[proxy][timeouts][timers]") {
    Spliced s;
    s.backend_accepts();
    s.h.advance_ms(3600 * 1000);
    CHECK_FALSE(s.sent_to(kClient, [](const Sent& seg) { return seg.has(kFin) || seg.has(kRst); }));
    CHECK(s.h.engine->connection_count() == 2);
}
