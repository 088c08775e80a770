// One worker's TCP engine: connection table, listeners, state machine
// (RFC 9293 §3.10), timers and output. It never touches a device or reads a
// clock: the worker hands it segments with `now` and takes datagrams from its
// sink, so tests drive it with crafted segments and a fake clock.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "lib/net/frame_sink.hpp"
#include "lib/net/interface.hpp"
#include "lib/tcp/counters.hpp"
#include "lib/tcp/engine_config.hpp"
#include "lib/tcp/listener.hpp"
#include "lib/tcp/listener_index.hpp"
#include "lib/tcp/negotiate.hpp"
#include "lib/tcp/segment.hpp"
#include "lib/tcp/syncookie.hpp"
#include "lib/tcp/tcb.hpp"
#include "lib/tcp/time_wait.hpp"
#include "lib/tcp/tuple_filter.hpp"
#include "lib/tcp/timer_wheel.hpp"

struct rte_hash;
struct rte_mempool;

namespace tcpterm::tcp {

class Engine {
public:
    // name must be unique in the process (it names the rte_hash).
    Engine(const std::string& name, const EngineConfig& config, Counters& counters,
           net::DatagramSink& out, rte_mempool* pool, uint64_t now_us);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Returns false if a listener already holds addr:port.
    bool add_listener(const Listener& listener);
    // In the order they were added (the same on every worker); never moves
    // after start-up, so the telemetry thread may read the queue depths.
    const std::vector<Listener>& listeners() const { return listeners_; }
    // Extra condition on the local ports connect() picks (for RSS affinity:
    // the reply must hash back to this worker). Set once at start.
    void set_port_filter(std::function<bool(const FlowKey&)> filter) { port_filter_ = std::move(filter); }

    // Active open (RFC 9293 OPEN): sends a SYN from laddr to raddr:rport.
    // lport 0 picks an ephemeral port (RFC 6056). The service hears
    // on_accept once established, or on_closed if it fails. Returns nullptr
    // (counted) when no port or table slot is free. timeout_us bounds the
    // time in SYN_SENT (SYNs are retransmitted within it, then on_closed
    // with Timeout); 0 leaves it to tcp.syn_retries.
    Tcb* connect(uint32_t laddr, uint32_t raddr, uint16_t rport, Service* service,
                 uint16_t lport, uint64_t now_us, uint64_t timeout_us = 0);
    // The same from one of several local addresses (taken in turn, the next
    // one when an address has no port left) and a port range of the
    // caller's (first 0: the engine's ephemeral range): a proxy's source
    // pool toward its backends.
    struct Source {
        std::span<const uint32_t> addrs;
        uint16_t port_first = 0, port_last = 0;
    };
    Tcb* connect(const Source& from, uint32_t raddr, uint16_t rport, Service* service, uint64_t now_us,
                 uint64_t timeout_us = 0);

    // --- packet path -------------------------------------------------------
    // Takes a TCP datagram (data at the IPv4 header) and owns it from here.
    void input(rte_mbuf* m, const net::Ipv4Datagram& ip, uint64_t now_us);
    // Fires due timers.
    void run_timers(uint64_t now_us);
    // Sends what input, timers and services made owed; call once per burst.
    void flush(uint64_t now_us);
    // Stop (SIGINT/SIGTERM): ends every connection so that its peer hears of
    // it, FIN where the service's stream is complete, RST otherwise; drops
    // TIME_WAIT entries; then flushes. At most `budget` connections per call,
    // so that a caller can let its TX ring drain in between: true once none
    // is left. From the first call on no connection is opened or accepted:
    // segments for no connection get a RST, as at a closed port. The rules
    // are in engine_shutdown.cpp.
    bool shutdown_all(uint64_t now_us, uint32_t budget = UINT32_MAX);

    // --- connection calls for services --------------------------------------
    // Queues up to len bytes; returns how many were taken (0 when full).
    size_t send(Tcb& c, const void* data, size_t len);
    size_t send_space(const Tcb& c) const;
    // The first contiguous run of received, unconsumed bytes (empty if none).
    std::span<const uint8_t> recv_front(const Tcb& c) const;
    size_t received(const Tcb& c) const { return c.recvq.bytes; }
    void consume(Tcb& c, size_t n);
    size_t move_received(Tcb& from, Tcb& to);
    // FIN after what is queued; receiving goes on (half-close).
    void shutdown_write(Tcb& c);
    // No more sending or receiving. Unread data makes it an abort (RFC 1122
    // 4.2.2.13).
    void close(Tcb& c);
    // RST now, queues discarded (like SO_LINGER 0).
    void abort(Tcb& c);
    // The service's idle timeout for c (0: back to its listener's): after
    // that long without a segment from the peer while nothing is in flight,
    // the service hears on_idle_timeout instead of the engine resetting c.
    void set_idle_timeout(Tcb& c, uint64_t timeout_us);

