// Connections that cannot be pinned: what one peer address may hold through
// a listener (max_per_source), how many closed-but-ending connections a
// worker keeps (Linux's tcp_max_orphans) and how long they may retry
// (tcp_orphan_retries), and each listener's idle timeout.
#include <algorithm>

#include <rte_hash.h>

#include "lib/tcp/engine.hpp"

namespace tcpterm::tcp {

namespace {
// The per-source table's key: one peer address on one listener.
struct SourceKey {
    uint32_t raddr;
    uint16_t listener;
    uint16_t zero = 0;
};
static_assert(sizeof(SourceKey) == 8);

uintptr_t held_by(rte_hash* table, const SourceKey& key) {
    void* data = nullptr;
    return rte_hash_lookup_data(table, &key, &data) < 0 ? 0 : reinterpret_cast<uintptr_t>(data);
}
}  // namespace

bool Engine::per_source_admits(const Listener& l, uint32_t raddr) const {
    return l.max_per_source == 0 || held_by(per_source_, {raddr, l.index}) < l.max_per_source;
}

void Engine::per_source_add(Tcb& t) {
    if (!t.listener || t.listener->max_per_source == 0)
        return;
    SourceKey key{t.key.raddr, t.listener->index};
    uintptr_t held = held_by(per_source_, key);
    // The table has a slot per TCB, so this cannot fail while TCBs can.
    if (rte_hash_add_key_data(per_source_, &key, reinterpret_cast<void*>(held + 1)) == 0)
        t.per_source_counted = true;
}

void Engine::per_source_remove(Tcb& t) {
    if (!t.per_source_counted)
        return;
    t.per_source_counted = false;
    SourceKey key{t.key.raddr, t.listener->index};
    uintptr_t held = held_by(per_source_, key);
    if (held <= 1)
        rte_hash_del_key(per_source_, &key);
    else
        rte_hash_add_key_data(per_source_, &key, reinterpret_cast<void*>(held - 1));
}

// close() left the connection ending on its own: it is an orphan now. Past
// tcp.max_orphans it is reset at once instead, as Linux does when it has
// "too many orphaned sockets" (counted as TCPAbortOnMemory there too).
void Engine::become_orphan(Tcb& t) {
    if (t.orphan || t.released)
        return;
    if (orphans_ >= config_.max_orphans) {
        ++counters_.TCPAbortOnMemory;
        send_rst(t);
        close_connection(t, CloseReason::Aborted);
        return;
    }
    t.orphan = true;
    ++orphans_;
    ++counters_.CurrOrphans;
}

// attempts: retransmissions or probes including the one about to go.
bool Engine::orphan_gave_up(const Tcb& t, uint32_t attempts) const {
    return t.orphan && attempts > std::min(config_.orphan_retries, config_.data_retries);
}

uint64_t Engine::idle_limit(const Tcb& t) const {
    if (t.idle_timeout_us != 0)
        return t.idle_timeout_us;
    return t.listener ? t.listener->idle_timeout_us : 0;
}

void Engine::set_idle_timeout(Tcb& c, uint64_t timeout_us) {
    c.idle_timeout_us = timeout_us;
    // The idle timer shares the TCB's timer with retransmission and persist:
    // only re-arm it when it is the one running (or none is); otherwise the
    // next arm_idle_timer (when the flight is acknowledged) takes the limit.
    if (c.timer_kind == TimerKind::None || c.timer_kind == TimerKind::Keepalive)
        arm_idle_timer(c);
}

}  // namespace tcpterm::tcp
