#include "app/tcpgen/options.hpp"

#include "app/option_values.hpp"

#include <boost/program_options.hpp>

#include <charconv>
#include <iostream>
#include <sstream>

namespace po = boost::program_options;

namespace tcpterm::tcpgen {

namespace {

using app::bad;
using app::BadValue;
using app::parse_uint;
using app::split_words;

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> parts;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, sep);)
        parts.push_back(part);
    return parts;
}


net::Ipv4Prefix parse_prefix(const std::string& key, const std::string& value, uint8_t min_len) {
    auto p = net::parse_ipv4_prefix(value);
    if (!p || value.find('/') == std::string::npos || p->length < min_len || p->length > 32)
        bad(key, value, "A.B.C.D/N with N from " + std::to_string(min_len) + " to 32");
    return *p;
}

po::options_description describe() {
    po::options_description d("tcpgen options");
    auto s = [] { return po::value<std::string>(); };
    d.add_options()
        ("help,h", "print this help and exit")
        ("eal", s()->default_value("-l 0-1 --no-huge -m 512 --no-pci --file-prefix tcpgen "
                                   "--vdev=net_af_packet0,iface=tg-cli0"),
         "DPDK EAL arguments, space separated (any ethdev: PCI, vdev). With two lcores the "
         "flood runs on the second one and the clients (and all receiving) on the main one; "
         "with one, everything runs in one loop")
        ("port", s()->default_value("0"), "DPDK port id (0..31)")
        ("queues", s()->default_value("1"),
         "queue pairs on the port (1..2). With 2 the flood lcore has its own TX queue and the "
         "main lcore polls both RX queues; with 1 the lcores share TX queue 0 under a lock "
         "(needed for a peer with one queue, e.g. a one-queue memif server)")
        ("mbufs", s()->default_value("16383"), "receive/engine packet buffers (1023..1048575)")
        ("flood-mbufs", s()->default_value("8191"), "flood packet buffers, preallocated (1023..1048575)")
        ("target", s()->default_value("198.18.0.1:80"), "server under test, A.B.C.D:PORT")
        ("client-address", s()->default_value("198.18.0.2/24"),
         "our own address and on-link subnet, A.B.C.D/N (we answer ARP for it)")
        ("gateway", s(), "next hop when the target is off-link (default: none, target on-link)")
        ("flood-prefix", s()->default_value("198.18.128.0/17"),
         "spoofed source addresses of the SYN flood, A.B.C.D/N (N 8..32); we answer ARP for "
         "every address in it, so the target's SYN-ACKs come back and are counted")
        ("flood-rate", s()->default_value("0"),
         "SYN flood packets per second (0 = off, 'max' = unpaced), TSC token bucket")
        ("flood-options", s()->default_value("mss"),
         "TCP options of the flood SYNs: 'mss' or a comma list of mss,ts,ws,sack or 'all' "
         "(MSS is always there, order as Linux)")
        ("flood-mss", s()->default_value("1460"), "MSS option value of the flood SYNs (88..65495)")
        ("clients-rate", s()->default_value("0"),
         "new legitimate connections per second (0 = off, up to 1000000)")
        ("concurrency", s()->default_value("1000"), "open legitimate connections at most (1..1000000)")
        ("host", s()->default_value("x"), "Host header of the request (1..200 characters)")
        ("timeout-ms", s()->default_value("5000"),
         "a legitimate connection not finished (reply read, server closed) by then is "
         "aborted and counted failed (timeout) (10..600000)")
        ("duration", s()->default_value("10"), "seconds to run (1..86400)")
        ("drain-ms", s()->default_value("2000"),
         "after the run, how long open connections may finish (0..600000)")
        ("json", s(), "write the measurements to this JSON file")
        ("hold-after", "after the run keep the port open without polling until SIGINT/SIGTERM "
                       "(memif: lets the peer stop first)")
        ("quiet,q", "no per-second lines");
    return d;
}

std::string get(const po::variables_map& vm, const char* key) { return vm[key].as<std::string>(); }

