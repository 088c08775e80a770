// Per-listener service options from `--listen PORT=SERVICE,key=value,...`.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/services/proxy.hpp"
#include "lib/tcp/service.hpp"

namespace tcpterm::app {

struct ServiceOptions {
    uint32_t http_body_size = 612;  // what nginx's default page weighs
    std::string pool;               // proxy: the backend pool (Config::pools) it spreads over
};

// The services tcpterm ships; names as in `--listen 7=echo`.
bool is_known_service(const std::string& name);
const char* known_services();
// One instance per worker and listener: services keep no shared state.
// pool: the worker's side of the proxy's pool (options.pool); nullptr for
// other services.
std::unique_ptr<tcp::Service> make_service(const std::string& name, const ServiceOptions& options,
                                           PoolWorker* pool = nullptr);

}  // namespace tcpterm::app
