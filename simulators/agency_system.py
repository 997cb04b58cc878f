"""A fake agency system: what an agency that keeps its own transaction records would expose to
Tawasol's lookup (actions/agency_backends.py). For tests and development, never production.

    GET  /lookup?number=N&citizen_phone=P   200 {"number", "service_id", "status", "at"} or 404
    POST /_fake/transactions                 {"number", "citizen_phone", "service_id", "status", "at"}
    POST /_fake/mode                         {"mode": "up" | "error" | "slow", "delay_s": 5}
    GET  /_fake/calls                        how many lookups reached it
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class AgencySystemState:
    transactions: dict[tuple[str, str], dict] = field(default_factory=dict)  # (number, phone) -> record
    mode: str = "up"
    delay_s: float = 5.0
    calls: int = 0


def create_app(state: AgencySystemState | None = None) -> FastAPI:
    state = state or AgencySystemState()
    app = FastAPI(title="fake agency system")
    app.state.fake = state

    @app.get("/lookup")
    async def lookup(number: str, citizen_phone: str) -> JSONResponse:
        state.calls += 1
        if state.mode == "error":
            return JSONResponse({"error": "database unavailable"}, status_code=503)
        if state.mode == "slow":
            await asyncio.sleep(state.delay_s)
        record = state.transactions.get((number, citizen_phone))
        if record is None:
            return JSONResponse({"error": "no such transaction"}, status_code=404)
        return JSONResponse(record)

    @app.post("/_fake/transactions")
    async def add(request: Request) -> dict:
        record = await request.json()
        state.transactions[(record["number"], record.pop("citizen_phone"))] = record
        return {"added": record["number"]}

    @app.post("/_fake/mode")
    async def mode(request: Request) -> dict:
        spec = await request.json()
        state.mode = spec["mode"]
        state.delay_s = float(spec.get("delay_s", state.delay_s))
        return {"mode": state.mode}

    @app.get("/_fake/calls")
    async def calls() -> dict:
        return {"calls": state.calls}

    return app
