"""A backend for test_proxy.sh, run in tt-cli: an echo server on
198.18.0.2:PORT that returns every byte and, after the client's FIN, sends its
own (half-close aware), one thread per connection. Prints "ready" once it
listens; stops when stdin closes."""
import socket
import sys
import threading


def serve(conn, greeting=b""):
    with conn:
        try:
            conn.sendall(greeting)
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)
        except OSError:  # a probe that closed at once, or a reset
            pass


def listen(addr, port, handler, backlog=64):
    """Accepts on addr:port in a thread of its own; each connection goes to
    handler(conn, peer) in a thread of its own."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(backlog)

    def accept_loop():
        while True:
            conn, peer = srv.accept()
            threading.Thread(target=handler, args=(conn, peer), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()


def main():
    listen("198.18.0.2", int(sys.argv[1]), lambda conn, _: serve(conn))
    print("ready", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
