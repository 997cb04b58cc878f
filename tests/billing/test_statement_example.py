"""The ledger reproduces seed 000's rules to the fils on a small example checked by hand.

The messages go through the router's billing (Router.bill) into the real store, are marked sent as
a provider would, and are dated inside and around 2026Q4 (Amman time, UTC+3)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import update

from billing.statements import Quarter, build_statement, statement_csv
from routing.billing import BodyType, CitizenCharge, MessageKind
from routing.policy import MINISTRY, Agency
from routing.router import Router
from store.models import LedgerEntry
from store.outbound import NewOutbound

AMMAN = timezone(timedelta(hours=3))
MOI = Agency("moi", BodyType.GOVERNMENT)
JTRC = Agency("jtrc", BodyType.INDEPENDENT)
IN_Q4 = datetime(2026, 11, 15, 10, 0, tzinfo=AMMAN)

# (payer, category, channel, segments, citizen charge, queued at, accepted by a provider)
EXAMPLE = [
    (MOI, MessageKind.TRANSACTION_STATUS, "sms", 1, CitizenCharge.NONE, IN_Q4, True),
    (MOI, MessageKind.TRANSACTION_STATUS, "sms", 2, CitizenCharge.NONE, IN_Q4, True),
    (MOI, MessageKind.TRANSACTION_STATUS, "sms", 1, CitizenCharge.NONE, IN_Q4, True),
    (MOI, MessageKind.TRANSACTION_STATUS, "sms", 1, CitizenCharge.SUBSCRIPTION_MESSAGE, IN_Q4, True),
    (MOI, MessageKind.TRANSACTION_STATUS, "whatsapp", 1, CitizenCharge.NONE, IN_Q4, True),
    (MOI, MessageKind.TRANSACTION_STATUS, "whatsapp", 1, CitizenCharge.NONE, IN_Q4, True),
    (MOI, MessageKind.AWARENESS, "sms", 3, CitizenCharge.NONE, IN_Q4, True),
    (MOI, MessageKind.PROMOTIONAL, "sms", 1, CitizenCharge.NONE, IN_Q4, True),
    (MOI, MessageKind.PROMOTIONAL, "sms", 1, CitizenCharge.NONE, IN_Q4, True),
    # The quarter's first moment belongs to it...
    (MOI, MessageKind.INTERNAL, "sms", 1, CitizenCharge.NONE, datetime(2026, 10, 1, 0, 0, tzinfo=AMMAN), True),
    # ...its last second's successor and the second before it do not.
    (MOI, MessageKind.INTERNAL, "sms", 1, CitizenCharge.NONE, datetime(2027, 1, 1, 0, 0, tzinfo=AMMAN), True),
    (MOI, MessageKind.INTERNAL, "sms", 1, CitizenCharge.NONE, datetime(2026, 9, 30, 23, 59, 59, tzinfo=AMMAN), True),
    # Never accepted by a provider (failed, or superseded by a fallback): not billed.
    (MOI, MessageKind.TRANSACTION_STATUS, "sms", 4, CitizenCharge.NONE, IN_Q4, False),
    # Another body's and the ministry's own: not on moi's statement.
    (JTRC, MessageKind.AWARENESS, "sms", 2, CitizenCharge.NONE, IN_Q4, True),
    (MINISTRY, MessageKind.REPLY, "sms", 2, CitizenCharge.POP_QUERY, IN_Q4, True),
]


def write_example(store) -> None:
    router = Router({})
    store.agencies.add("moi", name_ar="وزارة الداخلية", name_en="Ministry of Interior")
    store.agencies.add("jtrc", name_ar="هيئة تنظيم قطاع الاتصالات", name_en="Telecommunications Regulatory Commission",
                       independent=True)
    citizen_id = store.citizens.resolve("sms", "962791234567")
    for number, (payer, category, channel, segments, citizen, at, accepted) in enumerate(EXAMPLE):
        [message_id] = store.outbound.add([NewOutbound(
            citizen_id=citizen_id, channel=channel, address="962791234567", text=f"message {number}",
            kind="reply" if category is MessageKind.REPLY else "test", segments=segments,
            billing=router.bill(category, payer, channel, segments, citizen=citizen),
        )])
        if accepted:
            store.outbound.mark_sent(message_id, f"provider-{number}")
        else:
            store.outbound.mark_failed(message_id, error_code="test", detail="never accepted")
        with store.db.session() as s:
            s.execute(update(LedgerEntry).where(LedgerEntry.message_id == message_id).values(created_at=at))


def test_the_hand_checked_statement_of_a_government_body(store):
    """moi, a government body, 2026Q4. One SMS segment costs 0.006842 JOD; moi pays half of
    transaction status and awareness and all of promotional and internal. Each line's exact sums are
    rounded half up to the fils; the ministry's share is the line's amount minus the agency's.

    transaction_status, sms: 4 messages of 1+2+1+1 = 5 segments
        amount   5 x 0.006842 = 0.034210 -> 0.034
        agency   5 x 0.003421 = 0.017105 -> 0.017;  ministry 0.034 - 0.017 = 0.017
        citizen  one subscription message by SMS: 5 piasters = 0.050
    transaction_status, whatsapp: 2 messages, 2 segments, priced by Meta, not here: 0.000
    awareness, sms: 1 message of 3 segments
        amount   3 x 0.006842 = 0.020526 -> 0.021
        agency   3 x 0.003421 = 0.010263 -> 0.010;  ministry 0.021 - 0.010 = 0.011
    promotional, sms: 2 messages, 2 segments
        amount   2 x 0.006842 = 0.013684 -> 0.014; agency 0.014; ministry 0.000
    internal, sms: 1 message (queued at 2026-10-01 00:00 Amman, the quarter's first moment)
        amount   0.006842 -> 0.007; agency 0.007; ministry 0.000
    Left out: internal messages at 2027-01-01 00:00 and 2026-09-30 23:59:59 (other quarters), a
    4-segment message no provider accepted, jtrc's message, the ministry's answer.

    totals   messages 4+2+1+2+1 = 10, segments 5+2+3+2+1 = 13
             amount   0.034 + 0.021 + 0.014 + 0.007 = 0.076
             agency   0.017 + 0.010 + 0.014 + 0.007 = 0.048
             ministry 0.017 + 0.011                 = 0.028   (0.048 + 0.028 = 0.076)
             citizen  0.050
    (Rounding per message instead would bill 11 SMS segments x 0.007 = 0.077; the exact sum is
    0.075262: line rounding keeps the statement within half a fil a line of the exact cost.)
    """
    write_example(store)
    statement = build_statement(store, Quarter.parse("2026Q4"), "moi")
    assert statement_csv(statement) == (
        "category,channel,messages,segments,amount_jod,agency_share_jod,ministry_share_jod,citizen_charges_jod\n"
        "transaction_status,sms,4,5,0.034,0.017,0.017,0.050\n"
        "transaction_status,whatsapp,2,2,0.000,0.000,0.000,0.000\n"
        "awareness,sms,1,3,0.021,0.010,0.011,0.000\n"
        "promotional,sms,2,2,0.014,0.014,0.000,0.000\n"
        "internal,sms,1,1,0.007,0.007,0.000,0.000\n"
    )
    totals = statement.totals
    assert (totals.messages, totals.segments) == (10, 13)
    assert (totals.amount, totals.agency_share, totals.ministry_share, totals.citizen_charges) == (
        Decimal("0.076"), Decimal("0.048"), Decimal("0.028"), Decimal("0.050"),
    )


def test_the_hand_checked_statement_of_an_independent_body(store):
    """jtrc, independent: pays all of its one awareness message of 2 segments.
    amount 2 x 0.006842 = 0.013684 -> 0.014; agency 0.014; ministry 0.000."""
    write_example(store)
    statement = build_statement(store, Quarter.parse("2026Q4"), "jtrc")
    assert [line.csv_row() for line in statement.lines] == [
        ["awareness", "sms", "1", "2", "0.014", "0.014", "0.000", "0.000"],
    ]


def test_the_hand_checked_ministry_wide_statement(store):
    """Every body's messages and the ministry's own, 2026Q4.
    awareness, sms: moi's 3 segments and jtrc's 2 = 5 segments, 2 messages
        amount   5 x 0.006842 = 0.034210 -> 0.034
        agencies 0.010263 (moi's half) + 0.013684 (jtrc's all) = 0.023947 -> 0.024
        ministry 0.034 - 0.024 = 0.010
    reply, sms: the ministry's answer, 2 segments: 0.013684 -> 0.014, all the ministry's;
        the citizen's POP query: 7 piasters = 0.070
    the other lines are moi's, as on its statement.
    totals amount 0.034 + 0.034 + 0.014 + 0.007 + 0.014 = 0.103
           agencies 0.017 + 0.024 + 0.014 + 0.007 = 0.062; ministry 0.017 + 0.010 + 0.014 = 0.041
           citizens 0.050 + 0.070 = 0.120
    """
    write_example(store)
    statement = build_statement(store, Quarter.parse("2026Q4"))
    assert [line.csv_row() for line in statement.lines] == [
        ["transaction_status", "sms", "4", "5", "0.034", "0.017", "0.017", "0.050"],
        ["transaction_status", "whatsapp", "2", "2", "0.000", "0.000", "0.000", "0.000"],
        ["awareness", "sms", "2", "5", "0.034", "0.024", "0.010", "0.000"],
        ["promotional", "sms", "2", "2", "0.014", "0.014", "0.000", "0.000"],
        ["internal", "sms", "1", "1", "0.007", "0.007", "0.000", "0.000"],
        ["reply", "sms", "1", "2", "0.014", "0.000", "0.014", "0.070"],
    ]
    totals = statement.totals
    assert (totals.amount, totals.agency_share, totals.ministry_share, totals.citizen_charges) == (
        Decimal("0.103"), Decimal("0.062"), Decimal("0.041"), Decimal("0.120"),
    )


@pytest.mark.parametrize("exact, fils", [
    ("0.0005", "0.001"), ("0.0004999", "0.000"), ("0.003421", "0.003"), ("0.0345", "0.035"),
])
def test_half_a_fil_rounds_up(exact, fils):
    from billing.statements import to_fils

    assert to_fils(Decimal(exact)) == Decimal(fils)


def test_the_pdf_states_the_sms_price_the_lines_were_billed_at():
    """The tariff is configurable (BILLING_SMS_SEGMENT_JOD): the PDF's note reads the price from the
    quarter's lines instead of printing seed 000's figure whatever was billed."""
    from billing.statement_pdf import _price_notes
    from billing.statements import MINISTRY_WIDE, Statement, StatementLine

    def line(channel, segments, amount):
        zero = Decimal("0")
        return StatementLine("awareness", channel, 1, segments, Decimal(amount), zero, zero, zero)

    seed = Statement(MINISTRY_WIDE, Quarter.parse("2026Q4"), [line("sms", 3, "0.020526"), line("whatsapp", 1, "0")])
    assert _price_notes(seed)[0][1] == "An SMS costs 0.006842 JOD a segment."
    changed = Statement(MINISTRY_WIDE, Quarter.parse("2026Q4"), [line("sms", 2, "0.016"), line("sms", 1, "0.006842")])
    assert _price_notes(changed)[0][1] == "An SMS costs 0.006842 / 0.008 JOD a segment."
    assert _price_notes(Statement(MINISTRY_WIDE, Quarter.parse("2026Q4"), [line("whatsapp", 1, "0")])) == []
