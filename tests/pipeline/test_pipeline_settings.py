"""Settings from the environment: defaults, parsing, one rule per variable, no secret in its repr."""

from __future__ import annotations

import os
import time

import pytest

from bot.settings import MODELS_DIR, NO_CHANNEL, Settings, SettingsError, channel_variables, mask_url_password, newest_model
from catalog.replies import DEFAULT_REPLIES
from catalog.services import DEFAULT_CATALOG_DIR


def test_defaults(tmp_path):
    settings = Settings.from_env({}, cwd=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'tawasol.db'}"
    assert settings.redis_url is None
    assert settings.whatsapp is None and settings.sms is None and settings.channels == []
    assert settings.model_path == newest_model(MODELS_DIR)
    assert (settings.answer_cache_size, settings.log_level) == (20_000, "INFO")
    assert (settings.catalog_dir, settings.replies_file) == (DEFAULT_CATALOG_DIR, DEFAULT_REPLIES)


def test_values_from_the_environment(tmp_path):
    model = tmp_path / "x.tar.gz"
    model.write_bytes(b"model")
    replies = tmp_path / "replies.yml"
    replies.write_text("{}", encoding="utf-8")
    env = {
        "DATABASE_URL": "postgresql://tawasol:s3cret@db:5432/tawasol",
        "REDIS_URL": "redis://:r3dis@cache:6379/0",
        "TAWASOL_MODEL": str(model),
        "ANSWER_CACHE_SIZE": "0",
        "TAWASOL_CATALOG_DIR": str(tmp_path),
        "TAWASOL_REPLIES": str(replies),
        "LOG_LEVEL": "debug",
    }
    settings = Settings.from_env(env, cwd=tmp_path)
    assert (settings.database_url, settings.redis_url) == (env["DATABASE_URL"], env["REDIS_URL"])
    assert (settings.model_path, settings.answer_cache_size, settings.log_level) == (str(model), 0, "DEBUG")
    assert (settings.catalog_dir, settings.replies_file) == (tmp_path, replies)


def test_an_empty_variable_counts_as_unset(tmp_path):
    settings = Settings.from_env({"REDIS_URL": " ", "WHATSAPP_ACCESS_TOKEN": "", "SMPP_HOST": ""}, cwd=tmp_path)
    assert settings.redis_url is None and settings.channels == []


@pytest.mark.parametrize(
    "name, value, why",
    [
        ("WHATSAPP_RATE", "fast", "must be a number"),
        ("WHATSAPP_RATE", "0", "must be a positive number"),
        ("WHATSAPP_API_VERSION", "latest", "not a Graph API version"),
        ("WHATSAPP_API_BASE_URL", "graph.facebook.com", "must be an http"),
        ("SMPP_TPS", "-1", "zero (no cap) or a positive number"),
        ("SMPP_PORT", "-1", "zero or more"),
        ("SMPP_PORT", "70000", "TCP port"),
        ("SMS_SHORT_CODE", "TAWASOL", "digits"),
        ("ANSWER_CACHE_SIZE", "lots", "whole number"),
        ("LOG_LEVEL", "loud", "must be one of"),
        ("TAWASOL_MODEL", "/nowhere/model.tar.gz", "no such file"),
        ("TAWASOL_CATALOG_DIR", "/nowhere", "no such directory"),
        ("TAWASOL_REPLIES", "/nowhere/replies.yml", "no such file"),
        ("REDIS_URL", "cache:6379", "redis://"),
        ("DATABASE_URL", "not a url", "SQLAlchemy URL"),
        ("WHATSAPP_TOKEN", "x", "not a Tawasol variable"),
        ("AGENCY_LOOKUP_TIMEOUT", "0", "positive number"),
        ("AGENCY_LOOKUP_TIMEOUT", "60", "at most 30 seconds"),
        ("AGENCY_LOOKUP_RETRIES", "9", "0 to 5"),
        ("AGENCY_LOOKUP_RETRIES", "two", "whole number"),
    ],
)
def test_bad_values_are_refused_by_name_and_why(tmp_path, name, value, why):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({name: value}, cwd=tmp_path)
    assert why in refused.value.problems[name]
    assert f"{name}: " in str(refused.value)


def test_every_problem_is_reported_at_once_and_no_secret_echoed(tmp_path):
    env = {"WHATSAPP_ACCESS_TOKEN": "EAAG-secret", "SMPP_PORT": "x", "DATABASE_URL": "postgresql://u:pw@h/db?bad=%"}
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**env, "LOG_LEVEL": "loud"}, cwd=tmp_path)
    assert {"WHATSAPP_PHONE_NUMBER_ID", "SMPP_HOST", "SMPP_PORT", "LOG_LEVEL"} <= set(refused.value.problems)
    assert "EAAG-secret" not in str(refused.value)


def test_smpp_tps_zero_means_no_cap(tmp_path):
    sms = Settings.from_env({"SMPP_HOST": "smsc", "SMPP_SYSTEM_ID": "tawasol", "SMPP_TPS": "0"}, cwd=tmp_path).sms
    assert sms.tps is None


def test_a_service_with_no_channel_is_refused_naming_the_variables_and_make_run(tmp_path):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({}, cwd=tmp_path).require_a_channel()
    assert "WHATSAPP_ACCESS_TOKEN" in str(refused.value) and "SMPP_HOST" in str(refused.value)
    assert "make run" in NO_CHANNEL


def test_channel_variables_are_the_non_empty_whatsapp_smpp_and_sms_ones():
    env = {"WHATSAPP_RATE": "1", "SMPP_HOST": "", "SMS_SHORT_CODE": "9", "PATH": "/bin", "TAWASOL_MODEL": "m"}
    assert channel_variables(env) == ["SMS_SHORT_CODE", "WHATSAPP_RATE"]