    // --- inspection ----------------------------------------------------------
    Tcb* find(const FlowKey& key) const;
    const TimeWaitEntry* find_time_wait(const FlowKey& key) const { return time_wait_.find(key); }
    uint32_t connection_count() const { return in_use_; }
    // mbufs held in connection queues, and whether the worker is under
    // memory pressure (engine_memory.cpp).
    uint32_t queued_mbufs() const { return held_mbufs_; }
    bool under_memory_pressure() const { return mem_pressure_; }
    // The time of the packet or timer being handled (for services that open
    // connections from a callback).
    uint64_t now_us() const { return now_; }
    const EngineConfig& config() const { return config_; }

private:
    // Where each concern lives: one file per concern, declared here in the
    // same groups. The value types the sending side is built from have
    // their own headers: rtt_estimator.hpp, congestion.hpp (newreno.cpp,
    // cubic.cpp, hystart.hpp, bbr.cpp with delivery_rate.hpp),
    // scoreboard.hpp, rack.hpp, negotiate.hpp.

    // engine.cpp: the table, the TCB pool, state changes and their end
    Tcb* allocate(const FlowKey& key);
    void set_state(Tcb& t, State next);
    void close_connection(Tcb& t, CloseReason reason);
    void release(Tcb& t);
    void mark_dirty(Tcb& t);
    void notify_closed(Tcb& t, CloseReason reason);
    void arm_timer(Tcb& t, TimerKind kind, uint64_t delay_us);
    void cancel_timer(Tcb& t);
    uint32_t make_isn(const FlowKey& key) const;
    uint32_t ts_now(const Tcb& t) const;
    Listener* find_listener(uint32_t addr, uint16_t port);
    void consumed(Tcb& c, uint32_t n);

    // engine_input.cpp: SEGMENT ARRIVES (RFC 9293 §3.10.7), step by step
    void closed_input(Segment& s);
    // reuse_after: the SYN takes over a TIME_WAIT tuple whose SND.NXT it was.
    void listen_input(Listener& l, Segment& s, const Seq* reuse_after = nullptr);
    void listen_ack(Listener& l, Segment& s, const AoKey* mkt);
    bool admit_syn(Listener& l, Segment& s, const AoKey* mkt);
    void open_passive(Listener& l, Segment& s, const AoKey* mkt, const Seq* reuse_after);
    void segment_arrives(Tcb& t, Segment& s);
    bool check_timestamps(Tcb& t, Segment& s);
    bool paws_reject(Tcb& t, const Segment& s);
    bool handshake_repeated(Tcb& t, Segment& s);
    bool check_sequence(Tcb& t, Segment& s);
    bool acceptable(const Tcb& t, const Segment& s) const;
    void check_rst(Tcb& t, Segment& s);
    bool check_ack(Tcb& t, Segment& s);
    bool establish(Tcb& t, const Segment& s);
    void process_ack(Tcb& t, const Segment& s);
    void process_text(Tcb& t, Segment& s);
    void receive_data(Tcb& t, Segment& s);
    rte_mbuf* adopt(rte_mbuf* m);
    void process_fin(Tcb& t, bool has_fin, Seq fin_at, bool carries_data);
    void receive_fin(Tcb& t);
    // Every segment that is not taken ends here, with its counter (as
    // Linux's skb_drop_reason).
    void drop(Segment& s, uint64_t Counters::*reason);
    // Replies to invalid segments and challenge ACKs (RFC 5961), rate limited.
    bool invalid_reply_allowed(Tcb& t, const Segment& s, uint64_t Counters::*skipped);
    void answer_invalid(Tcb& t, const Segment& s, uint64_t Counters::*skipped);
    void challenge_ack(Tcb& t, const Segment& s);

    // engine_open.cpp: the options a new connection uses (negotiate.hpp),
    // and the peer's User Timeout Option (RFC 5482)
    SynOffer our_offer() const;
    void take_negotiated(Tcb& t, const Negotiated& n);
    void apply_peer_user_timeout(Tcb& t, const TcpOptions& opts);

    // engine_syncookie.cpp: stateless SYN-ACKs and the ACKs that prove them
    bool cookies_recently_sent(const Listener& l) const;
    void send_cookie_syn_ack(Listener& l, Segment& s);
    bool accept_cookie(Listener& l, Segment& s);

