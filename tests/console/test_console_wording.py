"""The bot's own wording in the console (greetings, menus, fallbacks): ministry admins edit it in
both languages, see it as WhatsApp and SMS would send it (segments, cost) before saving, and a
citizen's next message gets the new text through the real webhook (the fake Graph API, a real HTTP
server) without a restart; other roles get 404 by URL and by form; bad forms store nothing."""

from __future__ import annotations

import re
import shutil
import time
from typing import Iterator

import httpx
import pytest

from bot.settings import Settings
from catalog.live import CHECK_EVERY_S
from simulators.background_server import BackgroundServer
from simulators.web.sms_simulator import SimulatedSmsChannel
from store import Store
from store.audit import AuditFilter
from tests.console.conftest import GRAPH_PHONE_ID, GRAPH_SECRET, GRAPH_TOKEN, ConsoleServer, fake_graph
from tests.console.seed import ADMIN, AGENT, LIAISON, seed
from tests.console.test_console_http import sign_in
from tests.console.test_handoff_http import text_of, wait_for, writes
from tests.pipeline.pipeline_doubles import EchoBrain

NEW_HELP_AR = "أهلًا! اكتب سؤالك عن أي خدمة حكومية، أو «قائمة» لرؤية الجهات. (نص معدّل من اللوحة)"
NEW_HELP_EN = "Hello! Ask about any government service, or write MENU to see the agencies. (edited in the console)"


@pytest.fixture(scope="module")
def graph() -> Iterator[str]:
    with fake_graph() as server:
        yield server.url


@pytest.fixture
def service(tmp_path, sqlite_template, graph) -> Iterator[ConsoleServer]:
    """The whole service with WhatsApp (the fake Graph API) and a simulated SMS channel, the echo
    brain: the wording under test is the pipeline's own (HELP), sent without the model."""
    from bot.app import create_app

    httpx.post(f"{graph}/_fake/reset").raise_for_status()
    path = tmp_path / "wording.db"
    shutil.copy(sqlite_template, path)
    settings = Settings.from_env({
        "DATABASE_URL": f"sqlite:///{path}", "WHATSAPP_API_BASE_URL": graph, "WHATSAPP_PHONE_NUMBER_ID": GRAPH_PHONE_ID,
        "WHATSAPP_ACCESS_TOKEN": GRAPH_TOKEN, "WHATSAPP_APP_SECRET": GRAPH_SECRET, "WHATSAPP_VERIFY_TOKEN": "wording",
    }, cwd=tmp_path)
    store = Store(settings.database_url)
    try:
        seeded = seed(store, settings.console)
        app = create_app(settings, workers=1, brain=EchoBrain(), stand_ins={"sms": SimulatedSmsChannel()})
        with BackgroundServer(app) as server:
            httpx.post(f"{graph}/_fake/config", json={"webhook_url": server.url + "/webhooks/whatsapp"}).raise_for_status()
            yield ConsoleServer(server.url, store, seeded, settings)
    finally:
        store.close()


