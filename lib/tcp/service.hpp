// The contract between the engine and the service that owns a connection's
// byte stream (echo, http, ...). Callbacks run on the worker that owns the
// connection; the service answers through the Engine's connection calls.
#pragma once

#include "lib/tcp/tcb.hpp"

namespace tcpterm::tcp {

class Engine;

class Service {
public:
    virtual ~Service() = default;
    // False for a service that never accepts (connections wait in the
    // listener's accept queue, as with a Linux application that never calls
    // accept()).
    virtual bool accepts() const { return true; }
    // The handshake completed; the connection is the service's now.
    virtual void on_accept(Engine& engine, Tcb& conn) = 0;
    // New bytes are in the receive queue (Engine::recv_front/consume).
    virtual void on_data(Engine& engine, Tcb& conn) = 0;
    // Send space was freed after a send() was cut short.
    virtual void on_writable(Engine&, Tcb&) {}
    // The peer sent FIN; everything before it has been delivered.
    virtual void on_peer_shutdown(Engine&, Tcb&) {}
    // Last callback: the service must forget the connection.
    virtual void on_closed(Engine&, Tcb&, CloseReason) {}
};

}  // namespace tcpterm::tcp
