"""A TCP relay between our client and the test SMSC that can go silent, like a NAT or firewall
that drops a connection's packets without closing it: the only way a real peer "disappears"
while the socket stays open, which is what the enquire_link deadline exists for.
"""

from __future__ import annotations

import asyncio

from tests.sms.smsc import free_port


class SilenceableProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.silent = False
        self.connections = 0
        self._server: asyncio.AbstractServer | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> "SilenceableProxy":
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        return self

    async def stop(self) -> None:
        for writer in self._writers:
            writer.close()
        if self._server:
            self._server.close()
            await self._server.wait_closed()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers += [client_writer, upstream_writer]

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    if not self.silent:  # silent: bytes vanish, nobody is told
                        writer.write(data)
                        await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()

        await asyncio.gather(pump(client_reader, upstream_writer), pump(upstream_reader, client_writer))
