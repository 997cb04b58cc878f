"""data/replies.yml: both languages, the same placeholders, and no promise of something the bot does
not do yet (no alert is sent; a person answers a ticket only where the agency has agents in the
console, and only the `*_queued` wording, chosen then, says so: tests/console/test_handoff_wording.py). Right-to-left Arabic is checked, with
every other Arabic text the bot sends, in test_arabic_direction.py."""

from __future__ import annotations

import string

import pytest
import yaml

from catalog.replies import DEFAULT_REPLIES, say

REPLIES: dict[str, dict[str, str]] = yaml.safe_load(DEFAULT_REPLIES.read_text(encoding="utf-8"))

# Until the handoff features deliver, no reply may say they do. (Alerts deliver since issue 21: the
# sweep sends them, tests/e2e/test_alerts_at_scale.py, so "subscribed" may say what comes.)
BROKEN_PROMISES = {
    "en": ("will contact you", "someone will", "will be passed",
           "talk to a staff member, write", "\"agent\" to talk", "ask for a staff member",
           "team to review"),  # no staff console reads the review queue yet
    "ar": ("سيتواصل", "ستُحال", "تم تحويل طلبك", "للتحدث مع موظف اكتب", "«موظف» للتحدث",
           "اطلب التحدث مع موظف", "ليراجعه فريق", "لفريق تواصل"),
}


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


@pytest.mark.parametrize("key", sorted(REPLIES))
def test_every_reply_has_both_languages_with_the_same_placeholders(key: str) -> None:
    entry = REPLIES[key]
    assert entry.get("ar") and entry.get("en"), key
    assert _placeholders(entry["ar"]) == _placeholders(entry["en"]), key


@pytest.mark.parametrize("language", ["ar", "en"])
def test_no_reply_promises_an_alert_or_a_call_back(language: str) -> None:
    for key, entry in REPLIES.items():
        text = entry[language].lower()
        for promise in BROKEN_PROMISES[language]:
            assert promise not in text, (key, promise)


def test_handoff_and_complaint_say_the_ticket_is_recorded_and_where_to_go_instead() -> None:
    for key in ("handoff", "complaint"):
        english = say(key, "en", ticket="T-000042")
        arabic = say(key, "ar", ticket="T-000042")
        assert "T-000042" in english and "T-000042" in arabic
        assert "recorded" in english and "visit or call the agency" in english
        assert "سُجلت" in arabic or "سجّلنا" in arabic
        assert "راجع الجهة المعنية أو اتصل بها" in arabic


def test_subscribing_says_what_comes_when_that_it_is_free_and_how_to_stop() -> None:
    from catalog.alert_wording import subscribed_text, which_topic_text

    english, arabic = subscribed_text(["passport_expiry"], "en"), subscribed_text(["passport_expiry"], "ar")
    assert "passport" in english and "30 and 7 days before" in english and "free" in english
    assert "STOP ALERT PASSPORT" in english and "ايقاف تنبيه جواز" in arabic and "مجاني" in arabic
    assert "not running" not in english + say("started", "en") and "لا تعمل بعد" not in arabic + say("started", "ar")
    both = subscribed_text(["passport_expiry", "traffic_violations"], "en")
    assert "as soon as a violation is recorded" in both and "STOP ALERT FINES" in both
    assert "ALERT PASSPORT" in which_topic_text("en") and "تنبيه جواز" in which_topic_text("ar")


