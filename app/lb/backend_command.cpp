#include "app/lb/backend_command.hpp"

#include <charconv>

#include "lib/net/ipv4_addr.hpp"

namespace tcpterm::app {

const char* admin_state_name(AdminState s) {
    switch (s) {
    case AdminState::Enabled: return "enabled";
    case AdminState::Drain: return "drain";
    case AdminState::Disabled: return "disabled";
    }
    return "?";
}

namespace {
// A decimal number in [0, max], the whole of text.
std::optional<uint32_t> number(std::string_view text, uint32_t max) {
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || v > max)
        return std::nullopt;
    return v;
}
}  // namespace

std::optional<BackendCommand> parse_backend_command(std::string_view text) {
    size_t c1 = text.find(',');
    size_t c2 = c1 == std::string_view::npos ? c1 : text.find(',', c1 + 1);
    if (c2 == std::string_view::npos || c1 == 0)
        return std::nullopt;
    BackendCommand cmd;
    cmd.pool = text.substr(0, c1);
    std::string_view endpoint = text.substr(c1 + 1, c2 - c1 - 1);
    std::string_view action = text.substr(c2 + 1);
    size_t colon = endpoint.find(':');
    if (colon == std::string_view::npos)
        return std::nullopt;
    auto addr = net::parse_ipv4(endpoint.substr(0, colon));
    auto port = number(endpoint.substr(colon + 1), 65535);
    if (!addr || !port || *port == 0)
        return std::nullopt;
    cmd.addr = *addr;
    cmd.port = static_cast<uint16_t>(*port);
    if (action == "drain") {
        cmd.action = BackendCommand::Action::Drain;
    } else if (action == "disable") {
        cmd.action = BackendCommand::Action::Disable;
    } else if (action == "enable") {
        cmd.action = BackendCommand::Action::Enable;
    } else if (action.substr(0, 7) == "weight=") {
        auto w = number(action.substr(7), 1000);
        if (!w)
            return std::nullopt;
        cmd.action = BackendCommand::Action::Weight;
        cmd.weight = *w;
    } else {
        return std::nullopt;
    }
    return cmd;
}

}  // namespace tcpterm::app
