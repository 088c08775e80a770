-- pktgen Lua script: the same SYN flood as syn_flood.pkt, through pktgen's
-- Lua API (pktgen -f scripts/pktgen/syn_flood.lua, or 'script
-- scripts/pktgen/syn_flood.lua' at the pktgen prompt). Needs a pktgen built
-- with Lua (scripts/pktgen/build.sh does).
-- The Lua range API has no call for the TCP flags, the TCP sequence range or
-- the ARP answering, so those few CLI commands go through a small command file that
-- the script writes and loads (pktgen.load runs a command file).
-- The MACs: dst = tcpterm's port MAC, src = the pktgen port's MAC (fixed by
-- mac=... on the memif vdevs in README.md).

local port = "0"
local tcpterm_mac = "02:00:00:00:00:01"
local pktgen_mac = "02:00:00:00:00:02"
-- percent of the link speed: memif reports 100 Gb/s, 0.1 % = 149 k SYNs/s
local rate_percent = 0.1

pktgen.stop(port)
pktgen.range.dst_mac(port, "start", tcpterm_mac)
pktgen.range.src_mac(port, "start", pktgen_mac)
pktgen.range.ip_proto(port, "tcp")

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

pktgen.range.pkt_size(port, "start", 64)
pktgen.range.pkt_size(port, "inc", 0)
pktgen.range.pkt_size(port, "min", 64)
pktgen.range.pkt_size(port, "max", 64)

-- SYN only, and answer tcpterm's ARP for its gateway 198.18.0.2 (see
-- syn_flood.pkt): CLI commands, run from a command file.
local cmds = os.tmpname()
local f = assert(io.open(cmds, "w"))
f:write("range " .. port .. " tcp flag clr all\n")
f:write("range " .. port .. " tcp flag set syn\n")
for _, w in ipairs({"start 1", "min 1", "max 2000000000", "inc 7919"}) do  -- ISNs vary too
    f:write("range " .. port .. " tcp seq " .. w .. "\n")
end
f:write("set " .. port .. " src ip 198.18.0.2/24\n")
f:write("set " .. port .. " dst ip 198.18.0.1\n")
f:write("enable " .. port .. " process\n")
f:close()
pktgen.load(cmds)
os.remove(cmds)

pktgen.set_range(port, "on")
pktgen.set(port, "rate", rate_percent)
pktgen.start(port)
print("SYN flood started on port " .. port .. " at " .. rate_percent .. " % of the link speed")
