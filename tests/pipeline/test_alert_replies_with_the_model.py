"""With the trained model: a citizen gets a document-expiry alert from the alert sweep (api/alerts.py,
through the pipeline's own outbox) and answers it. The answer is about the alert's document's
renewal service although the reply names no document ("كيف بجدده؟", "how do I renew it?"), the
conversation keeps that service ("شو الأوراق المطلوبة"); STOP or "الغاء" (the STOP keyword) in answer
to an alert stops as STOP always does and also ends that alert's topic, and asking the bot to
unsubscribe, naming nothing, ends that topic only."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pytest

from actions.catalog_access import catalog
from actions.citizen_records import use_store
from api.alerts import run_alerts
from core.amman import AMMAN
from core.messages import InboundMessage
from store.alerts import RecordRow
from pipeline_doubles import FakeSender

pytestmark = pytest.mark.slow
_ids = itertools.count(1)

EXPIRES = date(2027, 6, 30)
THIRTY_DAYS_BEFORE = datetime(2027, 5, 31, 10, 0, tzinfo=AMMAN)
ONE_WEEK_BEFORE = datetime(2027, 6, 23, 10, 0, tzinfo=AMMAN)
PASSPORT_EXPIRES = EXPIRES + timedelta(days=60)
PASSPORT_THIRTY_DAYS_BEFORE = datetime(2027, 7, 30, 10, 0, tzinfo=AMMAN)


def sms(address: str, text: str) -> InboundMessage:
    return InboundMessage(channel="sms", provider_id=f"smsc-reply-{next(_ids)}", address=address, text=text)


class Citizen:
    """One SMS citizen of the test: what they say, and what we said back."""

    def __init__(self, pipeline, sender: FakeSender, address: str) -> None:
        self.pipeline, self.sender, self.address = pipeline, sender, address

    def texts(self) -> list[str]:
        return [r.text for r in self.sender.sent if r.address == self.address]

    async def says(self, text: str) -> str:
        before = len(self.texts())
        accepted = await self.pipeline.accept(sms(self.address, text))
        await self.pipeline.process(accepted.message_id)
        answer = "\n".join(self.texts()[before:])
        assert answer, f"no answer to {text!r}"
        return answer


def world(store, make_pipeline, brain):
    use_store(store)  # the actions write subscriptions in the same store as the pipeline's
    store.agencies.add("cspd", name_ar="الأحوال المدنية", name_en="Civil Status", sms_sender_ids=["CSPD"])
    store.agencies.add("dvld", name_ar="إدارة الترخيص", name_en="Licensing", sms_sender_ids=["DVLD"])
    sender = FakeSender("sms")
    return make_pipeline(brain, {"sms": sender}), sender


def subscribed(store, phone: str, *documents: tuple[str, str, str, date]) -> int:
    """A citizen subscribed to the topics of these (agency, document type, number, expiry) records."""
    citizen_id = store.citizens.for_phone(phone)
    for agency, document_type, number, expires_on in documents:
        store.subscriptions.subscribe(citizen_id, f"{document_type}_expiry", source="keyword")
        store.alerts.upsert_records(agency, [RecordRow(phone, document_type, number, expires_on)])
    return citizen_id


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.parametrize("coordination_factory", ["in_process"], indirect=True)
async def test_replies_to_an_alert_are_about_its_documents_renewal(brain, store, make_pipeline):
    pipeline, sender = world(store, make_pipeline, brain)
    arabic = Citizen(pipeline, sender, "962791230001")
    english = Citizen(pipeline, sender, "962791230002")
    subscribed(store, arabic.address, ("cspd", "passport", "P7001", EXPIRES))
    english_id = subscribed(store, english.address, ("dvld", "driving_license", "D7002", EXPIRES))
    store.citizens.set_language(english_id, "en")

    run = await run_alerts(store, pipeline.outbox, catalog, THIRTY_DAYS_BEFORE)
    assert (run.sent, run.skipped) == (2, 0)
    [alert] = arabic.texts()
    assert "P7001" in alert and "ينتهي بعد 30 يوماً" in alert

    # "How do I renew it?" names no document: the alert says which, and the answer is its renewal's.
    steps = await arabic.says("كيف بجدده؟")
    # The passport renewal's steps (data/catalog: online through Sanad, or any office with the old passport).
    assert "سند" in steps and "الجواز القديم" in steps, steps
    # The conversation stays on it: the documents asked for next are the passport renewal's.
    documents = await arabic.says("شو الأوراق المطلوبة")
    assert "جواز السفر القديم" in documents, documents

    [licence_alert] = english.texts()
    assert "D7002" in licence_alert and "expires in 30 days" in licence_alert
    renew = await english.says("how do I renew it?")
    # The driving licence renewal's steps (data/catalog/dvld.yml), in English.
    assert "eye test" in renew and "receive the licence" in renew, renew
    assert "passport" not in renew.lower()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.parametrize("coordination_factory", ["in_process"], indirect=True)
async def test_cancel_or_stop_in_answer_to_an_alert_ends_that_alerts_topic(brain, store, make_pipeline):
    pipeline, sender = world(store, make_pipeline, brain)
    citizens = {name: Citizen(pipeline, sender, f"96279123{n:04d}") for n, name in enumerate(("cancels", "stops", "unsubscribes"), 3)}
    # Each holds a driving licence expiring on EXPIRES and a passport two months later: the first
    # alert is the licence's alone.
    ids = {
        name: subscribed(store, c.address, ("dvld", "driving_license", f"D{name}", EXPIRES),
                         ("cspd", "passport", f"P{name}", PASSPORT_EXPIRES))
        for name, c in citizens.items()
    }
    run = await run_alerts(store, pipeline.outbox, catalog, THIRTY_DAYS_BEFORE)
    assert run.sent == 3 and all("رخصة القيادة" in c.texts()[0] for c in citizens.values())

    # "الغاء" and STOP are the STOP keyword: alerts and announcements stop (send START to resume),
    # and, in answer to the licence alert, the licence's alert topic ends for good.
    for name, keyword in (("cancels", "الغاء"), ("stops", "STOP")):
        stopped = await citizens[name].says(keyword)
        assert "ابدأ" in stopped and "تم إلغاء اشتراكك في تنبيه رخصة القيادة" in stopped, stopped
        assert store.citizens.get(ids[name]).opted_out_at is not None
        assert store.subscriptions.topics(ids[name]) == ["passport_expiry"]
        await citizens[name].says("START")
        assert store.citizens.get(ids[name]).opted_out_at is None
    # Asking the bot to unsubscribe, naming nothing, in answer to the alert: that alert's topic only.
    unsubscribed = await citizens["unsubscribes"].says("الغي الاشتراك")
    assert "رخصة القيادة" in unsubscribed and "جواز السفر" in unsubscribed, unsubscribed  # ended / still held
    assert store.subscriptions.topics(ids["unsubscribes"]) == ["passport_expiry"]
    assert store.citizens.get(ids["unsubscribes"]).opted_out_at is None

    # A week before the licences expire: their 7-day alert goes to no one.
    sent_before = {name: len(c.texts()) for name, c in citizens.items()}
    week = await run_alerts(store, pipeline.outbox, catalog, ONE_WEEK_BEFORE)
    assert (week.due, week.sent) == (0, 0)
    # The passports' 30-day alerts go to all three: that topic was never stopped.
    passport = await run_alerts(store, pipeline.outbox, catalog, PASSPORT_THIRTY_DAYS_BEFORE)
    assert passport.sent == 3
    for name, citizen in citizens.items():
        [new] = citizen.texts()[sent_before[name]:]
        assert "جواز السفر" in new and "ينتهي بعد 30 يوماً" in new
