"""Handoff over HTTP, on the whole service: citizens write through the real WhatsApp webhook (posted
by the fake Graph API, a real HTTP server), an agent takes their ticket in the console, replies (the
fake Graph API receives it), the bot stays quiet while the agent holds the conversation (STOP and
START still work), and closing hands the citizen back to the bot, which says so.

The brain here is a stand-in that echoes (what is tested is who answers, not what); the browser
test (test_handoff_browser.py) does the same with the trained model."""

from __future__ import annotations

import re
import time
from typing import Any, Iterator

import httpx
import pytest

from console.accounts import add_staff
from core.messages import STATUS_FOR_AGENT
from store.audit import CLI_ACTOR, AuditFilter
from store.models import Message, Ticket
from tests.console.conftest import ConsoleServer, fake_graph, serve_with_whatsapp
from tests.console.seed import ADMIN, AGENT, CSPD_PHONE, LIAISON, OTHER_LIAISON, PASSWORD
from tests.console.test_console_http import sign_in
from tests.pipeline.pipeline_doubles import EchoBrain

OTHER_AGENT, DLS_AGENT = "huda@cspd.gov.jo", "ziad@dls.gov.jo"


@pytest.fixture(scope="module")
def graph() -> Iterator[str]:
    with fake_graph() as server:
        yield server.url


@pytest.fixture
def service(tmp_path, sqlite_template, graph) -> Iterator[ConsoleServer]:
    httpx.post(f"{graph}/_fake/reset").raise_for_status()
    for console in serve_with_whatsapp(tmp_path, sqlite_template, graph, brain=EchoBrain()):
        add_staff(console.store, console.settings.console, OTHER_AGENT, "agent", "cspd", actor=CLI_ACTOR, password=PASSWORD)
        add_staff(console.store, console.settings.console, DLS_AGENT, "agent", "dls", actor=CLI_ACTOR, password=PASSWORD)
        yield console


def writes(graph: str, phone: str, text: str) -> None:
    answer = httpx.post(f"{graph}/_fake/webhooks/messages", json={"messages": [{"from": phone, "text": text}]}, timeout=30)
    answer.raise_for_status()
    assert answer.json()["deliveries"][0]["status_code"] == 200


def sent_to(graph: str, phone: str) -> list[dict[str, Any]]:
    return httpx.get(f"{graph}/_fake/messages", params={"to": phone}).json()["messages"]


def wait_for(graph: str, phone: str, count: int, timeout: float = 15) -> list[dict[str, Any]]:
    answer = httpx.get(f"{graph}/_fake/messages/wait", params={"to": phone, "count": count, "timeout": timeout},
                       timeout=timeout + 5)
    assert answer.status_code == 200, answer.text
    return answer.json()["messages"]


def text_of(message: dict[str, Any]) -> str:
    body = message["body"]
    if body["type"] == "text":
        return body["text"]["body"]
    if body["type"] == "template":
        return " ".join(p["text"] for c in body["template"]["components"] for p in c["parameters"])
    return body["interactive"]["body"]["text"]