    // engine_connect.cpp: active open (SYN_SENT)
    uint16_t pick_local_port(uint32_t laddr, uint32_t raddr, uint16_t rport, uint16_t first = 0,
                             uint16_t last = 0);
    bool time_wait_reusable(const TimeWaitEntry& tw) const;
    void negotiate_active(Tcb& t, const Segment& s);
    void syn_sent_input(Tcb& t, Segment& s);

    // engine_output.cpp: deciding what to send and building segments
    void output(Tcb& t);
    void send_segment(Tcb& t, Seq seq, uint32_t len, uint8_t flags);
    uint32_t tso_burst(const Tcb& t, uint32_t mss) const;
    // Builds and sends one segment; returns where len payload bytes go, or
    // nullptr (counted) when no mbuf was free. ecn is the IPv4 ECN field.
    uint8_t* emit(const FlowKey& key, Seq seq, Seq ack, uint8_t flags, uint16_t window,
                  const uint8_t* options, size_t options_len, uint32_t len, rte_mbuf** out,
                  uint8_t ecn = kNotEct, uint16_t ip_id = 0, rte_mbuf* by_reference = nullptr);
    void send_syn_ack(Tcb& t);
    void send_rst(Tcb& t);
    void reply_rst(Segment& s);
    // Where a reply built in s's mbuf will carry its options (40 bytes of
    // room), so that they can be written there directly; nullptr when the
    // buffer is too small.
    uint8_t* reply_options_in_place(Segment& s);
    void reply_in_place(Segment& s, Seq seq, Seq ack, uint8_t flags, uint16_t window,
                        const uint8_t* options, size_t options_len);
    void advertise_user_timeout(TcpOptions& o) const;
    uint16_t advertise_window(Tcb& t);
    uint8_t sack_room(const Tcb& t, uint32_t len) const;
    uint32_t effective_mss(const Tcb& t) const;

    // engine_recovery.cpp: what ACKs teach the sender; loss detection
    // (RACK-TLP, duplicate ACKs, RTO), recovery with PRR, D-SACK undo
    struct AckInfo {
        uint32_t delivered = 0;  // bytes newly acknowledged or SACKed
        uint64_t rtt_us = 0;     // the ACK's RTT sample (0: none)
        bool dsack = false;
        RateSample rate;         // delivery rate (delivery_rate.hpp)
    };
    void init_sending(Tcb& t);
    RttEstimator::Bounds rtt_bounds() const;
    AckInfo scoreboard_ack(Tcb& t, const Segment& s);
    void recovery_on_ack(Tcb& t, uint32_t acked, bool duplicate, const AckInfo& info);
    void start_recovery(Tcb& t);
    void end_recovery(Tcb& t);
    void undo_recovery(Tcb& t);
    void prr_update(Tcb& t, uint32_t delivered);
    void retransmit(Tcb& t, SentSegment& seg);
    void send_lost(Tcb& t);
    void arm_sending_timer(Tcb& t, bool restart);
    void on_reorder_timer(Tcb& t);
    void send_loss_probe(Tcb& t);
    void start_rto_recovery(Tcb& t);

    // engine_delack.cpp: delayed and quick ACKs
    void start_quick_acks(Tcb& t);
    void owe_ack(Tcb& t, uint32_t len, bool urgent);
    void owe_dsack(Tcb& t, Seq left, Seq right);
    void ack_at_once(Tcb& t);
    void ack_out_of_order(Tcb& t);
    void ack_sent(Tcb& t);
    void on_delack_timer(Tcb& t);

    // engine_ecn.cpp: ECN (RFC 3168)
    void ecn_receiver(Tcb& t, const Segment& s);
    void ecn_echo_received(Tcb& t, uint32_t flight);
    uint8_t ecn_marking(Tcb& t, Seq seq, uint32_t len, uint8_t& flags);
    // A SYN that asks for ECN: ECE and CWR both set (RFC 3168 §6.1.1).
    static bool is_ecn_setup_syn(const Segment& s) { return s.has(kEce) && s.has(kCwr); }

    // engine_timers.cpp: the RTO, persist, keepalive and idle timers
    void on_timer(Tcb& t);
    void on_retransmit_timeout(Tcb& t);
    void on_persist_timer(Tcb& t);
    // With data in flight: a loss probe first when TLP applies, else the RTO.
    void arm_retransmit_timer(Tcb& t);
    // Nothing outstanding: the keepalive timer if enabled, else none.
    void arm_idle_timer(Tcb& t);
    void on_keepalive_timer(Tcb& t);
    // The RTO, cut short where the user timeout (RFC 5482) runs out first.
    uint64_t retransmit_delay(const Tcb& t) const;
    uint64_t syn_retransmit_delay(const Tcb& t) const;

