// Engine set-up, the connection table and pool, and connection lifecycle.
#include "lib/tcp/engine.hpp"

#include <sys/random.h>

#include <stdexcept>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "lib/tcp/service.hpp"
#include "lib/tcp/siphash.hpp"

namespace tcpterm::tcp {

namespace {
constexpr size_t kMaxListeners = ListenerIndex::kMax;
}

// At static initialisation, before DPDK is up: straight from the kernel.
FlowHashKey random_flow_hash_key() {
    FlowHashKey k;
    if (getrandom(&k, sizeof(k), 0) != static_cast<ssize_t>(sizeof(k)))
        throw std::runtime_error("getrandom failed: no key for the flow tables");
    for (uint64_t& m : k.m)
        m |= 1;  // odd multipliers: no input bit is lost
    return k;
}

const char* state_name(State s) {
    switch (s) {
    case State::Closed: return "CLOSED";
    case State::Listen: return "LISTEN";
    case State::SynSent: return "SYN_SENT";
    case State::SynReceived: return "SYN_RECEIVED";
    case State::Established: return "ESTABLISHED";
    case State::FinWait1: return "FIN_WAIT_1";
    case State::FinWait2: return "FIN_WAIT_2";
    case State::CloseWait: return "CLOSE_WAIT";
    case State::Closing: return "CLOSING";
    case State::LastAck: return "LAST_ACK";
    case State::TimeWait: return "TIME_WAIT";
    }
    return "?";
}

const char* close_reason_name(CloseReason r) {
    switch (r) {
    case CloseReason::Normal: return "normal";
    case CloseReason::Reset: return "reset";
    case CloseReason::Timeout: return "timeout";
    case CloseReason::Aborted: return "aborted";
    case CloseReason::Refused: return "refused";
    }
    return "?";
}

Engine::Engine(const std::string& name, const EngineConfig& config, Counters& counters,
               net::DatagramSink& out, rte_mempool* pool, uint64_t now_us)
    : config_(config),
      counters_(counters),
      out_(out),
      pool_(pool),
      tcbs_(config.max_connections),
      time_wait_(name, config.max_time_wait),
      tuples_(uint64_t{config.max_connections} + config.max_time_wait),
      cookies_(config.cookie_key, config.cookie_period_us),
      wheel_(config.timer_slots, config.timer_tick_us, now_us),
      now_(now_us) {
    rte_hash_parameters params{};
    std::string hash_name = "tcb_" + name;
    params.name = hash_name.c_str();
    params.entries = config.max_connections < 8 ? 8 : config.max_connections;
    params.key_len = sizeof(FlowKey);
    params.hash_func = flow_hash;
    params.socket_id = SOCKET_ID_ANY;
    table_ = rte_hash_create(&params);
    if (!table_)
        throw std::runtime_error("cannot create the connection table " + hash_name + ": " +
                                 rte_strerror(rte_errno));
    std::string source_name = "src_" + name;
    rte_hash_parameters sources{};
    sources.name = source_name.c_str();
    sources.entries = params.entries;
    sources.key_len = 8;
    sources.socket_id = SOCKET_ID_ANY;
    per_source_ = rte_hash_create(&sources);
    if (!per_source_)
        throw std::runtime_error("cannot create the per-source table " + source_name + ": " +
                                 rte_strerror(rte_errno));
    for (size_t i = tcbs_.size(); i-- > 0;) {
        tcbs_[i].next_free = free_list_;
        free_list_ = &tcbs_[i];
    }
    listeners_.reserve(kMaxListeners);
    mbuf_truesize_ = pool_ ? static_cast<uint32_t>(sizeof(rte_mbuf) + rte_pktmbuf_priv_size(pool_) +
                                                   rte_pktmbuf_data_room_size(pool_))
                           : sizeof(rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE;
    if (config_.window_scaling)
        while (rcv_wscale_ < kMaxWindowScale &&
               (std::max(config_.rcvbuf, config_.rcvbuf_max) >> rcv_wscale_) > 65535)
            ++rcv_wscale_;
}

Engine::~Engine() {
    for (Tcb& t : tcbs_) {
        t.sendq.clear();
        t.recvq.clear();
        t.ooo.clear();
    }
    rte_hash_free(table_);
    rte_hash_free(per_source_);
}

bool Engine::add_listener(const Listener& listener) {
    auto index = static_cast<uint16_t>(listeners_.size());
    if (!listener_index_.add(listener.addr, listener.port, index))
        return false;  // full, or that binding is taken
    listeners_.push_back(listener);
    listeners_.back().syn_queue_len = 0;
    listeners_.back().index = static_cast<uint16_t>(listeners_.size() - 1);
    return true;
}

Listener* Engine::find_listener(uint32_t addr, uint16_t port) {
    uint16_t i = listener_index_.find(addr, port);
    return i == ListenerIndex::kNone ? nullptr : &listeners_[i];
}

Tcb* Engine::find(const FlowKey& key) const {
    void* data = nullptr;
    if (rte_hash_lookup_data(table_, &key, &data) < 0)
        return nullptr;
    return static_cast<Tcb*>(data);
}

Tcb* Engine::allocate(const FlowKey& key) {
    if (!free_list_)
        return nullptr;
    Tcb* t = free_list_;
    uint32_t hash = flow_hash(key);
    if (rte_hash_add_key_with_hash_data(table_, &key, hash, t) != 0)
        return nullptr;
    tuples_.add(hash);
    free_list_ = t->next_free;
    Scoreboard kept = std::move(t->sb);  // its buffer outlives the connection
    *t = Tcb{};
    t->sb = std::move(kept);
    t->sb.clear();
    t->delack_timer.owner = kDelackTimerOwner;
    t->rcvbuf = config_.rcvbuf;
    t->sndbuf = config_.sndbuf;
    t->key = key;
    t->last_invalid_reply_us = now_ - config_.invalid_ratelimit_us;  // the first reply may go
    t->ip_id = static_cast<uint16_t>(rte_rand());
    ++in_use_;
    ++counters_.CurrConnections;
    return t;
}

// The only place a connection's state changes.
void Engine::set_state(Tcb& t, State next) {
    bool was_estab = t.state == State::Established || t.state == State::CloseWait;
    bool is_estab = next == State::Established || next == State::CloseWait;
    if (was_estab && !is_estab)
        --counters_.CurrEstab;
    else if (!was_estab && is_estab)
        ++counters_.CurrEstab;
    t.state = next;
}

void Engine::notify_closed(Tcb& t, CloseReason reason) {
    if (t.accepted && t.service) {
        Service* s = t.service;
        t.service = nullptr;  // exactly one on_closed
        s->on_closed(*this, t, reason);
    }
}

// To CLOSED: the TCB leaves the table now and returns to the pool at the end
// of the current flush, so pointers held during this burst stay valid.
void Engine::close_connection(Tcb& t, CloseReason reason) {
    if (t.released)
        return;
    if (t.state == State::SynReceived && t.listener)
        --t.listener->syn_queue_len;
    set_state(t, State::Closed);
    notify_closed(t, reason);
    release(t);
}

void Engine::release(Tcb& t) {
    if (t.released)
        return;
    cancel_timer(t);
    wheel_.cancel(t.delack_timer);
    if (t.state != State::Closed)
        set_state(t, State::Closed);
    if (t.in_accept_queue) {
        t.in_accept_queue = false;
        --t.listener->accept_queue_len;
    }
    per_source_remove(t);
    if (t.orphan) {
        t.orphan = false;
        --orphans_;
        --counters_.CurrOrphans;
    }
    t.sendq.clear();
    t.recvq.clear();
    t.ooo.clear();
    account(t);
    uint32_t hash = flow_hash(t.key);
    rte_hash_del_key_with_hash(table_, &t.key, hash);
    tuples_.remove(hash);
    t.released = true;
    t.next_free = release_list_;
    release_list_ = &t;
    --in_use_;
    --counters_.CurrConnections;
}

void Engine::mark_dirty(Tcb& t) {
    if (t.dirty || t.released)
        return;
    t.dirty = true;
    t.next_dirty = dirty_list_;
    dirty_list_ = &t;
}

void Engine::arm_timer(Tcb& t, TimerKind kind, uint64_t delay_us) {
    t.timer_kind = kind;
    wheel_.schedule(t.timer, now_ + delay_us);
}

void Engine::cancel_timer(Tcb& t) {
    wheel_.cancel(t.timer);
    t.timer_kind = TimerKind::None;
}

// RFC 6528: ISN = M + F(4-tuple, secret), M a 4-microsecond clock.
uint32_t Engine::make_isn(const FlowKey& key) const {
    uint32_t f = static_cast<uint32_t>(siphash24(config_.isn_key, &key, sizeof(key)));
    return f + static_cast<uint32_t>(now_ / 4);
}

// RFC 7323 §5.4: a millisecond clock with a random per-connection offset.
uint32_t Engine::ts_now(const Tcb& t) const {
    return static_cast<uint32_t>(now_ / 1000) + t.ts_offset;
}

void Engine::flush(uint64_t now_us) {
    now_ = now_us;
    reclaim_memory();
    while (Tcb* t = dirty_list_) {
        dirty_list_ = t->next_dirty;
        t->dirty = false;
        if (t->released)
            continue;
        output(*t);
        // Not from consume() itself: the service that read the last bytes
        // is still running, and ending calls back into it (on_closed).
        if (t->end_deferred && t->recvq.bytes == 0)
            end_connection(*t, t->state == State::TimeWait);
    }
    while (Tcb* t = release_list_) {
        release_list_ = t->next_free;
        t->released = false;
        t->next_free = free_list_;
        free_list_ = t;
    }
}

// --- connection calls --------------------------------------------------------

size_t Engine::send_space(const Tcb& c) const {
    if (c.fin_queued || c.app_closed)
        return 0;
    return c.sendq.bytes < c.sndbuf ? c.sndbuf - c.sendq.bytes : 0;
}

size_t Engine::send(Tcb& c, const void* data, size_t len) {
    if (c.released || (c.state != State::Established && c.state != State::CloseWait))
        return 0;
    size_t room = send_space(c);
    if (len > room)
        len = room;
    const auto* in = static_cast<const uint8_t*>(data);
    size_t done = 0;
    while (done < len) {
        rte_mbuf* tail = c.sendq.tail;
        if (!tail || !RTE_MBUF_DIRECT(tail) || rte_pktmbuf_tailroom(tail) == 0) {
            tail = rte_pktmbuf_alloc(pool_);
            if (!tail) {
                ++counters_.TCPSendAllocFail;
                break;
            }
            tail->data_off = 0;  // payload only: no headers ever go here
            c.sendq.push_back(tail);
        }
        size_t take = rte_pktmbuf_tailroom(tail);
        if (take > len - done)
            take = len - done;
        memcpy(rte_pktmbuf_append(tail, static_cast<uint16_t>(take)), in + done, take);
        c.sendq.bytes += static_cast<uint32_t>(take);
        done += take;
    }
    if (done < len || done == room)
        c.want_writable = true;
    if (done > 0) {
        account(c);
        mark_dirty(c);
    }
    return done;
}

std::span<const uint8_t> Engine::recv_front(const Tcb& c) const {
    if (!c.recvq.head)
        return {};
    return {rte_pktmbuf_mtod(c.recvq.head, const uint8_t*), c.recvq.head->data_len};
}

void Engine::consume(Tcb& c, size_t n) {
    if (n > c.recvq.bytes)
        n = c.recvq.bytes;
    if (n == 0)
        return;
    c.recvq.drop_front(static_cast<uint32_t>(n));
    consumed(c, static_cast<uint32_t>(n));
}

// Zero copy between connections (the proxy): received buffers move whole
// to the other connection's send queue while it has room for them; the
// one that does not fit is copied in part, so that a full queue still
// makes progress. The buffers stay in this worker's pool and in its
// memory accounting; only their owner changes.
size_t Engine::move_received(Tcb& from, Tcb& to) {
    size_t room = send_space(to);
    if (to.released || (to.state != State::Established && to.state != State::CloseWait))
        room = 0;
    size_t moved = 0;
    while (from.recvq.head && room > 0) {
        rte_mbuf* m = from.recvq.head;
        if (m->data_len > room) {
            size_t n = send(to, rte_pktmbuf_mtod(m, const uint8_t*), room);
            from.recvq.drop_front(static_cast<uint32_t>(n));
            moved += n;
            break;
        }
        room -= m->data_len;
        moved += m->data_len;
        to.sendq.push_back(from.recvq.pop_front());
    }
    if (from.recvq.bytes > 0)
        to.want_writable = true;
    if (moved == 0)
        return 0;
    account(to);
    mark_dirty(to);
    consumed(from, static_cast<uint32_t>(moved));
    return moved;
}

// The service took n received bytes: the memory they held is free, and
// the window may open.
void Engine::consumed(Tcb& c, uint32_t n) {
    account(c);
    autotune_rcvbuf(c, n);
    if (c.end_deferred && c.recvq.bytes == 0) {  // all read: it can end (at flush)
        mark_dirty(c);
        return;
    }
    // Window update once the window could open by a useful amount (RFC 9293
    // §3.8.6.2.2 receiver-side SWS avoidance). Not while the end waits for
    // the service: the peer has finished, and may have closed (a RST back).
    // (No further than the window field can say: without window scaling
    // the space beyond 64 KiB cannot be advertised, and an ACK owed for it
    // would move nothing.)
    Seq right = c.rcv_nxt + std::min<uint32_t>(receive_space(c), uint32_t{65535} << c.rcv_wscale);
    uint32_t threshold = std::min<uint32_t>(c.rcvbuf / 2, 2u * config_.mss);
    if (!c.end_deferred && right - c.rcv_adv >= static_cast<int32_t>(threshold)) {
        c.ack_now = true;
        mark_dirty(c);
    }
}

void Engine::shutdown_write(Tcb& c) {
    if (c.fin_queued || c.released)
        return;
    if (c.state != State::Established && c.state != State::CloseWait)
        return;
    c.fin_queued = true;
    c.fin_seq = c.snd_una + c.sendq.bytes;
    c.want_writable = false;
    set_state(c, c.state == State::Established ? State::FinWait1 : State::LastAck);
    mark_dirty(c);
}

void Engine::close(Tcb& c) {
    if (c.app_closed || c.released)
        return;
    c.app_closed = true;
    if (c.state == State::SynSent) {  // RFC 9293 §3.10.4: delete the TCB
        close_connection(c, CloseReason::Aborted);
        return;
    }
    if (c.end_deferred) {  // both FINs are through: nothing to tell the peer
        end_connection(c, c.state == State::TimeWait);
        return;
    }
    if (c.recvq.bytes > 0) {
        ++counters_.TCPAbortOnClose;
        send_rst(c);
        close_connection(c, CloseReason::Aborted);
        return;
    }
    shutdown_write(c);
    become_orphan(c);
}

void Engine::abort(Tcb& c) {
    if (c.released)
        return;
    c.app_closed = true;
    ++counters_.TCPAbortByService;
    if (c.state != State::TimeWait && c.state != State::SynSent)
        send_rst(c);
    close_connection(c, CloseReason::Aborted);
}

}  // namespace tcpterm::tcp
