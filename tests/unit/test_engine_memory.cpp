// Memory no peer can hoard (engine_memory.cpp): received data is charged by
// the buffers it occupies, tiny in-order segments are coalesced, and a
// worker at its memory marks shrinks windows, refuses out-of-order data and
// resets its largest holders while other connections are still served.
#include <catch2/catch.hpp>

#include "engine_harness.hpp"
#include "recording_service.hpp"
#include "test_peer.hpp"

using namespace tcpterm;
using namespace tcpterm::test;
using tcp::kAck;
using tcp::kPsh;
using tcp::kRst;
using tcp::kSyn;

namespace {

constexpr uint32_t kPeerIsn = TestPeer::kIsn;
using Peer = TestPeer;

tcp::EngineConfig small_buffers(uint32_t rcvbuf) {
    tcp::EngineConfig cfg = EngineHarness::default_config();
    cfg.rcvbuf = rcvbuf;
    cfg.window_scaling = false;
    return cfg;
}

}  // namespace

TEST_CASE("memory: 1-byte in-order segments to a reader that never reads are coalesced, "
          "and the window closes within the connection's memory",
          "[tcp][memory]") {
    EngineHarness h(small_buffers(16384));
    RecordingService svc;
    svc.read_data = false;
    h.listen(80, &svc);
    Peer p(h, 40000);
    // Five times what the window allows, one byte at a time, as the
    // hoarding attack sends it.
    for (int i = 0; i < 5 * 16384; ++i) {
        h.deliver(p.data(1));
        h.sent.clear();
    }
    tcp::Tcb* c = h.conn();
    REQUIRE(c != nullptr);
    CHECK(c->recvq.bytes <= 16384);
    CHECK(c->recvq.bytes >= 16384 - 2048);  // the window really was used
    // Each buffer holds ~2 KB of them, not one byte: 9 or 10 buffers.
    CHECK(c->recvq.mbufs <= 16384 / 1500 + 1);
    CHECK(h.engine->queued_mbufs() == c->recvq.mbufs);
    CHECK(h.counters.TCPRcvCoalesce > 16000);
    h.deliver(p.ack());
    Sent last = h.pop();
    CHECK(last.window < 2048);  // nearly closed: the service reads nothing
    h.engine->abort(*c);
    h.engine->flush(h.now_us);
    CHECK(h.engine->queued_mbufs() == 0);
    CHECK(h.counters.TCPMemoryMbufs == 0);
}

