"""Bulk transfers for test_loss_transfer.sh and bench/loss_vs_linux.sh, run
in the client namespace:
  bulk_client.py send HOST PORT FILE   sends FILE to a discard server, shuts
      down its side and waits for the server's FIN; prints the bytes the
      server acknowledged (tcp_info's bytes_acked less the SYN and our FIN,
      so FILE's size when the server took every byte) and the retransmitted
      segments. Fails on a reset or an early close.
  bulk_client.py chargen-sha256 N      the sha256 of the first N bytes of the
      chargen stream (tcpterm's and linux_servers.py's are the same)."""
import hashlib
import os
import socket
import sys

TCPI_TOTAL_RETRANS, TCPI_BYTES_ACKED = 100, 120  # offsets in struct tcp_info


def send(host, port, path):
    s = socket.create_connection((host, int(port)))
    with open(path, "rb") as f:
        s.sendfile(f)
    s.shutdown(socket.SHUT_WR)
    if s.recv(1):
        sys.exit("the discard server sent data")
    # recv returned b"": the server's FIN, sent once it had read ours, which
    # comes after the last byte: everything in between was acknowledged.
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 128)
    acked = int.from_bytes(info[TCPI_BYTES_ACKED:TCPI_BYTES_ACKED + 8], sys.byteorder)
    retrans = int.from_bytes(info[TCPI_TOTAL_RETRANS:TCPI_TOTAL_RETRANS + 4], sys.byteorder)
    s.close()
    print(acked - 2, retrans)


def chargen_sha256(n):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from linux_servers import CHARGEN
    h = hashlib.sha256()
    full, rest = divmod(n, len(CHARGEN))
    for _ in range(full):
        h.update(CHARGEN)
    h.update(CHARGEN[:rest])
    print(h.hexdigest())


if __name__ == "__main__":
    if sys.argv[1:2] == ["send"] and len(sys.argv) == 5:
        send(*sys.argv[2:])
    elif sys.argv[1:2] == ["chargen-sha256"] and len(sys.argv) == 3:
        chargen_sha256(int(sys.argv[2]))
    else:
        sys.exit(__doc__)
