// The TCB behind a Connection handle, for the engine's tests and fuzz driver,
// which check TCB fields a service never sees. connection.hpp names this
// struct its friend; services do not use it.
#pragma once

#include "lib/tcp/connection.hpp"

namespace tcpterm::tcp {

struct ConnectionTestAccess {
    static Tcb* tcb(Connection c) { return c.tcb_; }
};

}  // namespace tcpterm::tcp
