// One connection driven into each state of RFC 9293's diagram (§3.3.2,
// Figure 5) the way a peer and a service get it there: segments delivered
// through the harness and the service's calls (shutdown_write, close), never
// by writing TCB fields. Each fixture keeps the numbers a peer tracks, so a
// test goes on from the state it reached:
//
//   LISTEN -> SynReceived                         (the peer's SYN)
//   LISTEN -> Established                         (SYN, SYN-ACK, ACK)
//             Established -> FinWait1             (our FIN, not yet ACKed)
//                            FinWait1 -> FinWait2 (the peer ACKs our FIN)
//                            FinWait1 -> Closing  (the peer's FIN crosses ours)
//             Established -> CloseWait            (the peer's FIN)
//                            CloseWait -> LastAck (our FIN, not yet ACKed)
//
// The peer's ISN is kPeerIsn; it sends without options unless a fixture says
// otherwise. Every fixture but SynReceived also works when the listener
// answers with SYN cookies; a SYN_RECEIVED TCB exists only with a stateful
// handshake, so the tests that use SynReceived are [stateful].
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
    // The peer's FIN at peer_nxt (the caller counts it in peer_nxt).
    SegmentSpec fin(uint32_t acked = 0) const {
        SegmentSpec s = ack(acked);
        s.flags |= tcp::kFin;
        return s;
    }
    // Looked up in the table: nullptr once the TCB is released.
    tcp::Tcb* tcb() { return h.conn(); }
};

// How the service ends its side of the stream. ShutdownWrite is RFC 9293's
// CLOSE (§3.10.4: the connection still receives); Close also says it reads
// no more, which orphans the connection (Linux's close(2)).
enum class Ending { ShutdownWrite, Close };
const char* ending_name(Ending how);  // the call's name, for failure messages

// Sends our FIN (and whatever the service had queued) through the service
// call `how`; the segment is taken off the wire and returned.
Sent end_our_side(Established& c, Ending how);

// ESTABLISHED, then the service ends its side: our FIN (sequence number
// ISS + 1) is in flight, unacknowledged.
struct FinWait1 : Established {
    Sent our_fin;

    explicit FinWait1(Ending how = Ending::ShutdownWrite,
                      const tcp::EngineConfig& cfg = EngineHarness::default_config());
    uint32_t fin_acked() const { return iss + 2; }  // the SEG.ACK that covers our FIN
};

// FIN_WAIT_1, then the peer acknowledges our FIN (and sends nothing else).
struct FinWait2 : FinWait1 {
    explicit FinWait2(Ending how = Ending::ShutdownWrite,
                      const tcp::EngineConfig& cfg = EngineHarness::default_config());
};

// FIN_WAIT_1, then the peer's FIN crosses ours: it does not acknowledge our
// FIN yet. Our ACK of it is taken off the wire.
struct Closing : FinWait1 {
    explicit Closing(Ending how = Ending::ShutdownWrite,
                     const tcp::EngineConfig& cfg = EngineHarness::default_config());
};

// ESTABLISHED, then the peer's FIN; our ACK of it is taken off the wire.
struct CloseWait : Established {
    explicit CloseWait(const tcp::EngineConfig& cfg = EngineHarness::default_config());
};

// CLOSE_WAIT, then the service ends its side: our FIN is in flight.
struct LastAck : CloseWait {
    Sent our_fin;

    explicit LastAck(Ending how = Ending::ShutdownWrite,
                     const tcp::EngineConfig& cfg = EngineHarness::default_config());
    uint32_t fin_acked() const { return iss + 2; }
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
