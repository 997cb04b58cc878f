"""A real SMSC for the tests: smpp34's Rust SMPP 3.4 server, on 127.0.0.1, driven from the test's loop.

It records every submit_sm (accepted or not), answers with `decide` (accept with a message id, or
reject with a command_status), and pushes deliver_sm (MO and receipts) to the bound ESME.
Nothing here is our production code: the client under test talks to it over TCP.
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass
from typing import Callable, Optional

import smpp34
import smpplib.gsm


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Submit:
    session_id: str
    source_addr: str
    source_addr_ton: int
    source_addr_npi: int
    destination_addr: str
    dest_addr_ton: int
    dest_addr_npi: int
    esm_class: int
    data_coding: int
    registered_delivery: int
    short_message: bytes
    message_id: Optional[str]  # None when rejected
    command_status: int
    at: float


# decide(submit, n) -> ("accept", message_id) | ("reject", command_status)
Decision = tuple[str, object]


class LocalSmsc:
    def __init__(self, decide: Optional[Callable[[Submit, int], Decision]] = None, port: Optional[int] = None):
        self.port = port or free_port()
        self.decide = decide or (lambda submit, n: ("accept", str(1000 + n)))
        self.submits: list[Submit] = []
        self.esmes: dict[str, smpp34.Esme] = {}
        self.binds = 0
        self.unbinds = 0
        self._server: Optional[smpp34.Server] = None
        self._task: Optional[asyncio.Task] = None

    async def start(self) -> "LocalSmsc":
        self._server = smpp34.Server("127.0.0.1", self.port, system_id="TESTSMSC")
        await self._server.start()
        self._task = asyncio.create_task(self._serve())
        return self

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._server:
            await self._server.stop()
        self._server = None

    async def _serve(self) -> None:
        assert self._server is not None
        while True:
            event = await self._server.next()
            if isinstance(event, smpp34.Esme):
                self.binds += 1
                self.esmes[event.session_id] = event
            elif isinstance(event, smpp34.Unbound):
                self.unbinds += 1
                self.esmes.pop(event.session_id, None)
            elif isinstance(event, smpp34.SubmitSmEvent):
                record = Submit(
                    event.session_id,
                    event.source_addr,
                    event.source_addr_ton,
                    event.source_addr_npi,
                    event.destination_addr,
                    event.dest_addr_ton,
                    event.dest_addr_npi,
                    event.esm_class,
                    event.data_coding,
                    event.registered_delivery,
                    bytes(event.short_message),
                    None,
                    0,
                    time.monotonic(),
                )
                verdict, value = self.decide(record, len(self.submits))
                if verdict == "accept":
                    record.message_id = str(value)
                    event.accept(str(value))
                else:
                    record.command_status = int(value)
                    event.reject(int(value))
                self.submits.append(record)

    @property
    def accepted(self) -> list[Submit]:
        return [s for s in self.submits if s.message_id is not None]

    def esme(self) -> smpp34.Esme:
        assert self.esmes, "no ESME bound"
        return list(self.esmes.values())[-1]

    async def deliver(self, **kwargs) -> smpp34.DeliverSmResp:
        # Our client may see its bind_resp a moment before this loop sees the bind event.
        await eventually(lambda: bool(self.esmes), timeout=2)
        kwargs.setdefault("destination_addr", "94444")
        kwargs.setdefault("source_addr", "962791234567")
        kwargs.setdefault("source_addr_ton", 1)
        kwargs.setdefault("source_addr_npi", 1)
        return await self.esme().deliver_sm(**kwargs)


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0, interval: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


# ---------------------------------------------------------------- an independent reading of parts


def decode_gsm_with_smpplib_table(data: bytes) -> str:
    """GSM 03.38 decoding by smpplib's own table: an oracle that is not our gsm7 module."""
    table = smpplib.gsm.GSM_CHARACTER_TABLE
    out, index = [], 0
    while index < len(data):
        if data[index] == 0x1B:
            out.append(table[0x80 + data[index + 1]])
            index += 2
        else:
            out.append(table[data[index]])
            index += 1
    return "".join(out)


def decode_part_text(submit: Submit) -> str:
    body = submit.short_message
    if submit.esm_class & 0x40:
        body = body[body[0] + 1 :]
    if submit.data_coding == 8:
        return body.decode("utf-16-be")  # strict: a split surrogate pair raises here
    assert submit.data_coding == 0
    return decode_gsm_with_smpplib_table(body)


def concat_info(submit: Submit) -> tuple[int, int, int]:
    """(reference, total, number) from a UDH with IEI 0x00, read byte by byte."""
    udh = submit.short_message
    assert submit.esm_class & 0x40 and udh[0] == 5 and udh[1] == 0 and udh[2] == 3, udh[:6].hex()
    return udh[3], udh[4], udh[5]


def reassemble(submits: list[Submit]) -> list[str]:
    """Texts as a handset would show them: parts grouped by (destination, reference), duplicates ignored."""
    singles, groups = [], {}
    for submit in submits:
        if not submit.esm_class & 0x40:
            singles.append(decode_part_text(submit))
            continue
        reference, total, number = concat_info(submit)
        groups.setdefault((submit.destination_addr, reference, total), {})[number] = submit
    texts = list(singles)
    for (_, _, total), parts in groups.items():
        assert sorted(parts) == list(range(1, total + 1)), f"missing parts: {sorted(parts)} of {total}"
        joined = b"".join(
            parts[n].short_message[parts[n].short_message[0] + 1 :] for n in range(1, total + 1)
        )
        first = parts[1]
        texts.append(
            joined.decode("utf-16-be") if first.data_coding == 8 else decode_gsm_with_smpplib_table(joined)
        )
    return texts
