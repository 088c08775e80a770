// A runtime command on one backend, as an operator gives it through
// telemetry (/tcpterm/backend_set,POOL,A.B.C.D:PORT,ACTION): set its weight,
// drain it (no new connections, the open ones finish), disable it
// (maintenance: no new connections and its health no longer tracked, the
// open ones still finish) or enable it again. Parsing only; the load
// balancer applies it (LoadBalancer::apply).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tcpterm::app {

// A backend's administrative state, beside its health.
enum class AdminState : uint8_t {
    Enabled,   // in the table while healthy, with its weight
    Drain,     // out of the table; open connections finish
    Disabled,  // out of the table, health frozen; open connections finish
};
const char* admin_state_name(AdminState s);

struct BackendCommand {
    enum class Action : uint8_t { Weight, Drain, Disable, Enable };
    std::string pool;
    uint32_t addr = 0;  // host order
    uint16_t port = 0;
    Action action = Action::Enable;
    uint32_t weight = 0;  // Action::Weight: 0..1000 (0: no new connections)
};

// "POOL,A.B.C.D:PORT,weight=N|drain|disable|enable"; nullopt if malformed.
std::optional<BackendCommand> parse_backend_command(std::string_view text);

}  // namespace tcpterm::app
