"""Broadcast pages and credit / sender-ID requests over HTTP (the console served for real on a seeded
database): compose with a CSV, the preview's numbers, over-credit refusal, the approval threshold,
pause/resume/cancel, another agency's broadcast answered 404, requests decided and audited."""

from __future__ import annotations

import re
from contextlib import closing

from store.audit import AuditFilter
from tests.console.seed import ADMIN, AGENT, CSPD_PHONE, LIAISON, OTHER_LIAISON
from tests.console.test_console_http import sign_in

AR_TEXT = "تذكير: يمكنكم الآن تجديد جواز السفر إلكترونيًا عبر موقع الدائرة دون مراجعة المكاتب."
EN_TEXT = "Reminder: you can now renew your passport online on the department's website."


def _compose(c, token: str, csv: bytes, **fields):  # type: ignore[no-untyped-def]
    data = {"csrf_token": token, "title": "Passport online", "text_ar": AR_TEXT, "text_en": EN_TEXT,
            "category": "awareness", "source": "csv", "action": "save", **fields}
    return c.post("/console/broadcasts", data=data, files={"numbers": ("numbers.csv", csv, "text/csv")})


def _id(answer) -> int:  # type: ignore[no-untyped-def]
    assert answer.status_code == 303, answer.text[:500]
    return int(re.search(r"/console/broadcasts/(\d+)$", answer.headers["location"]).group(1))


def test_compose_counts_recipients_after_duplicates_and_opt_outs_and_shows_the_cost(console):
    store = console.store
    stopped = store.citizens.resolve("whatsapp", "962790000003")
    store.citizens.opt_out(stopped)
    agency_stopped = store.citizens.resolve("sms", "962790000004")
    store.citizens.opt_out_of_agency(agency_stopped, "cspd")
    csv = b"phone,language\n962790000001,en\n+962 79 000 0002\n962790000001\n962790000003\n962790000004\nnot a number\n"
    c, token = sign_in(console, LIAISON)
    with closing(c):
        live = c.post("/console/broadcasts/segments", data={"csrf_token": token, "text_ar": AR_TEXT, "text_en": EN_TEXT,
                                                            "category": "awareness"})
        assert live.status_code == 200
        assert live.json()["ar"]["segments"] == 2  # 84 Arabic characters: UCS-2, 67 a part
        assert live.json()["en"]["segments"] == 1
        assert live.json()["ar"]["cost"] == "0.013684" and live.json()["ar"]["agency_pays"] == "0.006842"
        broadcast_id = _id(_compose(c, token, csv))
        page = c.get(f"/console/broadcasts/{broadcast_id}")
        assert page.status_code == 200
        assert re.search(r'id="recipients-count">2<', page.text), "two numbers left: a duplicate and two opt-outs gone"
        assert re.search(r'id="excluded-count">2<', page.text)
        assert 'id="send"' in page.text
    recipients = {r.phone: r for r in store.broadcasts.recipients(broadcast_id)}
    assert recipients["962790000001"].language == "en" and recipients["962790000002"].language == "ar"
    assert recipients["962790000003"].state == "skipped" and recipients["962790000004"].state == "skipped"


def test_a_broadcast_over_the_credit_is_refused_with_a_reason(console):
    console.store.credit.top_up("cspd", 1)
    c, token = sign_in(console, LIAISON)
    with closing(c):
        broadcast_id = _id(_compose(c, token, b"962790000011\n962790000012\n"))
        answer = c.post(f"/console/broadcasts/{broadcast_id}/send", data={"csrf_token": token})
        assert answer.status_code == 402
        assert "remaining message credit" in answer.text or "رصيد رسائل الجهة" in answer.text
    assert console.store.broadcasts.get(broadcast_id).status == "draft"


