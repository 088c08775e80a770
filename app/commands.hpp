// Control thread -> worker commands. The control side (telemetry, signals)
// never touches a worker's state; it enqueues a command on that worker's
// single-producer/single-consumer ring and the worker runs it between bursts.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

struct rte_ring;

namespace tcpterm::app {

// Open a connection (active open) to raddr:rport, handled by a service.
struct ConnectCommand {
    uint32_t raddr = 0;
    uint16_t rport = 0;
    uint16_t lport = 0;     // 0: ephemeral
    char service[12] = {};  // service name, NUL-terminated
};

class CommandRing {
public:
    explicit CommandRing(const std::string& name);
    ~CommandRing();
    CommandRing(const CommandRing&) = delete;
    CommandRing& operator=(const CommandRing&) = delete;

    // Control side; serialised, as several telemetry clients may call at once.
    bool post(const ConnectCommand& command);
    // Worker side: at most one command per call.
    bool take(ConnectCommand& command);

private:
    rte_ring* ring_ = nullptr;
    std::mutex producer_;
};

}  // namespace tcpterm::app
