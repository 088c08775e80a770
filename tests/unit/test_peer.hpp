// A peer's side of one connection to the engine under test, for tests that
// open several: it completes the handshake from src_port and remembers the
// sequence numbers (and, with timestamps, the TSval) a peer tracks.
#pragma once

#include <string>

#include "engine_harness.hpp"

namespace tcpterm::test {

struct TestPeer {
    static constexpr uint32_t kIsn = 1000;
    uint16_t port;
    uint16_t dport;
    bool timestamps;
    uint32_t iss = 0;           // the engine's ISS
    uint32_t nxt = kIsn + 1;    // our next sequence number
    uint32_t tsval = 5000;
    uint32_t tsecr = 0;         // the engine's TSval we echo (a SYN cookie reads it)

    // sack_ws: the SYN also offers SACK and window scale 7, as Linux's does.
    TestPeer(EngineHarness& h, uint16_t src_port, uint16_t dst_port = 80, bool ts = false,
             bool sack_ws = false)
        : port(src_port), dport(dst_port), timestamps(ts) {
        SegmentSpec syn = base();
        syn.seq = kIsn;
        syn.flags = tcp::kSyn;
        syn.opts.has_mss = true;
        syn.opts.mss = 1460;
        syn.opts.sack_permitted = sack_ws;
        syn.opts.has_window_scale = sack_ws;
        syn.opts.window_scale = 7;
        h.deliver(syn);
        Sent synack = h.pop();
        iss = synack.seq.v;
        tsecr = synack.opts.ts_val;
        h.deliver(ack());
        h.sent.clear();
    }
    SegmentSpec base() {
        SegmentSpec s;
        s.src_port = port;
        s.dst_port = dport;
        s.opts.has_timestamps = timestamps;
        s.opts.ts_val = tsval++;
        s.opts.ts_ecr = tsecr;
        return s;
    }
    SegmentSpec ack() {
        SegmentSpec s = base();
        s.seq = nxt;
        s.ack = iss + 1;
        s.flags = tcp::kAck;
        return s;
    }
    // In-order data (skip > 0: beyond a hole, and nxt stays).
    SegmentSpec data(size_t len, uint32_t skip = 0) {
        SegmentSpec s = ack();
        s.seq = nxt + skip;
        s.flags |= tcp::kPsh;
        s.payload.assign(len, 'x');
        if (skip == 0)
            nxt += static_cast<uint32_t>(len);
        return s;
    }
};

}  // namespace tcpterm::test
