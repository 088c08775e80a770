#include "app/services/service_options.hpp"

#include "app/services/chargen.hpp"
#include "app/services/daytime.hpp"
#include "app/services/discard.hpp"
#include "app/services/echo.hpp"
#include "app/services/hold.hpp"
#include "app/services/http.hpp"

namespace tcpterm::app {

const char* known_services() { return "echo, discard, daytime, chargen, http, hold, proxy"; }

bool is_known_service(const std::string& name) {
    return name == "echo" || name == "discard" || name == "daytime" || name == "chargen" ||
           name == "http" || name == "hold" || name == "proxy";
}

std::unique_ptr<tcp::Service> make_service(const std::string& name, const ServiceOptions& options,
                                           PoolWorker* pool) {
    if (name == "echo")
        return std::make_unique<EchoService>();
    if (name == "discard")
        return std::make_unique<DiscardService>();
    if (name == "daytime")
        return std::make_unique<DaytimeService>();
    if (name == "chargen")
        return std::make_unique<ChargenService>();
    if (name == "hold")
        return std::make_unique<HoldService>();
    if (name == "http")
        return std::make_unique<HttpService>(options.http_body_size);
    if (name == "proxy")
        return pool ? std::make_unique<ProxyService>(*pool) : nullptr;
    return nullptr;
}

}  // namespace tcpterm::app
