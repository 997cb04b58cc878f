"""BotReply → WhatsApp payloads: Meta's limits enforced, Arabic cut safely, templates outside the window.

Every rendered body is also run through the fake Graph API's validator, so a limit we forget to
enforce shows up as the error Meta would answer with.
"""

from __future__ import annotations

import unicodedata

import pytest

from core.messages import BotReply, Choice, TemplateRef
from channels.whatsapp.render import render_reply
from channels.whatsapp.templates import TemplateCatalog, TemplateError
from channels.whatsapp.textfit import ELLIPSIS, split_tail, split_text, truncate
from simulators.whatsapp_validation import validate_message

TO = "962791234567"


def rendered(reply, in_window=True, catalog=None, templates=None):
    messages = render_reply(reply, TO, in_window=in_window, templates=catalog)
    for message in messages:
        validate_message(message.body, templates)  # raises GraphError as Meta would reject it
        assert message.channel == "whatsapp" and message.address == TO
    return messages


def choices(n, title="خيار رقم", with_description=False):
    return [
        Choice(
            id=f'/choose{{"n":{i}}}',
            title=f"{title} {i}",
            description=("وصف " * 30) if with_description else None,
        )
        for i in range(1, n + 1)
    ]


# --- text fitting -------------------------------------------------------------------------------


def test_truncate_keeps_short_text_and_cuts_long_text_at_a_word():
    assert truncate("نعم", 20) == "نعم"
    cut = truncate("تجديد جواز السفر الأردني للمواطنين", 20)
    assert len(cut) <= 20 and cut.endswith(ELLIPSIS)
    assert cut == "تجديد جواز السفر" + ELLIPSIS


def test_truncate_never_separates_arabic_marks_from_their_letter():
    text = "مُسْتَشْفَى الجَامِعَةِ الأُرْدُنِيَّةِ"  # every letter carries harakat
    for limit in range(2, len(text)):
        cut = truncate(text, limit)
        assert len(cut) <= limit
        body = cut[: -len(ELLIPSIS)] if cut.endswith(ELLIPSIS) else cut
        assert body, limit
        assert not unicodedata.combining(body[0])
        # whatever was kept is a prefix of the original, cut at a whole character
        assert text.startswith(body)
        following = text[len(body)] if len(body) < len(text) else ""
        assert not (following and unicodedata.category(following) == "Mn"), (limit, cut)


def test_truncate_keeps_emoji_sequences_whole():
    text = "👍🏽👍🏽👍🏽👍🏽 خدمة"
    cut = truncate(text, 4)
    assert cut == "👍🏽" + ELLIPSIS
    assert truncate("family 👨\u200d👩\u200d👧 here", 10).count("\u200d") in (0, 2)


def test_split_text_prefers_paragraphs_then_sentences_then_words():
    paragraph = "أ" * 3000
    parts = split_text(paragraph + "\n\n" + paragraph, 4096)
    assert parts == [paragraph, paragraph]
    sentences = ("هذه جملة طويلة عن الخدمات الحكومية. " * 200).strip()
    parts = split_text(sentences, 4096)
    assert all(len(p) <= 4096 for p in parts) and len(parts) == 2
    assert parts[0].endswith(".")
    words = ("كلمة " * 2000).strip()
    parts = split_text(words, 4096)
    assert all(len(p) <= 4096 for p in parts)
    assert " ".join(parts) == words


def test_split_text_without_any_break_is_a_safe_hard_cut():
    text = "بَ" * 3000  # 6000 code points, no spaces; marks must stay with their letters
    parts = split_text(text, 4096)
    assert "".join(parts) == text
    assert all(len(p) <= 4096 for p in parts)
    assert all(unicodedata.category(p[0]) != "Mn" for p in parts)


def test_split_tail_leaves_a_body_that_fits():
    text = "مقدمة طويلة. " * 200 + "اختر الخدمة المطلوبة من الأزرار:"
    head, tail = split_tail(text, 1024)
    assert len(tail) <= 1024 and tail.endswith("الأزرار:")
    assert (head + " " + tail).split() == text.split()


# --- rendering ----------------------------------------------------------------------------------


