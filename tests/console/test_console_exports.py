"""CSV exports of conversations and tickets for a date range, by role: the range picks the rows (days
in UTC, both ends included), each role gets its own agency's rows only, and numbers are masked for
roles that do not hold the conversation."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from core.messages import utcnow
from store.models import Conversation, Message, Ticket
from tests.console.seed import ADMIN, AGENT, LIAISON, OTHER_LIAISON
from tests.console.test_console_http import sign_in


def _rows(client, path: str) -> list[dict[str, str]]:
    answer = client.get(path)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv"), answer.text
    return list(csv.DictReader(io.StringIO(answer.text.lstrip("\ufeff"))))


def _age_cspd(console, days: int) -> str:
    """Move the cspd conversation, its messages and ticket `days` back; that day, YYYY-MM-DD (UTC)."""
    then = utcnow() - timedelta(days=days)
    with console.store.db.session() as s:
        conversation = s.get(Conversation, console.seeded.cspd_conversation)
        conversation.started_at = conversation.last_activity_at = then
        for message in s.query(Message).filter(Message.conversation_id == conversation.id):
            message.created_at = then
        s.get(Ticket, console.seeded.cspd_ticket).created_at = then
    return then.strftime("%Y-%m-%d")


def test_the_date_range_picks_conversations_and_tickets_for_every_role(console):
    old_day = _age_cspd(console, 10)
    today = utcnow().strftime("%Y-%m-%d")
    admin, _ = sign_in(console, ADMIN)
    in_range = _rows(admin, f"/console/conversations.csv?since={old_day}&until={old_day}")
    assert {r["conversation"] for r in in_range} == {str(console.seeded.cspd_conversation)}
    assert {r["direction"] for r in in_range} == {"in", "out"}  # every message of it, both ways
    recent = _rows(admin, f"/console/conversations.csv?since={today}")
    assert {r["conversation"] for r in recent} == {str(console.seeded.dls_conversation)}
    tickets = _rows(admin, f"/console/tickets.csv?since={old_day}&until={old_day}")
    assert [int(t["ticket"]) for t in tickets] == [console.seeded.cspd_ticket]
    assert [int(t["ticket"]) for t in _rows(admin, f"/console/tickets.csv?since={today}&until={today}")] == [console.seeded.dls_ticket]
    assert len(_rows(admin, "/console/tickets.csv")) == 2  # no range: all

    for email in (LIAISON, AGENT):  # the cspd staff: cspd's rows only, whatever the range
        c, _ = sign_in(console, email)
        assert [int(t["ticket"]) for t in _rows(c, f"/console/tickets.csv?since={old_day}")] == [console.seeded.cspd_ticket]
        assert _rows(c, f"/console/tickets.csv?since={today}") == []
        conversations = _rows(c, f"/console/conversations.csv?since={old_day}&until={today}")
        assert {r["conversation"] for r in conversations} == {str(console.seeded.cspd_conversation)}
        assert {r["phone"] for r in conversations} == {"9627*****567"}  # not held by them: masked
    other, _ = sign_in(console, OTHER_LIAISON)
    assert _rows(other, f"/console/tickets.csv?since={old_day}&until={old_day}") == []
    assert [int(t["ticket"]) for t in _rows(other, "/console/tickets.csv")] == [console.seeded.dls_ticket]
    assert admin.get(f"/console/conversations.csv?since={today}&until=12/07/2026").status_code == 400