def _form(page: str) -> dict[str, str]:
    texts = dict(re.findall(r'<textarea name="(text_(?:ar|en))"[^>]*>([^<]*)</textarea>', page))
    return {k: v.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&") for k, v in texts.items()}


def test_an_admin_edits_the_help_reply_and_the_next_citizen_gets_it_without_a_restart(service, graph):
    writes(graph, "962791110001", "help")
    before = text_of(wait_for(graph, "962791110001", 1)[0])
    assert before and NEW_HELP_EN not in before

    admin, csrf = sign_in(service, ADMIN)
    listing = admin.get("/console/wording")
    assert listing.status_code == 200 and 'href="/console/wording/greet"' in listing.text
    assert 'href="/console/wording/help"' in listing.text and 'href="/console/wording/not_understood"' in listing.text
    page = admin.get("/console/wording/help")
    assert page.status_code == 200 and _form(page.text)["text_en"] == before
    generation = service.store.catalog.generation()
    saved = admin.post("/console/wording/help", data={"csrf_token": csrf, "action": "save",
                                                      "text_ar": NEW_HELP_AR, "text_en": NEW_HELP_EN})
    assert saved.status_code == 303 and saved.headers["location"] == "/console/wording/help?saved=1"
    assert service.store.replies.get("help").texts() == {"ar": NEW_HELP_AR, "en": NEW_HELP_EN}
    assert service.store.catalog.generation() == generation + 1
    [entry] = service.store.audit.search(AuditFilter(action="reply.change"))
    assert (entry.actor, entry.target_type, entry.target_id) == (ADMIN, "reply", "help")
    assert entry.before["en"] == before and entry.after == {"ar": NEW_HELP_AR, "en": NEW_HELP_EN}
    assert NEW_HELP_EN in admin.get("/console/wording/help?saved=1").text

    time.sleep(CHECK_EVERY_S + 0.3)  # every process checks the generation at most once a second
    writes(graph, "962791110002", "help")
    assert text_of(wait_for(graph, "962791110002", 1)[0]) == NEW_HELP_EN
    writes(graph, "962791110003", "مساعده")
    assert text_of(wait_for(graph, "962791110003", 1)[0]) == NEW_HELP_AR


def test_the_preview_shows_both_languages_on_whatsapp_and_sms_with_segments_and_cost(service):
    admin, csrf = sign_in(service, ADMIN)
    before = service.store.replies.get("handoff_queued")
    draft_ar = "سجّلنا طلبك {ticket} لدى {agency}؛ سيرد عليك موظف هنا."
    draft_en = "Request {ticket} is with {agency}; a staff member answers you here."
    page = admin.post("/console/wording/handoff_queued", data={"csrf_token": csrf, "action": "preview",
                                                               "text_ar": draft_ar, "text_en": draft_en})
    assert page.status_code == 200, page.text
    sms_en = page.text.split('id="preview-sms-en"')[1].split("</section>")[0]
    assert "Request T-000123 is with Civil Status and Passports Department" in sms_en
    assert re.search(r'class="segments">1<', sms_en) and re.search(r'class="cost">0\.\d+<', sms_en)
    sms_ar = page.text.split('id="preview-sms-ar"')[1].split("</section>")[0]
    assert "سجّلنا طلبك T-000123 لدى دائرة الأحوال المدنية والجوازات" in sms_ar
    assert re.search(r'class="segments">\d+<', sms_ar) and re.search(r'class="cost">0\.\d+<', sms_ar)
    whatsapp = page.text.split('id="preview-whatsapp-en"')[1].split("</section>")[0]
    assert "Request T-000123 is with" in whatsapp
    assert service.store.replies.get("handoff_queued") == before  # a preview saves nothing
    assert service.store.audit.search(AuditFilter(action="reply.")) == []


def test_a_bad_form_says_what_is_wrong_and_stores_nothing(service):
    admin, csrf = sign_in(service, ADMIN)
    before = service.store.replies.get("handoff")
    generation = service.store.catalog.generation()
    base = {"csrf_token": csrf, "action": "save", **_form(admin.get("/console/wording/handoff").text)}
    cases = (
        ({"text_ar": "   "}, "ar", "missing text"),
        ({"text_en": "<script>alert('x')</script> {ticket}"}, "en", "markup"),
        ({"text_en": "Recorded as {ticket} {password}"}, "en", "unknown placeholder {password}"),
        ({"text_ar": "سجّلنا طلبك"}, "ar", "keep {ticket}"),
        ({"text_en": "{ticket.__class__} {ticket}"}, "en", "not a placeholder"),
        ({"text_en": "x" * 1001 + " {ticket}"}, "en", "over the 1,000"),
    )
    for bad, lang, reason in cases:
        answer = admin.post("/console/wording/handoff", data={**base, **bad})
        assert answer.status_code == 400 and f'id="error-{lang}"' in answer.text, bad
        assert reason in answer.text, (reason, re.findall(r'field-error[^>]*>([^<]*)', answer.text))
        assert "<script>alert" not in answer.text  # shown back escaped
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in admin.post(
        "/console/wording/handoff", data={**base, "text_en": "<script>alert('x')</script> {ticket}"}).text
    big = admin.post("/console/wording/handoff", data={**base, "text_en": "x" * 10_000_000})
    assert big.status_code == 413 and "too large" in big.text
    assert admin.post("/console/wording/handoff", data={**base, "csrf_token": "forged"}).status_code == 403
    assert admin.get("/console/wording/no_such_key").status_code == 404
    assert service.store.replies.get("handoff") == before
    assert service.store.catalog.generation() == generation
    assert service.store.audit.search(AuditFilter(action="reply.")) == []


def test_only_ministry_admins_see_or_edit_the_wording(service):
    before = service.store.replies.get("greet")
    for email in (LIAISON, AGENT):
        c, csrf = sign_in(service, email)
        assert c.get("/console/wording").status_code == 404
        assert c.get("/console/wording/greet").status_code == 404
        forged = c.post("/console/wording/greet", data={"csrf_token": csrf, "action": "save", "text_ar": "x", "text_en": "x"})
        assert forged.status_code == 404, email
        assert 'href="/console/wording"' not in c.get("/console").text
    assert service.store.replies.get("greet") == before
    assert service.store.audit.search(AuditFilter(action="reply.")) == []