def test_repr_masks_url_passwords_and_channel_secrets(tmp_path):
    env = {
        "DATABASE_URL": "postgresql://tawasol:s3cretpass@db/tawasol",
        "REDIS_URL": "redis://:r3dispass@cache:6379/0",
        "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
        "WHATSAPP_ACCESS_TOKEN": "EAAG-very-secret-token-xyz",
        "WHATSAPP_APP_SECRET": "app-secret-value",
        "WHATSAPP_VERIFY_TOKEN": "verify-me-please",
        "SMPP_HOST": "smsc",
        "SMPP_SYSTEM_ID": "tawasol",
        "SMPP_PASSWORD": "smpppass",
    }
    settings = Settings.from_env(env, cwd=tmp_path)
    shown = repr(settings)
    for secret in ("s3cretpass", "r3dispass", "EAAG-very-secret-token", "app-secret-value", "verify-me-please", "smpppass"):
        assert secret not in shown
    assert "postgresql://tawasol:***@db/tawasol" in shown and str(settings) == shown
    assert "106540352242922" in shown


def test_mask_url_password_leaves_urls_without_one_alone():
    assert mask_url_password("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    assert mask_url_password("redis://cache:6379/0") == "redis://cache:6379/0"


def test_the_newest_model_is_the_one_written_last(tmp_path):
    assert newest_model(tmp_path / "absent") is None
    models = tmp_path / "models"
    models.mkdir()
    assert newest_model(models) is None
    old, new = models / "20240202-000000.tar.gz", models / "20240101-000000.tar.gz"
    old.write_bytes(b"old")
    new.write_bytes(b"new")
    past = time.time() - 3600
    os.utime(old, (past, past))
    assert newest_model(models) == str(new)  # by when it was written, not by its name


def test_the_catalog_and_the_wording_reach_catalog_by_injection(tmp_path):
    from bot.runtime import use_content
    from catalog.replies import say
    from catalog.services import default_catalog_dir

    replies = tmp_path / "replies.yml"
    replies.write_text("greeting: {ar: أهلا, en: hello there}\n", encoding="utf-8")
    settings = Settings.from_env({"TAWASOL_CATALOG_DIR": str(tmp_path), "TAWASOL_REPLIES": str(replies)}, cwd=tmp_path)
    use_content(settings)
    try:
        assert default_catalog_dir() == tmp_path
        assert say("greeting", "en") == "hello there"
    finally:
        use_content(Settings.from_env({}, cwd=tmp_path))
    assert default_catalog_dir() == DEFAULT_CATALOG_DIR
    with pytest.raises(KeyError):
        say("greeting", "en")  # the default wording again, which has no such key


def test_agency_lookup_settings(tmp_path):
    settings = Settings.from_env({"AGENCY_LOOKUP_TIMEOUT": "1.5", "AGENCY_LOOKUP_RETRIES": "0"}, cwd=tmp_path)
    assert settings.agency_lookup_timeout_s == 1.5 and settings.agency_lookup_retries == 0
    defaults = Settings.from_env({}, cwd=tmp_path)
    assert defaults.agency_lookup_timeout_s == 3.0 and defaults.agency_lookup_retries == 2


def test_routing_settings_default_to_the_shipped_templates_and_ten_minutes(tmp_path):
    from datetime import timedelta

    from channels.whatsapp.templates import DEFAULT_PATH

    settings = Settings.from_env({}, cwd=tmp_path)
    assert (settings.whatsapp_templates, settings.delivery_timeout) == (DEFAULT_PATH, timedelta(minutes=10))


def test_routing_settings_from_the_environment(tmp_path):
    from datetime import timedelta

    templates = tmp_path / "templates.yml"
    templates.write_text(
        'templates:\n  transaction_issued:\n    name: x_issued\n    parameters: [number]\n    body: {ar: "{{1}}"}\n',
        encoding="utf-8",
    )
    env = {"TAWASOL_WHATSAPP_TEMPLATES": str(templates), "TAWASOL_DELIVERY_TIMEOUT_MINUTES": "2.5"}
    settings = Settings.from_env(env, cwd=tmp_path)
    assert (settings.whatsapp_templates, settings.delivery_timeout) == (templates, timedelta(minutes=2.5))
    off = Settings.from_env({"TAWASOL_DELIVERY_TIMEOUT_MINUTES": "0"}, cwd=tmp_path)
    assert off.delivery_timeout is None


@pytest.mark.parametrize(
    "name, value, why",
    [
        ("TAWASOL_DELIVERY_TIMEOUT_MINUTES", "soon", "must be a number"),
        ("TAWASOL_DELIVERY_TIMEOUT_MINUTES", "-1", "zero (off) or a positive number of minutes"),
        ("TAWASOL_WHATSAPP_TEMPLATES", "/no/such/file.yml", "no such file"),
    ],
)
def test_bad_routing_settings_are_refused_by_name(tmp_path, name, value, why):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({name: value}, cwd=tmp_path)
    assert why in refused.value.problems[name]


def test_a_templates_file_that_does_not_make_sense_is_refused(tmp_path):
    broken = tmp_path / "templates.yml"
    broken.write_text("templates:\n  x:\n    name: y\n    parameters: [a]\n    body: {ar: 'no placeholder'}\n", encoding="utf-8")
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"TAWASOL_WHATSAPP_TEMPLATES": str(broken)}, cwd=tmp_path)
    assert "not a templates file" in refused.value.problems["TAWASOL_WHATSAPP_TEMPLATES"]
