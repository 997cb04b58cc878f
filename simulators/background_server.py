"""Run an ASGI app as a real HTTP server on 127.0.0.1 in a background thread (tests, benchmarks).

    with BackgroundServer(app) as server:
        httpx.get(server.url + "/health")

The port is picked by the OS (bound before the server starts, so there is no race), and `start`
returns only once the server accepts connections.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


class BackgroundServer:
    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, *, log_level: str = "warning"):
        self.app = app
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        # ws="none": Rasa pins an old `websockets` that uvicorn's auto websocket support cannot import.
        config = uvicorn.Config(app, log_level=log_level, lifespan="on", access_log=False, ws="none")
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self._thread = threading.Thread(target=self._run, name=f"server:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._socket.close()

    def _run(self) -> None:
        # Server.run picks uvicorn's loop factory (uvloop when installed) for this thread only;
        # a hand-made asyncio loop here answered every request ~40 ms late.
        self._server.run(sockets=[self._socket])

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
