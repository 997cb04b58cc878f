"""`tawasol dialogue evaluate`: the dialogue test set run through the real service, and scored.

The service under test is development mode (`python -m simulators.dev_server`), started as a child
process on a fresh SQLite database: the production app (`bot.app.create_app`, the pipeline, workers,
outbox and renderers) with the fake Graph API mounted beside it as a real HTTP server. A WhatsApp
turn is a signed webhook the fake posts to /webhooks/whatsapp; its replies are read back at the fake.
An SMS turn goes through the simulated SMS channel: the simulator hands the message to the pipeline
as the SMPP receiver would, and the replies are what the production SMS renderer made of the answer
(text and segments) as the store keeps them. That channel, not an SMSC, because the only SMPP peer we
have (smpp34's server, driven by tests/sms) is a test dependency steered from test code, and the
cost we measure (segments, encoding, what comes first) is decided by the renderer, which both share.

The service is a child process, not an import: production code never imports the development tools
(the import-linter contract in pyproject.toml). The store is read here through a plain read-only
engine (no write lock), to know when a turn is answered and what was stored for staff review.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import httpx
import yaml
from sqlalchemy import create_engine, select

from bot.dialogue_scoring import (
    ReplyMessage,
    ReplyReader,
    TurnResult,
    dialogue_table,
    questions_table,
    tally_by,
)
from bot.dialogue_set import Conversation, load_dialogues, load_questions, question_conversations
from catalog.services import Catalog
from store.models import Message, UnrecognisedMessage

REPOSITORY = Path(__file__).resolve().parent.parent
FAKE_GRAPH = "/fake-graph"
ANSWERED = ("answered", "failed")
NOT_YET_SENT = ("queued", "retrying")
POLL_S = 0.05
START_TIMEOUT_S = 300.0
# The development server refuses to start beside a real channel's configuration, and the run must
# not reach a shared Redis: the child gets neither.
CHILD_ENV_DROPPED_PREFIXES = ("WHATSAPP_", "SMPP_", "SMS_")
CHILD_ENV_DROPPED = ("REDIS_URL", "DATABASE_URL")


class ServiceDidNotStart(RuntimeError):
    """The service under test exited or did not answer in time; the message holds its log's tail."""


@dataclass(frozen=True)
class RunOptions:
    channels: tuple[str, ...] = ("whatsapp", "sms")
    workers: int = 4
    concurrency: int = 8
    turn_timeout_s: float = 30.0


@dataclass
class Report:
    results: list[TurnResult]
    seconds: float

    def dialogue_rows(self) -> dict[str, Any]:
        dialogues = [r for r in self.results if r.kind != "questions"]
        rows = tally_by(dialogues, lambda r: r.kind)
        for channel in sorted({r.channel for r in dialogues}):
            rows.update(tally_by(dialogues, lambda r, c=channel: f"all ({c})" if r.channel == c else None))
        rows.update(tally_by(dialogues, lambda r: "all"))
        return rows

    def question_rows(self) -> dict[str, Any]:
        questions = [r for r in self.results if r.kind == "questions"]
        rows = tally_by(questions, lambda r: r.channel)
        rows.update(tally_by(questions, lambda r: "all"))
        return rows

    def text(self) -> str:
        parts = []
        if any(r.kind != "questions" for r in self.results):
            parts += ["Dialogues", dialogue_table(self.dialogue_rows())]
        if any(r.kind == "questions" for r in self.results):
            parts += ["", "Questions about services not in the catalog", questions_table(self.question_rows())]
        turns = len(self.results)
        parts.append(f"\n{turns} turns in {self.seconds:.0f} s")
        return "\n".join(parts)


# --- the service under test ------------------------------------------------------------------------


