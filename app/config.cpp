#include "app/config.hpp"

#include "app/option_values.hpp"

#include "lib/net/ipv4_addr.hpp"
#include "lib/tcp/listener.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <fstream>
#include <iostream>
#include <sstream>

namespace po = boost::program_options;

namespace tcpterm::app {

namespace {

// "peer=A.B.C.D/N,send_id=N,recv_id=N,key=SECRET[,alg=...][,port=N]": one
// TCP-AO master key tuple (RFC 5925 §3.1).
tcp::AoKey parse_ao_key(const std::string& text) {
    const std::string key = "ao-key";
    const std::string form =
        "peer=A.B.C.D/N,send_id=0..255,recv_id=0..255,key=SECRET(1..80 bytes)"
        "[,alg=hmac-sha1|aes-128-cmac][,port=N]";
    tcp::AoKey k;
    bool has_peer = false, has_send = false, has_recv = false, has_secret = false;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        start = comma == std::string::npos ? text.size() + 1 : comma + 1;
        size_t eq = item.find('=');
        if (eq == std::string::npos)
            bad(key, text, form);
        std::string name = item.substr(0, eq), value = item.substr(eq + 1);
        if (name == "peer") {
            auto prefix = net::parse_ipv4_prefix(value);
            if (!prefix)
                bad(key + " peer", value, "an IPv4 prefix A.B.C.D/N");
            k.peer = *prefix;
            has_peer = true;
        } else if (name == "send_id") {
            k.send_id = static_cast<uint8_t>(parse_uint(key + " send_id", value, 0, 255));
            has_send = true;
        } else if (name == "recv_id") {
            k.recv_id = static_cast<uint8_t>(parse_uint(key + " recv_id", value, 0, 255));
            has_recv = true;
        } else if (name == "key") {
            if (value.empty() || value.size() > 80)
                bad(key + " key", value, "a secret of 1 to 80 bytes");
            k.secret.assign(value.begin(), value.end());
            has_secret = true;
        } else if (name == "alg") {
            if (value != "hmac-sha1" && value != "aes-128-cmac")
                bad(key + " alg", value, "hmac-sha1 or aes-128-cmac");
            k.alg = value == "hmac-sha1" ? tcp::AoAlgorithm::HmacSha1 : tcp::AoAlgorithm::AesCmac;
        } else if (name == "port") {
            k.local_port = static_cast<uint16_t>(parse_uint(key + " port", value, 1, 65535));
        } else {
            bad(key, text, form);
        }
    }
    if (!has_peer || !has_send || !has_recv || !has_secret)
        bad(key, text, form);
    return k;
}

// "[ADDR:]PORT=SERVICE[,key=value...]"
ListenSpec parse_listen(const std::string& text) {
    const std::string key = "listen";
    const std::string form =
        "[ADDR:]PORT=SERVICE[,backlog=N][,syn_backlog=N][,allow=A.B.C.D/N]...[,reject=rst|drop]"
        "[,abort_on_overflow=true|false][,cookies=off|auto|always][,cookie_threshold=N][,body=N]"
        "[,max_per_source=N][,idle_timeout=MS][,cc=newreno|cubic][,nodelay=true|false]"
        "[,pool=NAME | ,backend=A.B.C.D:PORT[;weight=N]...] "
        "with SERVICE one of " +
        std::string(known_services());
    ListenSpec spec;
    spec.text = text;
    size_t eq = text.find('=');
    if (eq == std::string::npos)
        bad(key, text, form);
    std::string endpoint = text.substr(0, eq);
    std::string rest = text.substr(eq + 1);
    size_t colon = endpoint.rfind(':');
    std::string port_text = endpoint;
    if (colon != std::string::npos) {
        std::string addr_text = endpoint.substr(0, colon);
        port_text = endpoint.substr(colon + 1);
        if (addr_text != "*" && addr_text != "0.0.0.0") {
            auto addr = net::parse_ipv4(addr_text);
            if (!addr)
                bad(key, text, "an IPv4 address before ':' (or '*'), in " + form);
            spec.addr = *addr;
        }
    }
    spec.port = static_cast<uint16_t>(parse_uint(key + " port", port_text, 1, 65535));
    std::vector<std::string> parts;
    std::stringstream in(rest);
    for (std::string part; std::getline(in, part, ',');)
        parts.push_back(part);
    if (parts.empty() || !is_known_service(parts[0]))
        bad(key, text, form);
    spec.service = parts[0];
    for (size_t i = 1; i < parts.size(); ++i) {
        size_t peq = parts[i].find('=');
        std::string name = parts[i].substr(0, peq);
        std::string value = peq == std::string::npos ? "" : parts[i].substr(peq + 1);
        if (name == "backlog") {
            spec.backlog = static_cast<uint32_t>(parse_uint(key + " backlog", value, 1, 1u << 20));
        } else if (name == "syn_backlog") {
            spec.syn_backlog =
                static_cast<uint32_t>(parse_uint(key + " syn_backlog", value, 1, 1u << 24));
        } else if (name == "allow") {
            auto prefix = net::parse_ipv4_prefix(value);
            if (!prefix)
                bad(key + " allow", value, "an IPv4 prefix A.B.C.D/N");
            if (spec.allowed.size() >= tcp::Listener::kMaxAllowed)
                bad(key, text, "at most " + std::to_string(tcp::Listener::kMaxAllowed) + " allow= prefixes");
            spec.allowed.push_back(*prefix);
        } else if (name == "reject") {
            if (value != "rst" && value != "drop")
                bad(key + " reject", value, "rst or drop");
            spec.reject_with_rst = value == "rst";
        } else if (name == "cookies") {
            if (value != "off" && value != "auto" && value != "always")
                bad(key + " cookies", value, "off, auto or always");
            spec.cookies = value;
        } else if (name == "cookie_threshold") {
            spec.cookie_threshold =
                static_cast<uint32_t>(parse_uint(key + " cookie_threshold", value, 1, 1u << 24));
        } else if (name == "max_per_source") {
            spec.max_per_source = static_cast<int64_t>(parse_uint(key + " max_per_source", value, 0, 1u << 24));
        } else if (name == "idle_timeout") {
            spec.idle_timeout_ms = parse_uint(key + " idle_timeout", value, 0, 86400000);
        } else if (name == "cc") {
            if (!tcp::parse_congestion_algorithm(value))
                bad(key + " cc", value, "newreno, cubic or bbr");
            spec.congestion = value;
        } else if (name == "nodelay") {
            spec.nodelay = parse_bool(key + " nodelay", value) ? 1 : 0;
        } else if (name == "abort_on_overflow") {
            spec.abort_on_overflow = parse_bool(key + " abort_on_overflow", value);
        } else if (name == "backend" && spec.service == "proxy") {
            // A weight is written "backend=A.B.C.D:PORT;weight=N" here, as
            // ',' separates the listener's options.
            std::string b = value;
            if (size_t semi = b.find(';'); semi != std::string::npos)
                b[semi] = ',';
            spec.backends.push_back(parse_backend(key + " backend", b));
        } else if (name == "pool" && spec.service == "proxy") {
            if (value.empty())
                bad(key + " pool", value, "the name of a [pool.NAME] section");
            spec.options.pool = value;
        } else if (name == "body" && spec.service == "http")
            spec.options.http_body_size =
                static_cast<uint32_t>(parse_uint(key + " body", value, 0, 1u << 30));
        else
            bad(key, text, "one of the options of " + form + " (body= is for http only, pool= and backend= for proxy only)");
    }
    if (spec.service == "proxy" && spec.backends.empty() == spec.options.pool.empty())
        bad(key, text, "a proxy with either pool=NAME or at least one backend=A.B.C.D:PORT");
    return spec;
}

po::options_description describe() {
    po::options_description d("tcpterm options (INI keys: 'tcp.rcvbuf' is rcvbuf in [tcp])");
    // Everything is taken as text and validated below, so every message can
    // name the key, the value and what is allowed.
    auto s = [] { return po::value<std::string>(); };
    d.add_options()
        ("help,h", "print this help and exit")
        ("config,c", s(), "INI file to read (command-line flags override it)")
        ("eal", s()->default_value("-l 0-1 --no-huge -m 512 --no-pci --file-prefix tcpterm "
                                   "--vdev=net_af_packet0,iface=tt-app0"),
         "DPDK EAL arguments, space separated (any ethdev: PCI, vdev)")
        ("port", s()->default_value("0"), "DPDK port id to serve on (0..31)")
        ("workers", s()->default_value("0"), "worker lcores, each with its own RX/TX queue and connections; 0: one per EAL worker lcore (0..128)")
        ("address", po::value<std::vector<std::string>>(),
         "our IPv4 address and on-link subnet, A.B.C.D/N, repeatable (VIPs): ARP and ping are "
         "answered for each and listeners bind to one (ADDR:PORT=...) or to all; the first is the "
         "source of connections tcpterm opens. Flags replace the file's list. Default: 198.18.0.1/24")
        ("gateway", s(), "IPv4 next hop for peers outside the subnet (default: none)")
        ("ao-key", po::value<std::vector<std::string>>(),
         "TCP-AO master key (RFC 5925/5926), repeatable: peer=A.B.C.D/N,send_id=N,recv_id=N,"
         "key=SECRET[,alg=hmac-sha1|aes-128-cmac][,port=N]. Peers in the prefix (to that local "
         "port) must sign every segment with recv_id; ours carry send_id. Flags replace the "
         "file's list. Default: none")
        ("listen", po::value<std::vector<std::string>>(),
         "[ADDR:]PORT=SERVICE[,option=value...], repeatable; SERVICE: echo, discard, "
         "daytime, chargen, http, hold, proxy. Options: backlog=N (accept queue, 128), syn_backlog=N "
         "(SYN queue, 1024), allow=A.B.C.D/N (repeatable: only these peers), reject=rst|drop "
         "(for others, and for the excess over max_per_source), max_per_source=N (connections one "
         "peer address may hold, per worker; default a quarter of tcp.max_connections, 0: no limit), "
         "idle_timeout=MS (reset a connection whose peer is silent this long; 0: never), "
         "cc=newreno|cubic|bbr (congestion control; default tcp.congestion), nodelay=BOOL (Nagle off; "
         "default tcp.nodelay), "
         "abort_on_overflow=BOOL (RST when the accept queue is full), "
         "cookies=off|auto|always (SYN cookies; auto: once the SYN queue holds "
         "cookie_threshold=N entries, default its bound), body=N "
         "(http body bytes), pool=NAME (proxy: a [pool.NAME] section), backend=A.B.C.D:PORT[;weight=N] "
         "(proxy, repeatable: an implicit pool, weighted round robin). Flags replace the file's list. Default: 7=echo 9=discard "
         "13=daytime 19=chargen 80=http")
        ("mbufs", s()->default_value("65535"), "packet buffers, shared out equally among the workers' own pools (1023..4194303)")
        ("arp.entries", s()->default_value("1024"), "neighbour table size (4..1048576)")
        ("arp.timeout_s", s()->default_value("300"), "seconds a neighbour stays reachable (1..86400)")
        ("tcp.max_connections", s()->default_value("65536"), "connection table size (16..16777216)")
        ("tcp.max_time_wait", s()->default_value("65536"), "compact TIME_WAIT entries; when full, connections close without TIME_WAIT (0..16777216)")
        ("tcp.mss_clamp", s()->default_value("0"), "largest MSS we advertise; 0 follows the MTU (0, 88..65495)")
        ("tcp.rcvbuf", s()->default_value("262144"), "receive buffer per connection, bytes (2048..67108864)")
        ("tcp.rcvbuf_max", s()->default_value("2097152"), "receive buffer autotuning: a connection whose service reads fast grows its buffer up to this, Linux tcp_rmem[2]; the window scale offered is the one this needs; tcp.rcvbuf or less: fixed (2048..67108864)")
        ("tcp.sndbuf", s()->default_value("262144"), "send buffer per connection, bytes (2048..67108864)")
        ("tcp.sndbuf_max", s()->default_value("4194304"), "send buffer autotuning: a connection's buffer grows to twice its congestion window up to this, Linux tcp_wmem[2]; tcp.sndbuf or less: fixed (2048..67108864)")
        ("tcp.mem_low", s()->default_value("0"), "memory pressure ends below this many queued mbufs per worker; 0: half of tcp.mem_high (Linux tcp_mem[0]) (0..4194303)")
        ("tcp.mem_pressure", s()->default_value("0"), "queued mbufs per worker that start memory pressure: windows stop growing, out-of-order data refused; 0: 3/4 of tcp.mem_high (tcp_mem[1]) (0..4194303)")
        ("tcp.mem_high", s()->default_value("0"), "queued mbufs per worker at which the largest holders are reset; 0: the worker's pool less its RX/TX rings and a reserve (tcp_mem[2]) (0..4194303)")
        ("tcp.timestamps", s()->default_value("true"), "RFC 7323 timestamps (true/false)")
        ("tcp.tw_reuse", s()->default_value("true"), "a connect of ours may take over a tuple we hold in TIME_WAIT when timestamps make it safe (the peer's last is 1 s old), Linux tcp_tw_reuse = 1 (true/false)")
        ("tcp.sack", s()->default_value("true"), "RFC 2018 SACK-permitted (true/false)")
        ("tcp.ecn", s()->default_value("passive"),
         "RFC 3168 ECN: off, passive (agree when a SYN asks, as Linux tcp_ecn=2) or on (also ask)")
        ("tcp.window_scaling", s()->default_value("true"), "RFC 7323 window scale (true/false)")
        ("tcp.initial_cwnd", s()->default_value("10"), "initial congestion window, segments (1..100)")
        ("tcp.congestion", s()->default_value("bbr"), "congestion control, Linux tcp_congestion_control: cubic (RFC 9438 with HyStart++), newreno (RFC 5681) or bbr (BBR v1, as Linux's tcp_bbr); listeners may choose their own with cc=")
        ("tcp.nodelay", s()->default_value("true"), "Nagle's algorithm off for connections tcpterm opens, as TCP_NODELAY (true/false); listeners choose with nodelay=")
        ("tcp.delayed_ack_ms", s()->default_value("40"), "delayed ACKs: ACK every second full-sized segment or after this long; 0: every segment at once (0..500)")
        ("tcp.comp_sack_nr", s()->default_value("8"), "SACK compression, Linux tcp_comp_sack_nr: after three duplicate ACKs for one hole, at most this many out-of-order segments that only grow the newest SACK block share the ACK at the end of their burst; 0: an ACK per out-of-order segment (0..255)")
        ("tcp.rto_initial_ms", s()->default_value("1000"), "initial retransmission timeout (10..60000)")
        ("tcp.rto_min_ms", s()->default_value("200"), "lower bound of the RTO (1..60000)")
        ("tcp.rto_max_ms", s()->default_value("120000"), "upper bound of the RTO (100..600000)")
        ("tcp.synack_retries", s()->default_value("5"), "SYN-ACK retransmissions before giving up (0..20)")
        ("tcp.retries", s()->default_value("15"), "data retransmissions (and unanswered zero-window probes) before aborting (1..30)")
        ("tcp.orphan_retries", s()->default_value("8"), "retransmissions or zero-window probes before a connection its service has closed is aborted, Linux tcp_orphan_retries (0..30)")
        ("tcp.max_orphans", s()->default_value("16384"), "connections closed by their service and still ending, per worker; past it a closing connection is reset, Linux tcp_max_orphans (0..16777216)")
        ("tcp.invalid_ratelimit_ms", s()->default_value("500"), "one reply per connection per this interval to invalid segments (out of window, PAWS, challenge ACKs), Linux tcp_invalid_ratelimit (0..60000)")
        ("tcp.user_timeout_ms", s()->default_value("0"), "abort when sent data stays unacknowledged this long; 0: only tcp.retries decides (0..3600000)")
        ("tcp.uto_advertise", s()->default_value("false"), "send tcp.user_timeout_ms in SYNs as the RFC 5482 User Timeout Option (true/false)")
        ("tcp.uto_accept", s()->default_value("true"), "let a peer's User Timeout Option set the user timeout, within the bounds below (true/false)")
        ("tcp.uto_min_ms", s()->default_value("10000"), "lower bound on a peer-set user timeout, RFC 5482 L_LIMIT (1000..3600000)")
        ("tcp.uto_max_ms", s()->default_value("600000"), "upper bound on a peer-set user timeout, RFC 5482 U_LIMIT (1000..86400000)")
        ("tcp.keepalive_idle_ms", s()->default_value("0"), "probe a connection silent this long; 0: keepalive off (0..86400000)")
        ("tcp.keepalive_interval_ms", s()->default_value("75000"), "between keepalive probes (100..3600000)")
        ("tcp.keepalive_probes", s()->default_value("9"), "unanswered probes before the connection is aborted (1..100)")
        ("tcp.msl_ms", s()->default_value("30000"), "maximum segment lifetime; TIME_WAIT is 2*MSL (1..300000)")
        ("tcp.fin_timeout_ms", s()->default_value("60000"), "how long a closed connection waits in FIN_WAIT_2 for the peer's FIN (1..600000)")
        ("tcp.rfc1337", s()->default_value("true"), "RSTs do not end TIME_WAIT (RFC 1337) (true/false)")
        ("tcp.syncookie_period_s", s()->default_value("64"), "SYN cookie secret rotation period; a cookie lives one to two periods (1..3600)")
        ("tcp.challenge_ack_limit", s()->default_value("1000"), "challenge ACKs per second per worker (1..1000000)");
    return d;
}

std::string get(const po::variables_map& vm, const char* key) { return vm[key].as<std::string>(); }

// A listener's backend= list becomes a pool of its own: weighted round
// robin, as the shorthand always spread connections, with the pool defaults.
PoolSpec implicit_pool(const ListenSpec& spec) {
    PoolSpec p;
    std::string endpoint = spec.text.substr(0, spec.text.find('='));
    std::replace(endpoint.begin(), endpoint.end(), ':', '-');
    p.name = "listen-" + endpoint;
    p.backends = spec.backends;
    p.algorithm = LbAlgorithm::Wrr;
    p.implicit = true;
    return p;
}

void fill(const po::variables_map& vm, const std::vector<std::string>& listens,
          std::vector<PoolSpec> pools, Config& c) {
    c.pools = std::move(pools);
    c.eal_args = split_words(get(vm, "eal"));
    c.port_id = static_cast<uint16_t>(parse_uint("port", get(vm, "port"), 0, 31));
    c.workers = static_cast<uint16_t>(parse_uint("workers", get(vm, "workers"), 0, 128));
    // Flags were stored first, so a file's list only counts without them.
    std::vector<std::string> addresses{"198.18.0.1/24"};
    if (vm.count("address"))
        addresses = vm["address"].as<std::vector<std::string>>();
    for (const std::string& a : addresses) {
        auto addr = net::parse_ipv4_prefix(a);
        if (!addr || addr->length == 0 || addr->addr == 0 || a.find('/') == std::string::npos)
            bad("address", a, "A.B.C.D/N with N from 1 to 32");
        if (!c.addresses.add(*addr))
            bad("address", a, "at most " + std::to_string(net::AddressSet::kMax) + " addresses, each once");
    }
    // A backend's replies to a source address must reach us: it has to be
    // one we answer ARP for. Adding it silently would make tcpterm answer for
    // an address nobody configured, so an operator lists it as an address.
    for (const PoolSpec& p : c.pools)
        for (uint32_t s : p.sources)
            if (!c.addresses.owns(s))
                bad("pool." + p.name + ".source", net::format_ipv4(s),
                    "an address tcpterm owns (address = ..., as a VIP)");
    if (vm.count("gateway")) {
        auto gw = net::parse_ipv4(get(vm, "gateway"));
        if (!gw || !c.addresses.on_link(*gw) || c.addresses.owns(*gw))
            bad("gateway", get(vm, "gateway"), "an IPv4 address inside the subnet of one of our addresses, not our own");
        c.gateway = *gw;
    }
    for (const std::string& l : listens) {
        ListenSpec spec = parse_listen(l);
        if (spec.addr != 0 && !c.addresses.owns(spec.addr))
            bad("listen", l, "an address tcpterm owns (address = ...) or none (every address) before the port");
        for (const ListenSpec& other : c.listeners)
            if (other.port == spec.port && other.addr == spec.addr)
                bad("listen", l, "one listener per address and port (" + other.text + " is there)");
        if (!spec.backends.empty()) {
            c.pools.push_back(implicit_pool(spec));
            spec.options.pool = c.pools.back().name;
        } else if (spec.service == "proxy" &&
                   std::none_of(c.pools.begin(), c.pools.end(),
                                [&](const PoolSpec& p) { return p.name == spec.options.pool; })) {
            bad("listen pool", spec.options.pool, "a pool defined by a [pool." + spec.options.pool + "] section");
        }
        c.listeners.push_back(spec);
    }
    c.mbufs = static_cast<uint32_t>(parse_uint("mbufs", get(vm, "mbufs"), 1023, 4194303));
    c.arp_entries = static_cast<uint32_t>(parse_uint("arp.entries", get(vm, "arp.entries"), 4, 1u << 20));
    c.arp_timeout_s = static_cast<uint32_t>(parse_uint("arp.timeout_s", get(vm, "arp.timeout_s"), 1, 86400));

    tcp::EngineConfig& e = c.engine;
    e.max_connections = static_cast<uint32_t>(
        parse_uint("tcp.max_connections", get(vm, "tcp.max_connections"), 16, 1u << 24));
    e.max_time_wait = static_cast<uint32_t>(
        parse_uint("tcp.max_time_wait", get(vm, "tcp.max_time_wait"), 0, 1u << 24));
    c.mss_clamp = static_cast<uint32_t>(parse_uint("tcp.mss_clamp", get(vm, "tcp.mss_clamp"), 0, 65495));
    if (c.mss_clamp != 0 && c.mss_clamp < 88)
        bad("tcp.mss_clamp", get(vm, "tcp.mss_clamp"), "0 or an integer from 88 to 65495");
    e.rcvbuf = static_cast<uint32_t>(parse_uint("tcp.rcvbuf", get(vm, "tcp.rcvbuf"), 2048, 1u << 26));
    e.sndbuf = static_cast<uint32_t>(parse_uint("tcp.sndbuf", get(vm, "tcp.sndbuf"), 2048, 1u << 26));
    e.sndbuf_max = static_cast<uint32_t>(parse_uint("tcp.sndbuf_max", get(vm, "tcp.sndbuf_max"), 2048, 1u << 26));
    e.rcvbuf_max = static_cast<uint32_t>(parse_uint("tcp.rcvbuf_max", get(vm, "tcp.rcvbuf_max"), 2048, 1u << 26));
    e.mem_low = static_cast<uint32_t>(parse_uint("tcp.mem_low", get(vm, "tcp.mem_low"), 0, 4194303));
    e.mem_pressure =
        static_cast<uint32_t>(parse_uint("tcp.mem_pressure", get(vm, "tcp.mem_pressure"), 0, 4194303));
    e.mem_high = static_cast<uint32_t>(parse_uint("tcp.mem_high", get(vm, "tcp.mem_high"), 0, 4194303));
    if (e.mem_high != 0 && e.mem_high >= c.mbufs)
        bad("tcp.mem_high", get(vm, "tcp.mem_high"), "0 or below mbufs (" + get(vm, "mbufs") + ")");
    if (e.mem_pressure != 0 && e.mem_high != 0 && e.mem_pressure > e.mem_high)
        bad("tcp.mem_pressure", get(vm, "tcp.mem_pressure"), "at most tcp.mem_high (" + get(vm, "tcp.mem_high") + ")");
    if (e.mem_low != 0 && e.mem_pressure != 0 && e.mem_low > e.mem_pressure)
        bad("tcp.mem_low", get(vm, "tcp.mem_low"), "at most tcp.mem_pressure (" + get(vm, "tcp.mem_pressure") + ")");
    e.timestamps = parse_bool("tcp.timestamps", get(vm, "tcp.timestamps"));
    e.tw_reuse = parse_bool("tcp.tw_reuse", get(vm, "tcp.tw_reuse"));
    e.sack = parse_bool("tcp.sack", get(vm, "tcp.sack"));
    std::string ecn = get(vm, "tcp.ecn");
    if (ecn != "off" && ecn != "passive" && ecn != "on")
        bad("tcp.ecn", ecn, "off, passive or on");
    e.ecn_accept = ecn != "off";
    e.ecn_request = ecn == "on";
    e.window_scaling = parse_bool("tcp.window_scaling", get(vm, "tcp.window_scaling"));
    e.initial_cwnd_segments =
        static_cast<uint32_t>(parse_uint("tcp.initial_cwnd", get(vm, "tcp.initial_cwnd"), 1, 100));
    e.rto_initial_us = 1000 * parse_uint("tcp.rto_initial_ms", get(vm, "tcp.rto_initial_ms"), 10, 60000);
    e.rto_min_us = 1000 * parse_uint("tcp.rto_min_ms", get(vm, "tcp.rto_min_ms"), 1, 60000);
    e.rto_max_us = 1000 * parse_uint("tcp.rto_max_ms", get(vm, "tcp.rto_max_ms"), 100, 600000);
    if (e.rto_min_us > e.rto_max_us)
        bad("tcp.rto_min_ms", get(vm, "tcp.rto_min_ms"), "at most tcp.rto_max_ms (" + get(vm, "tcp.rto_max_ms") + ")");
    e.synack_retries =
        static_cast<uint32_t>(parse_uint("tcp.synack_retries", get(vm, "tcp.synack_retries"), 0, 20));
    e.data_retries = static_cast<uint32_t>(parse_uint("tcp.retries", get(vm, "tcp.retries"), 1, 30));
    e.orphan_retries =
        static_cast<uint32_t>(parse_uint("tcp.orphan_retries", get(vm, "tcp.orphan_retries"), 0, 30));
    e.max_orphans = static_cast<uint32_t>(parse_uint("tcp.max_orphans", get(vm, "tcp.max_orphans"), 0, 1u << 24));
    auto cc = tcp::parse_congestion_algorithm(get(vm, "tcp.congestion"));
    if (!cc)
        bad("tcp.congestion", get(vm, "tcp.congestion"), "cubic, newreno or bbr");
    e.congestion = *cc;
    e.nodelay = parse_bool("tcp.nodelay", get(vm, "tcp.nodelay"));
    e.delayed_ack_us = 1000 * parse_uint("tcp.delayed_ack_ms", get(vm, "tcp.delayed_ack_ms"), 0, 500);
    e.comp_sack_nr = static_cast<uint8_t>(parse_uint("tcp.comp_sack_nr", get(vm, "tcp.comp_sack_nr"), 0, 255));
    e.invalid_ratelimit_us =
        1000 * parse_uint("tcp.invalid_ratelimit_ms", get(vm, "tcp.invalid_ratelimit_ms"), 0, 60000);
    e.msl_us = 1000 * parse_uint("tcp.msl_ms", get(vm, "tcp.msl_ms"), 1, 300000);
    e.user_timeout_us = 1000 * parse_uint("tcp.user_timeout_ms", get(vm, "tcp.user_timeout_ms"), 0, 3600000);
    e.uto_advertise = parse_bool("tcp.uto_advertise", get(vm, "tcp.uto_advertise"));
    e.uto_accept = parse_bool("tcp.uto_accept", get(vm, "tcp.uto_accept"));
    e.uto_min_us = 1000 * parse_uint("tcp.uto_min_ms", get(vm, "tcp.uto_min_ms"), 1000, 3600000);
    e.uto_max_us = 1000 * parse_uint("tcp.uto_max_ms", get(vm, "tcp.uto_max_ms"), 1000, 86400000);
    if (e.uto_min_us > e.uto_max_us)
        bad("tcp.uto_min_ms", get(vm, "tcp.uto_min_ms"), "at most tcp.uto_max_ms (" + get(vm, "tcp.uto_max_ms") + ")");
    if (e.uto_advertise && e.user_timeout_us == 0)
        bad("tcp.uto_advertise", get(vm, "tcp.uto_advertise"), "false while tcp.user_timeout_ms is 0 (nothing to advertise)");
    e.keepalive_idle_us = 1000 * parse_uint("tcp.keepalive_idle_ms", get(vm, "tcp.keepalive_idle_ms"), 0, 86400000);
    e.keepalive_interval_us =
        1000 * parse_uint("tcp.keepalive_interval_ms", get(vm, "tcp.keepalive_interval_ms"), 100, 3600000);
    e.keepalive_probes =
        static_cast<uint32_t>(parse_uint("tcp.keepalive_probes", get(vm, "tcp.keepalive_probes"), 1, 100));
    e.fin_timeout_us = 1000 * parse_uint("tcp.fin_timeout_ms", get(vm, "tcp.fin_timeout_ms"), 1, 600000);
    e.rfc1337 = parse_bool("tcp.rfc1337", get(vm, "tcp.rfc1337"));
    e.cookie_period_us =
        1'000'000 * parse_uint("tcp.syncookie_period_s", get(vm, "tcp.syncookie_period_s"), 1, 3600);
    e.challenge_ack_per_second = static_cast<uint32_t>(
        parse_uint("tcp.challenge_ack_limit", get(vm, "tcp.challenge_ack_limit"), 1, 1000000));
}

// Pool keys ("pool.NAME.KEY") cannot be declared up front, as the names are
// the user's: the parsers let unregistered keys through, and this takes
// those of pools and rejects any other exactly as Boost would.
using PoolKeys = std::map<std::string, std::vector<std::pair<std::string, std::string>>>;

PoolKeys take_pool_keys(const po::parsed_options& parsed) {
    PoolKeys pools;
    for (const po::option& o : parsed.options) {
        if (!o.unregistered)
            continue;
        const std::string& k = o.string_key;
        size_t dot = k.find('.', 5);
        if (k.rfind("pool.", 0) != 0 || dot == std::string::npos || dot == 5 || dot + 1 == k.size())
            throw po::unknown_option(k);
        if (o.value.size() != 1)
            bad(k, "", "one value (on the command line: --" + k + "=VALUE)");
        pools[k.substr(5, dot - 5)].emplace_back(k.substr(dot + 1), o.value[0]);
    }
    return pools;
}

// Flags win over the file key by key: a key given as a flag replaces all of
// the file's values of that key in that pool (backend lists included).
std::vector<PoolSpec> merge_pools(PoolKeys file, const PoolKeys& flags) {
    for (const auto& [name, keys] : flags) {
        auto& merged = file[name];
        for (const auto& kv : keys)
            std::erase_if(merged, [&](const auto& old) { return old.first == kv.first; });
        merged.insert(merged.end(), keys.begin(), keys.end());
    }
    std::vector<PoolSpec> pools;
    for (const auto& [name, keys] : file)
        pools.push_back(parse_pool(name, keys));
    return pools;
}

}  // namespace