def quiet_for(graph: str, phone: str, count: int, seconds: float = 2.0) -> bool:
    """Nothing more than `count` messages reached the citizen within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(sent_to(graph, phone)) > count:
            return False
        time.sleep(0.1)
    return True


def eventually(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_an_agent_takes_over_replies_and_hands_back(service, graph):
    ticket = service.seeded.cspd_ticket
    writes(graph, CSPD_PHONE, "hello")
    assert text_of(wait_for(graph, CSPD_PHONE, 1)[0]) == "echo: hello"  # the bot answers before the handoff

    agent, csrf = sign_in(service, AGENT)
    page = agent.get(f"/console/tickets/{ticket}")
    assert 'id="reply-form"' not in page.text and "9627*****567" in page.text  # not held yet: masked, no reply box
    taken = agent.post(f"/console/tickets/{ticket}/take", data={"csrf_token": csrf})
    assert taken.status_code == 303 and taken.headers["location"] == f"/console/tickets/{ticket}?sent=taken#thread"
    # The citizen hears that a person has the request and answers here.
    told = text_of(wait_for(graph, CSPD_PHONE, 2)[1])
    assert "استلم موظف في دائرة الأحوال المدنية والجوازات طلبك" in told and "T-%06d" % ticket in told, told
    page = agent.get(f"/console/tickets/{ticket}")
    assert 'id="reply-form"' in page.text and f'id="ticket-phone">{CSPD_PHONE}<' in page.text
    assert "أبلغ البوت المواطن أن موظفًا يرد عليه هنا" in agent.get(taken.headers["location"]).text

    answer = agent.post(f"/console/tickets/{ticket}/reply", data={"csrf_token": csrf, "text": "مرحبا، أنا عمر من الأحوال المدنية.\nكيف أساعدك؟"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/console/tickets/{ticket}?sent=ok#thread"
    reply = wait_for(graph, CSPD_PHONE, 3)[2]
    assert reply["body"]["type"] == "text"  # the window is open: free text
    assert "أنا عمر من الأحوال المدنية" in text_of(reply) and "رد من موظف في دائرة الأحوال المدنية والجوازات" in text_of(reply)
    stored = eventually(lambda: _outbound(service, "agent_reply", statuses=("read",)))
    assert stored and stored[0].staff_id is not None and stored[0].route_reason == "whatsapp_window_open"
    page = agent.get(f"/console/tickets/{ticket}").text
    assert "أُرسل الرد إلى المواطن" not in page  # the notice is for the redirect only
    assert "قُرئت" in page and AGENT in page  # its delivery timeline, and who wrote it

    # While the agent holds the conversation, the bot is quiet: the message waits for the agent.
    writes(graph, CSPD_PHONE, "thank you, my passport expired last month")
    assert quiet_for(graph, CSPD_PHONE, 3)
    held = eventually(lambda: _inbound(service, "thank you, my passport expired last month"))
    assert held.status == STATUS_FOR_AGENT and held.service_id == "cspd.passport_renew"
    page = agent.get(f"/console/tickets/{ticket}").text
    assert "my passport expired last month" in page and "لم يرد عليها البوت" in page

    # The agent closes: the citizen hears that the bot is back, and the bot answers again.
    answer = agent.post(f"/console/tickets/{ticket}/close", data={"csrf_token": csrf})
    assert answer.headers["location"] == f"/console/tickets/{ticket}?sent=handed_back#thread"
    back = wait_for(graph, CSPD_PHONE, 4)[3]
    assert "عدتَ إلى مساعد تواصل الآلي" in text_of(back) and "T-%06d" % ticket in text_of(back)
    writes(graph, CSPD_PHONE, "and the fees?")
    assert text_of(wait_for(graph, CSPD_PHONE, 5)[4]) == "echo: and the fees?"
    assert f'id="ticket-phone">9627*****567<' in agent.get(f"/console/tickets/{ticket}").text  # no longer held

    actions = [(e.action, e.actor) for e in service.store.audit.search(AuditFilter(target=f"ticket:{ticket}"))]
    assert actions == [("ticket.hand_back", AGENT), ("ticket.close", AGENT), ("ticket.reply", AGENT),
                       ("ticket.taken_told", AGENT), ("ticket.take", AGENT)]
    [entry] = service.store.audit.search(AuditFilter(action="ticket.reply"))
    assert entry.after["channel"] == "whatsapp" and entry.after["message_ids"] == [stored[0].id]
    assert "عمر" not in str(entry.after)  # the text stays on the message, where retention and erasure reach it
    with service.store.db.session() as s:
        assert s.get(Ticket, ticket).answered_at is not None


def test_stop_still_works_while_an_agent_holds_the_conversation(service, graph):
    ticket = service.seeded.cspd_ticket
    writes(graph, CSPD_PHONE, "hello")
    wait_for(graph, CSPD_PHONE, 1)
    agent, csrf = sign_in(service, AGENT)
    agent.post(f"/console/tickets/{ticket}/take", data={"csrf_token": csrf})
    wait_for(graph, CSPD_PHONE, 2)  # told a person has the request
    writes(graph, CSPD_PHONE, "STOP")
    stopped = wait_for(graph, CSPD_PHONE, 3)[2]
    assert text_of(stopped).startswith("تم إيقاف رسائل التنبيه")  # the bot answers STOP, held or not
    # A STOP sent after asking for a person stops the person's replies too.
    answer = agent.post(f"/console/tickets/{ticket}/reply", data={"csrf_token": csrf, "text": "are you there?"})
    assert answer.headers["location"].endswith("?sent=opted_out#thread")
    assert quiet_for(graph, CSPD_PHONE, 3, seconds=1.0)
    assert "أرسل المواطن «إيقاف» بعد فتح التذكرة" in agent.get(answer.headers["location"]).text
    writes(graph, CSPD_PHONE, "START")
    wait_for(graph, CSPD_PHONE, 4)
    agent.post(f"/console/tickets/{ticket}/reply", data={"csrf_token": csrf, "text": "are you there?"})
    assert "are you there?" in text_of(wait_for(graph, CSPD_PHONE, 5)[4])


def test_only_the_holder_replies_and_other_agencies_get_404_by_url_and_by_form(service, graph):
    ticket, dls_ticket = service.seeded.cspd_ticket, service.seeded.dls_ticket
    writes(graph, CSPD_PHONE, "hello")
    wait_for(graph, CSPD_PHONE, 1)
    agent, csrf = sign_in(service, AGENT)
    agent.post(f"/console/tickets/{ticket}/take", data={"csrf_token": csrf})

    colleague, colleague_csrf = sign_in(service, OTHER_AGENT)
    refused = colleague.post(f"/console/tickets/{ticket}/reply", data={"csrf_token": colleague_csrf, "text": "hi"})
    assert refused.status_code == 409 and "استلمها أولًا" in refused.text
    assert colleague.post(f"/console/tickets/{ticket}/take", data={"csrf_token": colleague_csrf}).status_code == 409
    assert "9627*****567" in colleague.get(f"/console/tickets/{ticket}").text  # not theirs: masked

    outsider, outsider_csrf = sign_in(service, DLS_AGENT)
    assert outsider.get(f"/console/tickets/{ticket}").status_code == 404
    for action in ("take", "reply", "close"):
        forged = outsider.post(f"/console/tickets/{ticket}/{action}", data={"csrf_token": outsider_csrf, "text": "x"})
        assert forged.status_code == 404, action
    # ...and the holder's own valid form re-aimed at another agency's ticket
    assert agent.post(f"/console/tickets/{dls_ticket}/reply", data={"csrf_token": csrf, "text": "x"}).status_code == 404
    assert agent.post(f"/console/tickets/{dls_ticket}/close", data={"csrf_token": csrf}).status_code == 404
    liaison, liaison_csrf = sign_in(service, LIAISON)
    assert liaison.post(f"/console/tickets/{ticket}/reply", data={"csrf_token": liaison_csrf, "text": "x"}).status_code == 404
    assert liaison.post(f"/console/tickets/{ticket}/close", data={"csrf_token": liaison_csrf}).status_code == 404
    other_liaison, _ = sign_in(service, OTHER_LIAISON)
    assert other_liaison.get(f"/console/tickets/{ticket}").status_code == 404

    assert quiet_for(graph, CSPD_PHONE, 2, seconds=0.5)  # none of that reached the citizen (beyond "taken")
    assert [e.action for e in service.store.audit.search(AuditFilter(action="ticket."))] == ["ticket.taken_told", "ticket.take"]
    with service.store.db.session() as s:
        assert s.get(Ticket, dls_ticket).status == "open" and s.get(Ticket, ticket).status == "taken"


def test_a_bad_reply_gets_a_clear_message_and_sends_nothing(service, graph):
    ticket = service.seeded.cspd_ticket
    writes(graph, CSPD_PHONE, "hello")
    wait_for(graph, CSPD_PHONE, 1)
    agent, csrf = sign_in(service, AGENT)
    agent.post(f"/console/tickets/{ticket}/take", data={"csrf_token": csrf})
    empty = agent.post(f"/console/tickets/{ticket}/reply", data={"csrf_token": csrf, "text": "   \n "})
    assert empty.status_code == 400 and "اكتب نص الرد أولًا" in empty.text
    long = agent.post(f"/console/tickets/{ticket}/reply", data={"csrf_token": csrf, "text": "x" * 1001})
    assert long.status_code == 400 and "1000 حرف على الأكثر" in long.text
    forged = agent.post(f"/console/tickets/{ticket}/reply", data={"csrf_token": "forged", "text": "hi"})
    assert forged.status_code == 403
    script = agent.post(f"/console/tickets/{ticket}/reply", data={"csrf_token": csrf, "text": "<script>alert(1)</script> ok"})
    assert script.status_code == 303
    assert text_of(wait_for(graph, CSPD_PHONE, 3)[2]).endswith("<script>alert(1)</script> ok")  # sent as plain text
    page = agent.get(f"/console/tickets/{ticket}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; ok" in page
    assert [e.action for e in service.store.audit.search(AuditFilter(action="ticket.reply"))] == ["ticket.reply"]


def test_the_ticket_list_flags_unanswered_tickets_past_the_limit_and_sorts_and_filters(service, graph):
    from datetime import timedelta

    from core.messages import utcnow

    limit = service.settings.console.ticket_limit
    citizen = service.store.citizens.resolve("whatsapp", "962790000042")
    answered = service.store.tickets.open(citizen, "handoff", "answered long ago", "cspd.id_card")
    with service.store.db.session() as s:
        s.get(Ticket, service.seeded.cspd_ticket).created_at = utcnow() - limit - timedelta(minutes=5)
        old = s.get(Ticket, answered)
        old.created_at, old.answered_at, old.status = utcnow() - limit * 3, utcnow() - limit * 2, "taken"
    admin, _ = sign_in(service, ADMIN)
    page = admin.get("/console/tickets").text
    rows = [int(r) for r in re.findall(r'data-ticket="(\d+)"', page)]
    assert rows[:2] == [answered, service.seeded.cspd_ticket]  # longest waiting first
    assert page.count('class="late"') == 1  # answered tickets are not late, however old
    newest = [int(r) for r in re.findall(r'data-ticket="(\d+)"', admin.get("/console/tickets?sort=newest").text)]
    assert newest == list(reversed(rows))
    only_late = admin.get("/console/tickets?late=1").text
    assert re.findall(r'data-ticket="(\d+)"', only_late) == [str(service.seeded.cspd_ticket)]
    assert 'id="count-late">1 ' in admin.get("/console").text
    assert "dls" not in sign_in(service, AGENT)[0].get("/console/tickets?late=1&sort=number").text.split("<tbody>")[-1]


def _outbound(service: ConsoleServer, kind: str, statuses=("sent", "delivered", "read")) -> list[Message]:
    with service.store.db.session() as s:
        return list(s.query(Message).filter(Message.kind == kind, Message.status.in_(statuses)).order_by(Message.id))


def _inbound(service: ConsoleServer, text: str):
    with service.store.db.session() as s:
        found = s.query(Message).filter(Message.direction == "in", Message.text == text).one_or_none()
        return found if found is not None and found.status != "received" else None
