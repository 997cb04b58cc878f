"""MO provider ids (dedupe keys), multi-part receipt folding, address forms, config from env."""

from datetime import datetime, timezone

import pytest

from bot.settings import Settings
from core.messages import STATUS_DELIVERED, STATUS_FAILED, STATUS_SENT
from channels.sms.addresses import is_valid_destination, to_international
from channels.sms.config import SmsConfig
from channels.sms.delivery_tracking import DeliveryTracker
from channels.sms.mo_identity import RedeliveryMemory, content_digest, provider_id

T1 = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
T2 = datetime(2026, 11, 22, 10, 5, tzinfo=timezone.utc)


def test_digest_depends_on_every_identifying_field():
    base = content_digest("962791234567", "94444", "1", "", "")
    assert base == content_digest("962791234567", "94444", "1", "", "")
    others = [
        content_digest("962791234568", "94444", "1"),
        content_digest("962791234567", "94445", "1"),
        content_digest("962791234567", "94444", "2"),
        content_digest("962791234567", "94444", "1", "udh8:7:2"),
        content_digest("962791234567", "94444", "1", "", "261122100000000+"),
    ]
    assert base not in others and len(set(others)) == len(others)


def test_same_text_twice_is_two_messages_but_a_redelivery_is_one():
    memory = RedeliveryMemory()
    digest = content_digest("962791234567", "94444", "1")
    first = provider_id(digest, False, T1, memory)
    second = provider_id(digest, False, T2, memory)
    assert first != second  # the citizen sent "1" again five minutes later: a new message
    memory.remember(digest, first)  # the SMSC may not have had our answer to the first
    assert provider_id(digest, False, T2, memory) == first  # its redelivery: same id
    memory.forget(digest)
    assert provider_id(digest, False, T2, memory) != first


def test_smsc_stamped_messages_have_a_stable_id_without_memory():
    digest = content_digest("962791234567", "94444", "1", "", "261122100000000+")
    assert provider_id(digest, True, T1, RedeliveryMemory()) == provider_id(digest, True, T2, RedeliveryMemory())


def test_memory_expires_and_is_bounded():
    now = [0.0]
    memory = RedeliveryMemory(ttl_s=10, max_entries=2, clock=lambda: now[0])
    memory.remember("a", "id-a")
    memory.remember("b", "id-b")
    memory.remember("c", "id-c")
    assert memory.recall("a") is None and memory.recall("c") == "id-c"
    now[0] = 11
    assert memory.recall("b") is None


def test_multipart_receipts_fold_into_one_status():
    tracker = DeliveryTracker()
    tracker.register(["100", "101", "102"])
    assert tracker.observe("101", STATUS_SENT) == ("100", STATUS_SENT)
    assert tracker.observe("100", STATUS_SENT) == ("100", None)  # said already
    assert tracker.observe("100", STATUS_DELIVERED) == ("100", None)  # 1 of 3 delivered: nothing new
    assert tracker.observe("65", STATUS_DELIVERED) == ("100", None)  # hex spelling of 101
    assert tracker.observe("102", STATUS_DELIVERED) == ("100", STATUS_DELIVERED)
    assert tracker.observe("999", STATUS_DELIVERED) == ("999", STATUS_DELIVERED)  # not ours: passes


def test_a_failed_part_fails_the_message_once():
    tracker = DeliveryTracker()
    tracker.register(["a1", "a2"])
    assert tracker.observe("a2", STATUS_FAILED) == ("a1", STATUS_FAILED)
    assert tracker.observe("a1", STATUS_DELIVERED) == ("a1", None)


@pytest.mark.parametrize(
    "address, ton, expected",
    [
        ("962791234567", 1, "962791234567"),
        ("+962791234567", 0, "962791234567"),
        ("00962791234567", 0, "962791234567"),
        ("0791234567", 2, "962791234567"),
        ("0791234567", 0, "962791234567"),
        ("791234567", 2, "962791234567"),
        ("94444", 3, "94444"),
    ],
)
def test_addresses_become_international(address, ton, expected):
    assert to_international(address, ton) == expected


def test_destination_validation():
    assert is_valid_destination("962791234567")
    assert not is_valid_destination("+962791234567")
    assert not is_valid_destination("12345")


def test_config_from_the_environment_contract_names_and_masked_repr(tmp_path):
    config = Settings.from_env(
        {
            "SMPP_HOST": "smsc.example",
            "SMPP_PORT": "2776",
            "SMPP_SYSTEM_ID": "tawasol",
            "SMPP_PASSWORD": "s3cretpw",
            "SMPP_SYSTEM_TYPE": "GOV",
            "SMS_SHORT_CODE": "90000",
            "SMPP_TPS": "20",
        },
        cwd=tmp_path,
    ).sms
    assert (config.host, config.port, config.system_id, config.system_type) == ("smsc.example", 2776, "tawasol", "GOV")
    assert (config.short_code, config.tps) == ("90000", 20.0)
    assert "s3cretpw" not in repr(config)
    defaults = Settings.from_env({"SMPP_HOST": "smsc", "SMPP_SYSTEM_ID": "t"}, cwd=tmp_path).sms
    assert (defaults.port, defaults.short_code, defaults.tps) == (2775, "94444", 50.0)
    assert Settings.from_env({"SMPP_HOST": "smsc", "SMPP_SYSTEM_ID": "t", "SMPP_TPS": "0"}, cwd=tmp_path).sms.tps is None


def test_config_warns_about_fields_smpp_cannot_carry():
    assert SmsConfig(system_id="tawasol", password="s3cretpw").warnings() == []
    problems = SmsConfig(system_id="tawasol", password="much-too-long").warnings()
    assert problems == ["password is longer than the 8 characters SMPP 3.4 allows: it will be cut"]
    assert "SMPP_SYSTEM_ID is empty" in SmsConfig().warnings()
