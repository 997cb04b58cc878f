"""The log scan in tests/log_scan.py: what it calls a leak, and what it leaves alone."""

from __future__ import annotations

import logging

import pytest

from tests import log_scan


@pytest.mark.parametrize(
    "line",
    [
        "sent to=962791234567",
        "from +962791234567",
        "called 00962791234567",
        "typed 0791234567",
        "national_id=9901234567",
        "her national number 2000123456",
        "uk +447700900123",
    ],
)
def test_a_number_or_id_in_clear_is_a_leak(line):
    assert log_scan.leaks_in(line)


@pytest.mark.parametrize(
    "line",
    [
        "sent to=9627*****567",
        "provider_id=wamid.HBgLOTYyNzkxMjM0NTY3FQIAEhgg",
        "at=1717000000",  # a Unix time
        "phone_number_id=106540352242922",  # our business number's id, not a citizen
        "message_id=123456789 attempts=3",
        "model 20261207-162012-bright-buyer.tar.gz",
    ],
)
def test_masked_numbers_ids_and_times_are_not(line):
    assert log_scan.leaks_in(line) == []


def test_a_secret_from_the_test_settings_is_a_leak():
    from tests.whatsapp.support import ACCESS_TOKEN, make_config

    make_config(access_token="EAAG-registered-by-building-a-config")
    assert log_scan.leaks_in(f"Authorization: Bearer {ACCESS_TOKEN}")
    assert log_scan.leaks_in("token=EAAG-registered-by-building-a-config")


def test_the_scanner_sees_records_whatever_the_handlers():
    before = sum(len(v) for v in log_scan.leaks.values())
    logging.getLogger("tests.log_scan").debug("below the level: never made, never scanned 962791234567")
    assert sum(len(v) for v in log_scan.leaks.values()) == before
    record = logging.getLogRecordFactory()("x", logging.INFO, __file__, 1, "masked %s", ("9627*****567",), None)
    assert record.getMessage() == "masked 9627*****567"
    assert sum(len(v) for v in log_scan.leaks.values()) == before
