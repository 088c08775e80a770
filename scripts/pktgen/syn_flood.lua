-- pktgen Lua script: the same SYN flood as syn_flood.pkt, through pktgen's
-- Lua range API (load with -f scripts/pktgen/syn_flood.lua, or
-- 'script scripts/pktgen/syn_flood.lua' at the pktgen prompt).
-- The range Lua API (pktgen.range.*) has no TCP-flag call, so this script
-- does not start the port: after it, type the two flag commands at the
-- prompt (Pktgen-DPDK 23.x+ CLI), then start:
--   range 0 tcp flag clr all
--   range 0 tcp flag set syn
--   start 0
-- syn_flood.pkt does all of it in one file and is the one to prefer.
-- EDIT the MACs: dst = tcpterm's port MAC, src = the pktgen port's MAC.
package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local port = "0"
local tcpterm_mac = "02:00:00:00:00:01"
local pktgen_mac = "02:00:00:00:00:02"
local rate_percent = 10

pktgen.stop(port)
pktgen.range.dst_mac(port, "start", tcpterm_mac)
pktgen.range.src_mac(port, "start", pktgen_mac)

-- spoofed sources in 198.18.128.0/17
pktgen.range.src_ip(port, "start", "198.18.128.1")
pktgen.range.src_ip(port, "inc", "0.0.0.1")
pktgen.range.src_ip(port, "min", "198.18.128.1")
pktgen.range.src_ip(port, "max", "198.18.255.254")

-- the target 198.18.0.1:80
pktgen.range.dst_ip(port, "start", "198.18.0.1")
pktgen.range.dst_ip(port, "inc", "0.0.0.0")
pktgen.range.dst_ip(port, "min", "198.18.0.1")
pktgen.range.dst_ip(port, "max", "198.18.0.1")
pktgen.range.dst_port(port, "start", 80)
pktgen.range.dst_port(port, "inc", 0)
pktgen.range.dst_port(port, "min", 80)
pktgen.range.dst_port(port, "max", 80)

pktgen.range.src_port(port, "start", 1024)
pktgen.range.src_port(port, "inc", 7)
pktgen.range.src_port(port, "min", 1024)
pktgen.range.src_port(port, "max", 65535)

pktgen.range.ip_proto(port, "tcp")
pktgen.range.pkt_size(port, "start", 64)
pktgen.range.pkt_size(port, "inc", 0)
pktgen.range.pkt_size(port, "min", 64)
pktgen.range.pkt_size(port, "max", 64)

pktgen.set_range(port, "on")
pktgen.set(port, "rate", rate_percent)
print("SYN flood range set on port " .. port .. "; now type:")
print("  range " .. port .. " tcp flag clr all")
print("  range " .. port .. " tcp flag set syn")
print("  start " .. port)
