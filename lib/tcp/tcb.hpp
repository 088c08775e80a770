// The transmission control block (RFC 9293 §3.3.1): everything one connection
// needs, with fields named after the RFC's variables. Preallocated in a pool
// per worker; a TCB is never shared between lcores.
#pragma once

#include <cstdint>
#include <cstring>

#include "lib/tcp/congestion.hpp"
#include "lib/tcp/mbuf_queue.hpp"
#include "lib/tcp/options.hpp"
#include "lib/tcp/rack.hpp"
#include "lib/tcp/reassembly.hpp"
#include "lib/tcp/rtt_estimator.hpp"
#include "lib/tcp/scoreboard.hpp"
#include "lib/tcp/seq.hpp"
#include "lib/tcp/tcp_ao.hpp"
#include "lib/tcp/timer_wheel.hpp"

namespace tcpterm::tcp {

class Service;
struct Listener;

enum class State : uint8_t {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
};

const char* state_name(State s);

// The connection's key in the table: host byte order, remote side first.
struct FlowKey {
    uint32_t raddr = 0;
    uint32_t laddr = 0;
    uint16_t rport = 0;
    uint16_t lport = 0;
    friend bool operator==(const FlowKey&, const FlowKey&) = default;
};
static_assert(sizeof(FlowKey) == 12);

// The 4-tuple hash shared by the connection table, the TIME_WAIT table and
// their filter, so that one computation per segment serves all three.
// Keyed, so that no peer can choose tuples that collide: an unkeyed CRC
// lets an attacker who knows the function pile connections into one bucket
// chain, and a CRC with a secret seed is no better (CRC is linear: which
// tuples collide does not depend on the seed). Multilinear hashing with
// random 64-bit multipliers (Lemire and Kaser) is 2-universal for a 32-bit
// result, costs three multiplications, and its key is drawn once per run.
struct FlowHashKey {
    uint64_t m[4];
};
FlowHashKey random_flow_hash_key();
inline const FlowHashKey kFlowHashKey = random_flow_hash_key();

inline uint32_t flow_hash(const FlowKey& key) {
    uint64_t ports = uint64_t{key.rport} << 16 | key.lport;
    uint64_t h = kFlowHashKey.m[0] + kFlowHashKey.m[1] * key.raddr +
                 kFlowHashKey.m[2] * key.laddr + kFlowHashKey.m[3] * ports;
    return static_cast<uint32_t>(h >> 32);
}
// The same, in rte_hash's signature (its tables hash FlowKeys only).
inline uint32_t flow_hash(const void* key, uint32_t len, uint32_t /*init*/) {
    FlowKey k;
    memcpy(&k, key, sizeof(k) <= len ? sizeof(k) : len);
    return flow_hash(k);
}

// Which timer the connection's single timer node stands for; only one is
// ever needed at a time.
enum class TimerKind : uint8_t {
    None,
    LossProbe,   // RFC 8985 §7: a tail loss probe before the RTO
    Reorder,     // RFC 8985 §6.3: RACK's reordering window ends
    Keepalive,   // RFC 1122 4.2.3.6: idle connection probing
    Retransmit,
    Persist,
    FinWait2,
};

enum class CloseReason : uint8_t {
    Normal,      // both FINs exchanged
    Reset,       // the peer sent RST
    Timeout,     // retransmission limit reached
    Aborted,     // the service called abort()
    Refused,     // RST in reply to our data after close
};

const char* close_reason_name(CloseReason r);

// TimerNode::owner of a TCB's delayed-ACK timer (its main timer has 0, a
// TIME_WAIT entry's TimeWaitTable::kTimerOwner).
constexpr uint8_t kDelackTimerOwner = 2;

struct Tcb {
    TimerNode timer;  // must stay first: the wheel hands back &timer
    FlowKey key;
    State state = State::Closed;
    TimerKind timer_kind = TimerKind::None;
    uint8_t retries = 0;          // consecutive expiries of the current timer

