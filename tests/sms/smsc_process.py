"""smpp34's SMSC as a separate process, so a test can kill it (SIGKILL) and start it again.

    python tests/sms/smsc_process.py PORT LOG_PATH

Every submit_sm is appended to LOG_PATH as one JSON line, flushed, before it is accepted; the
line "READY" on stdout says the port is listening. Message ids embed the process id, so ids from
two lives of the server never collide.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import smpp34


async def main(port: int, log_path: str) -> None:
    server = smpp34.Server("127.0.0.1", port, system_id="KILLABLE")
    await server.start()
    print("READY", flush=True)
    count = 0
    with open(log_path, "a", encoding="utf-8") as log:
        while True:
            event = await server.next()
            if not isinstance(event, smpp34.SubmitSmEvent):
                continue
            count += 1
            message_id = f"{os.getpid()}-{count}"
            log.write(
                json.dumps(
                    {
                        "destination_addr": event.destination_addr,
                        "esm_class": event.esm_class,
                        "data_coding": event.data_coding,
                        "short_message": bytes(event.short_message).hex(),
                        "message_id": message_id,
                    }
                )
                + "\n"
            )
            log.flush()
            event.accept(message_id)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
