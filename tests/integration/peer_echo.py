"""A backend for test_lb_source.sh, run in the client namespace: on
ADDR:PORT, greets each connection with the address and port it came from
("A.B.C.D:PORT\\n", so that a client sees which source the proxy used), then
echoes as proxy_backend.py does (its FIN after the client's). Prints "ready"
once it listens; stops when stdin closes."""
import sys

from proxy_backend import listen, serve


def main():
    listen(sys.argv[1], int(sys.argv[2]), lambda conn, peer: serve(conn, ("%s:%d\n" % peer).encode()), backlog=256)
    print("ready", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