void fill(const po::variables_map& vm, Options& o) {
    o.eal_args = split_words(get(vm, "eal"));
    o.port_id = static_cast<uint16_t>(parse_uint("port", get(vm, "port"), 0, 31));
    o.queues = static_cast<uint16_t>(parse_uint("queues", get(vm, "queues"), 1, 2));
    o.mbufs = static_cast<uint32_t>(parse_uint("mbufs", get(vm, "mbufs"), 1023, 1048575));
    o.flood_mbufs = static_cast<uint32_t>(parse_uint("flood-mbufs", get(vm, "flood-mbufs"), 1023, 1048575));

    std::string target = get(vm, "target");
    size_t colon = target.rfind(':');
    if (colon == std::string::npos)
        bad("target", target, "A.B.C.D:PORT");
    auto taddr = net::parse_ipv4(target.substr(0, colon));
    if (!taddr || *taddr == 0)
        bad("target", target, "A.B.C.D:PORT");
    o.target_addr = *taddr;
    o.target_port = static_cast<uint16_t>(parse_uint("target port", target.substr(colon + 1), 1, 65535));

    o.client = parse_prefix("client-address", get(vm, "client-address"), 1);
    if (o.client.addr == o.target_addr)
        bad("client-address", get(vm, "client-address"), "an address other than the target's");
    if (vm.count("gateway")) {
        auto gw = net::parse_ipv4(get(vm, "gateway"));
        if (!gw || !o.client.contains(*gw) || *gw == o.client.addr)
            bad("gateway", get(vm, "gateway"),
                "an IPv4 address inside " + get(vm, "client-address") + ", not our own");
        o.gateway = *gw;
    } else if (!o.client.contains(o.target_addr)) {
        bad("target", target, "an address inside client-address " + get(vm, "client-address") +
                                  " (on-link), or give --gateway");
    }

    o.flood_prefix = parse_prefix("flood-prefix", get(vm, "flood-prefix"), 8);
    o.flood_prefix.addr &= o.flood_prefix.mask();
    if (o.flood_prefix.contains(o.target_addr) || o.flood_prefix.contains(o.client.addr) ||
        (o.gateway && o.flood_prefix.contains(o.gateway)))
        bad("flood-prefix", get(vm, "flood-prefix"),
            "a prefix holding neither the target, nor client-address, nor the gateway");

    std::string rate = get(vm, "flood-rate");
    if (rate == "max") {
        o.flood_max = true;
        o.flood_rate = 0;
    } else {
        o.flood_rate = parse_uint("flood-rate", rate, 0, 1'000'000'000);
    }
    o.flood_options_text = get(vm, "flood-options");
    for (const std::string& name : split(o.flood_options_text, ',')) {
        if (name == "mss") {
        } else if (name == "ts") {
            o.syn.timestamps = true;
        } else if (name == "ws") {
            o.syn.window_scale = true;
        } else if (name == "sack") {
            o.syn.sack = true;
        } else if (name == "all") {
            o.syn.timestamps = o.syn.window_scale = o.syn.sack = true;
        } else {
            bad("flood-options", o.flood_options_text, "'mss', 'all' or a comma list of mss,ts,ws,sack");
        }
    }
    o.syn.mss = static_cast<uint16_t>(parse_uint("flood-mss", get(vm, "flood-mss"), 88, 65495));

    o.clients_rate = parse_uint("clients-rate", get(vm, "clients-rate"), 0, 1'000'000);
    o.concurrency = static_cast<uint32_t>(parse_uint("concurrency", get(vm, "concurrency"), 1, 1'000'000));
    o.host = get(vm, "host");
    if (o.host.empty() || o.host.size() > 200 ||
        o.host.find_first_of("\r\n \t") != std::string::npos)
        bad("host", o.host, "1 to 200 characters without spaces or line breaks");
    o.timeout_us = 1000 * parse_uint("timeout-ms", get(vm, "timeout-ms"), 10, 600000);
    o.duration_s = static_cast<uint32_t>(parse_uint("duration", get(vm, "duration"), 1, 86400));
    o.drain_ms = static_cast<uint32_t>(parse_uint("drain-ms", get(vm, "drain-ms"), 0, 600000));
    if (vm.count("json")) {
        o.json_path = get(vm, "json");
        if (o.json_path.empty())
            bad("json", o.json_path, "a file name");
    }
    o.hold_after = vm.count("hold-after") > 0;
    o.quiet = vm.count("quiet") > 0;
    if (!o.flood_max && o.flood_rate == 0 && o.clients_rate == 0)
        bad("flood-rate", rate, "a rate above 0 (or clients-rate above 0): nothing to do");
}

}  // namespace

std::string describe_syn_options(const SynOptions& o) {
    std::string s = "mss=" + std::to_string(o.mss);
    if (o.sack)
        s += ",sack";
    if (o.timestamps)
        s += ",ts";
    if (o.window_scale)
        s += ",ws=" + std::to_string(o.wscale);
    return s;
}

int parse_options(int argc, char** argv, Options& out) {
    po::options_description desc = describe();
    try {
        po::variables_map vm;
        po::store(po::parse_command_line(argc, argv, desc), vm);
        if (vm.count("help")) {
            std::cout << "usage: tcpgen [options]\n"
                         "A SYN flood from spoofed sources plus a population of legitimate HTTP/1.1\n"
                         "clients (the project's TCP engine) against one target, on any DPDK port.\n"
                      << desc << "\n";
            return 0;
        }
        po::notify(vm);
        fill(vm, out);
    } catch (const BadValue& e) {
        std::cerr << "tcpgen: " << e.message << "\n";
        return 2;
    } catch (const po::error& e) {
        std::cerr << "tcpgen: " << e.what() << " (see --help for the options)\n";
        return 2;
    }
    return -1;
}

}  // namespace tcpterm::tcpgen
