"""An SMSC for tests and benches, as a process of its own: smpp34's SMPP 3.4 server that accepts
every submit_sm and answers each with a delivery receipt, as an operator's SMSC does.

    python -m simulators.smsc --port PORT --log FILE [--undeliverable PREFIX ...] [--receipt-delay S]

Every submit_sm is appended to FILE as one JSON line, flushed, before it is accepted (so a test
can count what reached the operator even across our own crashes). A receipt (esm_class 0x04)
follows each accepted part: `stat:DELIVRD`, or `stat:UNDELIV err:001` for destinations starting
with an --undeliverable prefix, with the receipted_message_id and message_state TLVs, and the
submit's user_message_reference repeated (as SMSCs that support it do). Receipts go to the bind
that submitted, or, if it is gone (the process died), to any other bind of ours, as an SMSC keeps
receipts for the account until a receiver binds; one answered with an error is delivered again. "READY" on stdout says it listens. Message ids
carry the process id, so two lives of the server never reuse one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from typing import Optional

import smpp34

RECEIPT_ESM_CLASS = 0x04
DELIVERED, UNDELIVERABLE = 2, 5  # message_state values (SMPP 3.4 §5.2.28)
KEEP_RECEIPTS_S = 120.0  # how long a receipt waits for a bind to take it


class Smsc:
    def __init__(self, port: int, log_path: str, undeliverable: tuple[str, ...], receipt_delay: float) -> None:
        self.port = port
        self.log_path = log_path
        self.undeliverable = undeliverable
        self.receipt_delay = receipt_delay
        self.esmes: dict[str, smpp34.Esme] = {}
        self.count = 0
        self._tasks: set[asyncio.Task] = set()

    async def run(self) -> None:
        server = smpp34.Server("127.0.0.1", self.port, system_id="SIMSMSC")
        await server.start()
        print("READY", flush=True)
        with open(self.log_path, "a", encoding="utf-8") as log:
            while True:
                event = await server.next()
                if isinstance(event, smpp34.Esme):
                    self.esmes[event.session_id] = event
                elif isinstance(event, smpp34.Unbound):
                    self.esmes.pop(event.session_id, None)
                elif isinstance(event, smpp34.SubmitSmEvent):
                    self._submitted(event, log)

    def _submitted(self, event: smpp34.SubmitSmEvent, log) -> None:
        self.count += 1
        message_id = f"{os.getpid()}-{self.count}"
        reference = _user_message_reference(event.tlvs)
        log.write(
            json.dumps(
                {
                    "destination_addr": event.destination_addr,
                    "source_addr": event.source_addr,
                    "esm_class": event.esm_class,
                    "data_coding": event.data_coding,
                    "short_message": bytes(event.short_message).hex(),
                    "message_id": message_id,
                    "user_message_reference": reference,
                    "session_id": event.session_id,
                    "at": time.time(),
                }
            )
            + "\n"
        )
        log.flush()
        event.accept(message_id)
        if event.registered_delivery & 0x03:
            task = asyncio.create_task(self._receipt(event, message_id, reference))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _receipt(self, event: smpp34.SubmitSmEvent, message_id: str, reference: Optional[int]) -> None:
        await asyncio.sleep(self.receipt_delay)
        failed = event.destination_addr.startswith(self.undeliverable) if self.undeliverable else False
        stamp = time.strftime("%y%m%d%H%M")
        stat, err = ("UNDELIV", "001") if failed else ("DELIVRD", "000")
        text = f"id:{message_id} sub:001 dlvrd:{'000' if failed else '001'} submit date:{stamp} done date:{stamp} stat:{stat} err:{err} text:"
        tlvs = [
            smpp34.Tlv(smpp34.TLV_RECEIPTED_MESSAGE_ID, message_id.encode() + b"\x00"),
            smpp34.Tlv(smpp34.TLV_MESSAGE_STATE, bytes([UNDELIVERABLE if failed else DELIVERED])),
        ]
        if reference is not None:
            tlvs.append(smpp34.Tlv(smpp34.TLV_USER_MESSAGE_REFERENCE, reference.to_bytes(2, "big")))
        deadline = time.monotonic() + KEEP_RECEIPTS_S
        while time.monotonic() < deadline:
            esme = self.esmes.get(event.session_id) or next(
                (e for e in self.esmes.values() if e.can_receive), None
            )
            if esme is not None:
                try:
                    answer = await esme.deliver_sm(
                        event.source_addr or "SMSC", text.encode("ascii"),
                        source_addr=event.destination_addr, source_addr_ton=event.dest_addr_ton,
                        source_addr_npi=event.dest_addr_npi, dest_addr_ton=event.source_addr_ton,
                        dest_addr_npi=event.source_addr_npi, esm_class=RECEIPT_ESM_CLASS, tlvs=tlvs,
                    )
                    if answer.command_status == 0:
                        return
                    # Refused for now (ESME_RX_T_APPN: the ESME could not record it): delivered
                    # again shortly, as an operator's SMSC does, not dropped.
                except Exception:  # that bind went away meanwhile: another one may take it
                    self.esmes.pop(esme.session_id, None)
            await asyncio.sleep(0.5)


def _user_message_reference(tlvs) -> Optional[int]:
    for tlv in tlvs or ():
        tag = getattr(tlv, "tag", None)
        if tag == smpp34.TLV_USER_MESSAGE_REFERENCE:
            value = bytes(getattr(tlv, "value", b""))
            return int.from_bytes(value, "big") if value else None
    return None


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--undeliverable", action="append", default=[], help="destination prefix whose receipts say UNDELIV")
    parser.add_argument("--receipt-delay", type=float, default=0.05)
    args = parser.parse_args(argv)
    asyncio.run(Smsc(args.port, args.log, tuple(args.undeliverable), args.receipt_delay).run())


if __name__ == "__main__":
    main()
