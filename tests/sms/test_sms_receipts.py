"""Delivery receipts: TLVs or the Appendix B text → StatusUpdate; hex/decimal id spellings."""

import pytest

from core.messages import STATUS_DELIVERED, STATUS_FAILED, STATUS_SENT
from channels.sms import receipts
from channels.sms.deliver_sm import DeliverSm

TEXT = "id:{id} sub:001 dlvrd:{d} submit date:2611220317 done date:2611220318 stat:{stat} err:{err} text:Hello"


def receipt_sm(**kwargs):
    return DeliverSm(source_addr="962791234567", destination_addr="94444", esm_class=0x04, **kwargs)


@pytest.mark.parametrize(
    "stat, status, error_code",
    [
        ("DELIVRD", STATUS_DELIVERED, None),
        ("UNDELIV", STATUS_FAILED, "UNDELIV"),
        ("REJECTD", STATUS_FAILED, "REJECTD"),
        ("EXPIRED", STATUS_FAILED, "EXPIRED"),
        ("DELETED", STATUS_FAILED, "DELETED"),
        ("ACCEPTD", STATUS_SENT, None),
        ("ENROUTE", STATUS_SENT, None),
    ],
)
def test_text_receipt_states(stat, status, error_code):
    text = TEXT.format(id="4F2A", d="001", stat=stat, err="000" if status != STATUS_FAILED else "017")
    receipt = receipts.parse(receipt_sm(), text)
    assert receipt.message_id == "4F2A" and receipt.done_date == "2611220318"
    update = receipts.to_status(receipt, address="962791234567")
    assert (update.status, update.error_code, update.provider_id) == (status, error_code, "4F2A")
    if status == STATUS_FAILED:
        assert update.error_title == "err:017"


def test_tlvs_win_over_the_text():
    deliver = receipt_sm(receipted_message_id="777", message_state=5, network_error_code=b"\x03\x00\x22")
    receipt = receipts.parse(deliver, TEXT.format(id="999", d="001", stat="DELIVRD", err="000"))
    assert (receipt.message_id, receipt.stat) == ("777", "UNDELIV")
    assert receipt.error == "030022"


def test_unknown_state_and_unreadable_receipts_yield_nothing():
    unknown = receipts.parse(receipt_sm(), TEXT.format(id="1", d="0", stat="UNKNOWN", err="0"))
    assert receipts.to_status(unknown) is None
    assert receipts.parse(receipt_sm(), "this is not a receipt") is None


def test_is_receipt_by_esm_class():
    assert receipt_sm().is_receipt
    assert not DeliverSm("1", "2", esm_class=0x40).is_receipt
    assert DeliverSm("1", "2", esm_class=0x44).is_receipt  # receipt bit with UDHI


@pytest.mark.parametrize(
    "given, includes",
    [
        ("1234", ["1234", "4d2", "4D2", "4660"]),  # decimal→hex, and read as hex→decimal
        ("4d2", ["4d2", "1234"]),
        ("00FF", ["00FF", "FF", "255", "ff"]),
        ("0a1F", ["0a1F", "a1F", "2591"]),  # without its leading zero, as some SMSCs print it
        ("abc-123", ["abc-123"]),
    ],
)
def test_id_variants(given, includes):
    variants = receipts.id_variants(given)
    assert variants[0] == given
    for variant in includes:
        assert variant in variants
