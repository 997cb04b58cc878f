"""WhatsAppConfig.from_env: development defaults, partial configuration, secrets kept out of repr."""

from __future__ import annotations

import pytest

from channels.whatsapp.config import DEV_DEFAULTS, WhatsAppConfig, WhatsAppConfigError
from simulators import whatsapp_graph

FULL = {
    "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
    "WHATSAPP_ACCESS_TOKEN": "EAAG-secret-token",
    "WHATSAPP_APP_SECRET": "app-secret-value",
    "WHATSAPP_VERIFY_TOKEN": "verify-me",
}


def test_no_variables_means_development_defaults_that_match_the_fake():
    config = WhatsAppConfig.from_env({"PATH": "/usr/bin"})
    assert config.dev_defaults
    assert (
        config.api_base_url
        == DEV_DEFAULTS["WHATSAPP_API_BASE_URL"]
        == f"http://127.0.0.1:{whatsapp_graph.DEFAULT_PORT}"
    )
    assert config.phone_number_id == whatsapp_graph.DEFAULT_PHONE_NUMBER_ID
    assert config.access_token == whatsapp_graph.DEFAULT_ACCESS_TOKEN
    assert config.app_secret == whatsapp_graph.DEFAULT_APP_SECRET
    assert config.messages_url == "http://127.0.0.1:8089/v21.0/100000000000001/messages"
    assert config.rate == 80


def test_production_values_and_meta_default_url():
    config = WhatsAppConfig.from_env({**FULL, "WHATSAPP_API_VERSION": "22.0", "WHATSAPP_RATE": "250"})
    assert not config.dev_defaults
    assert config.messages_url == "https://graph.facebook.com/v22.0/106540352242922/messages"
    assert config.rate == 250.0


def test_partial_configuration_is_an_error_naming_what_is_missing():
    with pytest.raises(WhatsAppConfigError, match="WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN"):
        WhatsAppConfig.from_env({"WHATSAPP_PHONE_NUMBER_ID": "1", "WHATSAPP_ACCESS_TOKEN": "t"})
    with pytest.raises(WhatsAppConfigError, match="WHATSAPP_RATE"):
        WhatsAppConfig.from_env({**FULL, "WHATSAPP_RATE": "fast"})


def test_secrets_are_not_in_repr():
    text = repr(WhatsAppConfig.from_env(FULL))
    assert "106540352242922" in text
    for secret in ("EAAG-secret-token", "app-secret-value", "verify-me"):
        assert secret not in text


def test_base_url_and_version_are_normalised():
    config = WhatsAppConfig.from_env(
        {**FULL, "WHATSAPP_API_BASE_URL": "http://proxy.local/", "WHATSAPP_API_VERSION": "v23"}
    )
    assert config.graph_url == "http://proxy.local/v23.0"