    // Send sequence space.
    Seq iss, snd_una, snd_nxt, snd_max;
    Seq snd_wl1, snd_wl2;
    uint32_t snd_wnd = 0;         // scaled
    uint32_t max_snd_wnd = 0;
    uint16_t snd_mss = 536;       // payload bytes per segment, options excluded
    uint8_t snd_wscale = 0;       // shift applied to the peer's window field
    uint8_t rcv_wscale = 0;       // shift the peer applies to ours

    // Receive sequence space.
    Seq irs, rcv_nxt;
    Seq rcv_adv;                  // right edge of the window we last advertised
    Seq last_ack_sent;

    // Options agreed in the handshake.
    bool ws_ok = false;           // both sides sent window scale
    bool ts_ok = false;
    bool sack_ok = false;
    bool ecn_ok = false;          // RFC 3168 agreed (in SYN_SENT: asked for)
    uint32_t ts_recent = 0;       // RFC 7323 TS.Recent
    uint64_t ts_recent_stamp = 0; // when TS.Recent was set (us)
    uint32_t ts_offset = 0;       // per-connection offset of our TSval clock

    // TCP-AO (RFC 5925): the master key the connection uses, its traffic
    // keys once both ISNs are known, and where each direction's SNE stands.
    const AoKey* ao = nullptr;            // the key we send with
    const AoKey* ao_recv_mkt = nullptr;   // the key ao_recv_key belongs to
    AoTrafficKey ao_send_key{};
    AoTrafficKey ao_recv_key{};
    Seq ao_snd_ref, ao_rcv_ref;
    uint32_t ao_snd_sne = 0, ao_rcv_sne = 0;

    // ECN (RFC 3168 §6.1).
    bool ece_pending = false;     // a CE mark arrived: echo ECE until the peer's CWR
    bool cwr_pending = false;     // we reduced cwnd on ECE: say CWR on new data
    Seq ecn_recover;              // no second reduction before SND.UNA passes this

    // Sending: the RTT estimator (RFC 6298), the congestion controller
    // (congestion.hpp) and the scoreboard of what is in flight with the
    // loss detection that reads it (RFC 6675, RFC 8985); the rules that tie
    // them together are in engine_recovery.cpp.
    RttEstimator rtt;
    const CongestionOps* cc_ops = nullptr;
    CongestionState cc;
    DeliveryRate rate;            // delivery-rate samples (BBR)
    Scoreboard sb;
    Rack rack;
    uint64_t rack_timeout_us = 0; // the reordering timer RACK asked for (0: none)
    bool cwnd_limited = false;    // the last send stopped at cwnd: ACKs may grow it
    bool nodelay = true;          // Nagle off (TCP_NODELAY): the listener's or tcp.nodelay
    // Loss recovery: fast recovery (RFC 6675 with PRR, RFC 6937) or after
    // an RTO (RFC 5681 §3.1, slow start from the loss window), both until
    // SND.UNA passes `recover`.
    bool in_recovery = false;
    bool rto_recovery = false;
    Seq recover;
    uint32_t recover_fs = 0;      // PRR RecoverFS: FlightSize when recovery began
    uint32_t prr_delivered = 0;
    uint32_t prr_out = 0;
    uint8_t dupacks = 0;          // without SACK: RFC 5681 duplicate ACKs
    // Undo (RFC 2883 §5, as Linux): retransmissions since `undo_marker`
    // that no D-SACK has shown to be needless; none left: undo the reduction.
    bool undo_armed = false;
    Seq undo_marker;
    uint32_t undo_retrans = 0;
    // Delayed ACKs (engine_delack.cpp, RFC 9293 §3.8.6.3, RFC 5681 §4.2).
    TimerNode delack_timer;       // owner kDelackTimerOwner; the only second timer
    uint32_t rcv_unacked = 0;     // in-order bytes received since our last ACK
    uint16_t rcv_mss = 536;       // the largest segment the peer has sent (Linux's rcv_mss)
    uint8_t quick_acks = 0;       // segments still to ACK at once (start, loss, reordering)
    // D-SACK to send (RFC 2883 §4): a duplicate segment arrived.
    bool dsack_pending = false;
    SackBlock dsack{};
    // SACK compression (engine_delack.cpp, Linux's tcp_comp_sack): the
    // duplicate ACKs sent at once for RCV.NXT = ooo_ack_rcv_nxt, and those
    // folded into the ACK at the end of the burst since the last one left.
    Seq ooo_ack_rcv_nxt;
    uint8_t ooo_dupacks = 0;
    uint8_t ooo_compressed = 0;
    Seq tlp_high;                 // SND.MAX when the loss probe went out
    bool probe_sent = false;      // a tail loss probe is out since the last new ACK
    uint64_t connect_deadline = 0; // SYN_SENT: give up at this time (0: tcp.syn_retries decide)
    uint64_t user_timeout_us = 0; // RFC 5482 USER_TIMEOUT in force (0: none)
    uint64_t stall_since = 0;     // when SND.UNA last moved with data outstanding
    uint64_t persist_since = 0;   // when the peer's zero window started the persist timer
    uint64_t last_rx_us = 0;      // last acceptable segment (keepalive idle time)
    // The service's own idle timeout (Engine::set_idle_timeout), in place of
    // the listener's: on expiry the service hears on_idle_timeout and decides
    // how both ends close (the proxy's client/server/tunnel timeouts).
    uint64_t idle_timeout_us = 0;
    uint8_t keepalive_probes = 0; // unanswered keepalive or window probes
    uint64_t last_invalid_reply_us = 0; // rate limit of replies to invalid segments
    uint16_t ip_id = 0;           // IPv4 ID of our next segment: random start (RFC 7739)