TEST_CASE("memory: out-of-order segments are charged by buffer, not by byte", "[tcp][memory]") {
    EngineHarness h(small_buffers(8192));  // 16 KiB of buffer memory: 7 mbufs
    RecordingService svc;
    h.listen(80, &svc);
    Peer p(h, 40000);
    // 1-byte segments beyond a hole, each in its own buffer: only what fits
    // in the connection's memory is kept, though far more fits the window.
    for (uint32_t i = 0; i < 40; ++i)
        h.deliver(p.data(1, 10 + 2 * i));
    tcp::Tcb* c = h.conn();
    REQUIRE(c != nullptr);
    uint32_t per_mbuf = static_cast<uint32_t>(sizeof(rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE);
    CHECK(c->ooo.segments() == 2 * 8192 / per_mbuf);
    CHECK(h.counters.TCPOFODrop == 40 - c->ooo.segments());
    // In-order data still gets in: held out-of-order data makes room for it.
    for (int i = 0; i < 8; ++i)
        h.deliver(p.data(1400));
    CHECK(svc.received.size() == 8 * 1400);
    CHECK(h.counters.OfoPruned >= 1);
}

TEST_CASE("memory: a worker at its marks clamps windows, resets the largest holder and "
          "keeps serving others",
          "[tcp][memory]") {
    tcp::EngineConfig cfg = small_buffers(65535);
    cfg.mem_low = 20;
    cfg.mem_pressure = 40;
    cfg.mem_high = 60;
    EngineHarness h(cfg);
    RecordingService hoarders;  // reads nothing: what arrives stays queued
    hoarders.read_data = false;
    RecordingService served;
    h.listen(80, &hoarders);
    h.listen(81, &served);
    Peer a(h, 40001), b(h, 40002);
    for (int i = 0; i < 35; ++i)
        h.deliver(a.data(1400));
    CHECK_FALSE(h.engine->under_memory_pressure());
    for (int i = 0; i < 6; ++i)
        h.deliver(b.data(1400));
    // Past the pressure mark: counted once, and the window's right edge
    // stops moving (it never shrinks: RFC 9293 §3.8.6.2.2).
    CHECK(h.engine->under_memory_pressure());
    CHECK(h.counters.TCPMemoryPressures == 1);
    h.sent.clear();
    h.deliver(b.data(1400));
    Sent first = h.pop();
    h.deliver(b.data(1400));
    Sent second = h.pop();
    CHECK(second.ack.v == first.ack.v + 1400);
    CHECK(second.ack.v + second.window == first.ack.v + first.window);
    // Out-of-order data is refused under pressure.
    uint64_t ofo_drops = h.counters.TCPOFODrop;
    h.deliver(b.data(100, 5000));
    CHECK(h.counters.TCPOFODrop == ofo_drops + 1);
    // Up to the hard mark: the largest holder (a, 35 buffers) is reset.
    for (int i = 0; i < 30 && h.counters.TCPAbortOnMemory == 0; ++i)
        h.deliver(b.data(1400));
    CHECK(h.counters.PruneCalled == 1);
    CHECK(h.counters.TCPAbortOnMemory == 1);
    CHECK(h.conn(40001) == nullptr);
    CHECK(h.conn(40002) != nullptr);
    bool reset_sent = false;
    for (const Sent& s : h.sent)
        reset_sent |= s.key.rport == 40001 && s.has(kRst);
    CHECK(reset_sent);
    CHECK(h.engine->queued_mbufs() < cfg.mem_pressure);
    // Another client is served all along.
    SegmentSpec syn;
    syn.src_port = 40003;
    syn.dst_port = 81;
    syn.seq = kPeerIsn;
    syn.flags = kSyn;
    h.deliver(syn);
    uint32_t iss = 0;
    for (const Sent& s : h.sent)
        if (s.key.rport == 40003 && s.has(kSyn))
            iss = s.seq.v;
    REQUIRE(iss != 0);
    SegmentSpec req = syn;
    req.seq = kPeerIsn + 1;
    req.ack = iss + 1;
    req.flags = kAck | kPsh;
    req.payload = "GET / HTTP/1.1\r\n\r\n";
    h.deliver(req);
    CHECK(served.received == req.payload);
}

TEST_CASE("memory: a whole window of full-sized segments beyond a hole is held, so the "
          "sender loses only the hole",
          "[tcp][memory]") {
    // rcvbuf 256 KiB; the window offered is ~255 KiB (the memory left at
    // half efficiency bounds it too): 175 segments of 1448 bytes fit.
    EngineHarness h;
    RecordingService svc;
    h.listen(80, &svc);
    Peer p(h, 40000, 80, true, true);  // timestamps: a SYN cookie keeps WS and SACK too
    SegmentSpec hole = p.data(1448);  // the first segment of the flight: lost
    uint32_t n = 0;
    for (; (n + 2) * 1448 < 250 * 1024; ++n)
        h.deliver(p.data(1448));
    tcp::Tcb* c = h.conn();
    REQUIRE(c != nullptr);
    CHECK(c->ooo.segments() == n);
    CHECK(h.counters.TCPOFODrop == 0);
    Sent last = h.sent.back();
    REQUIRE(last.opts.sack_count >= 1);
    CHECK(last.opts.sack[0].left == hole.seq + 1448);
    CHECK(last.opts.sack[0].right == p.nxt);
    h.deliver(hole);  // the retransmission fills it: everything is delivered
    CHECK(svc.received.size() == (n + 1) * 1448);
    CHECK(c->ooo.empty());
}
