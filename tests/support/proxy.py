"""A TCP proxy for fault tests: put it between Compte and a server (PostgreSQL, Redis,
SMTP), then cut the server off, make it hang, or bring it back.

    with TcpProxy("127.0.0.1", 5432) as proxy:   # listens on 127.0.0.1:proxy.port
        ...                                      # Compte talks to the server through it
        proxy.stop()       # the server is gone: listener closed, live connections closed
        proxy.start()      # back on the same port
        proxy.silent = True  # a hung server: connections are accepted and read, never answered

`TcpProxy(silent=True)` without a target is a silent server. One thread runs the proxy
(a selector over non-blocking sockets); no dependency beyond the standard library.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading

_CHUNK = 65536


class _Connection:
    """One client and, when forwarding, its connection to the target."""

    def __init__(self, client: socket.socket, upstream: socket.socket | None) -> None:
        self.client = client
        self.upstream = upstream
        # Bytes waiting to be written to each socket.
        self.pending: dict[socket.socket, bytearray] = {client: bytearray()}
        if upstream is not None:
            self.pending[upstream] = bytearray()

    def peer(self, sock: socket.socket) -> socket.socket | None:
        return self.upstream if sock is self.client else self.client

    def sockets(self) -> list[socket.socket]:
        return list(self.pending)


class TcpProxy:
    """Listens on 127.0.0.1 (a free port, or `port`) and forwards to target_host:target_port."""

    def __init__(
        self,
        target_host: str | None = None,
        target_port: int | None = None,
        port: int = 0,
        silent: bool = False,
    ) -> None:
        if (target_host is None or target_port is None) and not silent:
            raise ValueError("a proxy without a target can only be silent")
        self.target = (target_host, target_port) if target_host and target_port else None
        self.host = "127.0.0.1"
        self.port = port
        # Silent: new and live connections are read and never answered (a hung server);
        # what either side sends meanwhile is dropped.
        self.silent = silent
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._lock = threading.Lock()
        self._connections: list[_Connection] = []
        # Connections accepted since the proxy was made (what the server was asked for).
        self.accepted = 0

    # --- control (any thread) ------------------------------------------------------------

    def start(self) -> TcpProxy:
        """Listen (again) on the proxy's port and forward."""
        if self.running:
            return self
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=f"proxy-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """The server is gone: stop listening and close every live connection (clients
        see the end of their connections at once). Returns once all is closed."""
        if not self.running:
            return
        assert self._wake_r is not None and self._wake_w is not None and self._thread is not None
        self._stopping.set()
        self._wake_w.send(b"x")
        self._thread.join(timeout=10)
        if self._thread.is_alive():  # pragma: no cover - the loop never blocks
            raise RuntimeError("the proxy thread did not stop")
        self._thread = None
        self._wake_r.close()
        self._wake_w.close()
        self._wake_r = self._wake_w = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def connection_count(self) -> int:
        """Live client connections."""
        with self._lock:
            return len(self._connections)

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the loop (the proxy's thread) ---------------------------------------------------

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        assert self._listener is not None and self._wake_r is not None
        selector.register(self._listener, selectors.EVENT_READ, "accept")
        selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        try:
            while not self._stopping.is_set():
                for key, events in selector.select(timeout=1.0):
                    if key.data == "accept":
                        self._accept(selector)
                    elif key.data == "wake":
                        self._wake_r.recv(64)
                    else:
                        self._service(selector, key.data, key.fileobj, events)
        finally:
            with self._lock:
                connections, self._connections = self._connections, []
            for connection in connections:
                for sock in connection.sockets():
                    _close(sock)
            selector.close()
            self._listener.close()
            self._listener = None

    def _accept(self, selector: selectors.BaseSelector) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            with self._lock:
                self.accepted += 1
            upstream = None
            if not self.silent:
                try:
                    upstream = socket.create_connection(self.target, timeout=2)  # type: ignore[arg-type]
                except OSError:  # the target is down: so is the proxy, for this client
                    _close(client)
                    continue
                upstream.setblocking(False)
            client.setblocking(False)
            connection = _Connection(client, upstream)
            with self._lock:
                self._connections.append(connection)
            for sock in connection.sockets():
                selector.register(sock, selectors.EVENT_READ, connection)

    def _service(
        self,
        selector: selectors.BaseSelector,
        connection: _Connection,
        sock: socket.socket,
        events: int,
    ) -> None:
        if events & selectors.EVENT_READ:
            try:
                data = sock.recv(_CHUNK)
            except (BlockingIOError, InterruptedError):
                data = None
            except OSError:
                data = b""
            if data == b"":  # one side closed: close the pair, as a server would
                self._drop(selector, connection)
                return
            peer = connection.peer(sock)
            if data and peer is not None and not self.silent:
                connection.pending[peer] += data
                selector.modify(peer, selectors.EVENT_READ | selectors.EVENT_WRITE, connection)
        if events & selectors.EVENT_WRITE and sock in connection.pending:
            buffer = connection.pending[sock]
            try:
                sent = sock.send(buffer) if buffer else 0
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._drop(selector, connection)
                return
            del buffer[:sent]
            if not buffer:
                selector.modify(sock, selectors.EVENT_READ, connection)

    def _drop(self, selector: selectors.BaseSelector, connection: _Connection) -> None:
        with self._lock:
            if connection in self._connections:
                self._connections.remove(connection)
        for sock in connection.sockets():
            with contextlib.suppress(KeyError, ValueError):
                selector.unregister(sock)
            _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
