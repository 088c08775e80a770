"""Load for bench/tw_reuse_cap.sh: PROCS processes for SECONDS, each in a
loop: connect to HOST:PORT, GET / over HTTP/1.1 keep-alive, read the whole
response (Content-Length), then close first, so that the proxy passes the
FIN on and ends in TIME_WAIT toward its backend. Prints one JSON line:
completed and failed connections, and per-second completions."""
import json
import multiprocessing as mp
import socket
import sys
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def one(host, port):
    s = socket.create_connection((host, port), timeout=2)
    try:
        s.sendall(REQUEST)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                return False
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 200"):
            return False
        length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
        while len(body) < length:
            chunk = s.recv(4096)
            if not chunk:
                return False
            body += chunk
        return True
    finally:
        s.close()


def worker(host, port, seconds, start, out):
    ok = fail = 0
    per_second = [0] * (int(seconds) + 1)
    while (now := time.monotonic()) < start + seconds:
        try:
            good = one(host, port)
        except OSError:
            good = False
        if good:
            ok += 1
            per_second[int(now - start)] += 1
        else:
            fail += 1
            time.sleep(0.001)  # a reset comes back at once: do not spin on it
    out.put((ok, fail, per_second))


def main():
    host, port, procs, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    out = mp.Queue()
    start = time.monotonic() + 0.2
    ps = [mp.Process(target=worker, args=(host, port, seconds, start, out)) for _ in range(procs)]
    for p in ps:
        p.start()
    results = [out.get() for _ in ps]
    for p in ps:
        p.join()
    ok = sum(r[0] for r in results)
    fail = sum(r[1] for r in results)
    per_second = [sum(r[2][i] for r in results) for i in range(int(seconds))]
    print(json.dumps({"completed": ok, "failed": fail, "rps": round(ok / seconds, 1), "per_second": per_second}))


if __name__ == "__main__":
    main()
