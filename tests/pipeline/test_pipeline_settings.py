"""Settings from the environment: defaults, parsing, and no secret in its repr."""

from __future__ import annotations

import os
import time

import pytest

from bot.settings import Settings, mask_url_password


def test_defaults(tmp_path):
    settings = Settings.from_env({}, cwd=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'tawasol.db'}"
    assert settings.redis_url is None
    assert (settings.whatsapp_api_base_url, settings.whatsapp_api_version) == ("https://graph.facebook.com", "v21.0")
    assert (settings.whatsapp_rate, settings.smpp_port, settings.sms_short_code, settings.smpp_tps) == (
        80.0, 2775, "94444", 50.0,
    )
    assert settings.model_path is None and settings.log_level == "INFO"


def test_values_from_the_environment(tmp_path):
    env = {
        "DATABASE_URL": "postgresql://tawasol:s3cret@db:5432/tawasol",
        "REDIS_URL": "redis://:r3dis@cache:6379/0",
        "WHATSAPP_API_BASE_URL": "http://127.0.0.1:9000/",
        "WHATSAPP_RATE": "20",
        "SMPP_PORT": "2776",
        "SMPP_TPS": "12.5",
        "SMS_SHORT_CODE": "94555",
        "TAWASOL_MODEL": "/models/x.tar.gz",
        "LOG_LEVEL": "debug",
    }
    settings = Settings.from_env(env, cwd=tmp_path)
    assert settings.whatsapp_api_base_url == "http://127.0.0.1:9000"
    assert (settings.whatsapp_rate, settings.smpp_port, settings.smpp_tps) == (20.0, 2776, 12.5)
    assert (settings.sms_short_code, settings.model_path, settings.log_level) == ("94555", "/models/x.tar.gz", "DEBUG")


@pytest.mark.parametrize("name, value", [("WHATSAPP_RATE", "fast"), ("SMPP_TPS", "0"), ("SMPP_PORT", "-1")])
def test_bad_numbers_are_refused_by_name(tmp_path, name, value):
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value}, cwd=tmp_path)


def test_repr_masks_secrets():
    settings = Settings(
        database_url="postgresql://tawasol:s3cretpass@db/tawasol",
        redis_url="redis://:r3dispass@cache:6379/0",
        whatsapp_access_token="EAAG-very-secret-token-xyz",
        whatsapp_app_secret="app-secret-value",
        whatsapp_verify_token="verify-me-please",
        smpp_password="smpppass",
    )
    shown = repr(settings)
    for secret in ("s3cretpass", "r3dispass", "EAAG-very-secret-token", "app-secret-value", "verify-me-please",
                   "smpppass"):
        assert secret not in shown
    assert "postgresql://tawasol:***@db/tawasol" in shown and str(settings) == shown


def test_mask_url_password_leaves_urls_without_one_alone():
    assert mask_url_password("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    assert mask_url_password("redis://cache:6379/0") == "redis://cache:6379/0"


def test_the_newest_model_is_the_default(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    old, new = models / "20240101-000000.tar.gz", models / "20240202-000000.tar.gz"
    old.write_bytes(b"old")
    new.write_bytes(b"new")
    past = time.time() - 3600
    os.utime(old, (past, past))
    assert Settings.from_env({}, cwd=tmp_path).model_path == str(new)
