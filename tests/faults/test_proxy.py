"""The TCP proxy the fault tests rely on (tests/support/proxy.py), against a real echo
server: it forwards, cuts every connection when stopped, comes back on its port, and
can hang like a silent server."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from tests.support.proxy import TcpProxy


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(4096):
            self.request.sendall(data)


@pytest.fixture
def echo_port() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def connect(proxy: TcpProxy) -> socket.socket:
    return socket.create_connection(proxy.address, timeout=5)


def test_proxy_forwards_cuts_live_connections_and_comes_back_on_its_port(echo_port):
    """Bytes go both ways; stop() ends a live connection at once (EOF) and refuses new ones;
    start() listens again on the same port and forwards again."""
    with TcpProxy("127.0.0.1", echo_port) as proxy:
        port = proxy.port
        client = connect(proxy)
        client.sendall(b"bonjour")
        assert client.recv(100) == b"bonjour"

        proxy.stop()
        assert client.recv(100) == b""  # the server is gone for this client
        with pytest.raises(ConnectionRefusedError):
            connect(proxy)
        client.close()

        proxy.start()
        assert proxy.port == port
        with connect(proxy) as again:
            again.sendall(b"re-bonjour")
            assert again.recv(100) == b"re-bonjour"
        assert proxy.accepted == 2


def test_silent_proxy_accepts_and_never_answers_until_it_speaks_again(echo_port):
    """Silent: a connection is accepted and read, and nothing ever comes back; once no
    longer silent, new connections are answered."""
    with TcpProxy("127.0.0.1", echo_port, silent=True) as proxy:
        with connect(proxy) as client:
            client.sendall(b"allo ?")
            client.settimeout(0.3)
            with pytest.raises(TimeoutError):
                client.recv(100)
        proxy.silent = False
        with connect(proxy) as client:
            client.sendall(b"allo")
            assert client.recv(100) == b"allo"


def test_silent_server_without_target():
    """TcpProxy(silent=True) alone is a server that accepts and never says a word."""
    with TcpProxy(silent=True) as silent, connect(silent) as client:
        client.settimeout(0.3)
        with pytest.raises(TimeoutError):
            client.recv(100)  # an SMTP or PostgreSQL client waits here for a greeting
