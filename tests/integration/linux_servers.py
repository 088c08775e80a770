"""The Linux kernel's side of a side-by-side test, threads on Linux sockets
at 198.18.0.1: an echo server on port 7, discard on 9, a daytime-like server
on 13 (writes a line, closes first), chargen on 19 (the byte stream of
tcpterm's, app/services/chargen.cpp), an HTTP server on 80 and, on 8000, a
listener that never accepts (tcpterm's hold). LT_LINUX_CC, when set, is the
congestion control of ports 7, 9, 13 and 19 (TCP_CONGESTION). Run in the appliance namespace once that
address is on its veth; stops on SIGTERM."""
import http.server
import os
import signal
import socket
import sys
import threading
import time


def serve(port, handle):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    congestion = os.environ.get("LT_LINUX_CC")
    if congestion:  # accepted sockets inherit it; root may pick any available
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, congestion.encode())
    s.bind(("198.18.0.1", port))
    s.listen(128)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()


def echo(c):
    with c:
        while True:
            data = c.recv(65536)
            if not data:
                return
            c.sendall(data)


def discard(c):
    with c:
        while c.recv(1 << 20):
            pass


# RFC 864 as tcpterm sends it: 95 lines of 72 characters and CR LF, line N
# starting at printable character N; many periods per send keep it contiguous.
CHARGEN = b"".join(bytes(32 + (line + i) % 95 for i in range(72)) + b"\r\n"
                   for line in range(95)) * 128


def chargen(c):
    with c:
        try:
            while True:
                c.sendall(CHARGEN)
        except OSError:
            return  # the client closed or reset: it has read what it wanted


def daytime(c):
    with c:
        c.sendall(time.strftime("%A, %B %d, %Y %H:%M:%S-UTC\r\n", time.gmtime()).encode())


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"x" * 612
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def hold():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("198.18.0.1", 8000))
    s.listen(256)
    while True:
        time.sleep(1)  # never accepts: connections wait in the accept queue


if __name__ == "__main__":  # bulk_client.py imports CHARGEN
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    web = http.server.ThreadingHTTPServer(("198.18.0.1", 80), Page)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    threading.Thread(target=hold, daemon=True).start()
    for port, handler in ((7, echo), (9, discard), (13, daytime), (19, chargen)):
        threading.Thread(target=serve, args=(port, handler), daemon=True).start()
    print("linux servers ready", flush=True)
    while True:
        time.sleep(1)
