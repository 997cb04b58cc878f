"""Session-wide fixtures: the one trained model every slow test shares.

Training takes about half a minute, so it happens once per test session, and the archive is kept
under .cache/models/ keyed by a hash of everything the model is made from: a second run with the
same config, domain, data and NLU code starts at once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from tests.availability import unavailable

REPOSITORY = Path(__file__).resolve().parent.parent
MODEL_INPUTS = ["config.yml", "domain.yml", "data/rules.yml", "data/nlu", "nlu", "language", "dialogue"]


def _model_fingerprint() -> str:
    digest = hashlib.sha256()
    for entry in MODEL_INPUTS:
        path = REPOSITORY / entry
        files = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(REPOSITORY)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """Path of a model trained from the repository as it is now."""
    from bot.training import train_model

    cache = REPOSITORY / ".cache" / "models"
    name = f"test-{_model_fingerprint()}"
    archive = cache / f"{name}.tar.gz"
    if not archive.exists():
        cache.mkdir(parents=True, exist_ok=True)
        for stale in cache.glob("test-*.tar.gz"):
            stale.unlink()
        train_model(cache, name)
    return archive


@pytest.fixture(scope="session")
def brain(trained_model):
    """The Rasa brain with the session's model, in-memory dialogue state."""
    from brain.rasa_brain import RasaBrain

    return RasaBrain.load(str(trained_model))


@pytest.fixture(scope="session", autouse=True)
def _logging() -> None:
    from bot.logs import configure

    configure("INFO")


@pytest.fixture(scope="session")
def _actions_session_store(tmp_path_factory):
    from store import Store
    from store.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('actions') / 'actions.db'}"
    upgrade(url)
    store = Store(url)
    yield store
    store.close()


@pytest.fixture(autouse=True)
def _actions_store(_actions_session_store):
    """Actions run in process and write tickets/subscriptions: give them a database of their own,
    handed over before every test (a service started by an earlier test hands over its own)."""
    from actions.citizen_records import use_store

    use_store(_actions_session_store)
    return _actions_session_store


# --- the store on both databases -------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    from store.migrate import upgrade

    path = tmp_path_factory.mktemp("store") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url():
    from store.migrate import upgrade
    from tests.databases import (
        drop_abandoned_test_databases,
        fresh_postgres_database,
        postgres_admin_url,
        postgres_reachable,
    )

    if not postgres_reachable():
        unavailable(f"PostgreSQL at {postgres_admin_url()}")
    drop_abandoned_test_databases()
    with fresh_postgres_database(f"tawasol_test_{os.getpid()}") as url:
        upgrade(url)
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path, sqlite_template):
    """A migrated database: a fresh SQLite file per test, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path / "tawasol.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(database_url):
    """A Store on `database_url`, emptied before the test."""
    from store import Store
    from tests.databases import empty_all_tables

    store = Store(database_url)
    empty_all_tables(store.db)
    yield store
    store.close()


# --- nothing personal or secret in what the service logs -----------------------------------------
# tests/log_scan.py scans every log record; a test during which one held a full phone number, a
# national ID or a test secret fails at its teardown, and one logged outside any test fails the session.

from tests import log_scan  # noqa: E402


def pytest_configure(config) -> None:
    log_scan.watch_config_secrets()
    log_scan.install()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    log_scan.current_test["nodeid"] = item.nodeid
    yield
    log_scan.current_test["nodeid"] = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when != "teardown":
        return
    with log_scan.leaks_lock:
        found = log_scan.leaks.pop(item.nodeid, [])
    if found and report.outcome != "failed":
        report.outcome = "failed"
        report.longrepr = "logged in clear during this test (mask with core/privacy):\n  " + "\n  ".join(found[:20])


def pytest_sessionfinish(session, exitstatus) -> None:
    stray = log_scan.leaks.get("<outside any test>")
    if stray:
        session.config.get_terminal_writer().line(
            "logged in clear outside any test (mask with core/privacy):\n  " + "\n  ".join(stray[:20]), red=True
        )
        session.exitstatus = 1
