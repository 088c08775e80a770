// What a service sees of a connection: a small value handle (engine and TCB)
// with the byte-stream calls, the few facts a service needs, and one typed
// place for the service's per-connection state. It lets a service queue,
// read and end the stream, never change a TCP state variable.
//
// A handle is valid from the service's on_accept (or from connect()) until
// its on_closed returns: after that the engine reuses the TCB. A service
// that keeps one (the proxy's link to its partner) drops it in on_closed.
// Two handles of the same connection compare equal.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <type_traits>
#include <utility>

#include "lib/tcp/engine.hpp"
#include "lib/tcp/tcb.hpp"

namespace tcpterm::tcp {

class Service;

class Connection {
public:
    // An empty handle: no connection (what connect() returns on failure).
    Connection() = default;
    // The engine's side (and a driver that opened the connection itself).
    Connection(Engine& engine, Tcb& tcb) : engine_(&engine), tcb_(&tcb) {}

    explicit operator bool() const { return tcb_ != nullptr; }
    friend bool operator==(const Connection&, const Connection&) = default;

    // --- the byte stream (Engine's connection calls) --------------------------
    // Queues up to len bytes; returns how many were taken (0 when full). Cut
    // short, it asks for on_writable once space is freed.
    size_t send(const void* data, size_t len) const { return engine_->send(*tcb_, data, len); }
    size_t send_space() const { return engine_->send_space(*tcb_); }
    // Asks for on_writable once acknowledged data frees send space, for a
    // service that waits for room before it sends anything.
    void want_writable() const { tcb_->want_writable = true; }
    // The first contiguous run of received, unconsumed bytes (empty if none).
    std::span<const uint8_t> recv_front() const { return engine_->recv_front(*tcb_); }
    size_t received() const { return engine_->received(*tcb_); }
    void consume(size_t n) const { engine_->consume(*tcb_, n); }
    // Zero copy: what this connection received goes to dst's send queue, in
    // the buffers it arrived in (as much as dst has room for); returns the
    // bytes moved. Both must be this engine's connections.
    size_t move_received_to(Connection dst) const { return engine_->move_received(*tcb_, *dst.tcb_); }
    // FIN after what is queued; receiving goes on (half-close).
    void shutdown_write() const { engine_->shutdown_write(*tcb_); }
    // No more sending or receiving; unread data makes it an abort.
    void close() const { engine_->close(*tcb_); }
    // RST now, queues discarded.
    void abort() const { engine_->abort(*tcb_); }
    // Idle timeout of this connection (0: its listener's): the service hears
    // on_idle_timeout after timeout_us without a segment from the peer while
    // nothing is in flight (a peer that stops acknowledging is the
    // retransmission timer's, a closed window the persist timer's).
    void set_idle_timeout(uint64_t timeout_us) const { engine_->set_idle_timeout(*tcb_, timeout_us); }

    // --- what a service may know ----------------------------------------------
    // Addresses and ports, host byte order.
    const FlowKey& key() const { return tcb_->key; }
    // The peer's FIN has arrived: everything it sent is in the receive queue.
    bool peer_finished() const { return tcb_->peer_fin; }

    // Active open on this connection's worker, from its local address (an
    // ephemeral port), now. `service` hears on_accept once established or
    // on_closed if it fails (Timeout after timeout_us in SYN_SENT, when not
    // 0). Empty when no port or table slot is free.
    Connection connect(uint32_t raddr, uint16_t rport, Service& service, uint64_t timeout_us = 0) const {
        Tcb* t = engine_->connect(tcb_->key.laddr, raddr, rport, &service, 0, engine_->now_us(), timeout_us);
        return t ? Connection(*engine_, *t) : Connection();
    }
    // The same from a source pool (Engine::Source: addresses in turn, a port range).
    Connection connect(const Engine::Source& from, uint32_t raddr, uint16_t rport, Service& service,
                       uint64_t timeout_us = 0) const {
        Tcb* t = engine_->connect(from, raddr, rport, &service, engine_->now_us(), timeout_us);
        return t ? Connection(*engine_, *t) : Connection();
    }
    // The time of the segment or timer being handled (the engine's clock).
    uint64_t now_us() const { return engine_->now_us(); }

    // --- the service's per-connection state -------------------------------------
    // One object in the TCB's service area (no allocation per connection),
    // created by emplace_state and reached by state<T>() with the same T.
    // Nothing destroys it: T must be trivially destructible, and the next
    // connection in the TCB starts without one.
    template <typename T, typename... A>
    T& emplace_state(A&&... args) const {
        check_state_type<T>();
        tcb_->app_type = &kStateType<T>;
        return *::new (static_cast<void*>(tcb_->app)) T(std::forward<A>(args)...);
    }
    template <typename T>
    T& state() const {
        check_state_type<T>();
        assert(tcb_->app_type == &kStateType<T> && "state<T>() without emplace_state<T>()");
        return *std::launder(reinterpret_cast<T*>(tcb_->app));
    }

private:
    friend struct ConnectionTestAccess;  // the engine's unit tests read the TCB (tests/unit)

    template <typename T>
    static constexpr char kStateType = 0;  // its address names T
    template <typename T>
    static constexpr void check_state_type() {
        static_assert(sizeof(T) <= sizeof(Tcb::app), "service state larger than Tcb::app");
        static_assert(alignof(T) <= Tcb::kAppAlign, "service state aligned beyond Tcb::app");
        static_assert(std::is_trivially_destructible_v<T>, "service state is never destroyed");
    }

    Engine* engine_ = nullptr;
    Tcb* tcb_ = nullptr;
};

}  // namespace tcpterm::tcp
