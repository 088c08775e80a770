"""A backend for test_lb_admin.sh, run in tt-cli: listens on ADDR:PORT, greets
each connection with "NAME\\n" (so a client knows which backend it reached),
then echoes as proxy_backend.py does. One thread per connection; runs until
killed."""
import socket
import sys
import threading

from proxy_backend import serve


def main():
    addr, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(64)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, name.encode() + b"\n"), daemon=True).start()


if __name__ == "__main__":
    main()
