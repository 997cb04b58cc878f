"""The dashboards in headless chromium, Arabic (right to left) and English: the charts are drawn,
their labels and numbers are on screen where a reader of each language looks for them, and a
liaison officer sees only their agency. Screenshots: dashboards-ar.png, dashboards-en.png."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.messages import utcnow
from store.dashboards import amman_day
from tests.console.seed import ADMIN, LIAISON
from tests.console.test_console_browser import LAPTOP, direction, open_page, sign_in  # noqa: F401 (fixture)
from tests.dashboard_seed import seed_traffic

pytestmark = pytest.mark.browser


def _bar_texts(page, chart: str) -> list[str]:
    # SVG text has no inner text in chromium's DOM: its content is what is drawn.
    return [t.strip() for t in page.locator(f"#chart-{chart} svg text").all_text_contents()]


def test_the_dashboards_in_arabic_and_english(open_page, console, screenshots):
    today = amman_day(utcnow())
    days = [today - timedelta(days=2), today - timedelta(days=1), today]
    seed_traffic(console.store, days)
    console.store.dashboards.roll_up_day(days[0])  # one day from the rollup, the others live
    page = open_page()
    sign_in(page, ADMIN)
    page.goto(f"/console/dashboards?since={days[0].isoformat()}&until={today.isoformat()}")
    assert (page.get_attribute("html", "dir"), direction(page)) == ("rtl", "rtl")
    assert page.inner_text("h1") == "لوحات المؤشرات"
    # Every chart is drawn and visible.
    for name in ("messages", "outcomes", "services", "aspects", "missed", "delivery", "fallbacks", "cost", "tickets"):
        assert page.locator(f"#chart-{name} svg.plot").is_visible(), name
    assert page.locator("#chart-messages polyline").count() == 4
    legend = page.locator("#chart-messages .legend").inner_text()
    assert "واتساب وارد" in legend and "رسائل قصيرة صادرة" in legend
    outcomes = _bar_texts(page, "outcomes")
    assert "أُجيبت" in outcomes and "حُوّلت إلى موظف" in outcomes
    assert "6" in _bar_texts(page, "fallbacks")  # 6 SMS after WhatsApp, 3 days x 2 agencies
    assert "لم تُسلَّم في الوقت" in _bar_texts(page, "fallbacks")
    assert "اين المكتب #" in _bar_texts(page, "missed")
    assert "الرسوم" in _bar_texts(page, "aspects")
    assert any("د.أ" in text for text in _bar_texts(page, "cost"))
    # Right to left: a bar's label sits right of its bar, and the bar grows leftwards from there.
    label = page.locator("#chart-fallbacks svg text").first.bounding_box()
    bar = page.locator("#chart-fallbacks svg rect").first.bounding_box()
    assert label["x"] >= bar["x"] + bar["width"] - 1
    # The day chart runs from the first day on the right to today on the left.
    ticks = page.locator("#chart-messages svg text[text-anchor=middle]")
    assert ticks.first.bounding_box()["x"] > ticks.last.bounding_box()["x"]
    page.screenshot(path=str(screenshots / "dashboards-ar.png"), full_page=True)

    page.click("#language-switch")
    assert (page.get_attribute("html", "lang"), direction(page)) == ("en", "ltr")
    assert page.inner_text("h1") == "Dashboards"
    assert "Handed to a person" in _bar_texts(page, "outcomes")
    assert "Not delivered in time" in _bar_texts(page, "fallbacks")
    assert "WhatsApp in" in page.locator("#chart-messages .legend").inner_text()
    label = page.locator("#chart-fallbacks svg text").first.bounding_box()
    bar = page.locator("#chart-fallbacks svg rect").first.bounding_box()
    assert label["x"] + label["width"] <= bar["x"] + 1
    ticks = page.locator("#chart-messages svg text[text-anchor=middle]")
    assert ticks.first.bounding_box()["x"] < ticks.last.bounding_box()["x"]
    page.screenshot(path=str(screenshots / "dashboards-en.png"), full_page=True)
    # The CSV link of a chart downloads its numbers.
    with page.expect_download() as download:
        page.click("#chart-fallbacks .csv a")
    content = open(download.value.path(), encoding="utf-8-sig").read()
    assert content.splitlines()[1] == "not_delivered_in_time,Not delivered in time,6"


def test_a_liaison_officers_dashboards_name_only_their_agency(open_page, console, screenshots):
    today = amman_day(utcnow())
    seed_traffic(console.store, [today - timedelta(days=1), today])
    page = open_page()
    sign_in(page, LIAISON)
    page.goto("/console/dashboards")
    assert page.locator("select[name=agency]").count() == 0
    services = " ".join(_bar_texts(page, "services"))
    assert "cspd.svc_a" in services and "dls." not in services
    assert "2" in _bar_texts(page, "fallbacks")
    page.goto("/console/dashboards?agency=dls")
    assert page.inner_text("h1") == "غير موجود"