def test_above_the_threshold_a_ministry_admin_approves_then_pause_resume_cancel(console):
    admin, admin_token = sign_in(console, ADMIN)
    with closing(admin):
        assert admin.post("/console/broadcasts/policy", data={"csrf_token": admin_token, "approval_threshold": "1",
                                                              "quiet_start": "21:00", "quiet_end": "08:00"}).status_code == 303
        c, token = sign_in(console, LIAISON)
        with closing(c):
            broadcast_id = _id(_compose(c, token, b"962790000021\n962790000022\n"))
            assert c.post(f"/console/broadcasts/{broadcast_id}/send", data={"csrf_token": token}).status_code == 303
            assert console.store.broadcasts.get(broadcast_id).status == "awaiting_approval"
            # The liaison officer cannot approve their own broadcast.
            assert c.post(f"/console/broadcasts/{broadcast_id}/approve", data={"csrf_token": token}).status_code == 404
            assert admin.post(f"/console/broadcasts/{broadcast_id}/approve", data={"csrf_token": admin_token}).status_code == 303
            broadcast = console.store.broadcasts.get(broadcast_id)
            assert broadcast.status == "scheduled" and broadcast.approved_by is not None
            for action, status in (("pause", "paused"), ("resume", "scheduled"), ("cancel", "cancelled")):
                assert c.post(f"/console/broadcasts/{broadcast_id}/{action}", data={"csrf_token": token}).status_code == 303
                assert console.store.broadcasts.get(broadcast_id).status == status
            assert c.post(f"/console/broadcasts/{broadcast_id}/resume", data={"csrf_token": token}).status_code == 409
    actions = [e.action for e in console.store.audit.search(AuditFilter(target=f"broadcast:{broadcast_id}"))]
    for expected in ("broadcast.create", "broadcast.awaiting_approval", "broadcast.scheduled", "broadcast.paused",
                     "broadcast.cancelled"):
        assert expected in actions


def test_another_agency_s_liaison_and_an_agent_get_404(console):
    c, token = sign_in(console, LIAISON)
    with closing(c):
        broadcast_id = _id(_compose(c, token, b"962790000031\n"))
    other, other_token = sign_in(console, OTHER_LIAISON)
    with closing(other):
        assert other.get(f"/console/broadcasts/{broadcast_id}").status_code == 404
        assert other.get(f"/console/broadcasts/{broadcast_id}/progress").status_code == 404
        assert other.post(f"/console/broadcasts/{broadcast_id}/cancel", data={"csrf_token": other_token}).status_code == 404
        assert f"/console/broadcasts/{broadcast_id}\"" not in other.get("/console/broadcasts").text
    agent, _ = sign_in(console, AGENT)
    with closing(agent):
        assert agent.get("/console/broadcasts").status_code == 404
    assert console.store.broadcasts.get(broadcast_id).status == "draft"


def test_topic_subscribers_are_the_recipients(console):
    store = console.store
    subscriber = store.citizens.for_phone(CSPD_PHONE)
    store.subscriptions.subscribe(subscriber, "passport_expiry")
    c, token = sign_in(console, LIAISON)
    with closing(c):
        answer = c.post("/console/broadcasts", data={
            "csrf_token": token, "title": "t", "text_ar": AR_TEXT, "text_en": EN_TEXT, "category": "awareness",
            "source": "topic", "topic": "passport_expiry", "action": "save"})
        broadcast_id = _id(answer)
    assert [r.phone for r in store.broadcasts.recipients(broadcast_id)] == [CSPD_PHONE]


def test_credit_and_sender_id_requests_are_decided_by_an_admin_and_audited(console):
    store = console.store
    store.credit.top_up("cspd", 100)
    c, token = sign_in(console, LIAISON)
    with closing(c):
        assert c.post("/console/requests/credit", data={"csrf_token": token, "amount": "5000",
                                                         "reason": "Ramadan campaign"}).status_code == 303
        assert c.post("/console/requests/sender-id", data={"csrf_token": token, "sender_id": "CSPD-JO",
                                                            "reason": "our own name"}).status_code == 303
        assert c.post("/console/requests/credit", data={"csrf_token": token, "amount": "-3"}).status_code == 400
        credit_id = store.requests.listing(__import__("store.models").models.CreditRequest, "cspd")[0].id
        sender_id = store.requests.listing(__import__("store.models").models.SenderIdRequest, "cspd")[0].id
        assert c.post(f"/console/requests/credit/{credit_id}/approve", data={"csrf_token": token}).status_code == 404
    admin, admin_token = sign_in(console, ADMIN)
    with closing(admin):
        assert f"credit-{credit_id}-approve" in admin.get("/console/requests").text
        assert admin.post(f"/console/requests/credit/{credit_id}/approve", data={"csrf_token": admin_token}).status_code == 303
        assert admin.post(f"/console/requests/credit/{credit_id}/decline", data={"csrf_token": admin_token}).status_code == 409
        assert admin.post(f"/console/requests/sender-id/{sender_id}/decline", data={"csrf_token": admin_token}).status_code == 303
    assert store.credit.state("cspd").remaining == 5100
    assert "CSPD-JO" not in (store.agencies.get("cspd").sms_sender_ids or [])
    actions = {e.action for e in store.audit.search(AuditFilter(agency_id="cspd"))}
    assert {"credit_request.create", "credit_request.approved", "sender_id_request.create",
            "sender_id_request.declined"} <= actions
