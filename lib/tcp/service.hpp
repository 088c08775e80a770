// The contract between the engine and the service that owns a connection's
// byte stream (echo, http, ...). Callbacks run on the worker that owns the
// connection; the service sees it through a Connection handle
// (connection.hpp) and answers through it.
#pragma once

#include "lib/tcp/connection.hpp"
#include "lib/tcp/tcb.hpp"

namespace tcpterm::tcp {

class Service {
public:
    virtual ~Service() = default;
    // False for a service that never accepts (connections wait in the
    // listener's accept queue, as with a Linux application that never calls
    // accept()).
    virtual bool accepts() const { return true; }
    // The handshake completed; the connection is the service's now.
    virtual void on_accept(Connection conn) = 0;
    // New bytes are in the receive queue (Connection::recv_front/consume).
    virtual void on_data(Connection conn) = 0;
    // Send space was freed after a send() was cut short (or want_writable()).
    virtual void on_writable(Connection) {}
    // The peer sent FIN; everything before it has been delivered.
    virtual void on_peer_shutdown(Connection) {}
    // The idle timeout the service set (Connection::set_idle_timeout) ran
    // out: the peer sent nothing for that long with nothing in flight. The
    // service must close or abort the connection; by default it is reset.
    virtual void on_idle_timeout(Connection conn) { conn.abort(); }
    // Last callback: the service must forget the connection (and any handle
    // to it it kept).
    virtual void on_closed(Connection, CloseReason) {}

    // The engine's entry points: it calls these with the TCB, and the service
    // hears the callbacks above with a handle. Not for services to override.
    void on_accept(Engine& e, Tcb& t) { on_accept(Connection(e, t)); }
    void on_data(Engine& e, Tcb& t) { on_data(Connection(e, t)); }
    void on_writable(Engine& e, Tcb& t) { on_writable(Connection(e, t)); }
    void on_peer_shutdown(Engine& e, Tcb& t) { on_peer_shutdown(Connection(e, t)); }
    void on_idle_timeout(Engine& e, Tcb& t) { on_idle_timeout(Connection(e, t)); }
    void on_closed(Engine& e, Tcb& t, CloseReason reason) { on_closed(Connection(e, t), reason); }
};

}  // namespace tcpterm::tcp
