"""The console's settings: read by bot/settings.py, refused by name when bad, listed in the README,
and the console mounted in production and in development mode."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.app import create_app
from bot.settings import Settings, SettingsError
from simulators.background_server import BackgroundServer
from simulators.dev_server import create_dev_app

REPOSITORY = Path(__file__).resolve().parents[2]
VARIABLES = ["CONSOLE_IDLE_MINUTES", "CONSOLE_COOKIE_SECURE", "CONSOLE_LOCKOUT_FAILURES", "CONSOLE_LOCKOUT_MINUTES",
             "CONSOLE_SIGN_INS_PER_MINUTE", "CONSOLE_URL", "CONSOLE_SETUP_LINK_HOURS", "CONSOLE_TICKET_LIMIT_MINUTES"]


def test_the_console_settings_are_read_with_safe_defaults(tmp_path):
    default = Settings.from_env({}, cwd=tmp_path).console
    assert (default.idle_timeout, default.cookie_secure, default.lockout_failures) == (timedelta(minutes=30), None, 5)
    given = Settings.from_env({
        "CONSOLE_IDLE_MINUTES": "10", "CONSOLE_COOKIE_SECURE": "false", "CONSOLE_LOCKOUT_FAILURES": "3",
        "CONSOLE_LOCKOUT_MINUTES": "60", "CONSOLE_SIGN_INS_PER_MINUTE": "7", "CONSOLE_URL": "https://tawasol.gov.jo/",
        "CONSOLE_SETUP_LINK_HOURS": "2",
    }, cwd=tmp_path).console
    assert given.idle_timeout == timedelta(minutes=10) and not given.cookie_secure
    assert (given.lockout_failures, given.lockout_duration, given.sign_ins_per_minute) == (3, timedelta(hours=1), 7)
    assert (given.public_url, given.setup_link_lifetime) == ("https://tawasol.gov.jo", timedelta(hours=2))


@pytest.mark.parametrize("name, value", [
    ("CONSOLE_IDLE_MINUTES", "0"), ("CONSOLE_COOKIE_SECURE", "maybe"), ("CONSOLE_LOCKOUT_FAILURES", "-1"),
    ("CONSOLE_URL", "tawasol.gov.jo"), ("CONSOLE_SETUP_LINK_HOURS", "soon"),
])
def test_bad_console_settings_are_refused_by_name(tmp_path, name, value):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({name: value}, cwd=tmp_path)
    assert list(refused.value.problems) == [name]


def test_the_readme_lists_every_console_variable():
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    configuration = readme[readme.index("## Configuration"):readme.index("## Architecture")]
    assert [name for name in VARIABLES if f"`{name}`" not in configuration] == []


def test_the_console_is_served_in_production_and_in_development(tmp_path):
    production = Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}, cwd=tmp_path)
    with BackgroundServer(create_app(production, workers=0)) as server:
        answer = httpx.get(server.url + "/console", follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/console/login")
        # auto: Secure for any address but this machine's own (nothing crosses a network there)
        assert "Secure" not in httpx.get(server.url + "/console/login").headers["set-cookie"]
        public = httpx.get(server.url + "/console/login", headers={"Host": "tawasol.gov.jo"})
        assert "Secure" in public.headers["set-cookie"]
        assert httpx.get(server.url + "/console/static/console.css").status_code == 200
    development = Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"}, cwd=tmp_path)
    app = create_dev_app(development, public_url="http://127.0.0.1:1", workers=0)
    with BackgroundServer(app) as server:
        login = httpx.get(server.url + "/console/login")
        # plain HTTP in development: a Secure cookie would never come back
        assert login.status_code == 200 and "Secure" not in login.headers["set-cookie"]
