// The load balancer's pieces (app/lb/): the Maglev table (distribution by
// weight, disruption when a backend leaves), smooth weighted round robin,
// least connections, the RCU publication of tables, and a pool's picks and
// passive health as a worker and the control thread see them.
#include <catch2/catch.hpp>

#include <cstdio>
#include <map>
#include <set>

#include "app/lb/balancer.hpp"
#include "app/lb/least_conn.hpp"
#include "app/lb/maglev.hpp"
#include "app/lb/published.hpp"
#include "app/lb/wrr.hpp"

using namespace tcpterm;
using app::MaglevTable;

namespace {

std::vector<MaglevTable::Member> members(const std::vector<uint32_t>& weights) {
    std::vector<MaglevTable::Member> m;
    for (size_t i = 0; i < weights.size(); ++i)
        m.push_back({uint64_t{0xC6120100u + static_cast<uint32_t>(i)} << 16 | 80, weights[i]});
    return m;
}

std::vector<uint32_t> slots_per_backend(const MaglevTable& t, size_t n) {
    std::vector<uint32_t> count(n, 0);
    for (uint32_t s = 0; s < t.size(); ++s)
        ++count.at(t.at(s));
    return count;
}

}  // namespace

TEST_CASE("Maglev: equal weights give each of 10 backends a tenth of the table, within 1 %", "[lb]") {
    MaglevTable t(members(std::vector<uint32_t>(10, 1)), 65537);
    for (uint32_t c : slots_per_backend(t, 10))
        CHECK(std::abs(c / 6553.7 - 1.0) < 0.01);
}

