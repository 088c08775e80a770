"""Connects to tcpterm's echo port, does one round trip and prints which
options the Linux client has in use on that connection (struct tcp_info):
"ts=0|1 sack=0|1 wscale=0|1 snd_wscale=N", or with --ecn only "ecn=0|1"
(RFC 3168 agreed). Run inside tt-cli."""
import socket
import sys

TCPI_OPT_TIMESTAMPS, TCPI_OPT_SACK, TCPI_OPT_WSCALE, TCPI_OPT_ECN = 1, 2, 4, 8

args = sys.argv[1:]
want_ecn = "--ecn" in args
args = [a for a in args if a != "--ecn"]
s = socket.create_connection((args[0] if args else "198.18.0.1", 7), timeout=5)
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
if want_ecn:
    print("ecn=%d" % bool(opts & TCPI_OPT_ECN))
    s.close()
    sys.exit(0)
print("ts=%d sack=%d wscale=%d snd_wscale=%d" % (
    bool(opts & TCPI_OPT_TIMESTAMPS), bool(opts & TCPI_OPT_SACK), bool(opts & TCPI_OPT_WSCALE),
    wscale & 0x0F if opts & TCPI_OPT_WSCALE else 0))
s.close()
