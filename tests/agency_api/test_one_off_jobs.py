"""`POST /api/v1/notifications` with AGENCY_NOTIFICATIONS=jobs: the API process plans the message
(channel, skip), queues it with the Idempotency-Key's answer in one transaction and answers with
its id, and sends nothing itself; the job engine (arq on a real Redis) sends the citizen's queue.
A retry replays the answer and queues and sends nothing more; a lost enqueue leaves the message
queued for the outbox's own sweep."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI

from actions.catalog_access import catalog
from api.app import create_api
from billing.credit import CreditKeeper
from coordination import InProcessCoordination
from core.messages import SMS, STATUS_QUEUED, STATUS_SENT, WHATSAPP
from jobs.context import JobContext, JobSettings
from jobs.deferred import Enqueuer
from jobs.dispatch import send_queued_by_jobs
from jobs.worker import build_worker
from pipeline.outbox import Outbox
from tests.agency_api.conftest import SMS_ONLY
from tests.jobs.conftest import JOBS_REDIS_URL, jobs_redis, queue_name  # noqa: F401 (fixtures)
from tests.pipeline.pipeline_doubles import FakeSender

BODY = {"citizen_phone": SMS_ONLY, "category": "awareness", "text_ar": "موعد تجديد الهويات", "text_en": "ID renewal"}


class Setup:
    def __init__(self, store, send_queued) -> None:
        store.agencies.add("cspd", name_ar="الأحوال المدنية", name_en="Civil Status", sms_sender_ids=["CSPD"])
        self.store = store
        self.key = store.agencies.issue_key("cspd").key
        self.coordination = InProcessCoordination()
        self.whatsapp, self.sms = FakeSender(WHATSAPP), FakeSender(SMS)
        self.outbox = Outbox(store, self.coordination, {WHATSAPP: self.whatsapp, SMS: self.sms}, {WHATSAPP: 1000.0, SMS: 1000.0})
        keeper = CreditKeeper(store, self.outbox)
        self.app = FastAPI()
        self.app.mount("/api/v1", create_api(
            store=lambda: store, outbox=lambda: self.outbox, catalog=catalog, credit=lambda: keeper,
            send_queued=lambda: send_queued,
        ))

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://agency.test/api/v1")

    def headers(self, idempotency: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", "Idempotency-Key": idempotency}

    def messages(self) -> list:
        return self.store.outbound.for_address(SMS, SMS_ONLY)

    def context(self) -> JobContext:
        """What `tawasol jobs worker` opens: the store, and the outbox and coordination of a process
        bound to the channels."""
        settings = JobSettings(self.store.db.url, JOBS_REDIS_URL, timedelta(days=365))
        return JobContext(settings, self.store, self.outbox, self.coordination)


async def test_the_api_queues_and_answers_and_the_job_engine_sends_once(store, jobs_redis, queue_name):
    enqueuer = Enqueuer(JOBS_REDIS_URL, queue_name)
    setup = Setup(store, send_queued_by_jobs(enqueuer))
    try:
        async with setup.client() as client:
            first = await client.post("/notifications", json=BODY, headers=setup.headers("n-1"))
            again = await client.post("/notifications", json=BODY, headers=setup.headers("n-1"))
    finally:
        await enqueuer.close()
    assert first.status_code == 201, first.text
    answer = first.json()
    assert answer["channel"] == SMS and answer["skipped"] is None and len(answer["message_ids"]) == 1
    assert again.status_code == 201 and again.json() == answer and again.headers["Idempotent-Replayed"] == "true"
    # The API process sent nothing: one message waits, queued, with its ledger row.
    [queued] = setup.messages()
    assert queued.id == answer["message_ids"][0] and queued.status == STATUS_QUEUED
    assert setup.sms.sent == [] and setup.whatsapp.sent == []
    assert store.outbound.ledger(queued.id).category == "awareness"

    context = setup.context()

    async def opened() -> JobContext:
        return context

    async def closed(_context: JobContext) -> None:
        return None  # the test's store stays open

    worker = build_worker(
        context.settings, opened, closed,
        burst=True, handle_signals=False, queue_name=queue_name, poll_delay=0.05, cron_jobs=[],
    )
    try:
        assert await worker.run_check() == 1  # one job: the replay enqueued none
    finally:
        await worker.close()
    [sent] = setup.sms.sent
    assert "موعد تجديد الهويات" in sent.text and sent.sender == "CSPD"
    [row] = setup.messages()
    assert row.status == STATUS_SENT


async def test_a_lost_enqueue_leaves_the_message_queued_for_the_outbox_sweep(store):
    async def redis_away(citizen_id: int, message_ids: list[int]) -> None:
        raise ConnectionError("Redis is away")

    setup = Setup(store, redis_away)
    async with setup.client() as client:
        answer = await client.post("/notifications", json=BODY, headers=setup.headers("n-2"))
    assert answer.status_code == 201 and len(answer.json()["message_ids"]) == 1
    assert setup.sms.sent == []
    assert await setup.outbox.flush_due(queued_grace_s=0) == 1  # what every process's sweep does
    assert await setup.outbox.flush_due(queued_grace_s=0) == 0
    assert len(setup.sms.sent) == 1


async def test_a_skipped_citizen_gets_200_and_nothing_is_queued_or_enqueued(store):
    enqueued: list = []

    async def collect(citizen_id: int, message_ids: list[int]) -> None:
        enqueued.append((citizen_id, message_ids))

    setup = Setup(store, collect)
    store.citizens.opt_out(store.citizens.for_phone(SMS_ONLY))
    async with setup.client() as client:
        answer = await client.post("/notifications", json=BODY, headers=setup.headers("n-3"))
        again = await client.post("/notifications", json=BODY, headers=setup.headers("n-3"))
    assert answer.status_code == 200 and answer.json()["skipped"] == "opted_out" and answer.json()["message_ids"] == []
    assert again.json() == answer.json() and again.status_code == 200
    assert setup.messages() == [] and enqueued == []
