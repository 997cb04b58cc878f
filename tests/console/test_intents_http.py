"""The intents page over HTTP (a real server on a seeded SQLite copy): who may use it, and the checks
on every change (duplicates, other intents, the dialogue's intents, names), each change stored as a
curated change that the next training snapshot applies; and the inbox's refusals of bad forms."""

from __future__ import annotations

from urllib.parse import urlencode

from nlu.training_files import nlu_examples
from store.audit import AuditFilter
from tests.console.seed import ADMIN, AGENT, LIAISON
from tests.console.test_console_http import sign_in


def test_only_ministry_admins_reach_the_intents_page(console):
    for email in (LIAISON, AGENT):
        c, csrf = sign_in(console, email)
        assert c.get("/console/intents").status_code == 404
        assert c.get("/console/intents/ask_fees").status_code == 404
        assert c.post("/console/intents/ask_fees/examples", data={"csrf_token": csrf, "text": "كم"}).status_code == 404
        assert c.post("/console/intents/new", data={"csrf_token": csrf, "intent": "ask_x", "text": "س"}).status_code == 404
    admin, _ = sign_in(console, ADMIN)
    page = admin.get("/console/intents")
    assert page.status_code == 200 and 'data-intent="ask_fees"' in page.text
    assert admin.get("/console/intents/no_such_intent").status_code == 404


def test_new_intent_add_move_rename_merge_and_their_refusals(console):
    c, csrf = sign_in(console, ADMIN)
    store = console.store

    def post(path: str, **data: str):
        return c.post(path, data={"csrf_token": csrf, **data})

    made = post("/console/intents/new", intent="ask_appointment", text="بدي موعد بالأحوال")
    assert made.status_code == 303 and made.headers["location"] == "/console/intents/ask_appointment?done=added"
    assert post("/console/intents/new", intent="ask_appointment", text="موعد").status_code == 400  # taken
    assert post("/console/intents/new", intent="Bad Name", text="موعد").status_code == 400
    assert post("/console/intents/new", intent="ask_hello", text="مرحبا").status_code == 400  # greet's
    # the same text once normalised: refused; an example of another intent: a warning, then confirmed
    assert post("/console/intents/ask_appointment/examples", text="بدّي موعد بالاحوال؟").status_code == 400
    warned = post("/console/intents/ask_appointment/examples", text="مرحبا")
    assert warned.status_code == 409 and 'id="intent-warning"' in warned.text and "greet" in warned.text
    assert post("/console/intents/ask_appointment/examples", text="مرحبا", confirm="1").status_code == 303
    assert post("/console/intents/ask_appointment/examples", text="ب" * 501).status_code == 400
    # move a data/nlu example, then rename and merge the new intent; the dialogue's intents keep their names
    fee_example = nlu_examples()["ask_fees"][0]
    assert post("/console/intents/ask_fees/move", text=fee_example, to="ask_appointment").status_code == 303
    assert post("/console/intents/ask_fees/move", text=fee_example, to="ask_appointment").status_code == 404  # gone
    assert post("/console/intents/ask_appointment/move", text=fee_example, to="no_such").status_code == 400
    refused = post("/console/intents/ask_fees/rename", to="ask_cost")
    assert refused.status_code == 400 and "domain.yml" in refused.text
    assert post("/console/intents/ask_appointment/rename", to="ask_booking").status_code == 303
    merged = post("/console/intents/ask_booking/rename", to="ask_overview")
    assert merged.headers["location"] == "/console/intents/ask_overview?done=merged"

    snapshot = store.curation.apply_to(nlu_examples())
    assert "ask_appointment" not in snapshot and "ask_booking" not in snapshot
    assert {"بدي موعد بالأحوال", "مرحبا", fee_example} <= set(snapshot["ask_overview"])
    assert fee_example not in snapshot["ask_fees"] and "مرحبا" in snapshot["greet"]
    actions = [e.action for e in store.audit.search(AuditFilter(action="intent."))]
    assert actions == ["intent.merge", "intent.rename", "intent.move_example", "intent.add_example", "intent.add_example"]
    assert all(e.actor == ADMIN for e in store.audit.search(AuditFilter(action="intent.")))
    page = c.get("/console/intents/ask_overview").text
    assert "بدي موعد بالأحوال" in page and 'id="curated-changes"' in c.get("/console/intents").text


def test_the_inbox_refuses_bad_forms_with_a_reason(console):
    c, csrf = sign_in(console, ADMIN)
    item = console.store.inbox.open(None)[0].id  # the seeded review item, cspd's

    def resolve(**data):
        return c.post("/console/inbox/resolve", content=urlencode({"csrf_token": csrf, **data}, doseq=True),
                      headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert resolve(ids="x", action="dismiss").status_code == 400
    assert resolve(action="dismiss").status_code == 400  # nothing chosen
    assert resolve(ids=str(item), action="label", intent="").status_code == 400  # no intent chosen
    assert resolve(ids=str(item), action="label", intent="ask_fees", service="nope.nothing").status_code == 400
    assert resolve(ids=str(item), action="new_question").status_code == 400  # which service?
    assert resolve(ids=str(item), action="explode").status_code == 400
    assert resolve(ids="999999", action="dismiss").status_code == 404
    assert c.post("/console/inbox/resolve", data={"csrf_token": "forged", "ids": str(item), "action": "dismiss"}).status_code == 403
    assert console.store.inbox.count_open(None) == 1  # none of these changed anything
    done = resolve(ids=str(item), action="out_of_scope", back="https://evil.example/")
    assert done.status_code == 303 and done.headers["location"].startswith("/console/inbox?")
    assert console.store.inbox.count_open(None) == 0
    assert resolve(ids=str(item), action="dismiss").status_code == 404  # resolved already
    assert c.get("/console/inbox?since=yesterday").status_code == 200  # a bad date is said on the page
