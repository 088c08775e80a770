"""Clients for test_lb_admin.sh, run in tt-cli against tcpterm's proxy.
  short ADDR PORT N      N connections one after the other; prints each one's
                         greeting (the backend's name), or "error"
  long ADDR PORT SECONDS FILE   one connection: writes its greeting to FILE at
                         once, then sends a numbered line every 0.2 s for
                         SECONDS and checks each echo, half-closes and reads
                         to EOF; prints "NAME ok LINES" or "NAME error WHY"
"""
import socket
import sys
import time


def connect(addr, port):
    s = socket.create_connection((addr, port), timeout=5)
    f = s.makefile("rb")
    return s, f, f.readline().decode().strip()


def short(addr, port, n):
    for _ in range(n):
        try:
            s, f, name = connect(addr, port)
            s.shutdown(socket.SHUT_WR)
            f.read()
            s.close()
            print(name or "error", flush=True)
        except OSError:
            print("error", flush=True)


def long(addr, port, seconds, path):
    s, f, name = connect(addr, port)
    with open(path, "w") as out:
        out.write(name + "\n")
    lines, end = 0, time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            line = b"line %d\n" % lines
            s.sendall(line)
            if f.readline() != line:
                print(name, "error", "echo of line %d" % lines)
                return
            lines += 1
            time.sleep(0.2)
        s.shutdown(socket.SHUT_WR)
        rest = f.read()
        print(name, "ok" if rest == b"" else "error", lines)
    except OSError as e:
        print(name, "error", e)


if __name__ == "__main__":
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "short":
        short(addr, port, int(sys.argv[4]))
    else:
        long(addr, port, float(sys.argv[4]), sys.argv[5])
