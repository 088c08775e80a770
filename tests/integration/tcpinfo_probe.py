"""Connects to tcpterm's echo port, does one round trip and prints which
options the Linux client has in use on that connection (struct tcp_info):
"ts=0|1 sack=0|1 wscale=0|1 snd_wscale=N". Run inside tt-cli."""
import socket
import sys

TCPI_OPT_TIMESTAMPS, TCPI_OPT_SACK, TCPI_OPT_WSCALE = 1, 2, 4

s = socket.create_connection((sys.argv[1] if len(sys.argv) > 1 else "198.18.0.1", 7), timeout=5)
s.sendall(b"probe")
got = b""
while len(got) < 5:
    chunk = s.recv(5 - len(got))
    if not chunk:
        sys.exit("echo closed the connection early")
    got += chunk
if got != b"probe":
    sys.exit("echo returned %r" % got)
info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
opts, wscale = info[5], info[6]
print("ts=%d sack=%d wscale=%d snd_wscale=%d" % (
    bool(opts & TCPI_OPT_TIMESTAMPS), bool(opts & TCPI_OPT_SACK), bool(opts & TCPI_OPT_WSCALE),
    wscale & 0x0F if opts & TCPI_OPT_WSCALE else 0))
s.close()
