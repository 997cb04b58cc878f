"""Every step's notification, as SMS renders it: the step and the line that says how to stop the
agency's messages both fit in the first message (no MORE needed), in Arabic and English, with a
long agency name and every optional part filled in."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from api.lifecycle import EVENT_TYPES
from api.wording import citizen_text
from channels.sms import segments
from channels.sms.render import render
from core.messages import BotReply
from store.models import Agency, Transaction, TransactionEvent

AGENCY = Agency(id="cspd", name_ar="دائرة الأحوال المدنية والجوازات", name_en="Civil Status and Passports Department")
TRANSACTION = Transaction(number="2026-CSPD-00012345", service_id="cspd.passport_renew")
AT = datetime(2026, 11, 2, 6, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize("kind", ["registered", *EVENT_TYPES])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_step_and_the_opt_out_line_fit_in_the_first_sms(kind, language):
    event = TransactionEvent(
        type=kind, at=AT, note="الصورة الشخصية غير مطابقة" if kind == "rejected" else None,
        destination="مكتب إربد" if kind in ("issued", "forwarded") else None,
        document_number="P1234567" if kind == "issued" else None,
    )
    service = "تجديد جواز السفر" if language == "ar" else "Passport renewal"
    text = citizen_text(event, TRANSACTION, AGENCY, service, language)
    [sms] = render(BotReply(text=text, language=language), "962791110002")
    assert ("ايقاف CSPD" if language == "ar" else "STOP CSPD") in sms.text  # in the first message
    assert TRANSACTION.number in sms.text
    if language == "ar":  # Arabic throughout: the whole step fits, nothing waits for MORE
        assert "more" not in sms.body, sms.text
        assert sms.text.splitlines()[-1] == "لإيقاف رسائل الجهة: ايقاف CSPD" and "2026-11-02" in sms.text
    assert segments.count(sms.text) <= 2
    if kind in ("payment_received", "documents_received"):
        assert "09:05" in sms.text  # Amman time


@pytest.mark.parametrize("kind", ["registered", *EVENT_TYPES])
def test_a_plain_english_step_fits_whole_with_the_line_last(kind):
    event = TransactionEvent(
        type=kind, at=AT, note="The photo does not meet the specification" if kind == "rejected" else None,
        destination="Irbid office" if kind in ("issued", "forwarded") else None,
        document_number="P1234567" if kind == "issued" else None,
    )
    text = citizen_text(event, TRANSACTION, AGENCY, "Passport renewal", "en")
    [sms] = render(BotReply(text=text, language="en"), "962791110002")
    assert "more" not in sms.body and sms.text.splitlines()[-1] == "To stop this agency's messages: STOP CSPD"
    assert "Civil Status and Passports Department" in sms.text and "2026-11-02" in sms.text
