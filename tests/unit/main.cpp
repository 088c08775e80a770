// Catch2 runner that brings up a minimal EAL first: mempools and rte_hash
// need it. No hugepages, no devices, nothing shared with other processes.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <unistd.h>

#include <rte_eal.h>

int main(int argc, char** argv) {
    std::string name = "tcpterm_unit_" + std::to_string(getpid());
    std::string prefix = "--file-prefix=" + name;
    const char* eal_args[] = {"unit_tests", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
                              "--no-telemetry", "--log-level=error", "-l", "0", prefix.c_str()};
    if (rte_eal_init(sizeof(eal_args) / sizeof(eal_args[0]), const_cast<char**>(eal_args)) < 0)
        return 1;
    int result = Catch::Session().run(argc, argv);
    rte_eal_cleanup();
    std::error_code ignored;  // EAL leaves its runtime directory behind
    std::filesystem::remove_all("/var/run/dpdk/" + name, ignored);
    return result;
}