int parse_config(int argc, char** argv, Config& out) {
    po::options_description desc = describe();
    try {
        po::parsed_options parsed =
            po::command_line_parser(argc, argv).options(desc).allow_unregistered().run();
        PoolKeys flag_pools = take_pool_keys(parsed);
        po::variables_map cli;
        po::store(parsed, cli);
        if (cli.count("help")) {
            std::cout << "usage: tcpterm [--config FILE] [options]\n" << desc
                      << "\nBackend pools ([pool.NAME] in the INI file, or --pool.NAME.KEY=VALUE):\n"
                         "  backend = A.B.C.D:PORT[,weight=1..1000]   repeatable\n"
                         "  algorithm = maglev|maglev-4tuple|wrr|leastconn (maglev: the client address)\n"
                         "  connect_timeout = MS   a client's budget for reaching a backend, retries included (5000)\n"
                         "  retries = 0..7         further backends tried when one refuses or is silent (3)\n"
                         "  fall = N               consecutive failed connects that mark a backend down (3)\n"
                         "  down_time = MS         how long it then stays out of the pool (10000)\n"
                         "  table_size = PRIME     Maglev lookup table entries (65537)\n"
                         "  proxy_protocol = none|v1|v2  PROXY protocol header to each backend (none)\n"
                         "  health_check = none|tcp|http  active checks by the workers (none)\n"
                         "  check_interval = MS, check_timeout = MS (2000, 1000); rise = N (2); fall as above\n"
                         "  check_path = /PATH, check_status = NNN   http: GET PATH must answer NNN (/, 200)\n"
                         "A listener uses one with --listen PORT=proxy,pool=NAME.\n";
            return 0;
        }
        po::variables_map vm;
        po::store(parsed, vm);  // flags first: they win
        std::vector<std::string> listens, ao_keys;
        if (cli.count("listen"))
            listens = cli["listen"].as<std::vector<std::string>>();
        if (cli.count("ao-key"))
            ao_keys = cli["ao-key"].as<std::vector<std::string>>();
        PoolKeys file_pools;
        if (cli.count("config")) {
            std::string path = get(cli, "config");
            std::ifstream file(path);
            if (!file) {
                std::cerr << "tcpterm: cannot read config file '" << path << "' (config)\n";
                return 2;
            }
            po::parsed_options from_file_parsed = po::parse_config_file(file, desc, true);
            file_pools = take_pool_keys(from_file_parsed);
            po::variables_map from_file;
            po::store(from_file_parsed, from_file);
            if (from_file.count("config") || from_file.count("help")) {
                std::cerr << "tcpterm: 'config' and 'help' are not allowed inside " << path << "\n";
                return 2;
            }
            if (!cli.count("listen") && from_file.count("listen"))
                listens = from_file["listen"].as<std::vector<std::string>>();
            if (!cli.count("ao-key") && from_file.count("ao-key"))
                ao_keys = from_file["ao-key"].as<std::vector<std::string>>();
            po::store(from_file_parsed, vm);
        }
        po::notify(vm);
        if (listens.empty())
            listens = {"7=echo", "9=discard", "13=daytime", "19=chargen", "80=http"};
        fill(vm, listens, merge_pools(std::move(file_pools), flag_pools), out);
        for (const std::string& text : ao_keys)
            out.engine.ao_keys.push_back(parse_ao_key(text));
    } catch (const BadValue& e) {
        std::cerr << "tcpterm: " << e.message << "\n";
        return 2;
    } catch (const po::error& e) {
        std::cerr << "tcpterm: " << e.what() << " (see --help for the allowed keys)\n";
        return 2;
    }
    return -1;
}

}  // namespace tcpterm::app
