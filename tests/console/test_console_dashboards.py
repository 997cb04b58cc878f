"""`/console/dashboards` over HTTP: each chart's CSV against the seed's own counts, liaison officers
held to their agency (another agency asked for by the address is a 404), agents kept out, bad
ranges refused with a reason, and the same numbers whether days are rolled up or counted live."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from core.messages import utcnow
from store.dashboards import amman_day
from tests.console.test_console_http import sign_in
from tests.console.seed import ADMIN, AGENT, LIAISON, OTHER_LIAISON
from tests.dashboard_seed import seed_traffic


@pytest.fixture
def traffic(console):
    today = amman_day(utcnow())
    days = [today - timedelta(days=2), today - timedelta(days=1), today]
    return days, seed_traffic(console.store, days)


def _csv(client, chart: str, **params) -> list[dict[str, str]]:
    answer = client.get("/console/dashboards", params={"format": "csv", "chart": chart, **params})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert f"tawasol-{chart}-" in answer.headers["content-disposition"]
    assert answer.text.startswith("\ufeff")  # spreadsheets read the Arabic right
    return list(csv.DictReader(io.StringIO(answer.text.lstrip("\ufeff"))))


def _live_days(client, params) -> list[str]:
    match = re.search(r'<span id="live-days">([^<]*)</span>', client.get("/console/dashboards", params=params).text)
    return match.group(1).split(", ") if match else []


def test_admin_sees_every_agencys_numbers_in_each_charts_csv(console, traffic):
    days, expected = traffic
    c, _ = sign_in(console, ADMIN)
    span = {"since": days[0].isoformat(), "until": days[-1].isoformat()}
    services = {row["service"]: int(row["messages"]) for row in _csv(c, "services", **span)}
    for service in ("cspd.svc_a", "cspd.svc_b", "dls.svc_a", "dls.svc_b"):
        assert services[service] == expected.of(expected.services, None)[service]
    fallbacks = _csv(c, "fallbacks", **span)
    assert [(r["cause"], int(r["messages"])) for r in fallbacks] == [("not_delivered_in_time", 6)]
    missed = {row["group"]: int(row["messages"]) for row in _csv(c, "missed", **span)}
    assert missed["اين المكتب #"] == 6 and missed["كم الرسوم"] == 3
    per_day = {row["day"]: row for row in _csv(c, "messages", **span)}
    assert list(per_day) == [d.isoformat() for d in days]
    for day in days[:2]:  # the console's own seed writes today's conversations too
        for channel in ("whatsapp", "sms"):
            for direction in ("in", "out"):
                assert int(per_day[day.isoformat()][f"{channel}_{direction}"]) == \
                    expected.of(expected.messages, None)[(day, channel, direction)]
    tickets = {row["wait"]: int(row["tickets"]) for row in _csv(c, "tickets", **span)}
    assert tickets["15m_1h"] == 3
    cost = {(r["agency"], r["category"], r["channel"]): r for r in _csv(c, "cost")}
    assert cost[("cspd", "transaction_status", "sms")]["billed_messages"] == "3"
    assert cost[("cspd", "transaction_status", "sms")]["amount_jod"] == "0.021"  # 3 x 0.006842, rounded once
    assert cost[("cspd", "transaction_status", "sms")]["agency_share_jod"] == "0.010"
    page = c.get("/console/dashboards", params=span)
    assert page.status_code == 200
    for name in ("messages", "outcomes", "services", "aspects", "missed", "delivery", "fallbacks", "cost", "tickets"):
        assert f'id="chart-{name}"' in page.text and f"chart={name}" in page.text
    assert "لم تُسلَّم في الوقت" in page.text and 'dir="rtl"' in page.text


def test_a_liaison_officer_sees_only_their_agency(console, traffic):
    days, expected = traffic
    span = {"since": days[0].isoformat(), "until": days[-1].isoformat()}
    c, _ = sign_in(console, LIAISON)
    services = {row["service"] for row in _csv(c, "services", **span)}
    assert services and all(s.startswith("cspd.") for s in services)
    assert [(r["cause"], r["messages"]) for r in _csv(c, "fallbacks", **span)] == [("not_delivered_in_time", "3")]
    missed = {row["group"] for row in _csv(c, "missed", **span)}
    assert "تجديد جواز دبلوماسي" in missed and "اين المكتب #" not in missed  # the ministry's, not cspd's
    assert {r["agency"] for r in _csv(c, "cost")} <= {"cspd"}
    page = c.get("/console/dashboards", params=span)
    assert page.status_code == 200 and "dls.svc" not in page.text and 'name="agency"' not in page.text
    for forced in ("dls", "ministry", "nosuch"):
        assert c.get("/console/dashboards", params={"agency": forced}).status_code == 404
        assert c.get("/console/dashboards", params={"agency": forced, "format": "csv", "chart": "services"}).status_code == 404
    assert c.get("/console/dashboards", params={"agency": "cspd"}).status_code == 200
    other, _ = sign_in(console, OTHER_LIAISON)
    assert {row["service"] for row in _csv(other, "services", **span)} <= {"dls.svc_a", "dls.svc_b", "dls.property_certificate"}
    agent, _ = sign_in(console, AGENT)
    assert agent.get("/console/dashboards").status_code == 404


def test_an_admin_may_pick_one_agency(console, traffic):
    days, expected = traffic
    c, _ = sign_in(console, ADMIN)
    # The two past days (the console's own seed adds conversations today): per day 3+i WhatsApp and
    # 2 SMS questions answered, one handoff.
    span = {"since": days[0].isoformat(), "until": days[1].isoformat()}
    dls = {row["outcome"]: int(row["messages"]) for row in _csv(c, "outcomes", agency="dls", **span)}
    assert dls == {"answered": 11, "clarified": 0, "fallen_back": 0, "handed_off": 2}
    ministry = {row["outcome"]: int(row["messages"]) for row in _csv(c, "outcomes", agency="ministry", **span)}
    assert ministry == {"answered": 0, "clarified": 2, "fallen_back": 4, "handed_off": 0}
    assert c.get("/console/dashboards", params={"agency": "nosuch"}).status_code == 404


def test_bad_ranges_are_refused_with_a_reason(console):
    c, _ = sign_in(console, ADMIN)
    for params, words in (({"since": "yesterday"}, "2026-12-07"), ({"since": "2026-02-30"}, "2026-12-07"),
                          ({"since": "2026-12-05", "until": "2026-12-01"}, "بعد"),
                          ({"since": "2020-01-01", "until": "2026-12-01"}, "800")):
        answer = c.get("/console/dashboards", params=params)
        assert answer.status_code == 400 and words in answer.text, params
        assert c.get("/console/dashboards", params={**params, "format": "csv", "chart": "services"}).status_code == 400
    answer = c.get("/console/dashboards", params={"format": "csv", "chart": "nosuch"})
    assert answer.status_code == 400 and "services" in answer.text


def test_rolled_up_days_read_the_same_as_live_ones(console, traffic):
    days, _ = traffic
    c, _ = sign_in(console, ADMIN)
    span = {"since": days[0].isoformat(), "until": days[-1].isoformat()}
    charts = ("messages", "outcomes", "services", "aspects", "missed", "delivery", "fallbacks", "cost", "tickets")
    live = {chart: _csv(c, chart, **span) for chart in charts}
    assert _live_days(c, span) == [d.isoformat() for d in days]
    for day in days[:2]:
        console.store.dashboards.roll_up_day(day)
    assert _live_days(c, span) == [days[2].isoformat()]  # today is always counted live
    assert {chart: _csv(c, chart, **span) for chart in charts} == live
