"""The Linux kernel's side of a side-by-side test: an echo server on port 7
and a daytime-like server on 13 (writes a line, closes first), threads on
Linux sockets at 198.18.0.1. Run in the appliance namespace once that
address is on its veth; stops on SIGTERM."""
import signal
import socket
import sys
import threading
import time


def serve(port, handle):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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


def daytime(c):
    with c:
        c.sendall(time.strftime("%A, %B %d, %Y %H:%M:%S-UTC\r\n", time.gmtime()).encode())


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
for port, handler in ((7, echo), (13, daytime)):
    threading.Thread(target=serve, args=(port, handler), daemon=True).start()
print("linux servers ready", flush=True)
while True:
    time.sleep(1)
