"""The WhatsApp section of the settings: configured only when asked, complete or refused,
secrets kept out of repr."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError

FULL = {
    "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
    "WHATSAPP_ACCESS_TOKEN": "EAAG-secret-token",
    "WHATSAPP_APP_SECRET": "app-secret-value",
    "WHATSAPP_VERIFY_TOKEN": "verify-me",
}


def whatsapp(env, tmp_path):
    return Settings.from_env(env, cwd=tmp_path).whatsapp


def test_no_variables_means_no_whatsapp_channel(tmp_path):
    assert whatsapp({"PATH": "/usr/bin"}, tmp_path) is None


def test_production_values_and_meta_default_url(tmp_path):
    config = whatsapp(FULL, tmp_path)
    assert config.messages_url == "https://graph.facebook.com/v21.0/106540352242922/messages"
    assert config.rate == 80.0
    config = whatsapp({**FULL, "WHATSAPP_API_VERSION": "22.0", "WHATSAPP_RATE": "250"}, tmp_path)
    assert config.messages_url == "https://graph.facebook.com/v22.0/106540352242922/messages"
    assert config.rate == 250.0


def test_partial_configuration_is_an_error_naming_what_is_missing(tmp_path):
    with pytest.raises(SettingsError) as refused:
        whatsapp({"WHATSAPP_PHONE_NUMBER_ID": "1", "WHATSAPP_ACCESS_TOKEN": "t"}, tmp_path)
    assert set(refused.value.problems) == {"WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"}
    with pytest.raises(SettingsError, match="WHATSAPP_RATE"):
        whatsapp({**FULL, "WHATSAPP_RATE": "fast"}, tmp_path)


def test_secrets_are_not_in_repr(tmp_path):
    text = repr(whatsapp(FULL, tmp_path))
    assert "106540352242922" in text
    for secret in ("EAAG-secret-token", "app-secret-value", "verify-me"):
        assert secret not in text


def test_base_url_and_version_are_normalised(tmp_path):
    config = whatsapp({**FULL, "WHATSAPP_API_BASE_URL": "http://proxy.local/", "WHATSAPP_API_VERSION": "v23"}, tmp_path)
    assert config.graph_url == "http://proxy.local/v23.0"
