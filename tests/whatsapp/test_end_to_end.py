"""The whole channel loop over real HTTP: citizens write (fake → webhook → sink), we answer (sender →
fake), Meta reports statuses (fake → webhook → sink)."""

from __future__ import annotations

from core.messages import BotReply, Choice
from channels.whatsapp.render import render_reply
from channels.whatsapp.sender import WhatsAppSender


async def test_batched_questions_are_answered_and_statuses_come_back(fake, sink, fake_config, catalog):
    fake.post("/_fake/config", json={"auto_statuses": ["sent", "delivered"]})
    citizens = [f"96278000000{i}" for i in range(5)]
    specs = [{"from": c, "text": "بدي أجدد جواز السفر"} for c in citizens]
    delivery = fake.post("/_fake/webhooks/messages", json={"messages": specs, "layout": "changes"}).json()
    assert delivery["deliveries"][0]["status_code"] == 200
    assert len(sink.messages) == 5

    reply = BotReply(
        text="هل تريد تجديد جواز السفر؟", choices=[Choice("/affirm", "نعم"), Choice("/deny", "لا")]
    )
    async with WhatsAppSender(fake_config, templates=catalog) as sender:
        sent_ids = []
        for inbound in sink.messages:
            assert await sender.mark_read(inbound.provider_id)
            for message in render_reply(reply, inbound.address, templates=catalog):
                outcome = await sender.send(message)
                assert outcome.ok, outcome
                sent_ids.append(outcome.provider_id)

    received = fake.get("/_fake/messages/wait", params={"count": 5, "timeout": 5}).json()["messages"]
    assert sorted(m["to"] for m in received) == citizens
    assert fake.get("/_fake/read_receipts").json()["message_ids"] == [m.provider_id for m in sink.messages]

    fake.get("/_fake/webhooks/wait", params={"count": 1 + 10, "timeout": 5}).raise_for_status()
    statuses = {(s.provider_id, s.status) for s in sink.statuses}
    assert statuses == {(i, s) for i in sent_ids for s in ("sent", "delivered")}

    # The citizen taps "نعم": the choice comes back with the id we put on the button.
    tap = {"from": citizens[0], "button_reply": {"id": "/affirm", "title": "نعم"}, "context_id": sent_ids[0]}
    fake.post("/_fake/webhooks/messages", json={"messages": [tap]})
    last = sink.messages[-1]
    assert (last.kind, last.payload, last.raw["context_id"]) == ("choice", "/affirm", sent_ids[0])
