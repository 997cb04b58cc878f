"""Serving an app over HTTP, and saying where only once it answers.

The app's start-up (the language model, the store, the workers) takes seconds; an address printed
before it is done sends the first request into a refused connection.
"""

from __future__ import annotations

from typing import Any, Callable, Optional


def serve_http(app: Any, host: str, port: int, on_ready: Callable[[], None]) -> bool:
    """Serve `app` until stopped; `on_ready` runs once the app has started and the port listens.
    False when the app never started (its start-up failed, or the port was taken)."""
    import uvicorn

    class AnnouncingServer(uvicorn.Server):
        async def startup(self, sockets: Optional[list] = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:  # uvicorn's "startup complete": lifespan done, sockets bound
                on_ready()

    # ws="none": uvicorn's websocket support fails to import beside Rasa's pinned websockets.
    server = AnnouncingServer(uvicorn.Config(app, host=host, port=port, log_level="warning", ws="none"))
    server.run()
    return server.started
