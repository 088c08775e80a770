"""A backend for test_proxy_200mb.sh, run in the client namespace on
198.18.0.2: on SINK_PORT it reads a connection to its end (the client's FIN)
and answers with the sha256 of what it got ("HEX\\n"); on SOURCE_PORT it
sends the file FILE whole and closes. One thread per connection. Prints
"ready" once both listen; stops when stdin closes."""
import hashlib
import sys

from proxy_backend import listen


def sink(conn):
    with conn:
        h = hashlib.sha256()
        while data := conn.recv(1 << 20):
            h.update(data)
        conn.sendall(h.hexdigest().encode() + b"\n")


def source(conn, path):
    with conn, open(path, "rb") as f:
        conn.sendfile(f)


def main():
    sink_port, source_port, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    listen("198.18.0.2", sink_port, lambda conn, _: sink(conn), backlog=16)
    listen("198.18.0.2", source_port, lambda conn, _: source(conn, path), backlog=16)
    print("ready", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