TEST_CASE("Maglev: 10 backends of weights 1..10 get shares within 1 % of their weights", "[lb]") {
    std::vector<uint32_t> w{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    MaglevTable t(members(w), 65537);
    auto count = slots_per_backend(t, 10);
    double worst = 0;
    for (size_t i = 0; i < w.size(); ++i) {
        double expected = 65537.0 * w[i] / 55.0;
        worst = std::max(worst, std::abs(count[i] / expected - 1.0));
    }
    INFO("largest relative error of a share: " << worst);
    std::printf("maglev 65537 slots, weights 1..10: largest relative error of a share %.5f\n", worst);
    CHECK(worst < 0.01);
}

TEST_CASE("Maglev: a backend of weight 0 gets no slot; none at all gives an empty table", "[lb]") {
    MaglevTable t(members({1, 0, 1}), 251);
    CHECK(slots_per_backend(t, 3)[1] == 0);
    MaglevTable none(members({0, 0}), 251);
    CHECK(none.empty());
    CHECK(none.lookup(12345) == MaglevTable::kNone);
}

TEST_CASE("Maglev: when one of 10 leaves, its slots go to the others and few others move", "[lb]") {
    auto before_m = members(std::vector<uint32_t>(10, 1));
    MaglevTable before(before_m, 65537);
    auto after_m = before_m;
    after_m[3].weight = 0;  // down
    MaglevTable after(after_m, 65537);
    uint32_t moved_removed = 0, moved_others = 0, others = 0;
    for (uint32_t s = 0; s < before.size(); ++s) {
        REQUIRE(after.at(s) != 3);
        if (before.at(s) == 3) {
            ++moved_removed;
        } else {
            ++others;
            moved_others += before.at(s) != after.at(s);
        }
    }
    double moved_total = double(moved_removed + moved_others) / before.size();
    double others_fraction = double(moved_others) / others;
    INFO("moved in all: " << moved_total << " of the table; slots of remaining backends that moved: "
                          << others_fraction);
    // About 1/N of the table had to move (the leaving backend's share)...
    CHECK(std::abs(double(moved_removed) / before.size() - 0.1) < 0.001);
    // ...and Maglev's disruption of the rest is small (the paper's fig. 10
    // shows it small; measured here: 0.26 %).
    CHECK(others_fraction < 0.01);
    std::printf("maglev 65537 slots, 10 backends, one leaves: %.4f of the table moves, %.4f of the "
                "remaining backends' slots\n", moved_total, others_fraction);
    // It comes back: the table is the one it was.
    MaglevTable again(before_m, 65537);
    for (uint32_t s = 0; s < before.size(); ++s)
        REQUIRE(again.at(s) == before.at(s));
}

TEST_CASE("Maglev: a retry walks on from the hash's slot to a backend not yet tried", "[lb]") {
    MaglevTable t(members({1, 1, 1}), 251);
    uint16_t first = t.lookup(777);
    uint16_t second = t.lookup(777, [&](uint16_t b) { return b == first; });
    CHECK(second != first);
    CHECK(second != MaglevTable::kNone);
    CHECK(t.lookup(777, [](uint16_t) { return true; }) == MaglevTable::kNone);
}

TEST_CASE("Smooth WRR: weights 5, 1, 1 give nginx's a a b a c a a, and exact shares", "[lb]") {
    app::SmoothWrr wrr(3);
    std::vector<uint32_t> w{5, 1, 1};
    std::string seq;
    for (int i = 0; i < 7; ++i)
        seq += static_cast<char>('a' + wrr.pick(w));
    CHECK(seq == "aabacaa");
    std::vector<int> count(3, 0);
    for (int i = 0; i < 7000; ++i)
        ++count[wrr.pick(w)];
    CHECK(count == std::vector<int>{5000, 1000, 1000});
}

TEST_CASE("Smooth WRR: backends of weight 0 or skipped are never picked", "[lb]") {
    app::SmoothWrr wrr(3);
    std::vector<uint32_t> w{3, 0, 1};
    for (int i = 0; i < 100; ++i) {
        uint16_t b = wrr.pick(w, [](uint16_t i) { return i == 2; });
        REQUIRE(b == 0);
    }
    CHECK(wrr.pick(std::vector<uint32_t>{0, 0}) == app::SmoothWrr::kNone);
}

TEST_CASE("Least connections: fewest open per weight; ties take turns", "[lb]") {
    app::LeastConn lc;
    std::vector<uint32_t> w{1, 1, 1};
    std::vector<uint64_t> open{3, 1, 2};
    CHECK(lc.pick(w, open) == 1);
    // Weight 2 with 3 open (1.5 each) beats weight 1 with 2.
    CHECK(lc.pick(std::vector<uint32_t>{2, 1}, std::vector<uint64_t>{3, 2}) == 0);
    // All equal: round robin, not always the first.
    app::LeastConn ties;
    std::vector<uint64_t> zero{0, 0, 0};
    std::string seq;
    for (int i = 0; i < 6; ++i)
        seq += static_cast<char>('0' + ties.pick(w, zero));
    CHECK(seq == "012012");
    // A down backend (weight 0) is never chosen, even with nothing open.
    CHECK(lc.pick(std::vector<uint32_t>{0, 1}, std::vector<uint64_t>{0, 5}) == 1);
}

namespace {
int g_alive = 0;
struct Tracked {
    int value;
    explicit Tracked(int v) : value(v) { ++g_alive; }
    ~Tracked() { --g_alive; }
};
}  // namespace

TEST_CASE("Published: an old table is freed only after every online reader passed a quiescent state",
          "[lb]") {
    g_alive = 0;
    {
        app::Qsbr qsbr(2);
        app::Published<Tracked> p(qsbr.get(), std::make_unique<Tracked>(1));
        qsbr.online(0);
        qsbr.online(1);
        const Tracked* seen = p.get();  // reader 0 is in the middle of a turn
        p.publish(std::make_unique<Tracked>(2));
        CHECK(p.get()->value == 2);
        CHECK(seen->value == 1);  // still there
        CHECK(p.retired() == 1);
        qsbr.quiescent(0);
        p.reclaim();
        CHECK(p.retired() == 1);  // reader 1 has not passed one yet
        qsbr.quiescent(1);
        p.reclaim();
        CHECK(p.retired() == 0);
        CHECK(g_alive == 1);
        // An offline reader is not waited for.
        qsbr.offline(1);
        p.publish(std::make_unique<Tracked>(3));
        qsbr.quiescent(0);
        p.reclaim();
        CHECK(p.retired() == 0);
        qsbr.offline(0);
    }
    CHECK(g_alive == 0);
}

namespace {

app::PoolSpec pool_spec(app::LbAlgorithm algorithm, size_t backends) {
    app::PoolSpec p;
    p.name = "web";
    p.algorithm = algorithm;
    p.table_size = 1009;
    p.fall = 2;
    p.down_time_ms = 1000;
    for (size_t i = 0; i < backends; ++i)
        p.backends.push_back({0xC6120100u + static_cast<uint32_t>(i), 80, 1});
    return p;
}

tcp::FlowKey client(uint32_t addr, uint16_t port) { return tcp::FlowKey{addr, 0xC6120001, port, 8080}; }

}  // namespace

TEST_CASE("Pool: maglev keeps a client address on one backend, maglev-4tuple spreads its connections",
          "[lb]") {
    app::LoadBalancer lb({pool_spec(app::LbAlgorithm::Maglev, 4)}, 1);
    app::PoolWorker& w = *lb.worker_side("web", 0);
    uint16_t b = w.pick(client(0x0A000001, 1000), {});
    for (uint16_t port = 1001; port < 1100; ++port)
        REQUIRE(w.pick(client(0x0A000001, port), {}) == b);

    app::LoadBalancer lb4({pool_spec(app::LbAlgorithm::Maglev4Tuple, 4)}, 1);
    std::set<uint16_t> seen;
    for (uint16_t port = 1000; port < 1100; ++port)
        seen.insert(lb4.worker_side("web", 0)->pick(client(0x0A000001, port), {}));
    CHECK(seen.size() == 4);
}

TEST_CASE("Pool: a retry skips the backends tried; all tried starts over", "[lb]") {
    for (auto algorithm : {app::LbAlgorithm::Maglev, app::LbAlgorithm::Maglev4Tuple, app::LbAlgorithm::Wrr,
                           app::LbAlgorithm::LeastConn}) {
        app::LoadBalancer lb({pool_spec(algorithm, 3)}, 1);
        app::PoolWorker& w = *lb.worker_side("web", 0);
        auto c = client(0x0A000002, 4000);
        std::vector<uint16_t> tried{w.pick(c, {})};
        tried.push_back(w.pick(c, tried));
        tried.push_back(w.pick(c, tried));
        CHECK(std::set<uint16_t>(tried.begin(), tried.end()).size() == 3);
        CHECK(w.pick(c, tried) != app::Pool::kNone);
    }
}

TEST_CASE("Pool: passive health takes a failing backend out of the table, down_time brings it back", "[lb]") {
    for (auto algorithm : {app::LbAlgorithm::Maglev, app::LbAlgorithm::Wrr, app::LbAlgorithm::LeastConn}) {
        app::LoadBalancer lb({pool_spec(algorithm, 3)}, 2);
        app::PoolWorker& w0 = *lb.worker_side("web", 0);
        app::PoolWorker& w1 = *lb.worker_side("web", 1);
        std::FILE* log = std::tmpfile();
        // One failure on each worker, and a success between: not in a row.
        w0.connect_started(1);
        w0.connect_failed(1, true);
        w1.connect_started(1);
        w1.connect_failed(1, false);
        w0.connect_started(1);
        w0.connected(1);
        w0.connect_started(1);
        w0.connect_failed(1, true);
        lb.tick(1'000'000, log);
        CHECK(lb.pool(0).is_up(1));
        // fall (2) in a row on worker 1: down.
        w1.connect_started(1);
        w1.connect_failed(1, false);
        lb.tick(1'100'000, log);
        CHECK_FALSE(lb.pool(0).is_up(1));
        for (uint32_t a = 0; a < 300; ++a)
            REQUIRE(w0.pick(client(0x0A000000 + a, static_cast<uint16_t>(1000 + a)), {}) != 1);
        auto v = lb.view(0)[1];
        CHECK(v.sum.connect_failures == 2);
        CHECK(v.sum.connect_timeouts == 2);
        CHECK(v.sum.connections == 1);
        CHECK(v.sum.current == 1);
        // down_time (1 s) later it is back.
        lb.tick(2'000'000, log);
        CHECK_FALSE(lb.pool(0).is_up(1));
        lb.tick(2'100'000, log);
        CHECK(lb.pool(0).is_up(1));
        std::fclose(log);
    }
}

TEST_CASE("Pool: wrr spreads by weight through a pool", "[lb]") {
    app::PoolSpec spec = pool_spec(app::LbAlgorithm::Wrr, 2);
    spec.backends[0].weight = 3;
    app::LoadBalancer lb({spec}, 1);
    std::map<uint16_t, int> count;
    for (int i = 0; i < 400; ++i)
        ++count[lb.worker_side("web", 0)->pick(client(0x0A000003, static_cast<uint16_t>(i)), {})];
    CHECK(count[0] == 300);
    CHECK(count[1] == 100);
}

// Runtime commands (/tcpterm/backend_set): parsing, then their effect on the
// picks of every algorithm, the health they freeze, and one log line each.
TEST_CASE("backend_set: commands parse; malformed ones do not", "[lb][admin]") {
    auto c = app::parse_backend_command("web,198.18.1.1:80,weight=7");
    REQUIRE(c);
    CHECK(c->pool == "web");
    CHECK(c->addr == 0xC6120101u);
    CHECK(c->port == 80);
    CHECK(c->action == app::BackendCommand::Action::Weight);
    CHECK(c->weight == 7);
    CHECK(app::parse_backend_command("web,198.18.1.1:80,drain")->action == app::BackendCommand::Action::Drain);
    CHECK(app::parse_backend_command("web,198.18.1.1:80,disable")->action == app::BackendCommand::Action::Disable);
    CHECK(app::parse_backend_command("web,198.18.1.1:80,enable")->action == app::BackendCommand::Action::Enable);
    CHECK(app::parse_backend_command("web,198.18.1.1:80,weight=0")->weight == 0);
    for (const char* bad : {"", "web", "web,198.18.1.1:80", "web,198.18.1.1:80,", ",198.18.1.1:80,drain",
                            "web,198.18.1.1,drain", "web,198.18.1.1:0,drain", "web,198.18.1.1:65536,drain",
                            "web,198.18.1:80,drain", "web,198.18.1.1:80,weight=1001", "web,198.18.1.1:80,weight=",
                            "web,198.18.1.1:80,weight=x", "web,198.18.1.1:80,stop", "web,198.18.1.1:80,drain,x"})
        CHECK_FALSE(app::parse_backend_command(bad));
}

namespace {
// Lines written to a temporary log so far.
std::vector<std::string> lines_of(std::FILE* log) {
    std::fflush(log);
    std::rewind(log);
    std::vector<std::string> out;
    char buf[512];
    while (std::fgets(buf, sizeof(buf), log))
        out.emplace_back(buf);
    return out;
}
}  // namespace

TEST_CASE("backend_set: a drained or disabled backend gets no new connection under any algorithm; "
          "enable brings it back", "[lb][admin]") {
    for (auto algorithm : {app::LbAlgorithm::Maglev, app::LbAlgorithm::Maglev4Tuple, app::LbAlgorithm::Wrr,
                           app::LbAlgorithm::LeastConn}) {
        app::LoadBalancer lb({pool_spec(algorithm, 3)}, 1);
        app::PoolWorker& w = *lb.worker_side("web", 0);
        std::FILE* log = std::tmpfile();
        auto picks = [&] {
            std::set<uint16_t> seen;
            for (uint32_t a = 0; a < 300; ++a)
                seen.insert(w.pick(client(0x0A000000 + a, static_cast<uint16_t>(1000 + a)), {}));
            return seen;
        };
        REQUIRE(picks() == std::set<uint16_t>{0, 1, 2});
        app::BackendView after;
        REQUIRE(lb.apply(*app::parse_backend_command("web,198.18.1.1:80,drain"), log, &after));
        CHECK(after.admin == app::AdminState::Drain);
        CHECK(picks() == std::set<uint16_t>{0, 2});
        REQUIRE(lb.apply(*app::parse_backend_command("web,198.18.1.2:80,disable"), log));
        CHECK(picks() == std::set<uint16_t>{0});
        // A retry never lands on them either, even with every other one tried.
        CHECK(w.pick(client(0x0A000001, 1), std::vector<uint16_t>{0}) == 0);
        REQUIRE(lb.apply(*app::parse_backend_command("web,198.18.1.1:80,enable"), log));
        REQUIRE(lb.apply(*app::parse_backend_command("web,198.18.1.2:80,enable"), log));
        CHECK(picks() == std::set<uint16_t>{0, 1, 2});
        // Nothing changes, nothing is logged: one line per change.
        REQUIRE(lb.apply(*app::parse_backend_command("web,198.18.1.2:80,enable"), log));
        CHECK(lines_of(log).size() == 4);
        CHECK_FALSE(lb.apply(*app::parse_backend_command("web,198.18.1.9:80,drain"), log));
        CHECK_FALSE(lb.apply(*app::parse_backend_command("other,198.18.1.1:80,drain"), log));
        std::fclose(log);
    }
}

TEST_CASE("backend_set: weight changes a backend's share; weight 0 takes it out", "[lb][admin]") {
    app::LoadBalancer lb({pool_spec(app::LbAlgorithm::Wrr, 2)}, 1);
    std::FILE* log = std::tmpfile();
    REQUIRE(lb.apply(*app::parse_backend_command("web,198.18.1.0:80,weight=3"), log));
    std::map<uint16_t, int> count;
    for (int i = 0; i < 400; ++i)
        ++count[lb.worker_side("web", 0)->pick(client(0x0A000003, static_cast<uint16_t>(i)), {})];
    CHECK(count[0] == 300);
    CHECK(count[1] == 100);
    CHECK(lb.view(0)[0].weight == 3);
    REQUIRE(lb.apply(*app::parse_backend_command("web,198.18.1.0:80,weight=0"), log));
    for (int i = 0; i < 50; ++i)
        REQUIRE(lb.worker_side("web", 0)->pick(client(0x0A000003, static_cast<uint16_t>(i)), {}) == 1);
    auto lines = lines_of(log);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "tcpterm: pool web backend 198.18.1.0:80 weight 3 (was 1)\n");
    std::fclose(log);
}