    // engine_time_wait.cpp: the end of a connection and TIME_WAIT
    void enter_time_wait(Tcb& t);
    // Both FINs are through: TIME_WAIT (time_wait) or CLOSED, once the
    // service has read what the connection received.
    void end_connection(Tcb& t, bool time_wait);
    void time_wait_input(TimeWaitEntry& tw, Segment& s);
    void send_time_wait_ack(TimeWaitEntry& tw);
    void end_time_wait(TimeWaitEntry& tw);

    // engine_memory.cpp: what connection queues hold (Linux's truesize
    // charging and tcp_mem pressure, in mbufs)
    void account(Tcb& t);
    uint32_t rcv_mem(const Tcb& t) const;
    bool rcv_mem_admits(Tcb& t, bool in_order);
    uint32_t receive_space(const Tcb& t) const;
    void autotune_rcvbuf(Tcb& t, uint32_t consumed);
    void autotune_sndbuf(Tcb& t);
    void reclaim_memory();

    // engine_limits.cpp: what one peer or one closed connection may hold
    bool per_source_admits(const Listener& l, uint32_t raddr) const;
    void per_source_add(Tcb& t);
    void per_source_remove(Tcb& t);
    void become_orphan(Tcb& t);
    // Whether an orphan has had its retries (and must be aborted now).
    bool orphan_gave_up(const Tcb& t, uint32_t attempts) const;
    // Idle timeout of the connection's listener (0: none).
    uint64_t idle_limit(const Tcb& t) const;

    // engine_shutdown.cpp: stopping (SIGINT/SIGTERM)
    void shutdown_connection(Tcb& t);
    bool service_finished(const Tcb& t) const;
    void drop_time_wait();

    // engine_ao.cpp: TCP-AO (RFC 5925)
    const AoKey* ao_key_for(uint32_t peer, uint16_t local_port) const;
    // Checking a segment against the keys that cover its peer (none:
    // covering is nullptr); false (counted) when it must be dropped.
    const AoKey* ao_key_for_keyid(const Segment& s) const;
    const AoKey* ao_send_key_wanted(const AoKey* current, const Segment& s) const;
    template <typename Derive>
    const AoKey* ao_check(const AoKey* covering, const Segment& s, uint32_t sne, bool* no_ao,
                          Derive&& derive);
    bool ao_verify_syn(const AoKey* covering, const Segment& s);
    bool ao_accept(Tcb& t, const Segment& s);
    // Both ISNs known: the connection's traffic keys (RFC 5925 §5.2).
    void ao_start(Tcb& t);
    // Signs a segment built in m (whole datagram) at ao_offset in the TCP header.
    void ao_sign(Tcb& t, rte_mbuf* m, Seq seq, uint8_t flags, uint16_t ao_offset);
    // The same for a TIME_WAIT entry, whose traffic keys are derived again.
    bool ao_accept_time_wait(TimeWaitEntry& tw, const Segment& s);
    void ao_sign_time_wait(TimeWaitEntry& tw, rte_mbuf* m, uint16_t ao_offset);

    EngineConfig config_;
    Counters& counters_;
    net::DatagramSink& out_;
    rte_mempool* pool_;
    rte_hash* table_ = nullptr;
    std::vector<Tcb> tcbs_;
    rte_hash* per_source_ = nullptr;  // (listener, peer address) -> connections held
    uint32_t orphans_ = 0;
    Tcb* free_list_ = nullptr;
    Tcb* release_list_ = nullptr;
    Tcb* dirty_list_ = nullptr;
    uint32_t in_use_ = 0;
    uint32_t held_mbufs_ = 0;     // sum of every TCB's mem_mbufs
    uint32_t mbuf_truesize_ = 0;  // what one queued mbuf costs, header and buffer
    Tcb* holders_ = nullptr;      // connections with mem_mbufs > 0
    bool mem_pressure_ = false;
    uint64_t pressure_since_ = 0;
    std::vector<Listener> listeners_;
    ListenerIndex listener_index_;  // (address, port) -> place in listeners_
    TimeWaitTable time_wait_;
    TupleFilter tuples_;  // what table_ and time_wait_ may hold
    SynCookies cookies_;
    TimerWheel wheel_;
    uint64_t now_ = 0;
    bool stopping_ = false;      // shutdown_all ran: no new connections
    size_t shutdown_next_ = 0;   // the first TCB slot shutdown_all has not reached
    uint8_t rcv_wscale_ = 0;     // what we offer, from rcvbuf
    uint32_t next_ephemeral_ = 0;
    uint32_t next_source_ = 0;    // Source::addrs taken in turn
    std::function<bool(const FlowKey&)> port_filter_;
    uint64_t challenge_second_ = 0;
    uint32_t challenge_budget_ = 0;  // challenge ACKs left this second
};

}  // namespace tcpterm::tcp