def test_plain_text_is_one_message_with_preview_only_for_links():
    [message] = rendered(BotReply(text="مرحبا بك في تواصل"))
    assert message.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": "text",
        "text": {"body": "مرحبا بك في تواصل", "preview_url": False},
    }
    [link] = rendered(BotReply(text="التفاصيل: https://portal.jo/passport"))
    assert link.body["text"]["preview_url"] is True


def test_an_answer_shows_heading_answer_and_caveat_and_its_parts_survive_storage():
    reply = BotReply(
        text="رسوم تجديد جواز السفر العادي 50 دينارًا.",
        heading="تجديد جواز السفر — دائرة الأحوال المدنية والجوازات",
        caveat="هذه معلومات إرشادية، والجهة المعنية تؤكد الرقم النهائي. ℹ️",
        choices=choices(2),
    )
    [message] = rendered(reply)
    assert message.body["interactive"]["body"]["text"] == (
        "تجديد جواز السفر — دائرة الأحوال المدنية والجوازات\n\n"
        "رسوم تجديد جواز السفر العادي 50 دينارًا.\n\n"
        "هذه معلومات إرشادية، والجهة المعنية تؤكد الرقم النهائي. ℹ️"
    )
    assert BotReply.from_dict(reply.to_dict()) == reply  # outbound rows keep the parts apart


def test_long_text_is_split_into_several_messages():
    text = "\n\n".join(["فقرة عن تجديد جواز السفر. " * 60] * 4)
    messages = rendered(BotReply(text=text))
    assert len(messages) >= 2
    assert all(len(m.body["text"]["body"]) <= 4096 for m in messages)
    assert " ".join(m.text for m in messages).split() == text.split()


def test_one_to_three_choices_are_reply_buttons_within_limits():
    reply = BotReply(
        text="هل تريد تجديد جواز السفر؟",
        choices=[
            Choice(id="/affirm", title="نعم، أريد التجديد الآن من فضلك"),
            Choice(id="/deny", title="لا"),
            Choice(id="/human", title="التحدث مع موظف خدمة العملاء"),
        ],
    )
    [message] = rendered(reply)
    interactive = message.body["interactive"]
    assert interactive["type"] == "button"
    assert interactive["body"]["text"] == "هل تريد تجديد جواز السفر؟"
    buttons = interactive["action"]["buttons"]
    assert [b["reply"]["id"] for b in buttons] == ["/affirm", "/deny", "/human"]
    assert all(len(b["reply"]["title"]) <= 20 for b in buttons)
    assert buttons[0]["reply"]["title"].endswith(ELLIPSIS)
    assert buttons[1]["reply"]["title"] == "لا"
    assert "[لا]" in message.text  # staff see the options


def test_duplicate_titles_after_truncation_are_made_distinct():
    reply = BotReply(
        text="اختر",
        choices=[
            Choice(id="/a", title="خدمات دائرة الأحوال المدنية أ"),
            Choice(id="/b", title="خدمات دائرة الأحوال المدنية ب"),
        ],
    )
    [message] = rendered(reply)
    titles = [b["reply"]["title"] for b in message.body["interactive"]["action"]["buttons"]]
    assert len(set(titles)) == 2 and all(len(t) <= 20 for t in titles)


def test_button_body_over_1024_sends_the_rest_first_as_text():
    text = "شرح مفصل للخدمة. " * 120 + "هل تريد المتابعة؟"
    messages = rendered(BotReply(text=text, choices=choices(2)))
    assert [m.body["type"] for m in messages] == ["text", "interactive"]
    assert len(messages[-1].body["interactive"]["body"]["text"]) <= 1024
    assert messages[-1].body["interactive"]["body"]["text"].endswith("هل تريد المتابعة؟")


def test_empty_text_with_buttons_gets_a_prompt_in_the_reply_language():
    [ar] = rendered(BotReply(text="", choices=choices(2)))
    assert ar.body["interactive"]["body"]["text"] == "اختر من الخيارات:"
    [en] = rendered(BotReply(text="", language="en", choices=choices(2, title="Option")))
    assert en.body["interactive"]["body"]["text"] == "Please choose:"