TEST_CASE("backend_set: a drain is logged once more when its last connection ends; a disabled "
          "backend's failures do not mark it down", "[lb][admin]") {
    app::LoadBalancer lb({pool_spec(app::LbAlgorithm::Wrr, 2)}, 1);
    app::PoolWorker& w = *lb.worker_side("web", 0);
    std::FILE* log = std::tmpfile();
    w.connect_started(0);
    w.connected(0);  // one open connection
    REQUIRE(lb.apply(*app::parse_backend_command("web,198.18.1.0:80,drain"), log));
    lb.tick(1'000'000, log);
    REQUIRE(lines_of(log).size() == 1);
    CHECK(lines_of(log)[0] ==
          "tcpterm: pool web backend 198.18.1.0:80 drain (was enabled): no new connections, open ones "
          "finish, 1 open connections\n");
    w.closed(0);
    lb.tick(1'100'000, log);
    lb.tick(1'200'000, log);
    REQUIRE(lines_of(log).size() == 2);
    CHECK(lines_of(log)[1] == "tcpterm: pool web backend 198.18.1.0:80 drained: no connections left\n");

    REQUIRE(lb.apply(*app::parse_backend_command("web,198.18.1.1:80,disable"), log));
    for (int i = 0; i < 4; ++i) {  // fall is 2
        w.connect_started(1);
        w.connect_failed(1, true);
    }
    lb.tick(1'300'000, log);
    CHECK(lb.pool(0).is_up(1));
    CHECK(lines_of(log).size() == 3);
    std::fclose(log);
}
