"""The bot promises a person only where one can answer: a ticket in the queue of an agency with
agents in the console is told "a staff member will answer you here"; anywhere else (no agents, an
agency with none active, no agency at all) the citizen hears that no one can yet, and where to go."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.citizen_records import ActionComplaint, ActionHumanHandoff, use_store
from store import Store
from store.audit import CLI_ACTOR
from store.models import StaffUser

PROMISES = ("will answer you here", "سيرد عليك موظف", "may answer you here", "قد يرد عليك موظف")


def _say(action, store: Store, service, language: str = "ar") -> str:
    use_store(store)
    tracker = Tracker(
        sender_id="handoff-wording-citizen", slots={"service": service, "language": language},
        latest_message={"text": "بدي احكي مع موظف", "intent": {"name": "human_handoff", "confidence": 0.9}, "entities": []},
        events=[], paused=False, followup_action=None, active_loop={}, latest_action_name=None,
    )
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, tracker, {})
    return " ".join(m.get("text") or "" for m in dispatcher.messages)


@pytest.fixture
def agency_store(store):
    store.agencies.add("cspd", name_ar="دائرة الأحوال المدنية والجوازات", name_en="Civil Status and Passports")
    store.agencies.add("dls", name_ar="دائرة الأراضي والمساحة", name_en="Lands and Survey")
    store.staff.add("omar@cspd.gov.jo", "agent", "cspd", actor=CLI_ACTOR, password_hash="argon2-hash")
    store.staff.add("rana@dls.gov.jo", "liaison_officer", "dls", actor=CLI_ACTOR, password_hash="argon2-hash")
    return store


def test_an_agency_with_agents_gets_the_ticket_and_the_citizen_is_told_a_person_answers_here(agency_store):
    arabic = _say(ActionHumanHandoff(), agency_store, "cspd.passport_renew")
    assert "سيرد عليك موظف هنا" in arabic and "دائرة الأحوال المدنية والجوازات" in arabic and "T-" in arabic
    english = _say(ActionComplaint(), agency_store, "cspd.passport_renew", "en")
    assert "has reached Civil Status and Passports" in english and "may answer you here" in english


@pytest.mark.parametrize("service", ["dls.property_certificate", None, "moi.unknown_service"])
def test_no_queue_no_promise(agency_store, service):
    # dls has a liaison officer but no agent; None is the ministry's; moi is no agency at all
    for action in (ActionHumanHandoff(), ActionComplaint()):
        for language in ("ar", "en"):
            said = _say(action, agency_store, service, language)
            assert not any(p in said for p in PROMISES), said
            assert "visit or call the agency" in said or "راجع الجهة المعنية أو اتصل بها" in said


def test_a_deactivated_agent_is_no_queue(agency_store):
    with agency_store.db.session() as s:
        s.query(StaffUser).filter(StaffUser.email == "omar@cspd.gov.jo").update({"active": False})
    said = _say(ActionHumanHandoff(), agency_store, "cspd.passport_renew", "en")
    assert "no staff member can answer you here yet" in said
    assert not any(p in said for p in PROMISES)
