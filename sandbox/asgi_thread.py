"""Run an ASGI application with uvicorn on a background (daemon) thread.

Used by the tests (the fake Slack Web API, the bot under test) and by the browser sandbox.

    with ServerThread(app) as server:          # binds 127.0.0.1 on a free port
        httpx.get(server.url + "/health")

The listening socket is bound *before* the thread starts, so ``.port`` and ``.url`` are
known immediately and no other process can grab the port in between. ``start()`` returns once
uvicorn has finished its start-up (lifespan included), typically in a few milliseconds.
``stop()`` asks uvicorn to shut down gracefully and joins the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from typing import Any

import uvicorn

__all__ = ["ServerThread", "ServerStartError"]


class ServerStartError(RuntimeError):
    """uvicorn did not start (bad app, lifespan start-up failure, timeout)."""


class _ThreadServer(uvicorn.Server):
    """A uvicorn server that can be woken up from another thread to stop at once.

    uvicorn's own main loop polls ``should_exit`` every 100 ms; here the loop waits on an
    event that ``request_stop()`` sets from any thread, so ``stop()`` does not have to wait
    for the next poll.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        counter = 0
        # ``on_tick`` refreshes the Date header when counter % 10 == 0 and reports whether to exit.
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864000
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=1.0)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's graceful shutdown, polling every few milliseconds instead of sleeping a
        fixed 100 ms: the test suite starts and stops two servers per test."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        deadline = time.monotonic() + (self.config.timeout_graceful_shutdown or 0)
        state = self.server_state
        while (state.connections or state.tasks) and not self.force_exit:
            if time.monotonic() > deadline:
                for task in state.tasks:
                    task.cancel()
                break
            await asyncio.sleep(0.002)
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()

    def request_stop(self) -> None:
        self.should_exit = True
        loop, wakeup = self._loop, self._wakeup
        if loop is not None and wakeup is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # loop closed in between
                loop.call_soon_threadsafe(wakeup.set)


class ServerThread:
    """Serve ``app`` (any ASGI 3 application) with uvicorn on a daemon thread.

    Args:
        app: the ASGI application.
        host: interface to bind, default ``127.0.0.1`` (never exposed beyond the machine).
        port: TCP port, default ``0`` = pick a free port.
        lifespan: uvicorn lifespan mode (``"auto"``, ``"on"``, ``"off"``).
        log_level: uvicorn log level; access logging is always off.
        startup_timeout: seconds to wait for uvicorn to come up before raising.
        name: thread name (shows up in thread dumps).
        start: start at once (default). Otherwise call :meth:`start` yourself.
    """

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        lifespan: str = "auto",
        log_level: str = "warning",
        startup_timeout: float = 10.0,
        name: str | None = None,
        start: bool = True,
    ) -> None:
        self.app = app
        self.host = host
        self._requested_port = port
        self._lifespan = lifespan
        self._log_level = log_level
        self._startup_timeout = startup_timeout
        self._name = name or f"asgi-server-{type(app).__name__}"
        self._server: _ThreadServer | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._error: BaseException | None = None
        self._port: int | None = None
        if start:
            self.start()

    # ------------------------------------------------------------------ properties
    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("ServerThread is not started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> ServerThread:
        if self._thread is not None:
            raise RuntimeError("ServerThread already started")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self._requested_port))
        except OSError as exc:
            sock.close()
            raise ServerStartError(
                f"cannot bind {self.host}:{self._requested_port}: {exc} "
                "(use port=0 to pick a free port)"
            ) from exc
        sock.listen(128)
        sock.setblocking(False)
        self._socket = sock
        self._port = sock.getsockname()[1]

        config = uvicorn.Config(
            self.app,
            lifespan=self._lifespan,  # type: ignore[arg-type]
            log_level=self._log_level,
            log_config=None,  # never reconfigure the host process' logging
            access_log=False,
            loop="asyncio",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=2,
        )
        self._server = _ThreadServer(config)
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

        deadline = time.monotonic() + self._startup_timeout
        while not self._server.started:
            if not self._thread.is_alive():
                self._cleanup_socket()
                raise ServerStartError(
                    f"uvicorn exited during start-up of {self._name}"
                ) from self._error
            if time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(
                    f"uvicorn did not start within {self._startup_timeout} s ({self._name})"
                )
            time.sleep(0.001)
        return self

    def _run(self) -> None:
        assert self._server is not None and self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # SystemExit on lifespan failure included
            self._error = exc

    def stop(self, timeout: float = 5.0) -> None:
        """Shut the server down and wait for its thread (idempotent)."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.request_stop()
        thread.join(timeout)
        if thread.is_alive():  # a request handler is stuck: stop waiting for it
            server.force_exit = True
            thread.join(timeout)
        self._cleanup_socket()

    def _cleanup_socket(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.close()

    def __enter__(self) -> ServerThread:
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        where = self.url if self._port is not None else "unbound"
        return f"<ServerThread {self._name} {where} {state}>"
