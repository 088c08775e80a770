// Connections driven into a state of RFC 9293's diagram (§3.3.2, Figure 5)
// the way a peer and a service get them there: segments delivered through
// the harness and the service's calls, never by writing TCB fields. Each
// fixture keeps the numbers a peer tracks, so a test goes on from the state
// it reached. The peer's ISN is kPeerIsn; it sends without options unless a
// fixture says otherwise. A SYN_RECEIVED TCB exists only with a stateful
// handshake: the tests that use SynReceived are [stateful].
#pragma once

#include <cstdint>
#include <string>

#include "engine_harness.hpp"
#include "recording_service.hpp"

namespace tcpterm::test {

constexpr uint32_t kPeerIsn = 1000;

// The peer's SYN (40000 -> 80, SegmentSpec's ports) with the options chosen:
// MSS 1400, window scale 7, SACK permitted, timestamps with TSval 5000.
SegmentSpec syn_with(bool mss, bool ws, bool sack, bool ts);

// LISTEN, then the peer's SYN (MSS only): the SYN-ACK is out and taken.
struct SynReceived {
    EngineHarness h;
    RecordingService svc;
    SegmentSpec syn = syn_with(true, false, false, false);
    Sent synack;
    uint32_t iss = 0;

    explicit SynReceived(const tcp::EngineConfig& cfg = EngineHarness::default_config());
    tcp::Tcb* tcb() { return h.conn(); }
};

// A connection driven to ESTABLISHED; remembers the numbers a peer tracks.
struct Established {
    EngineHarness h;
    RecordingService svc;
    uint32_t iss = 0;
    uint32_t peer_nxt = kPeerIsn + 1;  // next sequence number we (the peer) send

    explicit Established(const tcp::EngineConfig& cfg = EngineHarness::default_config(),
                         bool sack = false);
    SegmentSpec ack(uint32_t acked = 0) const {
        SegmentSpec s;
        s.seq = peer_nxt;
        s.ack = acked ? acked : iss + 1;
        s.flags = tcp::kAck;
        return s;
    }
    SegmentSpec data(const std::string& payload, uint32_t acked = 0) {
        SegmentSpec s = ack(acked);
        s.flags |= tcp::kPsh;
        s.payload = payload;
        return s;
    }
};

// What a TCB must hold in a state, the sequence numbers as offsets from our
// ISS and from the peer's ISN (kPeerIsn), so that an expectation reads like
// the exchange that led there.
struct TcbExpect {
    tcp::State state;
    uint32_t snd_una = 0, snd_nxt = 0, snd_max = 0;  // - ISS
    uint32_t rcv_nxt = 0;                            // - kPeerIsn
    bool fin_queued = false;
    uint32_t fin_seq = 0;                            // - ISS, when fin_queued
    bool peer_fin = false;
    tcp::TimerKind timer = tcp::TimerKind::None;
};
// CHECKs each field of t (REQUIREs a TCB).
void check_tcb(const tcp::Tcb* t, uint32_t iss, const TcbExpect& e);

}  // namespace tcpterm::test
