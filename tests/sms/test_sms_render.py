"""SMS rendering: numbered menus, summaries within two segments, MORE text, segments and cost."""


from core.messages import BotReply, Choice
from channels.sms import segments
from channels.sms.render import render
from channels.sms.segments import ReferenceCounter

LONG_AR = (
    "لتجديد جواز السفر يجب حضور المواطن شخصياً إلى دائرة الأحوال المدنية والجوازات. "
    "يجب إحضار الجواز القديم والهوية الشخصية. "
    "الرسوم عشرون ديناراً للجواز العادي. "
    "يمكن الدفع إلكترونياً عبر إي فواتيركم. "
    "مدة الإنجاز يوم عمل واحد."
)


def test_short_reply_is_sent_whole():
    [sms] = render(BotReply(text="Your request was received.", language="en"), "962791234567")
    assert sms.text == "Your request was received."
    assert sms.segments == 1
    assert sms.channel == "sms" and sms.address == "962791234567"
    assert "more" not in sms.body and sms.body["text"] == sms.text


def test_choices_become_a_numbered_menu_in_the_reply_language():
    choices = [Choice("/a", "المواعيد"), Choice("/b", "الرسوم")]
    [ar] = render(BotReply(text="ماذا تريد أن تعرف؟", choices=choices), "962791234567")
    assert ar.text.splitlines() == ["ماذا تريد أن تعرف؟", "أرسل 1 لـالمواعيد", "أرسل 2 لـالرسوم"]
    [en] = render(
        BotReply(text="What next?", language="en", choices=[Choice("/a", "Hours"), Choice("/b", "Fees")]),
        "962791234567",
    )
    assert en.text.splitlines() == ["What next?", "Send 1 for Hours", "Send 2 for Fees"]


def test_long_answer_is_cut_at_a_sentence_within_two_segments_and_the_rest_kept():
    choices = [Choice("/a", "المواعيد")]
    [sms] = render(BotReply(text=LONG_AR, choices=choices), "962791234567")
    lines = sms.text.splitlines()
    assert lines[-1] == 'أرسل "المزيد" للتفاصيل'
    assert lines[-2] == "أرسل 1 لـالمواعيد"
    summary = "\n".join(lines[:-2])
    assert summary.endswith(".") and LONG_AR.startswith(summary)
    assert sms.segments == segments.count(sms.text) <= 2
    assert sms.body["more"] == LONG_AR[len(summary):].strip()


def test_english_more_line_and_word_cut_when_no_sentence_fits():
    text = " ".join(["word"] * 120)  # one long sentence
    [sms] = render(BotReply(text=text, language="en"), "962791234567")
    assert sms.text.endswith("…\nSend MORE for details")
    assert sms.segments <= 2
    shown = sms.text.split("…")[0]
    assert (shown + " " + sms.body["more"]).split() == text.split()


def test_brain_supplied_more_is_kept_as_is():
    reply = BotReply(text="Fees: 20 JOD.", language="en", more="Fees: 20 JOD. Paid online or at the office.")
    [sms] = render(reply, "962791234567")
    assert sms.text == "Fees: 20 JOD.\nSend MORE for details"
    assert sms.body["more"] == reply.more


def test_each_message_gets_the_next_reference():
    counter = ReferenceCounter(start=10)
    first = render(BotReply(text="a"), "962791234567", counter)[0]
    second = render(BotReply(text="b"), "962791234567", counter)[0]
    assert (first.body["udh_ref"], second.body["udh_ref"]) == (10, 11)


def test_the_answer_comes_before_optional_choices_when_two_segments_are_tight():
    from core.messages import BotReply, Choice
    from channels.sms import segments
    from channels.sms.render import render

    reply = BotReply(
        text=(
            "تجديد جواز السفر — دائرة الأحوال المدنية والجوازات\n\n"
            "رسوم تجديد جواز السفر العادي 50 دينارًا، وتُضاف أجور التوصيل إذا اخترت التوصيل بالبريد.\n\n"
            "ℹ️ هذه معلومات إرشادية، والجهة المعنية تؤكد الرقم النهائي."
        ),
        language="ar",
        choices=[Choice("/ask_documents", "الأوراق المطلوبة"), Choice("/ask_steps", "الخطوات"), Choice("/ask_location", "المكان والدوام")],
    )
    [sms] = render(reply, "962790000001")
    assert "50 دينار" in sms.text  # the figure asked for is in the first SMS
    assert segments.count(sms.text) <= 2
    assert "المزيد" in sms.text
    assert "أرسل 1 لـالأوراق المطلوبة" in sms.body["more"]  # the menu waits in MORE