    // Buffers: payload only. sendq's head byte has sequence number snd_una
    // (once the SYN is acknowledged).
    MbufQueue sendq;
    MbufQueue recvq;
    ReassemblyQueue ooo;          // segments beyond a hole, with their SACK blocks
    // Memory accounting (engine_memory.cpp): the mbufs the three queues
    // held when last counted, and the engine's list of connections holding any.
    uint32_t mem_mbufs = 0;
    // The receive buffer, autotuned (engine_memory.cpp): its size now, what
    // the service read since rcv_space_since, and the receiver's RTT from
    // echoed timestamps (for a connection that sends nothing to time).
    uint32_t rcvbuf = 0;
    uint32_t sndbuf = 0;          // grows from EngineConfig::sndbuf (autotune_sndbuf)
    uint32_t rcv_copied = 0;
    uint64_t rcv_space_since = 0;
    uint64_t rcv_rtt_us = 0;
    Tcb* mem_prev = nullptr;
    Tcb* mem_next = nullptr;

    // Lifecycle flags.
    bool fin_queued = false;      // service asked to send FIN after sendq
    Seq fin_seq;                  // our FIN's sequence number, once queued
    bool peer_fin = false;        // FIN received (rcv_nxt counts it)
    bool peer_fin_ahead = false;  // a FIN arrived beyond a hole, at peer_fin_at
    Seq peer_fin_at;
    bool app_closed = false;      // service will read no more (close/abort)
    bool end_deferred = false;    // both FINs are through; ends once the service has read recvq (end_connection)
    bool orphan = false;          // closed by its service, still ending: counted in the engine
    bool per_source_counted = false; // counted against its listener's max_per_source
    bool accepted = false;        // service has been told (on_accept)
    bool tw_recycled = false;     // connect took over our TIME_WAIT tuple: ts_recent is the old peer's
    bool in_accept_queue = false; // established, waiting for a service that never accepts
    bool ack_now = false;         // an ACK (or window update) is owed
    bool want_writable = false;   // service is waiting for send space
    bool dirty = false;           // on the engine's output list
    bool released = false;        // on the engine's release list

    Listener* listener = nullptr;
    Service* service = nullptr;
    Tcb* next_dirty = nullptr;
    Tcb* next_free = nullptr;     // free list, and the release list

    // Per-connection state owned by the service (no allocation per connection),
    // reached through Connection::emplace_state/state (connection.hpp) only;
    // app_type names the type it holds.
    static constexpr size_t kAppAlign = 8;
    alignas(kAppAlign) uint8_t app[64];
    const void* app_type = nullptr;

    bool fin_sent() const { return fin_queued && snd_max > fin_seq; }
    bool fin_acked() const { return fin_queued && snd_una > fin_seq; }
};

}  // namespace tcpterm::tcp
