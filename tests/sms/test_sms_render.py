"""SMS rendering: numbered menus, the answer first and whole, what yields to it, summaries within
two segments, MORE text, segments and cost."""


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
    summary = "\n".join(lines[:-1])
    assert summary.endswith(".") and LONG_AR.startswith(summary)
    assert sms.segments == segments.count(sms.text) <= 2
    # The menu moved to MORE before the answer was cut any shorter.
    assert sms.body["more"] == LONG_AR[len(summary):].strip() + "\nأرسل 1 لـالمواعيد"


def test_english_more_line_and_word_cut_when_no_sentence_fits():
    text = " ".join(["word"] * 120)  # one long sentence
    [sms] = render(BotReply(text=text, language="en"), "962791234567")
    assert sms.text.endswith("...\nSend MORE for details")  # three dots: "…" is not GSM-7
    assert sms.segments <= 2 and segments.is_gsm7(sms.text)
    shown = sms.text.split("...")[0]
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


FEE_AR = "رسوم تجديد جواز السفر العادي 50 دينارًا، وتُضاف أجور التوصيل إذا اخترت التوصيل بالبريد."
HEADING_AR = "تجديد جواز السفر — دائرة الأحوال المدنية والجوازات"
CAVEAT_AR = "هذه معلومات إرشادية، والجهة المعنية تؤكد الرقم النهائي. ℹ️"
MENU_AR = [Choice("/ask_documents", "الأوراق المطلوبة"), Choice("/ask_steps", "الخطوات"), Choice("/ask_location", "المكان والدوام")]
FEE_EN = "Renewing a regular passport costs 50 JOD, plus the delivery charge if you choose courier delivery."
HEADING_EN = "Passport renewal — Civil Status and Passports Department"
CAVEAT_EN = "ℹ️ This is guidance; the agency confirms the final figure."
MENU_EN = [Choice("/ask_documents", "Documents"), Choice("/ask_steps", "Steps"), Choice("/ask_location", "Location & hours")]


def test_the_answer_comes_first_and_whole_and_menu_then_caveat_yield_to_it():
    reply = BotReply(text=FEE_AR, language="ar", heading=HEADING_AR, caveat=CAVEAT_AR, choices=MENU_AR)
    [sms] = render(reply, "962790000001")
    assert sms.text.splitlines() == [FEE_AR, 'أرسل "المزيد" للتفاصيل']
    assert sms.segments == segments.count(sms.text) == 2
    assert sms.body["more"].splitlines() == [
        "هذه معلومات إرشادية، والجهة المعنية تؤكد الرقم النهائي.",  # no ℹ️ on SMS
        "أرسل 1 لـالأوراق المطلوبة",
        "أرسل 2 لـالخطوات",
        "أرسل 3 لـالمكان والدوام",
    ]


def test_an_english_answer_stays_gsm7_with_caveat_heading_and_menu_when_they_fit():
    reply = BotReply(text=FEE_EN, language="en", heading=HEADING_EN, caveat=CAVEAT_EN, choices=MENU_EN)
    [sms] = render(reply, "962790000001")
    assert sms.text.splitlines() == [
        FEE_EN,
        "This is guidance; the agency confirms the final figure.",
        "(Passport renewal - Civil Status and Passports Department)",  # the em dash would cost UCS-2
        "Send 1 for Documents",
        "Send 2 for Steps",
        "Send 3 for Location & hours",
    ]
    assert segments.is_gsm7(sms.text) and sms.segments == 2
    assert "more" not in sms.body


def test_the_heading_is_shown_only_when_it_adds_no_segment():
    [short] = render(BotReply(text="A regular passport costs 50 JOD.", language="en", heading=HEADING_EN), "9627")
    assert short.text == "A regular passport costs 50 JOD.\n(Passport renewal - Civil Status and Passports Department)"
    assert short.segments == 1

    answer = (
        "Online through the Sanad app at any time, or at any Civil Status and Passports office, "
        "Sunday to Thursday, 8:30 am to 3:00 pm."
    )
    assert segments.count(answer) == 1
    assert segments.count(answer + "\n(Passport renewal - Civil Status and Passports Department)") == 2
    [tight] = render(BotReply(text=answer, language="en", heading=HEADING_EN), "9627")
    assert tight.text == answer and tight.segments == 1 and "more" not in tight.body


def test_the_menu_moves_to_more_before_the_caveat_does():
    answer = " ".join(["Bring your old passport and your national ID card to the office."] * 3)
    assert segments.count("\n".join([answer, CAVEAT_EN[3:], "Send 1 for Documents", "Send 2 for Steps",
                                     "Send 3 for Location & hours"])) == 3
    [sms] = render(BotReply(text=answer, language="en", caveat=CAVEAT_EN, choices=MENU_EN), "9627")
    assert sms.text.splitlines() == [answer, CAVEAT_EN[3:], "Send MORE for options"]
    assert sms.segments == 2
    assert sms.body["more"] == "Send 1 for Documents\nSend 2 for Steps\nSend 3 for Location & hours"


def test_a_cut_answer_keeps_its_caveat_and_menu_for_more():
    [sms] = render(BotReply(text=LONG_AR, caveat=CAVEAT_AR, heading=HEADING_AR, choices=MENU_AR[:1]), "9627")
    assert sms.segments <= 2 and "الجهة المعنية" not in sms.text and "(" not in sms.text
    assert sms.body["more"].splitlines()[-2:] == [
        "هذه معلومات إرشادية، والجهة المعنية تؤكد الرقم النهائي.", "أرسل 1 لـالأوراق المطلوبة",
    ]


def test_emoji_never_reach_an_sms_so_they_cost_nothing():
    welcome = "Welcome to Tawasol, the unified government assistant 👋 Ask me about any government service."
    [english] = render(BotReply(text=welcome, language="en"), "9627")
    assert english.text == welcome.replace(" 👋", "")
    assert segments.is_gsm7(english.text) and english.segments == 1

    arabic = "أهلاً وسهلاً بك في تواصل، المساعد الحكومي الموحد 👋 اسألني عن أي خدمة حكومية."
    [sms] = render(BotReply(text=arabic), "9627")
    assert "👋" not in sms.text and sms.segments == segments.count(arabic.replace(" 👋", ""))


def test_a_reply_in_one_piece_renders_as_before():
    # Replies without heading or caveat (everything but catalog answers, and rows stored before
    # they existed) are laid out from `text` alone.
    reply = BotReply.from_dict({"text": "Fees: 20 JOD.", "language": "en", "choices": [], "more": None})
    assert reply.heading is None and reply.caveat is None
    [sms] = render(reply, "9627")
    assert sms.text == "Fees: 20 JOD." and sms.segments == 1
