#include "app/stats.hpp"

#include <cinttypes>
#include <cstdlib>
#include <mutex>
#include <string>

#include "lib/net/ipv4_addr.hpp"

#include <rte_ethdev.h>
#include <rte_telemetry.h>

namespace tcpterm::app {

namespace {

// Written once at start-up, read by the telemetry thread: never on the
// packet path.
std::vector<Worker*> g_workers;
uint16_t g_port = 0;
LoadBalancer* g_lb = nullptr;
std::mutex g_workers_mutex;

// A counter is written by one worker; other threads read it with a relaxed
// atomic load so they see whole values.
uint64_t read(const uint64_t& v) { return __atomic_load_n(&v, __ATOMIC_RELAXED); }
uint32_t read(const uint32_t& v) { return __atomic_load_n(&v, __ATOMIC_RELAXED); }

const char* cookie_mode_name(tcp::CookieMode m) {
    switch (m) {
    case tcp::CookieMode::Off: return "off";
    case tcp::CookieMode::Auto: return "auto";
    case tcp::CookieMode::Always: return "always";
    }
    return "?";
}

// One listener as the whole appliance sees it: every worker holds a copy
// (same order), with its own queues; depths are summed.
struct ListenerView {
    std::string binding;  // A.B.C.D:PORT, 0.0.0.0 for any address
    const char* cookies = "";
    uint64_t syn_queue = 0, accept_queue = 0;
    uint64_t syn_backlog = 0, accept_backlog = 0, cookie_threshold = 0;
    uint64_t workers_sending_cookies = 0;  // right now, by the mode and threshold
};

std::vector<ListenerView> listener_views(const std::vector<Worker*>& workers) {
    std::vector<ListenerView> views;
    for (size_t w = 0; w < workers.size(); ++w) {
        const auto& listeners = workers[w]->engine().listeners();
        for (size_t i = 0; i < listeners.size(); ++i) {
            const tcp::Listener& l = listeners[i];
            if (w == 0) {
                ListenerView v;
                v.binding = net::format_ipv4(l.addr) + ":" + std::to_string(l.port);
                v.cookies = cookie_mode_name(l.cookies);
                v.syn_backlog = l.syn_backlog;
                v.accept_backlog = l.accept_backlog;
                v.cookie_threshold = l.cookie_threshold;
                views.push_back(v);
            }
            if (i >= views.size())
                continue;
            uint32_t syn_queue = read(l.syn_queue_len);
            views[i].syn_queue += syn_queue;
            views[i].accept_queue += read(l.accept_queue_len);
            views[i].workers_sending_cookies +=
                l.cookies == tcp::CookieMode::Always ||
                (l.cookies == tcp::CookieMode::Auto && syn_queue >= l.cookie_threshold);
        }
    }
    return views;
}

template <typename Visit>
void visit_counters(const WorkerCounters& c, Visit&& visit) {
#define TCPTERM_VISIT_NET(name, help) visit(#name, read(c.net.name));
    TCPTERM_NET_COUNTERS(TCPTERM_VISIT_NET)
#undef TCPTERM_VISIT_NET
#define TCPTERM_VISIT_TCP(name, help) visit(#name, read(c.tcp.name));
    TCPTERM_TCP_COUNTERS(TCPTERM_VISIT_TCP)
#undef TCPTERM_VISIT_TCP
}

// What the port itself counts: above all the RX refills the PMD could not
// make because a pool was empty (the memory marks exist to keep it at 0).
std::vector<std::pair<const char*, uint64_t>> port_counters(uint16_t port) {
    rte_eth_stats st{};
    if (rte_eth_stats_get(port, &st) != 0)
        return {};
    // TxErrors: frames the port took but could not send (af_packet: the
    // kernel refused them), which the peer sees as loss.
    return {{"RxNoMbuf", st.rx_nombuf}, {"RxMissed", st.imissed}, {"RxErrors", st.ierrors},
            {"TxPortPackets", st.opackets}, {"TxErrors", st.oerrors}};
}

// Sums in declaration order.
std::vector<std::pair<const char*, uint64_t>> sum(const std::vector<Worker*>& workers) {
    std::vector<std::pair<const char*, uint64_t>> totals;
    for (size_t w = 0; w < workers.size(); ++w) {
        size_t i = 0;
        visit_counters(workers[w]->counters(), [&](const char* name, uint64_t v) {
            if (w == 0)
                totals.emplace_back(name, v);
            else
                totals[i].second += v;
            ++i;
        });
    }
    return totals;
}

int telemetry_stats(const char*, const char*, rte_tel_data* d) {
    std::lock_guard lock(g_workers_mutex);
    rte_tel_data_start_dict(d);
    for (auto& [name, value] : sum(g_workers))
        rte_tel_data_add_dict_u64(d, name, value);
    for (auto& [name, value] : port_counters(g_port))
        rte_tel_data_add_dict_u64(d, name, value);
    rte_tel_data_add_dict_u64(d, "workers", g_workers.size());
    return 0;
}

int telemetry_worker(const char*, const char* params, rte_tel_data* d) {
    std::lock_guard lock(g_workers_mutex);
    if (!params || !*params)
        return -EINVAL;
    char* end = nullptr;
    unsigned long id = std::strtoul(params, &end, 10);
    if (*end != '\0' || id >= g_workers.size())
        return -EINVAL;
    rte_tel_data_start_dict(d);
    visit_counters(g_workers[id]->counters(),
                   [&](const char* name, uint64_t v) { rte_tel_data_add_dict_u64(d, name, v); });
    return 0;
}

// /tcpterm/listeners: the bindings, in the order /tcpterm/listener,N uses.
int telemetry_listeners(const char*, const char*, rte_tel_data* d) {
    std::lock_guard lock(g_workers_mutex);
    rte_tel_data* list = rte_tel_data_alloc();
    if (!list)
        return -ENOMEM;
    rte_tel_data_start_array(list, RTE_TEL_STRING_VAL);
    for (const ListenerView& v : listener_views(g_workers))
        rte_tel_data_add_array_string(list, v.binding.c_str());
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_container(d, "listeners", list, 0);
    return 0;
}

// /tcpterm/listener,N: queue depths (summed over workers) and limits.
int telemetry_listener(const char*, const char* params, rte_tel_data* d) {
    std::lock_guard lock(g_workers_mutex);
    if (!params || !*params)
        return -EINVAL;
    char* end = nullptr;
    unsigned long id = std::strtoul(params, &end, 10);
    std::vector<ListenerView> views = listener_views(g_workers);
    if (*end != '\0' || id >= views.size())
        return -EINVAL;
    const ListenerView& v = views[id];
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_string(d, "binding", v.binding.c_str());
    rte_tel_data_add_dict_u64(d, "syn_queue", v.syn_queue);
    rte_tel_data_add_dict_u64(d, "syn_backlog", v.syn_backlog);
    rte_tel_data_add_dict_u64(d, "accept_queue", v.accept_queue);
    rte_tel_data_add_dict_u64(d, "backlog", v.accept_backlog);
    rte_tel_data_add_dict_string(d, "cookies", v.cookies);
    rte_tel_data_add_dict_u64(d, "cookie_threshold", v.cookie_threshold);
    rte_tel_data_add_dict_u64(d, "workers_sending_cookies", v.workers_sending_cookies);
    return 0;
}

// /tcpterm/connect,A.B.C.D:PORT[,SERVICE[,LOCALPORT]]: worker 0 opens a
// connection (active open), e.g. to watch SYN_SENT or a simultaneous open.
int telemetry_connect(const char*, const char* params, rte_tel_data* d) {
    std::lock_guard lock(g_workers_mutex);
    if (!params || g_workers.empty())
        return -EINVAL;
    std::string text(params);
    std::vector<std::string> parts;
    for (size_t start = 0;;) {
        size_t comma = text.find(',', start);
        parts.push_back(text.substr(start, comma - start));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    size_t colon = parts[0].find(':');
    if (colon == std::string::npos)
        return -EINVAL;
    auto addr = net::parse_ipv4(parts[0].substr(0, colon));
    char* end = nullptr;
    unsigned long port = std::strtoul(parts[0].c_str() + colon + 1, &end, 10);
    if (!addr || *end != '\0' || port == 0 || port > 65535)
        return -EINVAL;
    ConnectCommand command;
    command.raddr = *addr;
    command.rport = static_cast<uint16_t>(port);
    std::string service = parts.size() > 1 ? parts[1] : "discard";
    if (service.size() >= sizeof(command.service))
        return -EINVAL;
    std::copy(service.begin(), service.end(), command.service);
    if (parts.size() > 2) {
        unsigned long lport = std::strtoul(parts[2].c_str(), &end, 10);
        if (*end != '\0' || lport == 0 || lport > 65535)
            return -EINVAL;
        command.lport = static_cast<uint16_t>(lport);
    }
    bool queued = g_workers[0]->commands().post(command);
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_int(d, "queued", queued ? 1 : 0);
    return 0;
}

// /tcpterm/pools: the backend pools' names.
int telemetry_pools(const char*, const char*, rte_tel_data* d) {
    std::lock_guard lock(g_workers_mutex);
    rte_tel_data* list = rte_tel_data_alloc();
    if (!list)
        return -ENOMEM;
    rte_tel_data_start_array(list, RTE_TEL_STRING_VAL);
    for (size_t p = 0; g_lb && p < g_lb->pools(); ++p)
        rte_tel_data_add_array_string(list, g_lb->pool_spec(p).name.c_str());
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_container(d, "pools", list, 0);
    return 0;
}

// /tcpterm/pool,NAME: the pool's backends and, per counter, an array in the
// same order (telemetry has no dicts inside dicts).
int telemetry_pool(const char*, const char* params, rte_tel_data* d) {
    std::lock_guard lock(g_workers_mutex);
    if (!params || !g_lb)
        return -EINVAL;
    for (size_t p = 0; p < g_lb->pools(); ++p) {
        const PoolSpec& spec = g_lb->pool_spec(p);
        if (spec.name != params)
            continue;
        std::vector<BackendView> views = g_lb->view(p);
        rte_tel_data_start_dict(d);
        rte_tel_data_add_dict_string(d, "algorithm", lb_algorithm_name(spec.algorithm));
        rte_tel_data_add_dict_u64(d, "connect_timeout_ms", spec.connect_timeout_ms);
        rte_tel_data_add_dict_u64(d, "retries", spec.retries);
        rte_tel_data_add_dict_u64(d, "fall", spec.fall);
        rte_tel_data_add_dict_u64(d, "down_time_ms", spec.down_time_ms);
        rte_tel_data* names = rte_tel_data_alloc();
        if (!names)
            return -ENOMEM;
        rte_tel_data_start_array(names, RTE_TEL_STRING_VAL);
        for (const BackendView& v : views)
            rte_tel_data_add_array_string(names, v.endpoint.c_str());
        rte_tel_data_add_dict_container(d, "backends", names, 0);
        auto column = [&](const char* name, auto field) {
            rte_tel_data* a = rte_tel_data_alloc();
            if (!a)
                return;
            rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
            for (const BackendView& v : views)
                rte_tel_data_add_array_u64(a, field(v));
            rte_tel_data_add_dict_container(d, name, a, 0);
        };
        rte_tel_data* admin = rte_tel_data_alloc();
        if (!admin)
            return -ENOMEM;
        rte_tel_data_start_array(admin, RTE_TEL_STRING_VAL);
        for (const BackendView& v : views)
            rte_tel_data_add_array_string(admin, admin_state_name(v.admin));
        rte_tel_data_add_dict_container(d, "admin", admin, 0);
        column("up", [](const BackendView& v) -> uint64_t { return v.up; });
        column("weight", [](const BackendView& v) -> uint64_t { return v.weight; });
        column("connections", [](const BackendView& v) { return v.sum.connections; });
        column("current", [](const BackendView& v) { return v.sum.current; });
        column("bytes_to_backend", [](const BackendView& v) { return v.sum.bytes_to_backend; });
        column("bytes_from_backend", [](const BackendView& v) { return v.sum.bytes_from_backend; });
        column("connect_failures", [](const BackendView& v) { return v.sum.connect_failures; });
        column("connect_timeouts", [](const BackendView& v) { return v.sum.connect_timeouts; });
        column("client_timeouts", [](const BackendView& v) { return v.sum.client_timeouts; });
        column("server_timeouts", [](const BackendView& v) { return v.sum.server_timeouts; });
        column("checks_passed", [](const BackendView& v) { return v.sum.checks_passed; });
        column("checks_failed", [](const BackendView& v) { return v.sum.checks_failed; });
        column("last_check", [](const BackendView& v) { return v.sum.last_check; });
        return 0;
    }
    return -EINVAL;
}

// /tcpterm/backend_set,POOL,A.B.C.D:PORT,weight=N|drain|disable|enable: an
// operator's command on one backend; the reply is the backend as it now is.
int telemetry_backend_set(const char*, const char* params, rte_tel_data* d) {
    std::lock_guard lock(g_workers_mutex);
    auto command = params ? parse_backend_command(params) : std::nullopt;
    BackendView v;
    if (!g_lb || !command || !g_lb->apply(*command, stdout, &v))
        return -EINVAL;
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_string(d, "pool", command->pool.c_str());
    rte_tel_data_add_dict_string(d, "backend", v.endpoint.c_str());
    rte_tel_data_add_dict_string(d, "admin", admin_state_name(v.admin));
    rte_tel_data_add_dict_u64(d, "weight", v.weight);
    rte_tel_data_add_dict_u64(d, "up", v.up);
    rte_tel_data_add_dict_u64(d, "current", v.sum.current);
    return 0;
}

}  // namespace

void register_telemetry(const std::vector<Worker*>& workers, uint16_t port, LoadBalancer* lb) {
    {
        std::lock_guard lock(g_workers_mutex);
        g_workers = workers;
        g_port = port;
        g_lb = lb;
    }
    // Help texts must stay short: DPDK refuses a command whose help is longer.
    rte_telemetry_register_cmd("/tcpterm/pools", telemetry_pools, "The backend pools' names. No parameters");
    rte_telemetry_register_cmd("/tcpterm/pool", telemetry_pool,
                               "A pool's backends and their counters, one array each. Parameter: pool name");
    rte_telemetry_register_cmd("/tcpterm/backend_set", telemetry_backend_set,
                               "Set a backend. Parameters: POOL,A.B.C.D:PORT,weight=N|drain|disable|enable");
    rte_telemetry_register_cmd("/tcpterm/stats", telemetry_stats,
                               "All tcpterm counters, summed over workers. No parameters");
    rte_telemetry_register_cmd("/tcpterm/worker", telemetry_worker,
                               "One worker's counters. Parameter: worker id");
    rte_telemetry_register_cmd("/tcpterm/listeners", telemetry_listeners,
                               "The listeners' bindings, in /tcpterm/listener order. No parameters");
    rte_telemetry_register_cmd("/tcpterm/listener", telemetry_listener,
                               "One listener's SYN and accept queue depths (all workers) and limits. "
                               "Parameter: listener index");
    rte_telemetry_register_cmd("/tcpterm/connect", telemetry_connect,
                               "Open a connection. Parameters: A.B.C.D:PORT[,SERVICE[,LOCALPORT]]");
}

void unregister_telemetry() {
    std::lock_guard lock(g_workers_mutex);
    g_workers.clear();
    g_lb = nullptr;
}

void print_summary(std::FILE* out, const std::vector<Worker*>& workers, uint16_t port) {
    std::fprintf(out, "tcpterm: counters (summed over %zu worker%s)\n", workers.size(),
                 workers.size() == 1 ? "" : "s");
    for (auto& [name, value] : sum(workers))
        std::fprintf(out, "%s %" PRIu64 "\n", name, value);
    for (auto& [name, value] : port_counters(port))
        std::fprintf(out, "%s %" PRIu64 "\n", name, value);
    for (const ListenerView& v : listener_views(workers))
        std::fprintf(out,
                     "listener %s: syn_queue %" PRIu64 "/%" PRIu64 " accept_queue %" PRIu64 "/%" PRIu64
                     " cookies %s\n",
                     v.binding.c_str(), v.syn_queue, v.syn_backlog, v.accept_queue, v.accept_backlog,
                     v.cookies);
    // Per worker, so that imbalance and hand-offs are visible.
    for (Worker* w : workers) {
        const WorkerCounters& c = w->counters();
        std::fprintf(out,
                     "worker %u: RxPackets %" PRIu64 " FlowHandoffsOut %" PRIu64
                     " FlowHandoffsIn %" PRIu64 " PassiveOpens %" PRIu64 " ActiveOpens %" PRIu64
                     " InSegs %" PRIu64 "\n",
                     w->id(), read(c.net.RxPackets), read(c.net.FlowHandoffsOut),
                     read(c.net.FlowHandoffsIn), read(c.tcp.PassiveOpens), read(c.tcp.ActiveOpens),
                     read(c.tcp.InSegs));
    }
    std::fflush(out);
}

}  // namespace tcpterm::app