def test_four_to_ten_choices_are_a_list_within_limits():
    reply = BotReply(
        text="اختر الخدمة",
        choices=choices(10, title="خدمة طويلة الاسم جدا جدا", with_description=True),
        choices_title="قائمة الخدمات الحكومية",
    )
    [message] = rendered(reply)
    interactive = message.body["interactive"]
    assert interactive["type"] == "list"
    assert len(interactive["action"]["button"]) <= 20
    rows = interactive["action"]["sections"][0]["rows"]
    assert len(rows) == 10
    assert all(len(r["title"]) <= 24 and len(r["description"]) <= 72 for r in rows)
    assert len({r["title"] for r in rows}) == 10
    assert [r["id"] for r in rows] == [c.id for c in reply.choices]
    [four] = rendered(BotReply(text="اختر", choices=choices(4)))
    assert four.body["interactive"]["type"] == "list"
    assert four.body["interactive"]["action"]["button"] == "الخيارات"


def test_more_than_ten_choices_are_split_into_several_lists():
    reply = BotReply(text="كل الخدمات", choices=choices(23))
    messages = rendered(reply)
    assert len(messages) == 3
    row_ids = [r["id"] for m in messages for r in m.body["interactive"]["action"]["sections"][0]["rows"]]
    assert row_ids == [c.id for c in reply.choices]
    assert messages[0].body["interactive"]["body"]["text"] == "كل الخدمات"
    assert messages[1].body["interactive"]["body"]["text"] == "خيارات أخرى (2/3)"


def test_choice_ids_too_long_for_meta_fall_back_to_a_numbered_list():
    long_id = "/inform" + '{"service": "' + "x" * 300 + '"}'
    [message] = rendered(
        BotReply(text="اختر", choices=[Choice(id=long_id, title="أ"), Choice(id="/b", title="ب")])
    )
    assert message.body["type"] == "text"
    assert message.text == "اختر\n1. أ\n2. ب"


def test_bsuid_address_uses_recipient_field():
    [message] = render_reply(BotReply(text="hi"), "JO.998877")
    assert message.body["recipient"] == "JO.998877" and "to" not in message.body


# --- outside the 24-hour window ------------------------------------------------------------------


def test_outside_window_without_template_renders_nothing():
    assert render_reply(BotReply(text="free text"), TO, in_window=False) == []


def test_outside_window_sends_only_the_template(catalog):
    ref = catalog.ref(
        "appointment_reminder",
        "ar",
        {"service_name": "جواز السفر", "date": "2024-06-01", "place": "عمان\nالعبدلي"},
    )
    reply = BotReply(text="this free text must not go", template=ref, choices=choices(2))
    [message] = rendered(reply, in_window=False, catalog=catalog, templates=catalog.approved())
    assert message.body["type"] == "template"
    template = message.body["template"]
    assert template["name"] == "tawasol_appointment_reminder"
    assert template["language"] == {"code": "ar"}
    values = [p["text"] for p in template["components"][0]["parameters"]]
    assert values == ["جواز السفر", "2024-06-01", "عمان العبدلي"]  # no new lines: Meta rejects them
    assert (
        message.text
        == "تذكير من تواصل: موعدك لخدمة جواز السفر يوم 2024-06-01 في عمان العبدلي. للاستفسار أرسل رسالة هنا."
    )
    assert "free text" not in message.text


def test_template_without_parameters_and_unknown_to_the_catalogue(catalog):
    [waiting] = rendered(
        BotReply(text="", template=catalog.ref("reply_waiting", "en", {})), in_window=False, catalog=catalog
    )
    assert "components" not in waiting.body["template"]
    [other] = rendered(
        BotReply(text="", template=TemplateRef("partner_template", "en", ["x"])), in_window=False
    )
    assert other.text == "[template partner_template] x"


def test_template_catalogue_orders_values_and_falls_back_to_arabic(catalog):
    ref = catalog.ref(
        "application_status", "fr", {"status": "approved", "reference": "A-1", "service_name": "licence"}
    )
    assert ref.language == "ar"
    assert ref.parameters == ["licence", "A-1", "approved"]
    with pytest.raises(TemplateError, match="reference"):
        catalog.ref("application_status", "en", {"service_name": "x", "status": "y"})
    with pytest.raises(TemplateError, match="no WhatsApp template"):
        catalog.ref("unknown_kind", "ar", {})


def test_template_catalogue_rejects_bodies_that_do_not_match_their_parameters():
    bad = {"templates": {"k": {"name": "n", "parameters": ["a"], "body": {"ar": "بدون متغيرات"}}}}
    with pytest.raises(TemplateError, match="placeholders"):
        TemplateCatalog.from_dict(bad)
