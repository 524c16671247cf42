"""A TCP forwarder that can be shut: a broker outage for one process without stopping
the machine's RabbitMQ, which other tests and runs share. ``shut()`` kills the
forwarder (every connection through it drops, new ones are refused, as when a broker
dies); ``open()`` starts it again on the same port.

The forwarder is a process of its own (``python tcpgate.py LISTEN_PORT HOST PORT``,
plain threads): sockets closed under greenthreads of the eventlet test process
upset its hub."""
import socket
import subprocess
import sys
import threading
import time

from stack import free_port


class TcpGate:
    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._process = None

    def open(self):
        self._process = subprocess.Popen([sys.executable, __file__, str(self.port), *map(str, self.target)])
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def shut(self):
        if self._process is not None:
            self._process.kill()
            self._process.wait(10)
            self._process = None


def _pipe(source, target):
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _serve(listen_port, host, port):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", listen_port))
    listener.listen(64)
    while True:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection((host, port))
        except OSError:
            client.close()
            continue
        threading.Thread(target=_pipe, args=(client, upstream), daemon=True).start()
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