class DevelopmentService:
    """`python -m simulators.dev_server` on a free port and a fresh database, in a child process."""

    def __init__(self, model: str, workers: int, directory: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = f"sqlite:///{directory / 'dialogue-eval.db'}"
        self.log_path = directory / "service.log"
        self._model = model
        self._workers = workers
        self._process: Optional[subprocess.Popen] = None
        self._log: Any = None

    def start(self) -> "DevelopmentService":
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in CHILD_ENV_DROPPED and not k.startswith(CHILD_ENV_DROPPED_PREFIXES)
        }
        env.update(DATABASE_URL=self.database_url, TAWASOL_MODEL=self._model, LOG_LEVEL="WARNING")
        self._log = self.log_path.open("wb")
        command = [sys.executable, "-m", "simulators.dev_server", "--host", "127.0.0.1",
                   "--port", str(self.port), "--workers", str(self._workers)]
        self._process = subprocess.Popen(command, cwd=REPOSITORY, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServiceDidNotStart(f"the service exited with {self._process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise ServiceDidNotStart(f"no answer on {self.url}/health after {START_TIMEOUT_S:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        if self._log is not None:
            self._log.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._log is not None:
            self._log.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class StoreReader:
    """Reads the service's store without taking its write lock (the store's own sessions begin
    IMMEDIATE, which would queue the service's workers behind our polling)."""

    def __init__(self, database_url: str) -> None:
        self._engine = create_engine(database_url, future=True)

    def inbound_id(self, channel: str, provider_id: str) -> Optional[int]:
        query = select(Message.id).where(
            Message.channel == channel, Message.direction == "in", Message.provider_id == provider_id
        )
        with self._engine.connect() as connection:
            return connection.execute(query).scalar_one_or_none()

    def inbound(self, message_id: int) -> Any:
        query = select(Message.status, Message.intent, Message.confidence, Message.service_id, Message.language)
        with self._engine.connect() as connection:
            return connection.execute(query.where(Message.id == message_id)).first()

    def replies(self, message_id: int) -> list[Any]:
        query = (
            select(Message.id, Message.status, Message.provider_id, Message.text, Message.segments, Message.choices)
            .where(Message.reply_to_id == message_id, Message.direction == "out")
            .order_by(Message.id)
        )
        with self._engine.connect() as connection:
            return list(connection.execute(query))

    def reviewed_message_ids(self) -> set[int]:
        with self._engine.connect() as connection:
            return set(connection.execute(select(UnrecognisedMessage.message_id)).scalars())

    def close(self) -> None:
        self._engine.dispose()


# --- conversations -------------------------------------------------------------------------------


class TurnFailed(Exception):
    """The service refused a message or did not answer it in time."""


class Conversations:
    """Drives conversations through the running service, one fresh citizen number each."""

    def __init__(self, service_url: str, store: StoreReader, reader: ReplyReader, options: RunOptions) -> None:
        self.url = service_url
        self.store = store
        self.reader = reader
        self.options = options
        self._numbers = {"whatsapp": 962780000000, "sms": 962770000000}

    def number(self, channel: str) -> str:
        self._numbers[channel] += 1
        return str(self._numbers[channel])

    async def run(self, client: httpx.AsyncClient, conversation: Conversation, channel: str) -> list[TurnResult]:
        number = self.number(channel)
        results = []
        for index, turn in enumerate(conversation.turns, 1):
            result = TurnResult(
                conversation=conversation.id, kind=conversation.kind, channel=channel, turn=index,
                say=turn.say, expect={k: v for k, v in vars(turn.expect).items() if v not in (None, ())},
            )
            try:
                result.message_id = await self._send(client, channel, number, turn.say)
                messages = await self._replies(client, channel, number, result)
            except httpx.HTTPError as error:
                result.error = f"{type(error).__name__}: {error}"
                messages = []
            except TurnFailed as failure:
                result.error = str(failure)
                result.timed_out = "timeout" in result.error
                messages = []
            results.append(self.reader.judge(result, turn.expect, messages))
            if result.error:
                break  # the rest of the conversation would answer another context than the one written
        return results

    async def _send(self, client: httpx.AsyncClient, channel: str, number: str, text: str) -> int:
        if channel == "sms":
            response = await client.post(f"{self.url}/simulator/sms", json={"address": number, "text": text})
            if response.status_code != 200:
                raise TurnFailed(f"simulator refused the SMS: {response.status_code} {response.text[:200]}")
            return int(response.json()["message_id"])
        response = await client.post(
            f"{self.url}{FAKE_GRAPH}/_fake/webhooks/messages", json={"messages": [{"from": number, "text": text}]}
        )
        response.raise_for_status()
        delivery = response.json()["deliveries"][0]
        if delivery["status_code"] != 200:
            raise TurnFailed(f"webhook answered {delivery['status_code']}: {delivery.get('error') or delivery.get('response')}")
        provider_id = delivery["message_ids"][0]
        deadline = time.monotonic() + self.options.turn_timeout_s
        while time.monotonic() < deadline:
            found = await asyncio.to_thread(self.store.inbound_id, "whatsapp", provider_id)
            if found is not None:
                return found
            await asyncio.sleep(POLL_S)
        raise TurnFailed("timeout: the accepted webhook's message never reached the store")

    async def _replies(
        self, client: httpx.AsyncClient, channel: str, number: str, result: TurnResult
    ) -> list[ReplyMessage]:
        deadline = time.monotonic() + self.options.turn_timeout_s
        while True:
            inbound = await asyncio.to_thread(self.store.inbound, result.message_id)
            if inbound is not None and inbound.status in ANSWERED:
                rows = await asyncio.to_thread(self.store.replies, result.message_id)
                if all(row.status not in NOT_YET_SENT for row in rows):
                    break
            if time.monotonic() > deadline:
                raise TurnFailed(f"timeout: no complete answer in {self.options.turn_timeout_s:.0f} s")
            await asyncio.sleep(POLL_S)
        result.understood = {
            "intent": inbound.intent, "confidence": inbound.confidence,
            "service_id": inbound.service_id, "language": inbound.language, "status": inbound.status,
        }
        if channel == "sms":
            return [
                ReplyMessage(row.text or "", tuple(c.get("title", "") for c in row.choices or ()), row.segments)
                for row in rows
            ]
        sent = {m["id"]: m for m in (await client.get(f"{self.url}{FAKE_GRAPH}/_fake/messages", params={"to": number})).json()["messages"]}
        missing = [row.provider_id for row in rows if row.provider_id not in sent]
        if missing:
            raise TurnFailed(f"the fake Graph API never received {len(missing)} of the {len(rows)} replies")
        return [ReplyMessage(whatsapp_text(sent[row.provider_id]["body"])) for row in rows]


def whatsapp_text(body: dict[str, Any]) -> str:
    """What the citizen reads of a Graph API message: its text, header and footer; the buttons and
    list rows (offers) are left out."""
    kind = body.get("type")
    if kind == "text":
        return body["text"]["body"]
    if kind == "interactive":
        interactive = body["interactive"]
        parts = [interactive.get("header", {}).get("text", ""), interactive["body"]["text"], interactive.get("footer", {}).get("text", "")]
        return "\n".join(p for p in parts if p)
    return json.dumps(body.get(kind, {}), ensure_ascii=False)  # a template: its parameters


# --- the command -----------------------------------------------------------------------------------


def wording_of(replies_file: Path) -> tuple[Any, list[str]]:
    """(key, language) -> template, and every key, from the settings' wording file."""
    wording = yaml.safe_load(replies_file.read_text(encoding="utf-8")) or {}

    def say(key: str, language: str) -> str:
        entry = wording.get(key) or {}
        return str(entry.get(language) or "")

    return say, sorted(wording)


async def _run_all(
    service: DevelopmentService, conversations: Sequence[Conversation], reader: ReplyReader, options: RunOptions
) -> list[TurnResult]:
    store = StoreReader(service.database_url)
    runner = Conversations(service.url, store, reader, options)
    gate = asyncio.Semaphore(options.concurrency)
    jobs = [(c, channel) for c in conversations for channel in c.channels if channel in options.channels]

    async def one(client: httpx.AsyncClient, conversation: Conversation, channel: str) -> list[TurnResult]:
        async with gate:
            return await runner.run(client, conversation, channel)

    try:
        # No kept-alive connections: uvicorn closes idle ones after 5 s, and a request that meets a
        # closing connection fails with ReadError (seen on the first full run).
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=options.turn_timeout_s + 10, limits=limits) as client:
            batches = await asyncio.gather(*(one(client, c, channel) for c, channel in jobs))
        results = [r for batch in batches for r in batch]
        reviewed = await asyncio.to_thread(store.reviewed_message_ids)
        for result in results:
            if result.expect.get("service") == "not_yet" and result.message_id is not None:
                result.stored_for_review = result.message_id in reviewed
        return results
    finally:
        store.close()


def evaluate(
    dialogues: Optional[Path],
    questions: Optional[Path],
    *,
    model: str,
    catalog_dir: Path,
    replies_file: Path,
    options: RunOptions,
) -> Report:
    """Run the dialogue set and the not-in-catalog questions through a fresh service, and judge
    every turn. Raises DialogueSetError on a malformed file, ServiceDidNotStart if the service fails."""
    catalog = Catalog.load(catalog_dir)
    conversations: list[Conversation] = []
    if dialogues is not None:
        conversations += load_dialogues(dialogues, list(catalog.services))
    if questions is not None:
        conversations += question_conversations(load_questions(questions), options.channels)
    say, keys = wording_of(replies_file)
    reader = ReplyReader(catalog, say, keys)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dialogue-eval-") as directory:
        service = DevelopmentService(model, options.workers, Path(directory)).start()
        try:
            results = asyncio.run(_run_all(service, conversations, reader, options))
        finally:
            service.stop()
    return Report(results, time.monotonic() - started)


def write_json(report: Report, path: Path) -> None:
    path.write_text(
        json.dumps([r.record() for r in report.results], ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
