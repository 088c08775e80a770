"""A backend for test_lb_source.sh, run in the client namespace: on
ADDR:PORT, greets each connection with the address and port it came from
("A.B.C.D:PORT\\n", so that a client sees which source the proxy used), then
echoes as proxy_backend.py does (its FIN after the client's). Prints "ready"
once it listens; stops when stdin closes."""
import socket
import sys
import threading

from proxy_backend import serve


def main():
    addr, port = sys.argv[1], int(sys.argv[2])
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(256)

    def accept_loop():
        while True:
            conn, peer = srv.accept()
            greeting = ("%s:%d\n" % peer).encode()
            threading.Thread(target=serve, args=(conn, greeting), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
