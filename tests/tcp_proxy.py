"""A TCP proxy a test can cut: a real database outage without touching the shared server.

`TcpProxy(port)` listens on 127.0.0.1 (a free port) and forwards each connection to
127.0.0.1:`port`. `cut()` drops every open connection and then blackholes new ones (accepted,
never answered: what a dead network looks like, so connect timeouts are exercised);
`cut(refuse=True)` closes new ones at once instead. `restore()` forwards again.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._mode = "forward"  # forward | blackhole | refuse
        self._closed = False
        threading.Thread(target=self._accept, name="tcp-proxy", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                mode = self._mode
                self._open.append(client)
            if mode == "refuse":
                self._drop(client)
            elif mode == "forward":
                self._forward(client)
            # blackhole: keep it open, never read or answer

    def _forward(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target)
        except OSError:
            self._drop(client)
            return
        with self._lock:
            self._open.append(upstream)
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        self._drop(src)
        self._drop(dst)

    def _drop(self, sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()

    def cut(self, *, refuse: bool = False) -> None:
        """Drop every open connection; new ones are blackholed (or refused)."""
        with self._lock:
            self._mode = "refuse" if refuse else "blackhole"
            dropping, self._open = self._open, []
        for sock in dropping:
            self._drop(sock)

    def restore(self) -> None:
        """Forward new connections again (blackholed ones stay dead)."""
        with self._lock:
            self._mode = "forward"
            held, self._open = self._open, []
        for sock in held:
            self._drop(sock)

    def close(self) -> None:
        self._closed = True
        self.cut(refuse=True)
        self._drop(self._listener)
